"""The one place that knows coordinate reference systems.

Everything is stored in EPSG:4326 (WGS-84 longitude/latitude). Lengths, areas and
distances are measured in EPSG:32648 (UTM zone 48N, metres), which covers Hanyuan.
"""
from __future__ import annotations

import geopandas as gpd

STORAGE_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:32648"

SQUARE_METRES_PER_MU = 10_000 / 15  # 1 mu (亩) = 666.67 m²
SQUARE_METRES_PER_HECTARE = 10_000


def to_metric(frame: gpd.GeoDataFrame | gpd.GeoSeries):
    """Return `frame` projected to UTM 48N (metres)."""
    return frame.to_crs(METRIC_CRS)


def to_storage(frame: gpd.GeoDataFrame | gpd.GeoSeries):
    """Return `frame` in WGS-84 lon/lat, the CRS every layer is stored in."""
    return frame.to_crs(STORAGE_CRS)


def area_mu(frame: gpd.GeoDataFrame | gpd.GeoSeries):
    """Area of each geometry in mu, measured in UTM 48N."""
    return to_metric(frame).area / SQUARE_METRES_PER_MU


def area_km2(frame: gpd.GeoDataFrame | gpd.GeoSeries):
    """Area of each geometry in km², measured in UTM 48N."""
    return to_metric(frame).area / 1e6
