"""Costly documents made once per data version, off the request path, for every worker.

A report takes tens of seconds of CPU. It is never made by the request that asks for it: the
request finds it on the shelf (a folder of the instance, `documents/<version key>/<name>`), or
starts one renderer — a `geoapp report --to-shelf` process of its own, at low priority — and
answers at once that it is being prepared, with a time to ask again. At most `RENDERERS`
renderers run at a time in an instance folder, whatever the number of workers or requests
(a renderer holds a slot, a lock file, while it works); a document already being made is not
started twice (the renderer holds its `.making` lock). Because documents live in files named by
the data version they were made from, every worker serves the one any of them made, and an
import makes a new key (the old documents are removed when newer ones are shelved).

Cheaper documents (a zone's map) are drawn by the request that first needs them and then
shelved for everyone (`made`).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import mmap
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

import numpy as np

if TYPE_CHECKING:
    from geoapp.views.served import ServedVersion

RENDERERS = 1          # reports made at a time in one instance folder
KEPT_KEYS = 3          # the newest data versions whose documents are kept
RETRY_AFTER_S = 5      # what a "being prepared" answer tells the client
STARTING_S = 60        # a renderer that has not taken its slot this long after it was started never will

# A renderer runs at the lowest priority, so pages and tiles keep their latency while a report
# is made (under a load that keeps every core busy it waits until the load eases). It gets a
# process group of its own (a Ctrl-C to the server does not reach it) but stays in the
# server's session: a new session is a new scheduler autogroup, which would share the CPU
# half and half with the server whatever the renderer's priority (bench/README.md).
LOW_PRIORITY = ["nice", "-n", "19"]


def version_key(version: ServedVersion, county: str | None = None) -> str:
    """A name for the data a document is made from: its layers' versions (or its source, for a
    data dir) and the county it is about."""
    dataset = version.dataset
    identity = {"versions": dataset.versions or None, "source": None if dataset.versions else dataset.source,
                "county": county}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:20]


# A large document of many pieces (a layer's features, its tiles) is written as the pieces one
# after another, then int64 numbers saying where each is, then how many pieces there are; it is
# read mapped into memory, so every worker reads the same pages of the page cache and only what
# it reads is resident.
def write_numbers(out: BinaryIO, columns: list, count: int) -> None:
    """After the pieces: each of `columns` as little-endian int64, then `count`."""
    for column in columns:
        out.write(np.asarray(column, dtype="<i8").tobytes())
    out.write(np.int64(count).astype("<i8").tobytes())


def mapped(path: Path) -> tuple[mmap.mmap, int]:
    """A file `write_numbers` ended, mapped read-only, and its count."""
    with open(path, "rb") as file:
        whole = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    return whole, int.from_bytes(whole[-8:], "little")


def numbers_at_end(whole: mmap.mmap, how_many: int) -> np.ndarray:
    """The `how_many` int64 numbers before the count at the end of a `mapped` file (not copied)."""
    return np.frombuffer(whole, dtype="<i8", count=how_many, offset=len(whole) - 8 * (how_many + 1))


class Shelf:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, key: str, name: str) -> Path:
        return self.folder / key / name

    def find(self, key: str, name: str) -> Path | None:
        path = self.path(key, name)
        return path if path.is_file() else None

    def put(self, key: str, name: str, data: bytes) -> Path:
        """Shelve `data` whole (a reader sees the old file or the new, never half), and forget the
        documents of all but the KEPT_KEYS newest data versions."""
        return self.put_written(key, name, lambda out: out.write(data))

    def put_written(self, key: str, name: str, write: Callable[[BinaryIO], object]) -> Path:
        """Shelve what `write(file)` writes, as `put` (a large document, written as it is made)."""
        path = self.path(key, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                write(out)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        self._forget_old(keep=key)
        return path

    def written_once(self, key: str, name: str, write: Callable[[BinaryIO], object]) -> Path:
        """The shelved file `name`, written by `write(file)` (as `put_written`) unless it is on the
        shelf: while one process writes it, another that needs it waits for it instead of writing
        it too (every worker loading the same new version in the background)."""
        found = self.find(key, name)
        if found is not None:
            return found
        writing = self.path(key, name + ".writing")
        writing.parent.mkdir(parents=True, exist_ok=True)
        with open(writing, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # (released when the file is closed, or the process ends)
            found = self.find(key, name)
            if found is not None:
                return found
            written = self.put_written(key, name, write)
            # (whoever waits on this lock finds the file once it has it; whoever comes later finds
            # the file before looking for the lock)
            writing.unlink(missing_ok=True)
            return written

    def made(self, key: str, name: str, build: Callable[[], bytes]) -> bytes:
        """A cheap document: from the shelf, or drawn now and shelved for every worker."""
        found = self.find(key, name)
        if found is not None:
            return found.read_bytes()
        data = build()
        self.put(key, name, data)
        return data

    def _forget_old(self, keep: str) -> None:
        keys = sorted((p for p in self.folder.iterdir() if p.is_dir() and p.name != "slots"),
                      key=lambda p: p.stat().st_mtime, reverse=True)
        for old in keys[KEPT_KEYS:]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)

    # documents made by a renderer process ------------------------------------------------------
    def being_made(self, key: str, name: str) -> bool:
        return _held(self.path(key, name + ".making"))

    def counts(self) -> tuple[int, int]:
        """(documents being made now, documents whose last renderer failed), for the operator."""
        if not self.folder.is_dir():
            return 0, 0
        being_made = sum(1 for path in self.folder.glob("*/*.making") if _held(path))
        failed = sum(1 for _ in self.folder.glob("*/*.failed"))
        return being_made, failed

    def free_slot(self) -> bool:
        return any(not _held(self.folder / "slots" / f"{n}.lock") for n in range(RENDERERS))

    def request(self, key: str, name: str, command: list[str], env: dict[str, str]) -> None:
        """Start a renderer for document `name` of data `key` unless one is at work on it, it
        failed, or every slot is taken (the next request will try again). Requests from every
        worker start renderers one at a time: a renderer just started counts as at work until
        it has taken its slot (the `starting` mark), so a crowd of requests starts one."""
        if self.find(key, name) is not None or self.being_made(key, name) or self.failure(key, name):
            return
        slots = self.folder / "slots"
        slots.mkdir(parents=True, exist_ok=True)
        with _lock(slots / "starting.lock") as mine:
            if not mine:
                return  # another request is starting one now
            if self._started_lately() or not self.free_slot():
                return
            (slots / "starting").touch()
            self.path(key, name).parent.mkdir(parents=True, exist_ok=True)
            log = open(self.path(key, name + ".log"), "w")  # noqa: SIM115 (the renderer writes it; closed below)
            try:
                subprocess.Popen([*LOW_PRIORITY, *command], env={**os.environ, **env},
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=log, process_group=0)
            finally:
                log.close()

    def _started_lately(self) -> bool:
        """Whether a renderer was started a moment ago and has not yet taken its slot."""
        starting = self.folder / "slots" / "starting"
        return starting.exists() and time.time() - starting.stat().st_mtime < STARTING_S

    def awaited(self, key: str, name: str) -> bool:
        """Whether document `name` of data `key` is worth waiting for: not made yet, not failed,
        and a renderer at work on it or just started (none may be: every slot was taken)."""
        if self.find(key, name) is not None or self.failure(key, name):
            return False
        return self.being_made(key, name) or self._started_lately()

    def failure(self, key: str, name: str) -> str | None:
        """Why the last renderer of this document failed (its last line), if it did."""
        path = self.path(key, name + ".failed")
        return path.read_text(encoding="utf-8").strip().splitlines()[-1][:300] if path.is_file() else None

    def render(self, key: str, name: str, build: Callable[[], bytes]) -> Path | None:
        """In a renderer: take a slot and the document's lock, make it and shelve it. None when
        every slot is taken or another renderer makes it already."""
        slots = self.folder / "slots"
        slots.mkdir(parents=True, exist_ok=True)
        for n in range(RENDERERS):
            with _lock(slots / f"{n}.lock") as slot:
                if not slot:
                    continue
                (slots / "starting").unlink(missing_ok=True)  # started: the next may be started
                making = self.path(key, name + ".making")
                making.parent.mkdir(parents=True, exist_ok=True)
                with _lock(making) as mine:
                    if not mine:
                        return None
                    started = time.monotonic()
                    failed = self.path(key, name + ".failed")
                    try:
                        data = build()
                    except Exception as err:  # said to whoever asks next, instead of trying forever
                        failed.write_text(f"{type(err).__name__}: {err}", encoding="utf-8")
                        raise
                    failed.unlink(missing_ok=True)
                    path = self.put(key, name, data)
                    print(f"shelved {path} in {time.monotonic() - started:.1f} s", file=sys.stderr)
                    return path
        return None


def _held(path: Path) -> bool:
    """Whether a process holds the lock of `path` now."""
    if not path.exists():
        return False
    with _lock(path) as mine:
        return not mine


class _lock:
    """An exclusive lock on `path`, taken without waiting: `with _lock(p) as held:`."""

    def __init__(self, path: Path):
        self.path = path
        self.handle: TextIO | None = None

    def __enter__(self) -> bool:
        handle = open(self.path, "a")  # closed in __exit__, or below
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def __exit__(self, *_exc) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
