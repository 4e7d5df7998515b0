"""What the app holds between requests: the analysis of the loaded data and rendered maps.

The data is loaded, validated and analysed once, at start-up; requests only read it.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import Flask, current_app, request

from geoapp.analysis import CountyAnalysis, analyse
from geoapp.analysis.index import DatasetIndex
from geoapp.analysis.planning import PlanningContext
from geoapp.data.load import Dataset, load_store, open_dataset
from geoapp.data.validate import DataError
from geoapp.maps.assets import Tiles, tiles_from_setting
from geoapp.maps.coverage import CoverageLayers, coverage_map
from geoapp.maps.tilearchive import open_archive
from geoapp.messages import translator
from geoapp.store import Stores, open_stores


@dataclass(frozen=True)
class MapParts:
    """A folium map split for embedding in our own page."""
    header: str   # <script>/<link> tags and the map's styles, for <head>
    body: str     # the map's <div>
    script: str   # the JavaScript that builds the map, for a <script> after the div


_FOLIUM_VIEWPORT = re.compile(r"<meta\s+name=\"viewport\"[^>]*>\s*")


def render_parts(figure) -> MapParts:
    """Render a folium figure (`map.get_root()`) into the parts our page templates embed.
    folium's own viewport meta (which forbids pinch-zoom) is dropped: the page has its own."""
    figure.render()
    return MapParts(_FOLIUM_VIEWPORT.sub("", figure.header.render()), figure.html.render(), figure.script.render())


class CountyState:
    """The analysis of the current data, rebuilt when the layer store publishes a new version."""

    def __init__(self, analysis: CountyAnalysis, tiles: Tiles, static_root: str, stores: Stores,
                 dem: Path | None = None):
        self.tiles = tiles
        self.tile_archive = open_archive(tiles.archive) if tiles.archive else None
        self.static_root = static_root
        self.dem = dem
        self.layers = stores.layers
        self.stamp = self.layers.stamp()
        self.proposals = stores.proposals
        self.users = stores.users
        self.photos = stores.photos
        self.derived = stores.derived
        self._lock = threading.Lock()
        self._use(analysis)

    def _use(self, analysis: CountyAnalysis) -> None:
        """Serve `analysis` from now on: everything derived from the data is rebuilt or dropped."""
        self.analysis = analysis
        self.index = DatasetIndex(analysis.dataset)  # bbox and attribute reads, built on first use
        self.planning = PlanningContext(analysis, self.dem).warm()
        self._maps: dict[tuple, MapParts] = {}
        self._made: dict[tuple, object] = {}
        self.coverage_layers = lru_cache(maxsize=64)(self._coverage_layers)

    @classmethod
    def attach(cls, app: Flask) -> "CountyState":
        static_root = app.static_url_path or "/static"
        tiles = tiles_from_setting(app.config["GEOAPP_TILES"], static_root)
        dem = app.config.get("GEOAPP_DEM")
        if dem and not Path(dem).is_file():
            raise ValueError(f"GEOAPP_DEM={dem}: no such file (an elevation GeoTIFF)")
        stores = open_stores(app.config["GEOAPP_INSTANCE"], app.config.get("DATABASE_URL"))
        dataset = open_dataset(stores.layers, app.config["GEOAPP_DATA_DIR"])
        report_skipped(app, dataset)
        state = cls(analyse(dataset, stores.derived), tiles, static_root, stores, Path(dem) if dem else None)
        state.app = app
        app.extensions["geoapp"] = state
        app.before_request(state._refresh_for_request)
        return state

    def refresh_if_changed(self) -> None:
        """Reload when another process (the CLI, another worker) published a new version."""
        if self.layers.stamp() == self.stamp:
            return
        with self._lock:
            stamp = self.layers.stamp()
            if stamp != self.stamp:
                try:
                    dataset = load_store(self.layers)
                except DataError as err:  # keep serving what loaded last; the log says why
                    self.app.logger.error("the store's new versions do not load; still serving %s:\n%s",
                                          self.analysis.dataset.source, err)
                else:
                    report_skipped(self.app, dataset)
                    self._use(analyse(dataset, self.derived))
                self.stamp = stamp

    def _refresh_for_request(self) -> None:
        if request.endpoint != "static":  # static files do not depend on the data
            self.refresh_if_changed()

    def made_once(self, key: tuple, build):
        """What `build()` returns, made once per data version and kept under `key` (reports,
        zone pages' figures and charts, server-drawn maps)."""
        made = self._made  # the dict of the version being served, even if a new one arrives meanwhile
        if key not in made:
            value = build()
            with self._lock:
                made[key] = value
        return made[key]

    def report(self, metric: str, lang: str, build) -> bytes:
        """The committee's PDF report for `metric` in `lang`, made once per data version."""
        return self.made_once(("report", metric, lang), lambda: build(self.analysis, metric, lang))

    def _coverage_layers(self, metric: str, lang: str) -> CoverageLayers:
        return CoverageLayers(self.analysis, metric, lang, translator(lang), self.tiles.to_display)

    def coverage_map(self, metric: str, lang: str, layer_url: str, identify_url: str) -> MapParts:
        """The coverage map for `metric` in `lang`, rendered once and kept."""
        key = ("coverage", metric, lang, layer_url, identify_url)
        with self._lock:
            if key not in self._maps:
                self._maps[key] = render_parts(coverage_map(self.coverage_layers(metric, lang), self.tiles,
                                                            self.static_root, layer_url, identify_url,
                                                            control_words(lang)).get_root())
            return self._maps[key]


def report_skipped(app: Flask, dataset: Dataset) -> None:
    """Log each stored version that does not load and is therefore not served."""
    for skipped in dataset.skipped:
        app.logger.warning("%s v%s does not load and is not served (serving v%s): %s", skipped.layer,
                           skipped.version, dataset.versions.get(skipped.layer), "; ".join(map(str, skipped.problems[:3])))


def control_words(lang: str) -> dict:
    """What Leaflet's own controls and the identify popup say, in `lang`."""
    _ = translator(lang)
    return {"zoom_in": _("Zoom in"), "zoom_out": _("Zoom out"), "layers": _("Layers"), "map": _("Map"),
            "loading": _("Loading…"), "failed": _("Could not load the details"),
            "nothing": _("Nothing here: click a township, zone, base or point.")}


def county() -> CountyState:
    """The state of the current app."""
    return current_app.extensions["geoapp"]
