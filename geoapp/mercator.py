"""Web Mercator (EPSG:3857) as web maps tile it: the one place that knows its formulas.

Used by the vector-tile cutter, the base-map painter, the farm-stay map's grid groups and the
coverage map's identify. Everything is numpy and vectorised; latitudes beyond ±MAX_LATITUDE
(where the square world ends) are clamped. A tile is (z, x, y) with y counted from the north,
as in OSM/Google/XYZ addresses; a "pixel" is one of 256 per tile side.
"""
from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS = 6_378_137.0                  # metres: the sphere Web Mercator projects
HALF_WORLD = math.pi * EARTH_RADIUS         # metres from the centre to the edge of the square world
MAX_LATITUDE = 85.05112877980659            # degrees: 2·atan(e^π) − π/2
TILE_PX = 256
METRES_PER_PIXEL_Z0 = 2 * HALF_WORLD / TILE_PX   # 156,543.03 m per pixel at zoom 0 on the equator

Bounds = tuple[float, float, float, float]   # west, south, east, north (degrees)


def clamp_latitude(lat):
    return np.clip(lat, -MAX_LATITUDE, MAX_LATITUDE)


def lonlat_to_mercator(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Degrees to Web Mercator metres."""
    rad = np.radians(clamp_latitude(np.asarray(lat, dtype=float)))
    return np.radians(np.asarray(lon, dtype=float)) * EARTH_RADIUS, np.log(np.tan(math.pi / 4 + rad / 2)) * EARTH_RADIUS


def coordinates_to_mercator(coordinates: np.ndarray) -> np.ndarray:
    """An (n, 2) array of lon/lat as an (n, 2) array of Web Mercator metres (the form
    `shapely.transform` hands over)."""
    x, y = lonlat_to_mercator(coordinates[:, 0], coordinates[:, 1])
    return np.column_stack([x, y])


def mercator_to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator metres to degrees."""
    lon = np.degrees(np.asarray(x, dtype=float) / EARTH_RADIUS)
    lat = np.degrees(2 * np.arctan(np.exp(np.asarray(y, dtype=float) / EARTH_RADIUS)) - math.pi / 2)
    return lon, lat


def world_pixels(lon, lat, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """Where points fall on the web map at `zoom`, in pixels from its north-west corner."""
    x, y = lonlat_to_mercator(lon, lat)
    scale = TILE_PX * 2.0 ** zoom / (2 * HALF_WORLD)
    return (x + HALF_WORLD) * scale, (HALF_WORLD - y) * scale


def pixels_to_lonlat(px, py, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of `world_pixels`."""
    scale = (2 * HALF_WORLD) / (TILE_PX * 2.0 ** zoom)
    return mercator_to_lonlat(np.asarray(px, dtype=float) * scale - HALF_WORLD,
                              HALF_WORLD - np.asarray(py, dtype=float) * scale)


def lonlat_to_tile(lon, lat, z: int) -> tuple[np.ndarray, np.ndarray]:
    """The tile columns and rows at zoom `z` holding these points."""
    n = 2 ** z
    px, py = world_pixels(lon, lat, z)
    return (np.floor(px / TILE_PX).clip(0, n - 1).astype(int), np.floor(py / TILE_PX).clip(0, n - 1).astype(int))


def tile_range(bounds: Bounds, z: int) -> list[tuple[int, int]]:
    """(x, y) of every tile at zoom `z` that the lon/lat `bounds` touch."""
    west, south, east, north = bounds
    (x0, x1), (y1, y0) = lonlat_to_tile(np.array([west, east]), np.array([south, north]), z)
    return [(x, y) for x in range(int(x0), int(x1) + 1) for y in range(int(y0), int(y1) + 1)]


def tile_bounds_mercator(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Tile z/x/y's box in Web Mercator metres (minx, miny, maxx, maxy)."""
    size = 2 * HALF_WORLD / 2 ** z
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return minx, maxy - size, minx + size, maxy


def metres_per_pixel(lat: float, zoom: float) -> float:
    """Ground metres one screen pixel spans at latitude `lat` and `zoom` (0–22)."""
    return METRES_PER_PIXEL_Z0 * math.cos(math.radians(float(clamp_latitude(lat)))) / 2 ** max(0.0, min(zoom, 22))
