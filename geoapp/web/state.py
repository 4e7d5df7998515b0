"""What the app holds between requests: the analysis of the loaded data and rendered maps.

The data is loaded, validated and analysed once, at start-up; requests only read it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import Flask, current_app

from geoapp.analysis import CountyAnalysis, analyse
from geoapp.data.load import load_dataset
from geoapp.maps.assets import Tiles, tiles_from_setting
from geoapp.maps.coverage import coverage_map


@dataclass(frozen=True)
class MapParts:
    """A folium map split for embedding in our own page."""
    header: str   # <script>/<link> tags and the map's styles, for <head>
    body: str     # the map's <div>
    script: str   # the JavaScript that builds the map, for a <script> after the div


class CountyState:
    def __init__(self, analysis: CountyAnalysis, tiles: Tiles, static_root: str):
        self.analysis = analysis
        self.tiles = tiles
        self.static_root = static_root
        self._maps: dict[tuple, MapParts] = {}
        self._lock = threading.Lock()

    @classmethod
    def attach(cls, app: Flask) -> "CountyState":
        static_root = app.static_url_path or "/static"
        tiles = tiles_from_setting(app.config["GEOAPP_TILES"], static_root)
        state = cls(analyse(load_dataset(app.config["GEOAPP_DATA_DIR"])), tiles, static_root)
        app.extensions["geoapp"] = state
        return state

    def coverage_map(self, metric: str, lang: str) -> MapParts:
        """The coverage map for `metric` in `lang`, rendered once and kept."""
        key = ("coverage", metric, lang)
        with self._lock:
            if key not in self._maps:
                figure = coverage_map(self.analysis, metric, lang, self.tiles, self.static_root).get_root()
                figure.render()
                self._maps[key] = MapParts(figure.header.render(), figure.html.render(), figure.script.render())
            return self._maps[key]


def county() -> CountyState:
    """The state of the current app."""
    return current_app.extensions["geoapp"]
