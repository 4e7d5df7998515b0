"""The one place that knows coordinate reference systems.

Everything is stored in EPSG:4326 (WGS-84 longitude/latitude). Lengths, areas and
distances are measured in EPSG:32648 (UTM zone 48N, metres), which covers Hanyuan.
"""
from __future__ import annotations

from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

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


@lru_cache(maxsize=None)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def geometry_to_metric(geometry: BaseGeometry) -> BaseGeometry:
    """One lon/lat geometry in UTM 48N, with a transformer made once (for per-request work)."""
    transformer = _transformer(STORAGE_CRS, METRIC_CRS)

    def project(coordinates: np.ndarray) -> np.ndarray:  # shapely hands over an (n, 2) array
        x, y = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, project)
