"""What the app serves between requests: the stores, the base map, and the analysed data
version — rebuilt when the layer store publishes a new one. No Flask here: the web room pins
one `ServedVersion` per request (`geoapp.web.state`) and hands it to the view functions.

The data is loaded, validated and analysed once per version; requests only read it.
"""
from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from geoapp.analysis import CountyAnalysis, analyse
from geoapp.analysis.counties import county_codes, county_slice
from geoapp.analysis.index import DatasetIndex
from geoapp.analysis.planning import PlanningContext
from geoapp.config import PACKAGE
from geoapp.data.load import Dataset, load_store, open_dataset, with_reports
from geoapp.data.validate import DataError
from geoapp.layers import LAYERS, PUBLIC_LAYERS
from geoapp.maps.assets import Tiles, tiles_from_setting
from geoapp.maps.tilearchive import TileArchive, open_archive
from geoapp.messages import N_, UserError
from geoapp.static_files import StaticFiles
from geoapp.store import Stores, check_instance, keep_start_copies, open_stores
from geoapp.views.shelf import Shelf

log = logging.getLogger("geoapp")
T = TypeVar("T")
# The longest a version loaded in the background waits, made, for what is made beside it (its
# report at 40,000 townships: ~20 s) before it is served all the same.
READY_WAIT_S = 60.0
# this process's id, kept across forks (os.getpid is a system call, and every request asks it)
_this_process = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _this_process.__setitem__(0, os.getpid()))


class UnknownCounty(UserError):
    status = 404


@dataclass
class ServedVersion:
    """Everything derived from one version of the data (or one county's slice of it). A request
    is answered from one of these from start to end, however a reload swaps them meanwhile."""
    analysis: CountyAnalysis
    index: DatasetIndex                  # bbox and attribute reads
    planning: PlanningContext
    tiles: Tiles                         # the base map: the datum pages draw in
    whole: bool = True                   # the whole dataset (False: one county's slice)
    made: dict[Hashable, Any] = field(default_factory=dict)
    recent: dict[Hashable, OrderedDict] = field(default_factory=dict)  # kinds kept only while recently used
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dataset(self) -> Dataset:
        return self.analysis.dataset

    def made_once(self, key: tuple, build: Callable[[], T], keep: int | None = None) -> T:
        """What `build()` returns, made once for this version and kept under `key` (reports, zone
        pages' figures and charts, maps); with `keep`, only the `keep` most recently used of its
        kind (`key[0]`) are kept (vector tiles: there is no end of them)."""
        if keep is not None:
            return self._recently_made(key, build, keep)
        with self.lock:
            if key in self.made:
                return self.made[key]
        value = build()
        with self.lock:
            return self.made.setdefault(key, value)

    def _recently_made(self, key: tuple, build: Callable[[], T], keep: int) -> T:
        with self.lock:
            made = self.recent.setdefault(key[0], OrderedDict())
            if key in made:
                made.move_to_end(key)
                return made[key]
        value = build()
        with self.lock:
            made[key] = value
            if len(made) > keep:
                made.popitem(last=False)
        return value


