"""Texts derived from the data that are dear to make — the pinyin of half a million farm-stay
names takes pypinyin a minute — kept in the instance folder under a digest of what they were
made from. A restart, a reload after an import and every other worker read them back in a
fraction of a second; a changed name changes the digest, so nothing stale is ever read.

Files are written to a temporary name and moved into place (`os.replace`), so a reader sees
a whole file or none; each starts with the digest of its body, so a damaged one is made
again rather than believed; only the newest few per kind are kept.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

RECORD, UNIT = "\x1e", "\x1f"   # control characters, which stored text never holds (validate refuses them)
KEEP = 4                         # files kept per kind


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class DerivedTexts:
    """Lists of texts made from lists of texts, remembered in `folder` (None: made every time)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def parts(self, kind: str, sources: Sequence[str], make: Callable[[str], Sequence[str]]) -> list[tuple[str, ...]]:
        """`make(source)` for every source (a tuple of texts each), read from the folder when
        the same sources were seen before."""
        if self.folder is None:
            return [tuple(make(s)) for s in sources]
        path = self.folder / f"{kind}-{_digest(kind + RECORD + RECORD.join(sources))[:40]}.txt"
        remembered = self._read(path, len(sources))
        if remembered is not None:
            return remembered
        made = [tuple(make(s)) for s in sources]
        if not any(RECORD in part or UNIT in part for parts in made for part in parts):
            self._write(path, kind, made)
        return made

    @staticmethod
    def _read(path: Path, count: int) -> list[tuple[str, ...]] | None:
        try:
            stamp, _, text = path.read_text(encoding="utf-8").partition("\n")
        except (OSError, UnicodeDecodeError):
            return None
        if stamp != _digest(text):
            return None  # damaged: made again (and written again)
        records = text.split(RECORD) if count else []
        if len(records) != count:
            return None  # not what it should be: made again (and written again)
        return [tuple(record.split(UNIT)) if record else () for record in records]

    def _write(self, path: Path, kind: str, made: list[tuple[str, ...]]) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=self.folder)
            text = RECORD.join(UNIT.join(parts) for parts in made)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(_digest(text) + "\n" + text)
            os.replace(temp, path)
            older = sorted(self.folder.glob(f"{kind}-*.txt"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]
            for old in older:
                old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only or full instance folder: the texts are made again next time, nothing worse
