"""A store's health: whether its files are sound, what to do when one is damaged, and a full disk
said in one line instead of a traceback.

The instance GeoPackages can be damaged under the app (a disk fault, a copy made while they were
written, a person's editor). Each publish leaves a verified copy of the layer store in
`instance/backup/`, and each start (when the file is sound) a copy of the proposals and users
GeoPackage; `geoapp check` says what is sound and `geoapp restore` puts a copy back. A damaged
file is named with what to do (`StoreDamaged`); a full disk is said as such and nothing is
changed (`StoreFull`): the layer store writes a new version to a copy and publishes it whole, and
the proposals and users GeoPackage writes each change in a transaction.
"""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from geoapp.messages import N_, UserError

BACKUP_FOLDER = "backup"
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
DISK_FULL_WORDS = ("disk is full", "no space left", "file too large", "quota exceeded")
DAMAGED_FILE_WORDS = ("malformed", "not a database", "file is encrypted", "disk image")


class StoreDamaged(UserError):
    """A store file cannot be read; the message names it and what to do."""
    status = 503


class StoreFull(UserError):
    """A write found the disk full; nothing was changed."""
    status = 507


def damaged(path: Path, reason: str) -> StoreDamaged:
    return StoreDamaged(N_("%(file)s is damaged (%(reason)s): nothing was changed. Run `geoapp check` to see what "
                           "is sound and `geoapp restore` to put back the copy made at the last import (README: "
                           "recovering a damaged store)."), file=str(path), reason=reason[:120])


def full(where: Path | str) -> StoreFull:
    return StoreFull(N_("could not write to %(folder)s: the disk is full (or a file there may grow no more). "
                        "Nothing was changed; free some space and try again."), folder=str(where))


def is_disk_full(err: BaseException) -> bool:
    """Whether an error from SQLite, GDAL or the file system means the disk (or the file size
    allowed) is full."""
    if isinstance(err, OSError) and err.errno in DISK_FULL_ERRNOS:
        return True
    text = str(err).lower()
    return any(words in text for words in DISK_FULL_WORDS)


def folder_refuses(folder: Path, files: list[Path]) -> bool:
    """Whether `folder` takes no more writes: its disk is full, or a file there may not grow as
    large as `files` would (a quota, a process's limit). Found with a probe file of its own, so
    no live file is touched."""
    probe = folder / f".geoapp-probe-{os.getpid()}"
    largest = max((p.stat().st_size for p in files if p.exists()), default=0)
    try:
        with open(probe, "wb") as file:
            file.write(b"\0" * 65536)        # room on the disk
            file.seek(largest + 65536)
            file.write(b"\0")                # a file as large as the store's would be
            file.flush()
            os.fsync(file.fileno())
    except OSError as err:
        return err.errno in DISK_FULL_ERRNOS
    finally:
        probe.unlink(missing_ok=True)
    return False


def cannot_grow(path: Path) -> bool:
    """Whether the file at `path` can take no more bytes (the disk is full, or the file may grow
    no more): the answer when a library reports a failed write without its reason. Only for a
    file no one else writes (the layer store's private copy during a publish)."""
    if not path.exists():
        return False
    try:
        with open(path, "ab") as file:
            end = file.tell()
            try:
                file.write(b"\0" * 65536)
                file.flush()
                os.fsync(file.fileno())
            finally:
                file.truncate(end)
    except OSError as err:
        return err.errno in DISK_FULL_ERRNOS
    return False


def check_file(path: Path, full_check: bool = False) -> None:
    """StoreDamaged unless `path` (a GeoPackage) opens as SQLite and passes the check: its
    header and schema (cheap), or with `full_check` SQLite's quick check of every page."""
    if not path.exists():
        return
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
            if full_check:
                result = conn.execute("PRAGMA quick_check").fetchone()[0]
                if result != "ok":
                    raise damaged(path, result)
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        if isinstance(err, sqlite3.OperationalError) and "locked" in str(err):
            return  # a writer holds it: busy, not damaged
        raise damaged(path, str(err)) from None


def backup_path(path: Path) -> Path:
    return path.parent / BACKUP_FOLDER / path.name


def keep_copy(path: Path, source: Path | None = None) -> Path:
    """Copy `source` (or the file at `path`, through SQLite's backup, which is consistent while
    others write) to the backup folder beside `path`, whole: a crash leaves the old copy."""
    target = backup_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if source is not None:
            shutil.copyfile(source, temp)
        else:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as live, sqlite3.connect(temp) as copy:
                live.backup(copy)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


def restore(path: Path) -> Path:
    """Put the backup copy of `path` back in its place (after checking the copy), whole."""
    copy = backup_path(path)
    if not copy.exists():
        raise StoreDamaged(N_("there is no copy of %(file)s to restore (%(copy)s): import the layers again from the "
                              "data dir or a file"), file=str(path), copy=str(copy))
    check_file(copy, full_check=True)
    temp = path.with_name(f".{path.name}.restoring.{os.getpid()}")
    try:
        shutil.copyfile(copy, temp)
        for sidecar in ("-wal", "-shm", "-journal"):  # they belong to the damaged file
            Path(f"{path}{sidecar}").unlink(missing_ok=True)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return copy