class Served:
    """The stores, the base map and the analysis of the current data, reloaded when the layer
    store publishes a new version.

    A reload that took less than `background_after` seconds last time is done by the caller
    that notices the new version (so it sees the new data at once); a slower one (hundreds of
    thousands of features) is done in a thread while requests go on being served from the
    version they had, and the new one is swapped in whole when ready: loaded, its first pages
    made (`warm_ahead`) and what is made beside it awaited (`ready_before_serving`: its report).
    Meanwhile whoever published it is answered from it (`version_for`'s `at_least`)."""

    def __init__(self, dataset: Dataset, stores: Stores, tiles: Tiles, static: StaticFiles | None = None,
                 dem: Path | None = None, background_after: float = 5.0, tiled_townships_from: int = 2000):
        self.tiles = tiles
        self.tile_archive: TileArchive | None = open_archive(tiles.archive) if tiles.archive else None
        self.static = static or StaticFiles.of(PACKAGE / "static")
        self.dem = dem
        self.stores = stores
        self.layers = stores.layers
        self.proposals = stores.proposals
        self.users = stores.users
        self.photos = stores.photos
        self.background_after = background_after
        self.tiled_townships_from = tiled_townships_from
        self.shelf = Shelf(Path(stores.instance) / "documents")
        self.environment: dict[str, str] = {}   # the settings a renderer process is started with
        self.stamp = self._store_stamp()
        # How often a request asks the store whether a new version was published: every request
        # for the embedded store (a file's stamp), at most once a second for PostGIS, where asking
        # is a round trip (it was half of a request's cost). A person's own writes are read at once
        # whatever this says (`version_for`'s `at_least`).
        self.stamp_every = 1.0 if stores.database else 0.0
        self._stamped_at = time.monotonic()
        self.load_seconds = 0.0              # how long the last load and analysis took
        self.reloading = False               # a reload is running in a thread
        self._unreachable_logged = -1e9      # when the log last said the store cannot be reached
        self._lock = threading.Lock()          # for what is kept per version
        self._local = threading.local()        # a thread making a version's pages ahead (`warm`)
        self._reload_lock = threading.Lock()   # one reload at a time
        self.on_serving: list[Callable[[Served, ServedVersion], None]] = []  # run when a process begins serving a version
        # run on a version before it is served, in the thread that loaded it in the background, or
        # in gunicorn's loading process before the fork (`warm`): its first pages made ahead
        self.warm_ahead: list[Callable[[Served, ServedVersion], None]] = []
        # asked after `warm_ahead`, in the thread that loaded a version in the background: whether
        # what a hook began (the report, made by a renderer process) is made; the version is
        # served once they all say so, or after READY_WAIT_S (`_await_ready`)
        self.ready_before_serving: list[Callable[[Served, ServedVersion], bool]] = []
        self._loading: ServedVersion | None = None  # loaded in the background, not yet served
        self._serving_in: int | None = None     # the process that has run `on_serving` for the version served
        self._served = self._version_of(analyse(dataset, stores.derived))

    @classmethod
    def open(cls, settings: dict, static: StaticFiles | None = None) -> Served:
        """The served data of an app's settings (`geoapp.config`): the stores of its instance
        folder (or PostGIS), seeded from its data dir on first use."""
        static = static or StaticFiles.of(PACKAGE / "static")
        tiles = tiles_from_setting(settings["GEOAPP_TILES"], static, settings.get("GEOAPP_MAP_APPROVAL"),
                                   settings.get("GEOAPP_MAP_PREFIX"))
        dem = settings.get("GEOAPP_DEM")
        if dem and not Path(dem).is_file():
            raise ValueError(f"GEOAPP_DEM={dem}: no such file (an elevation GeoTIFF)")
        stores = open_stores(settings["GEOAPP_INSTANCE"], settings.get("DATABASE_URL"))
        if not settings.get("DATABASE_URL"):  # every page of the instance GeoPackages read once at start
            check_instance(Path(settings["GEOAPP_INSTANCE"]), full_check=True)
            keep_start_copies(Path(settings["GEOAPP_INSTANCE"]))
        began = time.perf_counter()
        dataset = with_branch_reports(open_dataset(stores.layers, settings["GEOAPP_DATA_DIR"]), stores)
        report_skipped(dataset)
        served = cls(dataset, stores, tiles, static, Path(dem) if dem else None,
                     float(settings["GEOAPP_BACKGROUND_RELOAD_AFTER"]), int(settings["GEOAPP_TILED_TOWNSHIPS_FROM"]))
        served.load_seconds = time.perf_counter() - began
        served.environment = {name: str(settings[name]) for name in ("GEOAPP_DATA_DIR", "GEOAPP_INSTANCE",
                              "DATABASE_URL", "GEOAPP_TILES", "GEOAPP_DEM") if settings.get(name)}
        del dataset  # the rows as read; the served version keeps the analysed copy
        release_freed_memory(collect=True)
        return served

    def _version_of(self, analysis: CountyAnalysis, whole: bool = True) -> ServedVersion:
        index = DatasetIndex(analysis.dataset).warm(LAYERS[layer_id] for layer_id in PUBLIC_LAYERS)
        return ServedVersion(analysis, index, PlanningContext(analysis, self.dem).warm(), self.tiles, whole)

    @property
    def newest(self) -> ServedVersion:
        """The newest version loaded (of the whole dataset)."""
        return self._served

    # which version answers ---------------------------------------------------------------------
    def version_for(self, county: str | None, at_least: dict[str, int] | None = None) -> ServedVersion:
        """The version a request for `county` (None: every county) is answered from: a newer
        version is loaded first if the store has one (see the class), and this process's
        `on_serving` hooks run once per version. With `at_least` ({layer: version}: what this
        person has just published), the request waits for a version that holds it, however long
        the load takes: a person reads their own writes, whichever worker answers. In a thread
        making a loaded version's pages ahead (`warming`), that version answers."""
        warming = getattr(self._local, "warming", None)
        if warming is not None:
            return warming if county is None else self.county_version(county)
        self.refresh_if_changed()
        if at_least and not self._holds(at_least):
            loading = self._loading
            if county is None and loading is not None and _holds(loading, at_least):
                return loading  # the person who published reads it before it is made ready for everyone
            with self._reload_lock:  # waits for a reload already running in a thread
                self._reload_now()
        self._begin_serving()
        return self._served if county is None else self.county_version(county)

    @property
    def warming(self) -> bool:
        """Whether this thread is making a version's pages ahead (`warm`): its requests are the
        app's own, not visitors' (the metrics leave them out)."""
        return getattr(self._local, "warming", None) is not None

    def _holds(self, versions: dict[str, int]) -> bool:
        return _holds(self._served, versions)

    def county_version(self, code: str) -> ServedVersion:
        """What is derived from county `code`'s slice of the version served, made on first use."""
        whole = self._served
        if code not in county_codes(whole.dataset):
            raise UnknownCounty(N_("There is no county “%(county)s”; the data holds %(known)s."), county=code[:40],
                                known=", ".join(county_codes(whole.dataset)))
        return whole.made_once(("county", code), lambda: self._version_of(
            analyse(county_slice(whole.dataset, code), self.stores.derived), whole=False))

    def townships_tiled(self, version: ServedVersion) -> bool:
        """Whether the coverage map draws the townships from vector tiles: from
        GEOAPP_TILED_TOWNSHIPS_FROM townships on."""
        return len(version.analysis.townships) >= self.tiled_townships_from

    # reloading -----------------------------------------------------------------------------------
    def refresh_if_changed(self) -> None:
        """Reload when another process (the CLI, another worker) published a new version. When
        the store cannot be asked (PostGIS is down), the version already loaded goes on being
        served, and the log says so (once a minute)."""
        if self.stamp_every:
            now = time.monotonic()
            if now - self._stamped_at < self.stamp_every:
                return
            self._stamped_at = now
        try:
            stamp = self._store_stamp()
        except Exception as err:  # sqlalchemy's OperationalError, and the like: the server, not the data
            self._store_unreachable(err)
            return
        if stamp == self.stamp:
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

    def _store_stamp(self) -> tuple:
        """What changes when a layer version is published or a branch's report arrives."""
        return self.layers.stamp(), self.stores.reports.stamp()

    def _store_unreachable(self, err: Exception) -> None:
        now = time.monotonic()
        if now - self._unreachable_logged > 60:
            self._unreachable_logged = now
            log.warning("the store cannot be reached (%s); still serving the version loaded", str(err).splitlines()[0])

    def _reload(self) -> None:
        try:
            with self._reload_lock:
                self._reload_now(warm=True)
        finally:
            self.reloading = False

    def _reload_now(self, warm: bool = False) -> None:
        """Load and analyse the store's current versions and serve them (under `_reload_lock`)."""
        try:
            stamp = self._store_stamp()
        except Exception as err:  # the server, not the data: keep serving what is loaded
            self._store_unreachable(err)
            return
        if stamp == self.stamp:
            return
        began = time.perf_counter()
        try:
            dataset = with_branch_reports(load_store(self.layers), self.stores)
        except DataError as err:  # keep serving what loaded last; the log says why
            log.error("the store's new versions do not load; still serving %s:\n%s", self._served.dataset.source, err)
        else:
            report_skipped(dataset)
            loaded = self._version_of(analyse(dataset, self.stores.derived))
            self.load_seconds = time.perf_counter() - began
            if warm:  # (in the background: the version loaded before goes on being served meanwhile)
                self._loading = loaded
                try:
                    self.warm(loaded)
                    self._await_ready(loaded)
                finally:
                    self._loading = None
            self._served = loaded
            del dataset
            release_freed_memory(collect=True)
            self._serving_in = None  # this process serves a new version: its first request runs the hooks
        self.stamp = stamp

    def warm(self, loaded: ServedVersion) -> None:
        """Run the `warm_ahead` hooks on `loaded` (a version loaded in the background, before it
        is served; or the one served, in gunicorn's loading process before the workers fork);
        requests the hooks make in this thread are answered from it (`version_for`)."""
        began = time.perf_counter()
        self._local.warming = loaded
        try:
            for hook in self.warm_ahead:
                try:
                    hook(self, loaded)
                except Exception:  # a page not made ahead is made by its first visitor, as before
                    log.exception("making a page of the new version ahead failed")
        finally:
            self._local.warming = None
        log.info("the new version's pages were made ahead in %.1f s", time.perf_counter() - began)

    def _await_ready(self, loaded: ServedVersion) -> None:
        """Wait until every `ready_before_serving` hook says what it waits for is made (the report
        of a version, so that its first reader does not wait for it: issue 23), or READY_WAIT_S."""
        began = time.monotonic()
        while not all(ready(self, loaded) for ready in self.ready_before_serving):
            if time.monotonic() - began > READY_WAIT_S:
                log.warning("the new version is served before its report is made (%.0f s)", READY_WAIT_S)
                return
            time.sleep(0.2)

    def _begin_serving(self) -> None:
        """Run the `on_serving` hooks (work done ahead in a thread, such as cutting tiles) once
        per version in each process that answers requests. Not when the app is made: gunicorn
        (`preload_app`) makes it once and forks the workers, and a thread running in the parent
        at the fork would neither run on in a worker nor release the locks it held."""
        if self._serving_in == _this_process[0]:  # (read without the lock: set once per version and process)
            return
        with self._lock:
            if self._serving_in == _this_process[0]:
                return
            self._serving_in = _this_process[0]
        self._say_what_this_process_serves()
        for hook in self.on_serving:
            hook(self, self._served)

    def _say_what_this_process_serves(self) -> None:
        """Write this process's served versions to `instance/workers/<pid>.json`, for /admin/data."""
        folder = Path(self.stores.instance) / "workers"
        with contextlib.suppress(OSError):  # (a full disk must not stop the serving)
            folder.mkdir(parents=True, exist_ok=True)
            record = {"pid": os.getpid(), "versions": self._served.dataset.versions, "since": time.time(),
                      "load_seconds": round(self.load_seconds, 2)}
            temp = folder / f".{os.getpid()}.tmp"
            temp.write_text(json.dumps(record), encoding="utf-8")
            os.replace(temp, folder / f"{os.getpid()}.json")

    def workers(self) -> list[dict]:
        """What each live process serving this instance serves (its record, see above)."""
        folder = Path(self.stores.instance) / "workers"
        found = []
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                os.kill(int(record["pid"]), 0)  # alive?
            except ProcessLookupError:
                path.unlink(missing_ok=True)
                continue
            except (OSError, ValueError, KeyError):
                continue
            found.append(record)
        return found


