"""Reading a file the data keeper imports: one reader per format in `READERS`, each a small
function with its own checks that leaves no temporary file behind; `read_source` picks one by
the file's ending and applies the bounds every import has (`common`), and `to_wgs84` converts
what was read from the declared system, or the file's own, to WGS-84."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geoapp.crs import SHIFTED_SYSTEMS, STORAGE_CRS, to_storage_from
from geoapp.data.readers.common import (
    GEOGRAPHIC,
    MAX_FEATURES,
    MAX_IMPORT_BYTES,
    MAX_UNPACKED_BYTES,
    MAX_WORKBOOK_BYTES,
    ImportReport,
    Progress,
    first_line,
    line_label,
)
from geoapp.data.readers.geojson import read_geojson
from geoapp.data.readers.geopackage import read_geopackage
from geoapp.data.readers.shapefile import read_shapefile_zip
from geoapp.data.readers.tables import read_csv, read_xlsx
from geoapp.layers import LayerSpec
from geoapp.messages import N_

__all__ = ["MAX_FEATURES", "MAX_IMPORT_BYTES", "MAX_UNPACKED_BYTES", "MAX_WORKBOOK_BYTES", "READERS", "SUPPORTED",
           "ImportReport", "Progress", "first_line", "line_label", "read_source", "to_wgs84"]


@dataclass(frozen=True)
class Reader:
    kind: str                                       # what the keeper calls the format
    read: Callable[[Path, LayerSpec, ImportReport, str | None], object]


READERS: dict[str, Reader] = {
    ".geojson": Reader("GeoJSON", read_geojson), ".json": Reader("GeoJSON", read_geojson),
    ".gpkg": Reader("GeoPackage", read_geopackage), ".zip": Reader("Shapefile (zip)", read_shapefile_zip),
    ".csv": Reader("CSV", read_csv), ".xlsx": Reader("Excel", read_xlsx),
}
SUPPORTED = tuple(READERS)


def read_source(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None = None):
    """The file as a (Geo)DataFrame with its own CRS, or None with the problems in `report`."""
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        report.problem(N_("unsupported file type %(suffix)s; use %(supported)s"), suffix=suffix or "(none)",
                       supported=", ".join(SUPPORTED))
        return None
    if not path.is_file() or path.stat().st_size == 0:
        report.problem(N_("the file is empty") if path.is_file() else N_("no such file"))
        return None
    if path.stat().st_size > MAX_IMPORT_BYTES:
        report.problem(N_("the file is %(size)s MB; at most %(most)s MB can be imported"),
                       size=path.stat().st_size // 2**20, most=MAX_IMPORT_BYTES // 2**20)
        return None
    frame = reader.read(path, layer, report, encoding)
    if frame is None:
        return None
    if len(frame) == 0:
        report.problem(N_("the file has no features; an import replaces the whole layer, so it would empty it"))
        return None
    if len(frame) > MAX_FEATURES:
        report.problem(N_("the file has more than %(most)s features"), most=f"{MAX_FEATURES:,}")
        return None
    return frame



# Coordinate systems ------------------------------------------------------------------------------

def declared_crs(declared: str):
    """The pyproj CRS a declared name stands for (None for GCJ-02/BD-09); ValueError if unknown."""
    from pyproj import CRS

    from geoapp.crs import DECLARABLE
    name = declared.strip().lower()
    if name in SHIFTED_SYSTEMS:
        return None
    try:
        return CRS.from_user_input(DECLARABLE.get(name, declared.strip().upper()))
    except Exception:
        raise ValueError(declared) from None


def to_wgs84(frame: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame | None:
    """The frame in WGS-84: from the declared system if there is one, else from the file's."""
    declared = report.declared_crs
    geographic_file = frame.crs is None or any(frame.crs.equals(c) for c in GEOGRAPHIC)
    if not declared:
        if geographic_file:
            report.note(N_("coordinates taken as WGS-84 lon/lat (declare gcj02 for Amap/Tencent, bd09 for Baidu)"))
            return frame.set_crs(STORAGE_CRS, allow_override=True)
        report.note(N_("converted from the file's %(crs)s to WGS-84"), crs=frame.crs.to_string())
        return frame.to_crs(STORAGE_CRS)
    try:
        target = declared_crs(declared)
    except ValueError:
        report.problem(N_("unknown coordinate system %(name)s: use wgs84, cgcs2000, gcj02, bd09 or an EPSG code such "
                          "as EPSG:4547"), name=repr(declared))
        return None
    if not geographic_file and (target is None or not frame.crs.equals(target)):
        report.problem(N_("the file says its coordinates are %(crs)s, not %(declared)s: declare the file's own "
                          "system, or none"), crs=frame.crs.to_string(), declared=declared)
        return None
    report.note(N_("converted from %(declared)s to WGS-84"), declared=declared)
    return to_storage_from(frame, declared)


# Checks against the county and the other layers ----------------------------------------------------
