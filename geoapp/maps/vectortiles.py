"""Mapbox Vector Tiles of the public layers (`/tiles/<layer>/{z}/{x}/{y}.mvt`), cut from the
layer's in-memory index (`geoapp.analysis.index`): only the features in the tile are touched,
clipped to it, simplified to its pixel size, and — for points too dense to see — thinned to one
per cell. Tiles carry ids, names and the keys a style needs (kind, industry, stars), never the
indicator values: a choropleth joins those by id, so changing the indicator needs no new tiles.

Coordinates: stored WGS-84 → Web Mercator → the tile's 4096 units. (A GCJ-02 base map
shifts the drawing in the browser, as for GeoJSON layers.)
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import mapbox_vector_tile
import numpy as np
import shapely

from geoapp.analysis.index import LayerIndex
from geoapp.layers import LAYERS
from geoapp.maps.mvt import point_tile
from geoapp.mercator import (
    HALF_WORLD,
    coordinates_to_mercator,
    mercator_to_lonlat,
    tile_bounds_mercator,
)

EXTENT = 4096                  # tile units per side
MAX_ZOOM = 20
BUFFER = 64                    # tile units drawn beyond the edge, so outlines meet across tiles
POINT_CELL = 128               # in a crowded tile, one point per cell this wide (tile units; 8 px of a 256-px
                               # tile): a tile then carries at most about 1,100 points, however many the layer has
SIMPLIFY = 4                   # tile units (a quarter of a screen pixel at 256 px a tile) lines may move
MAX_POINTS = 1000              # a tile with more points than this is crowded (about what its cells can hold)
STYLE_COLUMNS = ("kind", "industry", "lead_industry", "stars", "price", "start_md", "end_md")


@dataclass(frozen=True)
class TileRules:
    """How a tile is cut, for whoever cuts it (this module, or PostGIS's ST_AsMVT through the
    layer store): tile units, the margin drawn beyond the edge, how far lines may move, and
    when and how finely crowded points are thinned."""
    extent: int = EXTENT
    buffer: int = BUFFER
    simplify: float = SIMPLIFY
    max_points: int = MAX_POINTS
    point_cell: int = POINT_CELL

    def unit(self, z: int) -> float:
        """Web Mercator metres per tile unit at zoom `z`."""
        return 2 * HALF_WORLD / 2 ** z / self.extent


RULES = TileRules()


def tile_properties(layer_id: str) -> list[str]:
    """What a layer's tiles carry: its key, names and the columns a style keys on."""
    spec = LAYERS[layer_id]
    names = {c.name for c in spec.columns}
    keep = [*spec.key_columns, *(c for c in ("name_zh", "name_en") if c in names)]
    return keep + [c for c in STYLE_COLUMNS if c in names and c not in keep]


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


SHIFT_MARGIN = 0.01   # degrees: more than GCJ-02's offset from WGS-84 in China (under 0.007)


def vector_tile(index: LayerIndex, layer_id: str, z: int, x: int, y: int, shift=None,
                columns: list[str] | None = None) -> bytes:
    """The tile z/x/y of `layer_id` as MVT bytes (an empty tile where the layer has nothing);
    `shift` moves the stored geometries to a base map's datum first (GCJ-02 for Amap);
    `columns` (some of `tile_properties`) are the properties carried, all of them by default."""
    minx, miny, maxx, maxy = tile_bounds_mercator(z, x, y)
    unit = (maxx - minx) / EXTENT
    pad = BUFFER * unit
    (lon0, lon1), (lat0, lat1) = mercator_to_lonlat(np.array([minx - pad, maxx + pad]),
                                                    np.array([miny - pad, maxy + pad]))
    margin = SHIFT_MARGIN if shift is not None else 0.0
    rows = index.in_box((float(lon0) - margin, float(lat0) - margin, float(lon1) + margin, float(lat1) + margin))
    columns = tile_properties(layer_id) if columns is None else columns
    if len(rows) == 0:  # (most of a layer's tiles over the county, at the zooms cut ahead: `geoapp.views.tiles`)
        return _empty_tile(layer_id, tuple(columns))
    if index.point_coordinates is not None:
        # points from the coordinate array, written from arrays (`geoapp.maps.mvt`): no geometry
        # object per point is read (half a million of them would be copied into each forked
        # worker) and no Python object is made per point
        lonlat = index.point_coordinates[rows]
        if shift is not None:
            lonlat = shapely.get_coordinates(shift(shapely.points(lonlat)))
        return _point_tile(layer_id, index, rows, coordinates_to_mercator(lonlat), columns, minx, miny, unit)
    stored = index.geometries[rows]
    geometries = shapely.transform(shift(stored) if shift is not None else stored, coordinates_to_mercator)
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    if (shapely.get_type_id(geometries) == 0).all():  # a layer of points without a coordinate array
        return _point_tile(layer_id, index, rows, shapely.get_coordinates(geometries), columns, minx, miny, unit)
    geometries = shapely.simplify(shapely.clip_by_rect(geometries, *box), SIMPLIFY * unit, preserve_topology=True)
    extents = shapely.bounds(geometries)
    visible = ~shapely.is_empty(geometries) & (
        (extents[:, 2] - extents[:, 0] >= unit) | (extents[:, 3] - extents[:, 1] >= unit))
    keep = np.flatnonzero(visible)
    values = [index.array(c)[rows[keep]].tolist() for c in columns]  # (not frame.iloc: pandas may consolidate
    # the frame's columns first, copying every row into the worker)
    in_tile = _wound(shapely.transform(geometries[keep], lambda c: np.round((c - [minx, miny]) / unit)))
    features = [{"geometry": in_tile[i], "id": int(rows[k]),
                 "properties": {c: _plain(v[i]) for c, v in zip(columns, values) if _plain(v[i]) is not None}}
                for i, k in enumerate(keep) if not in_tile[i].is_empty]
    # y up: the encoder flips it; rings are already wound (and valid) for all features at once
    return mapbox_vector_tile.encode([{"name": layer_id, "features": features}],
                                     default_options={"extents": EXTENT, "check_winding_order": False})