def with_branch_reports(dataset: Dataset, stores: Stores) -> Dataset:
    """The dataset with the branches' reports in its branch_activities (`geoapp.data.load`)."""
    latest = stores.reports.latest()  # before the list: a report sent meanwhile is in it, and reloads once more
    return with_reports(dataset, stores.reports.list(), latest)


def version_of_dataset(dataset: Dataset, tiles: Tiles | None = None, dem: Path | None = None) -> ServedVersion:
    """A served version of `dataset` outside the app (the command line's report): analysed,
    indexed, drawn on `tiles` (WGS-84 when not given)."""
    analysis = analyse(dataset)
    index = DatasetIndex(analysis.dataset)
    return ServedVersion(analysis, index, PlanningContext(analysis, dem), tiles or tiles_from_setting("blank", StaticFiles.of(PACKAGE / "static")))


def _holds(version: ServedVersion, versions: dict[str, int]) -> bool:
    """Whether `version` holds at least `versions` ({layer: version})."""
    served = version.dataset.versions
    return all(served.get(layer, 0) >= number for layer, number in versions.items())


def release_freed_memory(collect: bool = False) -> None:
    """Give freed memory back to the system: glibc keeps it for reuse, and a load of many rows
    frees much (bench/README.md, start-up and memory). With `collect` (after a load), first
    collect what the load left in reference cycles (a full collection: 0.1 s at 50,000 stays in
    a process whose objects are not frozen, too much to run every few answers)."""
    if collect:
        gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def report_skipped(dataset: Dataset) -> None:
    """Log each stored version that does not load and is therefore not served."""
    for skipped in dataset.skipped:
        log.warning("%s v%s does not load and is not served (serving v%s): %s", skipped.layer, skipped.version,
                    dataset.versions.get(skipped.layer), "; ".join(map(str, skipped.problems[:3])))
