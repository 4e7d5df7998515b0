"""Zipped Shapefiles: one .shp with its .dbf, .shx and .prj (and .cpg for the encoding)."""
from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from geoapp.data.readers.common import (
    MAX_UNPACKED_BYTES,
    ImportReport,
    attributes_as_text,
    read_with_gdal,
    unpacked_size,
)
from geoapp.layers import LayerSpec
from geoapp.messages import N_, message


def _zipped_counts(archive: zipfile.ZipFile, stem: str) -> tuple[int | None, int | None]:
    """(shapes in the .shx index, records in the .dbf header) of a zipped Shapefile."""
    names = {n.lower(): n for n in archive.namelist()}
    shapes = records = None
    if f"{stem}.shx".lower() in names:
        shapes = (archive.getinfo(names[f"{stem}.shx".lower()]).file_size - 100) // 8
    if f"{stem}.dbf".lower() in names:
        with archive.open(names[f"{stem}.dbf".lower()]) as dbf:
            header = dbf.read(8)
        records = struct.unpack("<I", header[4:8])[0] if len(header) == 8 else None
    return shapes, records


def read_shapefile_zip(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    if unpacked_size(path, report, MAX_UNPACKED_BYTES) is None:
        return None
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        part = ".dbf" if layer.is_table else ".shp"  # a table travels as a Shapefile's attributes alone
        shapefiles = [n for n in names if n.lower().endswith(part)]
        if len(shapefiles) != 1:
            report.problem(N_("the zip must hold exactly one Shapefile (%(part)s), not %(count)s"), part=part,
                           count=len(shapefiles))
            return None
        stem = shapefiles[0][:-4]
        if not layer.is_table and f"{stem}.prj" not in names and not report.declared_crs:
            report.problem(N_("%(file)s has no .prj, so its coordinate system is unknown: declare it (wgs84, "
                              "cgcs2000, gcj02, bd09 or an EPSG code)"), file=shapefiles[0])
            return None
        shapes, records = _zipped_counts(archive, stem)
        if not layer.is_table and shapes is not None and records is not None and shapes != records:
            report.problem(N_("the Shapefile is incomplete: %(stem)s.shp has %(shapes)s shapes but %(stem)s.dbf "
                              "%(records)s rows of attributes"), stem=stem, shapes=shapes, records=records)
            return None
    frame = read_with_gdal(f"/vsizip/{path}/{shapefiles[0]}", report, message(N_("a Shapefile")),
                 read_geometry=not layer.is_table,
                 encoding=encoding or ("UTF-8" if f"{stem}.cpg" not in names else None))
    if frame is None:
        return None
    short = {c.name[:10]: c.name for c in layer.columns if len(c.name) > 10}  # .dbf names stop at 10 characters
    frame = frame.rename(columns={k: v for k, v in short.items() if k in frame.columns})
    return attributes_as_text(frame) if layer.is_table else frame
