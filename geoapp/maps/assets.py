"""Local copies of the map's scripts and style sheets, and the base map.

folium's defaults point at CDNs (which fail offline and from much of mainland China); every
map made here replaces them with the files in `static/vendor/`, refreshed by
`scripts/vendor-assets`.

The base map comes from GEOAPP_TILES: OpenStreetMap, a blank tile, Tianditu (WGS-84/CGCS2000),
Amap (GCJ-02: every overlay coordinate is shifted to GCJ-02 before it is drawn, and every
coordinate the browser sends back is shifted back, so features sit on Amap's streets), a local
tile archive served by the app itself (MBTiles or PMTiles: an intranet without internet still
has rivers, roads and names), or any {z}/{x}/{y} template.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import folium

from geoapp.crs import from_shifted, to_shifted
from geoapp.maps.elements import BaseControls
from geoapp.static_files import StaticFiles

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
# Tianditu (天地图, the national platform), as it is meant to be used: a base layer and its place
# names drawn over it as a second layer — vector (vec_w + cva_w) or imagery (img_w + cia_w).
TIANDITU = "https://t{s}.tianditu.gov.cn/DataServer?T=%s&x={x}&y={y}&l={z}&tk=%s"
TIANDITU_LAYERS = {"tianditu": ("vec_w", "cva_w"), "tianditu-img": ("img_w", "cia_w")}
TIANDITU_ATTRIBUTION = "&copy; 天地图 Tianditu"
# A published map in China shows its base map's approval number (审图号). This default is the one
# Tianditu's own map showed when this was written; set GEOAPP_MAP_APPROVAL to the current one.
TIANDITU_APPROVAL = "GS(2024)0568号"
# Leaflet's attribution prefix, plain (no flag): GEOAPP_MAP_PREFIX changes it
PLAIN_PREFIX = '<a href="https://leafletjs.com">Leaflet</a>'
# Amap's tile address is not a published API (it works, unannounced and unlicensed for others' sites):
# for intranet trials; a public deployment in China uses Tianditu with a key.
AMAP_TILES = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
AMAP_ATTRIBUTION = "&copy; 高德地图 AutoNavi (unofficial tile address)"
LOCAL_TILES = "/tiles/{z}/{x}/{y}"


@dataclass(frozen=True)
class Tiles:
    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18
    datum: str = "wgs84"            # what the tiles are drawn in: wgs84 or gcj02 (Amap)
    archive: Path | None = None     # a local MBTiles/PMTiles file the app serves at LOCAL_TILES
    max_native_zoom: int | None = None  # the archive's deepest zoom (beyond it, its tiles are enlarged)
    labels: str | None = None       # place names drawn over the base layer (Tianditu's annotation layer)
    prefix: str = PLAIN_PREFIX      # Leaflet's attribution prefix

    @property
    def to_display(self) -> Callable | None:
        """Shifts stored (WGS-84) geometry to the base map's datum; None when they agree."""
        if self.datum == "wgs84":
            return None
        return lambda geometries: to_shifted(geometries, self.datum)

    def from_display(self, geometries):
        """Geometry the browser sent (in the base map's datum) in WGS-84, as stored."""
        return geometries if self.datum == "wgs84" else from_shifted(geometries, self.datum)


def tiles_from_setting(setting: str, static: StaticFiles, approval: str | None = None,
                       prefix: str | None = None) -> Tiles:
    """The base map for a GEOAPP_TILES value: `osm` (default), `blank` (a local blank tile),
    `tianditu:KEY` (with its place names; `tianditu-img:KEY` for imagery), `amap`, `mbtiles:PATH`,
    `pmtiles:PATH`, or any `{z}/{x}/{y}` URL template. `approval`: the 审图号 shown with a Tianditu
    base map (GEOAPP_MAP_APPROVAL); `prefix`: Leaflet's attribution prefix (GEOAPP_MAP_PREFIX)."""
    tiles = _base_tiles((setting or "osm").strip(), static, approval)
    return replace(tiles, prefix=prefix) if prefix is not None else tiles


