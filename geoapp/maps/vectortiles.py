"""Mapbox Vector Tiles of the public layers (`/tiles/<layer>/{z}/{x}/{y}.mvt`), cut from the
layer's in-memory index (`geoapp.analysis.index`): only the features in the tile are touched,
clipped to it, simplified to its pixel size, and — for points too dense to see — thinned to one
per cell. Tiles carry ids, names and the keys a style needs (kind, industry, stars), never the
indicator values: a choropleth joins those by id, so changing the indicator needs no new tiles.

Coordinates: stored WGS-84 → Web Mercator → the tile's 4096 units. (A GCJ-02 base map
shifts the drawing in the browser, as for GeoJSON layers.)
"""
from __future__ import annotations

import math

import mapbox_vector_tile
import numpy as np
import shapely

from geoapp.analysis.index import LayerIndex
from geoapp.layers import LAYERS

EXTENT = 4096                  # tile units per side
MAX_ZOOM = 20
EARTH_RADIUS = 6378137.0
HALF_WORLD = math.pi * EARTH_RADIUS
BUFFER = 64                    # tile units drawn beyond the edge, so outlines meet across tiles
POINT_CELL = 16                # in a crowded tile, points closer than this (tile units) are thinned to one
MAX_POINTS = 4000              # a tile with more points than this is crowded
STYLE_COLUMNS = ("kind", "industry", "lead_industry", "stars", "price", "start_md", "end_md")


def tile_properties(layer_id: str) -> list[str]:
    """What a layer's tiles carry: its key, names and the columns a style keys on."""
    spec = LAYERS[layer_id]
    names = {c.name for c in spec.columns}
    keep = [*spec.key_columns, *(c for c in ("name_zh", "name_en") if c in names)]
    return keep + [c for c in STYLE_COLUMNS if c in names and c not in keep]


def tile_box_mercator(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    size = 2 * HALF_WORLD / 2 ** z
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return minx, maxy - size, minx + size, maxy


def mercator_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon = np.degrees(x / EARTH_RADIUS)
    lat = np.degrees(2 * np.arctan(np.exp(y / EARTH_RADIUS)) - math.pi / 2)
    return lon, lat


def lonlat_to_mercator(coordinates: np.ndarray) -> np.ndarray:
    lon, lat = coordinates[:, 0], np.clip(coordinates[:, 1], -85.0511, 85.0511)
    return np.column_stack([np.radians(lon) * EARTH_RADIUS,
                            np.log(np.tan(math.pi / 4 + np.radians(lat) / 2)) * EARTH_RADIUS])


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


SHIFT_MARGIN = 0.01   # degrees: more than GCJ-02's offset from WGS-84 in China (under 0.007)


def vector_tile(index: LayerIndex, layer_id: str, z: int, x: int, y: int, shift=None) -> bytes:
    """The tile z/x/y of `layer_id` as MVT bytes (an empty tile where the layer has nothing);
    `shift` moves the stored geometries to a base map's datum first (GCJ-02 for Amap)."""
    minx, miny, maxx, maxy = tile_box_mercator(z, x, y)
    unit = (maxx - minx) / EXTENT
    pad = BUFFER * unit
    (lon0, lon1), (lat0, lat1) = mercator_to_lonlat(np.array([minx - pad, maxx + pad]),
                                                    np.array([miny - pad, maxy + pad]))
    margin = SHIFT_MARGIN if shift is not None else 0.0
    rows = index.in_box((float(lon0) - margin, float(lat0) - margin, float(lon1) + margin, float(lat1) + margin))
    stored = index.geometries[rows]
    geometries = shapely.transform(shift(stored) if shift is not None else stored, lonlat_to_mercator)
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    kinds = shapely.get_type_id(geometries)
    points = kinds == 0
    if points.all() and len(rows) > MAX_POINTS:
        coordinates = shapely.get_coordinates(geometries)
        cells = np.floor((coordinates - [minx, miny]) / (POINT_CELL * unit)).astype(np.int64)
        _, first = np.unique(cells[:, 0] * 1_000_003 + cells[:, 1], return_index=True)
        keep = np.sort(first)
    elif points.all():
        keep = np.arange(len(rows))
    else:
        geometries = shapely.simplify(shapely.clip_by_rect(geometries, *box), unit, preserve_topology=True)
        extents = shapely.bounds(geometries)
        visible = ~shapely.is_empty(geometries) & (
            (extents[:, 2] - extents[:, 0] >= unit) | (extents[:, 3] - extents[:, 1] >= unit))
        keep = np.flatnonzero(visible)
    columns = tile_properties(layer_id)
    page = index.frame.iloc[rows[keep]]
    values = [page[c].tolist() for c in columns]
    in_tile = shapely.transform(geometries[keep], lambda c: np.round((c - [minx, miny]) / unit))
    features = [{"geometry": in_tile[i], "id": int(rows[k]),
                 "properties": {c: _plain(v[i]) for c, v in zip(columns, values) if _plain(v[i]) is not None}}
                for i, k in enumerate(keep)]
    return mapbox_vector_tile.encode([{"name": layer_id, "features": features}],
                                     default_options={"extents": EXTENT})  # y up: the encoder flips it
