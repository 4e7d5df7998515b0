"""What the app holds between requests: the analysis of the loaded data and rendered maps.

The data is loaded, validated and analysed once, at start-up; requests only read it.
"""
from __future__ import annotations

import ctypes
import gc
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from flask import Flask, abort, current_app, g, has_request_context, request
from flask_babel import gettext as _

from geoapp.analysis import CountyAnalysis, analyse
from geoapp.analysis.counties import county_codes, county_slice
from geoapp.analysis.index import DatasetIndex
from geoapp.analysis.planning import PlanningContext
from geoapp.data.load import Dataset, load_store, open_dataset
from geoapp.data.validate import DataError
from geoapp.layers import LAYERS, PUBLIC_LAYERS
from geoapp.maps.assets import Tiles, tiles_from_setting
from geoapp.maps.coverage import CoverageLayers, coverage_map
from geoapp.maps.tilearchive import open_archive
from geoapp.messages import translator
from geoapp.store import Stores, open_stores
from geoapp.web.counties import requested_county


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


@dataclass
class ServedVersion:
    """Everything derived from one version of the data. A request is served from one of these
    from start to end (`CountyState` pins it), however a reload swaps them meanwhile."""
    analysis: CountyAnalysis
    index: DatasetIndex                  # bbox and attribute reads, built on first use
    planning: PlanningContext
    maps: dict[tuple, MapParts] = field(default_factory=dict)
    made: dict[tuple, object] = field(default_factory=dict)
    recent: dict[str, OrderedDict] = field(default_factory=dict)   # kinds kept only while recently used
    coverage_layers: object = None       # (metric, lang) -> CoverageLayers, kept for the version


