"""What lies at a place: the features of a layer near a point or holding it, found through the
layer's STRtree (`geoapp.analysis.index`), so a click costs what lies under it, not the size of
the layers. Distances and areas are measured in UTM 48N, for the few candidates only.
"""
from __future__ import annotations

import math

import numpy as np
import shapely

from geoapp.analysis.index import LayerIndex
from geoapp.crs import METRIC_CRS, STORAGE_CRS

METRES_PER_DEGREE = 111_320.0   # along a meridian (and along the equator)


def _box_around(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """A lon/lat box holding every point within `metres` of (lon, lat) (with room to spare)."""
    dlat = 1.05 * metres / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(min(abs(lat), 89.0))), 1e-6)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def _metric(geometries: np.ndarray) -> np.ndarray:
    from pyproj import Transformer
    transform = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True).transform
    return shapely.transform(geometries, lambda xy: np.column_stack(transform(xy[:, 0], xy[:, 1])))


def near(layer: LayerIndex, lon: float, lat: float, tolerance_m: float,
         anchors: bool = False) -> list[tuple[int, float]]:
    """(row position, metres) of the features within `tolerance_m` of (lon, lat), nearest first:
    points themselves, or with `anchors` each polygon's representative point (what the map
    draws for small polygons)."""
    candidates = layer.in_box(_box_around(lon, lat, tolerance_m))
    if not len(candidates):
        return []
    geometries = layer.geometries[candidates]
    if anchors:
        geometries = shapely.point_on_surface(geometries)
    here, *points = _metric(np.array([shapely.Point(lon, lat), *geometries], dtype=object))
    distances = shapely.distance(np.array(points, dtype=object), here)
    close = np.flatnonzero(distances <= tolerance_m)
    return sorted(((int(candidates[i]), float(distances[i])) for i in close), key=lambda hit: hit[1])


def holding(layer: LayerIndex, lon: float, lat: float) -> list[tuple[int, float]]:
    """(row position, area in m²) of the polygons that hold (lon, lat), smallest first."""
    candidates = layer.in_box((lon, lat, lon, lat))
    if not len(candidates):
        return []
    geometries = layer.geometries[candidates]
    inside = np.flatnonzero(shapely.contains_xy(geometries, lon, lat))
    if not len(inside):
        return []
    areas = shapely.area(_metric(geometries[inside]))
    return sorted(((int(candidates[i]), float(a)) for i, a in zip(inside, areas)), key=lambda hit: hit[1])
