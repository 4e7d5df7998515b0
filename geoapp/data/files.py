"""Writing layer and table files safely: to a temporary file in the same folder, then
`os.replace`, so a reader never sees half a file and a kill mid-write loses nothing."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoapp.crs import STORAGE_CRS

# 6 decimals of a degree is about 0.1 m here: finer than any source we get.
COORDINATE_PRECISION = 6


def _replace_atomically(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; data files are meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write `frame` (any CRS) as RFC 7946 GeoJSON in WGS-84, atomically."""
    frame = frame.to_crs(STORAGE_CRS)

    def write(tmp: Path) -> None:
        tmp.unlink()  # the GeoJSON driver refuses to overwrite
        frame.to_file(tmp, driver="GeoJSON", engine="pyogrio", RFC7946="YES",
                      COORDINATE_PRECISION=COORDINATE_PRECISION, WRITE_NAME="NO")
        json.loads(tmp.read_text(encoding="utf-8"))  # check it parses before publishing

    _replace_atomically(path, write)


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path`, atomically (a report, an archive)."""
    _replace_atomically(path, lambda tmp: tmp.write_bytes(data))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as UTF-8 CSV, atomically."""
    _replace_atomically(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


def file_checksum(path: Path) -> str:
    """'sha256:…' of a file's bytes, recorded with each version it became."""
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()
