"""Local copies of the map's scripts and style sheets, and the base-map tiles.

folium's defaults point at CDNs (which fail offline and from much of mainland China); every
map made here replaces them with the files in `static/vendor/`, refreshed by
`scripts/vendor-assets`.
"""
from __future__ import annotations

from dataclasses import dataclass

import folium

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
TIANDITU_TILES = ("https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=%s")
TIANDITU_ATTRIBUTION = "&copy; 天地图 Tianditu"


@dataclass(frozen=True)
class Tiles:
    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18


def tiles_from_setting(setting: str, static_root: str) -> Tiles:
    """The base map for a GEOAPP_TILES value: `osm` (default), `blank` (a local blank tile),
    `tianditu:KEY`, or any `{z}/{x}/{y}` URL template."""
    setting = (setting or "osm").strip()
    if setting == "osm":
        return Tiles(OSM_TILES, OSM_ATTRIBUTION)
    if setting == "blank":
        return Tiles(f"{static_root}/tiles/blank.png", "blank base map")
    if setting.startswith("tianditu:"):
        return Tiles(TIANDITU_TILES % setting.split(":", 1)[1], TIANDITU_ATTRIBUTION, "01234567")
    if "{z}" in setting and "{x}" in setting and "{y}" in setting:
        return Tiles(setting, "base map: " + setting.split("/")[2] if "//" in setting else setting)
    raise ValueError(f"GEOAPP_TILES={setting!r}: use osm, blank, tianditu:KEY or a {{z}}/{{x}}/{{y}} URL template")


def local_assets(static_root: str, cluster: bool = False,
                 draw: bool = False) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(scripts, style sheets) a geoapp map loads, all under `static_root`; `cluster` adds
    leaflet.markercluster, `draw` adds Leaflet.draw."""
    vendor = f"{static_root}/vendor"
    scripts = [("leaflet", f"{vendor}/leaflet/leaflet.js")]
    styles = [("leaflet_css", f"{vendor}/leaflet/leaflet.css")]
    if cluster:
        scripts.append(("markercluster", f"{vendor}/leaflet.markercluster/leaflet.markercluster.js"))
        styles += [("markercluster_css", f"{vendor}/leaflet.markercluster/MarkerCluster.css"),
                   ("markercluster_default_css", f"{vendor}/leaflet.markercluster/MarkerCluster.Default.css")]
    if draw:
        scripts.append(("leaflet_draw", f"{vendor}/leaflet-draw/leaflet.draw.js"))
        styles.append(("leaflet_draw_css", f"{vendor}/leaflet-draw/leaflet.draw.css"))
    scripts.append(("geoapp_map", f"{static_root}/js/geoapp-map.js"))
    styles.append(("geoapp_map_css", f"{static_root}/css/geoapp-map.css"))
    return scripts, styles


def base_map(bounds: tuple[float, float, float, float], tiles: Tiles, static_root: str,
             cluster: bool = False, draw: bool = False) -> folium.Map:
    """An empty map fitted to `bounds` (minx, miny, maxx, maxy in lon/lat) with local assets."""
    minx, miny, maxx, maxy = bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, tiles=None,
                   control_scale=True, prefer_canvas=False)
    m.default_js, m.default_css = local_assets(static_root, cluster, draw)  # per map: no CDN
    folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, subdomains=tiles.subdomains,
                     max_zoom=tiles.max_zoom, name="base map", control=False).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m
