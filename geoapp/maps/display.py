"""Geometries for display: simplified in metres, shared borders kept, coordinates rounded.

A map at county scale needs neither survey-grade vertices nor fifteen decimals; sending them
makes the page many times heavier. Analysis always uses the stored geometries, never these.
"""
from __future__ import annotations

import json

import geopandas as gpd
import shapely

from geoapp.crs import METRIC_CRS, STORAGE_CRS
from geoapp.records import plain

DISPLAY_TOLERANCE_M = 30          # about 2 px at zoom 13
POLYGON_GRID_DEGREES = 1e-4       # about 10 m
POINT_GRID_DEGREES = 1e-5         # about 1 m


def simplified_coverage(frame: gpd.GeoDataFrame, tolerance_m: float = DISPLAY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Polygons that tile an area (townships), simplified together so neighbours still share
    their borders: no slivers and no gaps between them."""
    metric = frame.geometry.to_crs(METRIC_CRS)
    simple = shapely.coverage_simplify(metric.to_numpy(), tolerance_m)
    return _rounded(frame.set_geometry(gpd.GeoSeries(simple, index=frame.index, crs=METRIC_CRS).to_crs(STORAGE_CRS)),
                    POLYGON_GRID_DEGREES)


def simplified(frame: gpd.GeoDataFrame, tolerance_m: float = DISPLAY_TOLERANCE_M) -> gpd.GeoDataFrame:
    """Polygons simplified one by one (keeping topology), points rounded."""
    if frame.empty:
        return frame
    if (frame.geom_type == "Point").all():
        return _rounded(frame, POINT_GRID_DEGREES)
    metric = frame.geometry.to_crs(METRIC_CRS).simplify(tolerance_m, preserve_topology=True)
    return _rounded(frame.set_geometry(metric.to_crs(STORAGE_CRS)), POLYGON_GRID_DEGREES)


def _rounded(frame: gpd.GeoDataFrame, grid: float) -> gpd.GeoDataFrame:
    geometry = shapely.set_precision(frame.geometry.to_numpy(), grid)
    return frame.set_geometry(gpd.GeoSeries(geometry, index=frame.index, crs=frame.crs))


def anchors(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each feature as a point (its representative point), for marking small polygons."""
    return _rounded(frame.set_geometry(frame.geometry.representative_point()), POINT_GRID_DEGREES)


def feature_collection(frame: gpd.GeoDataFrame, properties: list[str], ids=None) -> dict:
    """A GeoJSON FeatureCollection of `frame` with only `properties` and the given feature ids."""
    geometries = [json.loads(g) for g in shapely.to_geojson(frame.geometry.to_numpy())]
    ids = [None] * len(frame) if ids is None else [str(i) for i in ids]
    rows = frame[properties].itertuples(index=False) if properties else [()] * len(frame)
    features = []
    for fid, row, geometry in zip(ids, rows, geometries):
        feature = {"type": "Feature", "properties": dict(zip(properties, map(plain, row))), "geometry": geometry}
        if fid is not None:
            feature["id"] = fid
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}
