"""The layer store: every version of every layer and table, in one GeoPackage in the instance
folder (`layers.gpkg`), seeded from GEOAPP_DATA_DIR on first start and the truth afterwards.

A new version is never written into the live file. The store is copied (SQLite's backup API,
a consistent snapshot) to a temporary file in the same folder; the version is added there as
its own table (`<layer>__v<N>`) and recorded in `layer_versions`; the copy is checked (its
integrity, the new table's row count); then `os.replace` publishes it. A reader sees the old
file or the new one, never half of either, and a process killed at any point leaves the last
published version. A temporary file is removed only when no writer holds the writer lock (a
live writer holds it for its whole publish; the lock dies with a killed one), so opening the
store never deletes someone else's import in progress.

Before publishing, each new version is read back from the copy and compared with what was
given (`geoapp.store.roundtrip`): text a driver would cut, numbers it would round, geometry it
would change are refused by row and field, and nothing is published.

The file keeps SQLite's rollback journal (not WAL): a WAL sidecar belongs to one file, and
this file is replaced whole. Proposals and users, written row by row in place, live in their
own WAL-mode GeoPackage (`geoapp.store.proposals`) for the same reason.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import sqlite3
import tempfile
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoapp.crs import STORAGE_CRS
from geoapp.layers import LAYERS, spec
from geoapp.messages import N_
from geoapp.store import gpkg
from geoapp.store.base import (
    Progress,
    StoreError,
    Version,
    checked_read,
    rollback,
    table_name,
)
from geoapp.store.health import (
    DAMAGED_FILE_WORDS,
    cannot_grow,
    damaged,
    full,
    is_disk_full,
    keep_copy,
    restore,
)
from geoapp.store.roundtrip import differences

STORE_FILE = "layers.gpkg"
TEMP_PREFIX = ".layers-publishing-"  # GDAL wants the .gpkg ending even on a temporary file
TEMP_SUFFIX = ".tmp.gpkg"
VERSIONS_TABLE = "layer_versions"
CURRENT_TABLE = "layer_current"

class GeoPackageLayerStore:
    """The `geoapp.store.base.LayerStore` of an instance folder."""

    def __init__(self, instance: Path):
        self.folder = Path(instance)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / STORE_FILE
        self.remove_stale_temporaries()

    # reading ---------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.is_file()

    def stamp(self) -> tuple[int, int] | None:
        """What changes when a new version is published: (inode, modification time)."""
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_mtime_ns

    def restore(self) -> Path:
        """Put back the verified copy made at the last publish (`geoapp restore`)."""
        with self._writer_lock():
            return restore(self.path)

    def _connect(self, path: Path | None = None, write: bool = False) -> sqlite3.Connection:
        target = path or self.path
        uri = f"file:{target}?mode={'rw' if write else 'ro'}"
        conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    def current_versions(self) -> dict[str, int]:
        if not self.exists():
            return {}
        conn = self._connect()
        try:
            return {row["layer"]: row["version"] for row in conn.execute(f"SELECT * FROM {CURRENT_TABLE}")}
        finally:
            conn.close()

    def history(self, layer_id: str) -> list[Version]:
        spec(layer_id)
        if not self.exists():
            return []
        current = self.current_versions().get(layer_id)
        conn = self._connect()
        try:
            rows = conn.execute(f"SELECT * FROM {VERSIONS_TABLE} WHERE layer=? ORDER BY version", (layer_id,))
            return [Version(**dict(row), current=row["version"] == current) for row in rows]
        finally:
            conn.close()

    def read(self, layer_id: str, version: int | None = None, bbox: tuple[float, float, float, float] | None = None,
             filters: dict[str, object] | None = None) -> gpd.GeoDataFrame | pd.DataFrame:
        """A layer (GeoDataFrame in EPSG:4326) or table (DataFrame), current or of `version`;
        only the features meeting `bbox` (lon/lat) and equal to `filters` ({column: value})."""
        layer, version = checked_read(self, layer_id, version, filters)
        options: dict[str, object] = {"bbox": bbox} if bbox and not layer.is_table else {}
        if filters:  # OGR SQL takes no parameters: quote the values ourselves
            options["where"] = " AND ".join(f'"{name}" = {_sql_literal(value)}' for name, value in filters.items())
        return _read_table(self.path, table_name(layer_id, version), layer.is_table, **options)

    # writing ---------------------------------------------------------------------------------
    @contextmanager
    def _writer_lock(self, wait: bool = True):
        """One writer at a time (imports, rollbacks and seeding from the CLI, the web, several
        workers). Yields whether the lock is held: without `wait`, False when another has it."""
        with open(self.folder / ".layers.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def remove_stale_temporaries(self) -> list[Path]:
        """Delete temporary copies left by a writer that died while publishing. A live writer
        holds the writer lock for its whole publish, so while the lock is taken nothing is
        removed; once it is free, every temporary copy is a dead writer's."""
        removed: list[Path] = []
        with self._writer_lock(wait=False) as held:
            if not held:
                return removed
            for path in self.folder.glob(f"{TEMP_PREFIX}*"):
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    def _snapshot(self) -> Path:
        """A consistent copy of the store (or a new, empty GeoPackage) in a temporary file."""
        fd_path = self.folder / f"{TEMP_PREFIX}{os.getpid()}.{dt.datetime.now().strftime('%H%M%S%f')}{TEMP_SUFFIX}"
        if self.exists():
            source = self._connect()
            target = sqlite3.connect(fd_path)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            gpkg.connect(fd_path, wal=False).close()  # an empty GeoPackage
        return fd_path

    def publish(self, frames: dict[str, gpd.GeoDataFrame | pd.DataFrame], who: str, source_files: dict[str, str],
                checksums: dict[str, str], note: str = "", progress: Progress | None = None,
                only_missing: bool = False) -> dict[str, int]:
        """Add one new version of each layer in `frames` and make it current, all at once.
        Returns the new version numbers. With `only_missing`, layers the store already has are
        left alone (seeding: whichever process comes first seeds, the others find it done)."""
        progress = progress or (lambda what, fraction: None)
        with self._writer_lock():
            if only_missing:
                present = self.current_versions()
                frames = {layer: frame for layer, frame in frames.items() if layer not in present}
                if not frames:
                    return {}
            temp = self._snapshot()
            try:
                versions = self._write_versions(temp, frames, who, source_files, checksums, note, progress)
                progress("reading back", 0.95)
                self._check(temp, frames, versions)
                self._sync(temp)
                keep_copy(self.path, source=temp)  # the verified copy `geoapp restore` puts back
                os.replace(temp, self.path)
                self._sync_folder()
            except Exception as err:
                if is_disk_full(err) or cannot_grow(temp):  # (GDAL may say only "failed to commit")
                    raise full(self.folder) from None
                raise
            finally:
                temp.unlink(missing_ok=True)
                Path(f"{temp}-journal").unlink(missing_ok=True)
            progress("published", 1.0)
            return versions

    def _write_versions(self, temp: Path, frames, who, source_files, checksums, note, progress) -> dict[str, int]:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (layer TEXT NOT NULL, version INTEGER NOT NULL, "
                         "created TEXT NOT NULL, who TEXT NOT NULL, source_file TEXT NOT NULL, rows INTEGER NOT NULL, "
                         "checksum TEXT NOT NULL, note TEXT NOT NULL, PRIMARY KEY (layer, version))")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {CURRENT_TABLE} (layer TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            latest = dict(conn.execute(f"SELECT layer, MAX(version) FROM {VERSIONS_TABLE} GROUP BY layer").fetchall())
        finally:
            conn.close()
        versions = {layer: (latest.get(layer) or 0) + 1 for layer in frames}
        for i, (layer, frame) in enumerate(frames.items()):
            progress(f"writing {layer}", 0.1 + 0.8 * i / max(1, len(frames)))
            write_table(temp, table_name(layer, versions[layer]), frame, LAYERS[layer].is_table)
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            for layer, frame in frames.items():
                conn.execute(f"INSERT INTO {VERSIONS_TABLE} VALUES (?,?,?,?,?,?,?,?)",
                             (layer, versions[layer], created, who, source_files.get(layer, ""), len(frame),
                              checksums.get(layer, ""), note))
                conn.execute(f"INSERT INTO {CURRENT_TABLE} VALUES (?, ?) ON CONFLICT(layer) DO UPDATE SET "
                             "version=excluded.version", (layer, versions[layer]))
            conn.execute("COMMIT")
        finally:
            conn.close()
        return versions

    def _check(self, temp: Path, frames: dict, versions: dict[str, int]) -> None:
        """The copy is a sound SQLite file and every new version reads back as it was given."""
        conn = sqlite3.connect(temp)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise StoreError(N_("the new store failed SQLite's integrity check; nothing was published"))
        finally:
            conn.close()
        for layer, frame in frames.items():
            found = differences(layer, frame, _read_table(temp, table_name(layer, versions[layer]), LAYERS[layer].is_table))
            if found:
                raise StoreError(found[0])

    def check_storable(self, layer_id: str, frame) -> list:
        """What would change if `frame` were stored as `layer_id` (empty when nothing): the
        frame is written to a scratch GeoPackage and read back; the store is not touched."""
        folder = Path(tempfile.mkdtemp(prefix=".layers-check-", dir=self.folder))
        try:
            path = folder / "check.gpkg"
            write_table(path, layer_id, frame, LAYERS[layer_id].is_table)
            return differences(layer_id, frame, _read_table(path, layer_id, LAYERS[layer_id].is_table))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @staticmethod
    def _sync(path: Path) -> None:
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())

    def _sync_folder(self) -> None:
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def rollback(self, layer_id: str, version: int, who: str) -> Version:
        return rollback(self, layer_id, version, who)


def _sql_literal(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _read_table(path: Path, table: str, is_table: bool, **options):
    try:
        frame = pyogrio.read_dataframe(path, layer=table, read_geometry=not is_table, fid_as_index=False, **options)
    except Exception as err:  # GDAL says a damaged file in its own words
        if any(words in str(err).lower() for words in DAMAGED_FILE_WORDS):
            raise damaged(path, str(err).split(" failed: ")[-1].strip()) from None
        raise
    if is_table:
        return pd.DataFrame(frame)
    return frame.set_crs(STORAGE_CRS, allow_override=True)


def write_table(path: Path, table: str, frame, is_table: bool) -> None:
    """Write one version's table into the GeoPackage at `path` (GDAL adds it as a new layer)."""
    if is_table:
        pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=table, driver="GPKG")
    else:
        frame = frame.to_crs(STORAGE_CRS)
        pyogrio.write_dataframe(frame, path, layer=table, driver="GPKG", promote_to_multi=False,
                                geometry_type="Unknown")