class CountyState:
    """The analysis of the current data, rebuilt when the layer store publishes a new version.

    A reload that took less than `background_after` seconds last time is done in the request
    that notices the new version (so it sees the new data at once); a slower one (hundreds of
    thousands of features) is done in a thread while requests go on being served from the
    version they had, and the new one is swapped in whole when ready."""

    def __init__(self, analysis: CountyAnalysis, tiles: Tiles, static_root: str, stores: Stores,
                 dem: Path | None = None, background_after: float = 5.0):
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
        self.background_after = background_after
        self.load_seconds = 0.0              # how long the last load and analysis took
        self.reloading = False               # a reload is running in a thread
        self._lock = threading.Lock()          # for what is kept per version
        self._reload_lock = threading.Lock()   # one reload at a time
        self.on_serving: list = []              # called with the state when a process begins serving a version
        self._serving_in: int | None = None     # the process that has run `on_serving` for the version served
        self._served = self._version_of(analysis)

    def _version_of(self, analysis: CountyAnalysis) -> ServedVersion:
        index = DatasetIndex(analysis.dataset).warm(LAYERS[layer_id] for layer_id in PUBLIC_LAYERS)
        version = ServedVersion(analysis, index, PlanningContext(analysis, self.dem).warm())
        version.coverage_layers = lru_cache(maxsize=64)(
            lambda metric, lang: CoverageLayers(analysis, metric, lang, translator(lang), self.tiles.to_display))
        return version

    def _current(self) -> ServedVersion:
        """The version this request was pinned to (or the newest, outside a request)."""
        if has_request_context():
            pinned = g.get("geoapp_version")
            if pinned is not None:
                return pinned
        return self._served

    def serving_whole(self) -> bool:
        """Whether this request is answered from the whole of the version served (not from one
        county's slice of it)."""
        return self._current() is self._served

    @property
    def analysis(self) -> CountyAnalysis:
        return self._current().analysis

    @property
    def index(self) -> DatasetIndex:
        return self._current().index

    @property
    def planning(self) -> PlanningContext:
        return self._current().planning

    @property
    def coverage_layers(self):
        return self._current().coverage_layers

    @classmethod
    def attach(cls, app: Flask) -> "CountyState":
        static_root = app.static_url_path or "/static"
        tiles = tiles_from_setting(app.config["GEOAPP_TILES"], static_root)
        dem = app.config.get("GEOAPP_DEM")
        if dem and not Path(dem).is_file():
            raise ValueError(f"GEOAPP_DEM={dem}: no such file (an elevation GeoTIFF)")
        stores = open_stores(app.config["GEOAPP_INSTANCE"], app.config.get("DATABASE_URL"))
        began = time.perf_counter()
        dataset = open_dataset(stores.layers, app.config["GEOAPP_DATA_DIR"])
        report_skipped(app, dataset)
        state = cls(analyse(dataset, stores.derived), tiles, static_root, stores, Path(dem) if dem else None,
                    float(app.config["GEOAPP_BACKGROUND_RELOAD_AFTER"]))
        state.load_seconds = time.perf_counter() - began
        del dataset  # the rows as read; the state keeps the analysed copy
        release_freed_memory()
        state.app = app
        app.extensions["geoapp"] = state
        app.before_request(state._refresh_for_request)
        return state

    def refresh_if_changed(self) -> None:
        """Reload when another process (the CLI, another worker) published a new version."""
        if self.layers.stamp() == self.stamp:
            return
        if self.load_seconds >= self.background_after:
            with self._lock:  # not the reload's own lock, which a running reload holds for seconds
                if self.reloading:
                    return
                self.reloading = True
            threading.Thread(target=self._reload, name="geoapp-reload", daemon=True).start()
            return
        with self._reload_lock:
            self._reload_now()

    def _reload(self) -> None:
        try:
            with self._reload_lock:
                self._reload_now()
        finally:
            self.reloading = False

    def _reload_now(self) -> None:
        """Load and analyse the store's current versions and serve them (under `_reload_lock`)."""
        stamp = self.layers.stamp()
        if stamp == self.stamp:
            return
        began = time.perf_counter()
        try:
            dataset = load_store(self.layers)
        except DataError as err:  # keep serving what loaded last; the log says why
            self.app.logger.error("the store's new versions do not load; still serving %s:\n%s",
                                  self._served.analysis.dataset.source, err)
        else:
            report_skipped(self.app, dataset)
            self._served = self._version_of(analyse(dataset, self.derived))
            self.load_seconds = time.perf_counter() - began
            del dataset
            release_freed_memory()
            self._serving_in = None  # this process serves a new version: its first request runs the hooks
        self.stamp = stamp

    def _refresh_for_request(self) -> None:
        if request.endpoint != "static":  # static files do not depend on the data
            self.refresh_if_changed()
            self._begin_serving()
            code = requested_county(request.environ)
            g.geoapp_version = self._served if code is None else self.county_version(code)

    def _begin_serving(self) -> None:
        """Run the `on_serving` hooks (work done ahead in a thread, such as cutting tiles) once
        per version in each process that answers requests. Not when the app is made: gunicorn
        (`preload_app`) makes it once and forks the workers, and a thread running in the parent
        at the fork would neither run on in a worker nor release the locks it held."""
        with self._lock:
            if self._serving_in == os.getpid():
                return
            self._serving_in = os.getpid()
        for hook in self.on_serving:
            hook(self)

    def county_version(self, code: str) -> ServedVersion:
        """What is derived from county `code`'s slice of the version served, made on first use."""
        whole = self._served
        if code not in county_codes(whole.analysis.dataset):
            abort(404, _("There is no county “%(county)s”; the data holds %(known)s.", county=code[:40],
                         known=", ".join(county_codes(whole.analysis.dataset))))
        key = ("county", code)
        with self._lock:
            if key in whole.made:
                return whole.made[key]
        version = self._version_of(analyse(county_slice(whole.analysis.dataset, code), self.derived))
        with self._lock:
            return whole.made.setdefault(key, version)

    def made_once(self, key: tuple, build, keep: int | None = None):
        """What `build()` returns, made once per data version and kept under `key` (reports,
        zone pages' figures and charts, server-drawn maps); with `keep`, only the `keep` most
        recently used of its kind (`key[0]`) are kept (vector tiles: there is no end of them)."""
        version = self._current()
        made = version.made if keep is None else version.recent.setdefault(key[0], OrderedDict())
        with self._lock:
            if key in made:
                if keep is not None:
                    made.move_to_end(key)
                return made[key]
        value = build()
        with self._lock:
            made[key] = value
            if keep is not None and len(made) > keep:
                made.popitem(last=False)
        return value

    def report(self, metric: str, lang: str, build) -> bytes:
        """The committee's PDF report for `metric` in `lang`, made once per data version."""
        return self.made_once(("report", metric, lang), lambda: build(self.analysis, metric, lang))

    def townships_tiled(self) -> bool:
        """Whether the coverage map draws the townships from vector tiles: from
        GEOAPP_TILED_TOWNSHIPS_FROM townships on."""
        return len(self.analysis.townships) >= self.app.config["GEOAPP_TILED_TOWNSHIPS_FROM"]

    def coverage_map(self, metric: str, lang: str, layer_url: str, identify_url: str,
                     township_tiles: str | None = None) -> MapParts:
        """The coverage map for `metric` in `lang`, rendered once per data version and kept; with
        `township_tiles`, the townships are drawn from those tiles."""
        version = self._current()
        key = ("coverage", metric, lang, layer_url, identify_url, township_tiles)
        if key not in version.maps:
            parts = render_parts(coverage_map(version.coverage_layers(metric, lang), self.tiles, self.static_root,
                                              layer_url, identify_url, control_words(lang),
                                              township_tiles).get_root())
            version.maps[key] = parts
        return version.maps[key]


def release_freed_memory() -> None:
    """Give the memory a load used and freed back to the system: loading half a million rows
    peaks at 1.5 GB, and glibc keeps freed memory for reuse (measured at 500,000 farm stays:
    a worker holds 1.0 GB after start with this, 1.07 GB without)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


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
