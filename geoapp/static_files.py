"""The package's static files and their addresses.

Each file's address carries a hash of its content (`js/coverage.js` is served as
`js/coverage.3f2a9c1b7e.js`), so a browser or a proxy may keep it for a year without asking
again: a changed file has a new address. Files other files name by a relative address (the
images in Leaflet's style sheet) keep their plain address too, answered with `no-cache` and an
ETag. The hashes are read once, when the app starts: the package's files do not change while it
runs."""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

HASH_LENGTH = 10
_HASHED = re.compile(rf"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{{{HASH_LENGTH}}})(?P<suffix>\.[A-Za-z0-9]+)$")
# The text types worth compressing: a browser asks for them on every page's first visit.
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
mimetypes.add_type("application/javascript", ".js")   # not the machine's text/javascript or a guess
mimetypes.add_type("application/manifest+json", ".webmanifest")


@dataclass(frozen=True)
class StaticFile:
    """A static file found at an address: its name in the folder, and whether the address
    names its current content (a hashed address of an older version does not)."""
    name: str
    path: Path
    current_hash: bool

    @property
    def mimetype(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    @property
    def compressible(self) -> bool:
        return self.mimetype.startswith(COMPRESSIBLE)


@dataclass(frozen=True)
class StaticFiles:
    """The files of a static folder, served under `root` (an address path such as `/static`)."""
    folder: Path
    root: str = "/static"
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, folder: Path, root: str = "/static") -> StaticFiles:
        hashes = {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:HASH_LENGTH]
                  for path in sorted(folder.rglob("*")) if path.is_file()}
        return cls(folder, root.rstrip("/"), hashes)

    def hashed_name(self, name: str) -> str:
        """`name` with its content hash before the suffix; a name not in the folder as given."""
        digest = self.hashes.get(name)
        if digest is None:
            return name
        path = PurePosixPath(name)
        return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))

    def url(self, name: str) -> str:
        """The address of the file `name` (relative to the folder), with its content hash."""
        return f"{self.root}/{self.hashed_name(name)}"

    def find(self, address: str) -> StaticFile | None:
        """The file an address below `root` names (hashed or plain), or None."""
        if address in self.hashes:
            return StaticFile(address, self.folder / address, False)
        folder, _, filename = address.rpartition("/")
        match = _HASHED.match(filename)
        if not match:
            return None
        name = f"{folder}/" * bool(folder) + match["stem"] + match["suffix"]
        if name not in self.hashes:
            return None
        return StaticFile(name, self.folder / name, self.hashes[name] == match["hash"])

    def etag(self, name: str) -> str:
        return self.hashes[name]

    def gzipped(self, name: str) -> bytes:
        """The file's content gzip-compressed, made once (the folder holds well under a megabyte)."""
        return self._gzipped[name]

    @cached_property
    def _gzipped(self) -> _Compressed:
        return _Compressed(self.folder)


class _Compressed(dict):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder

    def __missing__(self, name: str) -> bytes:
        data = gzip.compress((self.folder / name).read_bytes(), compresslevel=9, mtime=0)
        self[name] = data
        return data