def _base_tiles(setting: str, static: StaticFiles, approval: str | None) -> Tiles:
    if setting == "osm":
        return Tiles(OSM_TILES, OSM_ATTRIBUTION)
    if setting == "blank":
        return Tiles(static.url("tiles/blank.png"), " ")   # nothing drawn, nobody to credit (folium wants a text)
    kind, _, key = setting.partition(":")
    if kind in TIANDITU_LAYERS and key:
        base, names = TIANDITU_LAYERS[kind]
        attribution = f"{TIANDITU_ATTRIBUTION} · 审图号：{approval or TIANDITU_APPROVAL}"
        return Tiles(TIANDITU % (base, key), attribution, "01234567", labels=TIANDITU % (names, key))
    if setting == "amap":
        return Tiles(AMAP_TILES, AMAP_ATTRIBUTION, "1234", max_zoom=18, datum="gcj02")
    if setting.startswith(("mbtiles:", "pmtiles:")):
        from geoapp.maps.tilearchive import open_archive
        archive = open_archive(Path(setting.split(":", 1)[1]))
        return Tiles(LOCAL_TILES, archive.attribution, "", archive=archive.path, max_native_zoom=archive.max_zoom)
    if "{z}" in setting and "{x}" in setting and "{y}" in setting:
        return Tiles(setting, "base map: " + setting.split("/")[2] if "//" in setting else setting)
    raise ValueError(f"GEOAPP_TILES={setting!r}: use osm, blank, tianditu:KEY, tianditu-img:KEY, amap, mbtiles:PATH, "
                     "pmtiles:PATH "
                     "or a {z}/{x}/{y} URL template")


def local_assets(static: StaticFiles, cluster: bool = False, draw: bool = False,
                 vector_tiles: bool = False) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(scripts, style sheets) a geoapp map loads, all from `static`; `cluster` adds
    leaflet.markercluster, `draw` adds Leaflet.draw, `vector_tiles` Leaflet.VectorGrid."""
    scripts = [("leaflet", static.url("vendor/leaflet/leaflet.js"))]
    styles = [("leaflet_css", static.url("vendor/leaflet/leaflet.css"))]
    if cluster:
        scripts.append(("markercluster", static.url("vendor/leaflet.markercluster/leaflet.markercluster.js")))
        styles += [("markercluster_css", static.url("vendor/leaflet.markercluster/MarkerCluster.css")),
                   ("markercluster_default_css", static.url("vendor/leaflet.markercluster/MarkerCluster.Default.css"))]
    if draw:
        scripts.append(("leaflet_draw", static.url("vendor/leaflet-draw/leaflet.draw.js")))
        styles.append(("leaflet_draw_css", static.url("vendor/leaflet-draw/leaflet.draw.css")))
    if vector_tiles:
        scripts.append(("vectorgrid", static.url("vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js")))
    scripts.append(("geoapp_map", static.url("js/geoapp-map.js")))
    styles.append(("geoapp_map_css", static.url("css/geoapp-map.css")))
    return scripts, styles


def base_map(bounds: tuple[float, float, float, float], tiles: Tiles, static: StaticFiles,
             cluster: bool = False, draw: bool = False, vector_tiles: bool = False) -> folium.Map:
    """An empty map fitted to `bounds` (minx, miny, maxx, maxy in lon/lat, as stored) with local
    assets; on a GCJ-02 base map the bounds are shifted as the overlays are."""
    minx, miny, maxx, maxy = bounds
    if tiles.datum != "wgs84":
        import shapely
        (minx, miny), (maxx, maxy) = shapely.get_coordinates(
            to_shifted(shapely.points([minx, maxx], [miny, maxy]), tiles.datum))
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, tiles=None,
                   control_scale=False, prefer_canvas=False, zoom_snap=0.25, zoom_delta=0.5)
    m.default_js, m.default_css = local_assets(static, cluster, draw, vector_tiles)  # per map: no CDN
    folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, subdomains=tiles.subdomains or "abc",
                     max_zoom=tiles.max_zoom, max_native_zoom=tiles.max_native_zoom,
                     name="base map", control=False).add_to(m)
    if tiles.labels:  # the place names, over the base layer and under the data
        folium.TileLayer(tiles=tiles.labels, attr=" ", subdomains=tiles.subdomains or "abc", max_zoom=tiles.max_zoom,
                         name="place names", control=False).add_to(m)
    BaseControls(tiles.prefix).add_to(m)
    fit = folium.map.FitBounds([[miny, minx], [maxy, maxx]])
    fit.options["animate"] = False  # the first view is set, not flown to: scripts and clicks find it settled
    fit.add_to(m)
    return m
