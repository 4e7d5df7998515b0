"""Local tile archives for a base map without internet: MBTiles (SQLite) and PMTiles (one
file of directories and tiles), raster (PNG, JPEG, WebP) or vector (MVT).

`open_archive` reads either kind; the app serves its tiles at `/tiles/{z}/{x}/{y}` with
caching headers (`geoapp.web.tiles`). `write_mbtiles` writes one, as `geoapp basemap build`
does (`geoapp.maps.basemap`).
"""
from __future__ import annotations

import gzip
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

MEDIA = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
         "pbf": "application/vnd.mapbox-vector-tile", "mvt": "application/vnd.mapbox-vector-tile"}
# a transparent 1x1 PNG, for places the archive has no tile (the map shows nothing, not an error)
EMPTY_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                          "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


class ArchiveError(ValueError):
    pass


@dataclass
class TileArchive:
    path: Path
    format: str              # png, jpg, webp or pbf
    min_zoom: int
    max_zoom: int
    attribution: str
    bounds: tuple[float, float, float, float] | None
    _local: threading.local = field(default_factory=threading.local, repr=False)

    @property
    def media_type(self) -> str:
        return MEDIA.get(self.format, "application/octet-stream")

    @property
    def vector(self) -> bool:
        return self.format in ("pbf", "mvt")

    def empty(self) -> bytes:
        return b"" if self.vector else EMPTY_PNG

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        raise NotImplementedError


class MBTiles(TileArchive):
    def _conn(self) -> sqlite3.Connection:
        if not hasattr(self._local, "conn"):  # one read-only connection per thread
            self._local.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        return self._local.conn

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        row = self._conn().execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                                   (z, x, (1 << z) - 1 - y)).fetchone()  # MBTiles rows count from the south (TMS)
        if row is None:
            return None
        data = bytes(row[0])
        return gzip.decompress(data) if self.vector and data[:2] == b"\x1f\x8b" else data


class PMTiles(TileArchive):
    def tile(self, z: int, x: int, y: int) -> bytes | None:
        if not hasattr(self._local, "reader"):
            import mmap

            from pmtiles.reader import Reader
            handle = open(self.path, "rb")  # noqa: SIM115 (open while the archive is: its memory map)
            mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            self._local.reader = Reader(lambda offset, length: mapping[offset:offset + length])
        data = self._local.reader.get(z, x, y)
        if data is None:
            return None
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else bytes(data)


def open_archive(path: Path) -> TileArchive:
    """The tile archive at `path` (.mbtiles or .pmtiles); ArchiveError says what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ArchiveError(f"no tile archive at {path}")
    if path.suffix.lower() == ".pmtiles":
        return _open_pmtiles(path)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            metadata = dict(conn.execute("SELECT name, value FROM metadata").fetchall())
            zooms = conn.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        raise ArchiveError(f"{path} is not an MBTiles file: {err}") from None
    bounds = tuple(float(v) for v in metadata["bounds"].split(",")) if metadata.get("bounds") else None
    return MBTiles(path, metadata.get("format", "png").lower(), int(metadata.get("minzoom", zooms[0] or 0)),
                   int(metadata.get("maxzoom", zooms[1] or 0)), metadata.get("attribution", "local base map"), bounds)


def _open_pmtiles(path: Path) -> TileArchive:
    from pmtiles.reader import Reader
    from pmtiles.tile import TileType
    with open(path, "rb") as handle:
        data = handle.read(16_384)
    try:
        reader = Reader(lambda offset, length: data[offset:offset + length])
        header = reader.header()
    except Exception as err:
        raise ArchiveError(f"{path} is not a PMTiles v3 file: {err}") from None
    kinds = {TileType.MVT: "pbf", TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
    with open(path, "rb") as handle:
        full = Reader(lambda offset, length: (handle.seek(offset), handle.read(length))[1])
        try:
            metadata = full.metadata()
        except Exception:
            metadata = {}
    bounds = (header["min_lon_e7"] / 1e7, header["min_lat_e7"] / 1e7, header["max_lon_e7"] / 1e7,
              header["max_lat_e7"] / 1e7)
    return PMTiles(path, kinds.get(header["tile_type"], "png"), header["min_zoom"], header["max_zoom"],
                   metadata.get("attribution", "local base map"), bounds)


def write_mbtiles(path: Path, tiles, metadata: dict) -> int:
    """Write `tiles` ((z, x, y, bytes) in XYZ numbering) and `metadata` to a new MBTiles file,
    atomically (a temporary file in the same folder, then `os.replace`). Returns the tile count."""
    import os
    import tempfile
    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    count = 0
    try:
        conn = sqlite3.connect(temp)
        conn.executescript("CREATE TABLE metadata (name TEXT, value TEXT);"
                           "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                           "tile_data BLOB);"
                           "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
        conn.executemany("INSERT INTO metadata VALUES (?, ?)", [(k, str(v)) for k, v in metadata.items()])
        for z, x, y, data in tiles:
            conn.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, data))
            count += 1
        conn.commit()
        conn.close()
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count
