"""The one place that knows coordinate reference systems.

Everything is stored in EPSG:4326 (WGS-84 longitude/latitude). Lengths, areas and
distances are measured in EPSG:32648 (UTM zone 48N, metres), which covers Hanyuan.
"""
from __future__ import annotations

from functools import cache

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


@cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def geometry_to_metric(geometry: BaseGeometry) -> BaseGeometry:
    """One lon/lat geometry in UTM 48N, with a transformer made once (for per-request work)."""
    transformer = _transformer(STORAGE_CRS, METRIC_CRS)

    def project(coordinates: np.ndarray) -> np.ndarray:  # shapely hands over an (n, 2) array
        x, y = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, project)


# Chinese shifted systems -------------------------------------------------------------------
# GCJ-02 (Amap, Tencent) is WGS-84 plus a published, deliberately irregular offset (about
# 330-380 m around Hanyuan); BD-09 (Baidu) is GCJ-02 with a further rotation and shift
# (about 850 m here). PROJ has neither, so they are written here, vectorised over arrays.
# Their inverses have no closed form: they are solved by fixed-point iteration to 1e-10°
# (about 0.01 mm), far inside the 1 mm round trip the tests ask for.

_A = 6378245.0                    # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
_EE = 0.00669342162296594323      # its eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE_DEGREES = 1e-10
_MAX_ITERATIONS = 30

SHIFTED_SYSTEMS = ("gcj02", "bd09")


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) at WGS-84 (lon, lat)."""
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
             + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
             + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
             + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
             + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
             + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    d_lat = d_lat * 180.0 / ((_A * (1 - _EE)) / (magic * np.sqrt(magic)) * np.pi)
    d_lon = d_lon * 180.0 / (_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    return d_lon, d_lat


# Outside this box the GCJ-02 offset is not applied, as every GCJ-02 library and map app does
# (the bounds of coord-convert and coordtransform's out_of_china): Paris stays where it is.
CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)


def outside_china(lon, lat) -> np.ndarray:
    west, south, east, north = CHINA_BOX
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon < west) | (lon > east) | (lat < south) | (lat > north)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _offset(lon, lat)
    outside = outside_china(lon, lat)
    return lon + np.where(outside, 0.0, d_lon), lat + np.where(outside, 0.0, d_lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """The (lon, lat) that `forward` maps to the given points, by fixed-point iteration."""
    target_lon, target_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    guess_lon, guess_lat = target_lon.copy(), target_lat.copy()
    for _ in range(_MAX_ITERATIONS):
        mapped_lon, mapped_lat = forward(guess_lon, guess_lat)
        err_lon, err_lat = mapped_lon - target_lon, mapped_lat - target_lat
        guess_lon, guess_lat = guess_lon - err_lon, guess_lat - err_lat
        if np.all(np.abs(err_lon) < _TOLERANCE_DEGREES) and np.all(np.abs(err_lat) < _TOLERANCE_DEGREES):
            break
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _transformed(geometries, convert):
    def project(coordinates: np.ndarray) -> np.ndarray:
        x, y = convert(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack([x, y])
    if isinstance(geometries, gpd.GeoSeries):
        return gpd.GeoSeries(shapely.transform(geometries.to_numpy(), project), index=geometries.index,
                             crs=geometries.crs)
    return shapely.transform(geometries, project)


def from_shifted(geometries, system: str):
    """Geometries (any shapely array or GeoSeries) given in GCJ-02 or BD-09, in WGS-84."""
    return _transformed(geometries, _TO_WGS84[system])


def to_shifted(geometries, system: str):
    """WGS-84 geometries (any shapely array or GeoSeries) in GCJ-02 or BD-09, for a Chinese base
    map (Amap, Baidu) or a link into one of their apps."""
    return _transformed(geometries, _FROM_WGS84[system])


# The coordinate systems an import may declare, by the name a person uses.
DECLARABLE = {"wgs84": "EPSG:4326", "cgcs2000": "EPSG:4490", "gcj02": "gcj02", "bd09": "bd09"}


def to_storage_from(frame: gpd.GeoDataFrame, declared: str) -> gpd.GeoDataFrame:
    """`frame` whose coordinates are in the `declared` system (wgs84, cgcs2000, gcj02, bd09 or
    an EPSG code such as EPSG:4547), converted to WGS-84 lon/lat. ValueError names a bad one."""
    name = declared.strip().lower()
    if name in SHIFTED_SYSTEMS:
        converted = from_shifted(frame.geometry.to_numpy(), name)
        return frame.set_geometry(gpd.GeoSeries(converted, index=frame.index, crs=STORAGE_CRS))
    code = DECLARABLE.get(name, declared.strip().upper())
    try:
        from pyproj import CRS
        crs = CRS.from_user_input(code)
    except Exception:
        raise ValueError(f"unknown coordinate system {declared!r}: use wgs84, cgcs2000, gcj02, bd09 "
                         "or an EPSG code such as EPSG:4547") from None
    return frame.set_crs(crs, allow_override=True).to_crs(STORAGE_CRS)