@functools.lru_cache(maxsize=256)
def _empty_tile(layer_id: str, columns: tuple[str, ...]) -> bytes:
    """The tile of a layer where it has nothing: its name and keys, no feature."""
    nothing = np.zeros(0, dtype=np.int64)
    return point_tile(layer_id, nothing, nothing, nothing, {c: np.zeros(0, dtype=object) for c in columns}, EXTENT)


def _point_tile(layer_id: str, index: LayerIndex, rows: np.ndarray, xy: np.ndarray, columns: list[str],
                minx: float, miny: float, unit: float) -> bytes:
    """The tile of the points `rows` at Web Mercator `xy`: all of them, or in a crowded tile
    (more than MAX_POINTS) the first in each POINT_CELL cell, carrying `point_count` (how many
    points it stands for, so a style can size it: the drop rule keeps the map's look)."""
    counts = None
    if len(rows) > MAX_POINTS:
        kept, counts = _thinned(xy, minx, miny, unit)
        rows, xy = rows[kept], xy[kept]
    # (only the kept rows' values are read: reading a text takes a reference to it, which in a
    # forked worker copies the memory page it lives on)
    properties = {c: index.array(c)[rows] for c in columns} | ({} if counts is None else {"point_count": counts})
    units = np.round((xy - [minx, miny]) / unit).astype(np.int64)
    return point_tile(layer_id, units[:, 0], EXTENT - units[:, 1], rows, properties, EXTENT)  # (y down)


def _thinned(xy: np.ndarray, minx: float, miny: float, unit: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions (ascending) of the first point in each POINT_CELL cell of a crowded tile, and
    how many points each cell holds."""
    cells = np.floor((xy - [minx, miny]) / (POINT_CELL * unit)).astype(np.int64)
    _, first, counts = np.unique(cells[:, 0] * 1_000_003 + cells[:, 1], return_index=True, return_counts=True)
    order = np.argsort(first)
    return first[order], counts[order]


def _polygonal(parts: np.ndarray):
    """The polygons among `parts` as one geometry (a repair can leave lines and points beside them)."""
    return shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])


def _wound(geometries: np.ndarray) -> np.ndarray:
    """Polygons on the tile grid made valid (rounding can fold a thin one onto itself) and wound
    as the tile format wants (exterior rings clockwise before the encoder flips y), all at
    once: the encoder's own check costs 50 µs a polygon, a second for a crowded tile."""
    polygonal = np.isin(shapely.get_type_id(geometries), (3, 6))
    if not polygonal.any():
        return geometries
    shapes = geometries[polygonal]
    broken = ~shapely.is_valid(shapes)
    if broken.any():
        fixed = shapely.make_valid(shapes[broken], method="structure", keep_collapsed=False)
        shapes[broken] = [_polygonal(shapely.get_parts(g)) for g in fixed]
    out = geometries.copy()
    out[polygonal] = shapely.orient_polygons(shapes, exterior_cw=True)
    return out
