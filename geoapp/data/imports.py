"""Importing a layer or table from the data keeper's file, and exporting one.

`prepare_import` reads GeoJSON, GeoPackage, a zipped Shapefile (with its .prj) or CSV/XLSX
(lon/lat columns), converts the declared coordinate system to WGS-84, and checks everything
against the registry and the other current layers — writing nothing. Its report names each
problem with its row and field, and adds hints (a GBK file, points that sit a GCJ-02-like
300-400 m off). `publish_import` then hands a clean report to the layer store.

Each file type has its reader in `READERS` (one small function with its own checks; none
leaves a temporary file behind). Every import is bounded whichever door it comes through,
the command line or the web: at most MAX_IMPORT_BYTES on disk, MAX_UNPACKED_BYTES unpacked
from a zip or workbook, MAX_FEATURES rows, and only real tables (not views) of a GeoPackage.
"""
from __future__ import annotations

import io
import json
import re
import sqlite3
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geoapp.crs import (
    METRIC_CRS,
    SHIFTED_SYSTEMS,
    STORAGE_CRS,
    from_shifted,
    to_storage_from,
)
from geoapp.data.files import file_checksum
from geoapp.data.load import Dataset
from geoapp.data.validate import DataProblem, check_frame, check_references
from geoapp.layers import LAYERS, Column, LayerSpec
from geoapp.messages import N_, Message, message
from geoapp.store import LayerStore

MAX_IMPORT_BYTES = 200 * 1024 * 1024      # the file itself, from the web or the command line
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024   # what a zipped Shapefile unpacks to
MAX_WORKBOOK_BYTES = 64 * 1024 * 1024     # what an XLSX workbook unpacks to (openpyxl holds it all)
MAX_FEATURES = 1_000_000
LON_COLUMNS = ("lon", "lng", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
GEOGRAPHIC = ("EPSG:4326", "OGC:CRS84", "EPSG:4490")
OUTSIDE_TOLERANCE_M = 1_000   # features this far outside the county boundary are refused
GCJ_LIKE_M = (250, 450)       # how far GCJ-02 sits from WGS-84 around Hanyuan (330-380 m)
BD_LIKE_M = (650, 1_050)

Progress = Callable[[str, float], None]


@dataclass
class ImportReport:
    layer: str
    file: str
    declared_crs: str | None
    rows: int = 0
    problems: list[DataProblem] = field(default_factory=list)
    hints: list[Message] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)
    frame: gpd.GeoDataFrame | pd.DataFrame | None = None
    checksum: str = ""
    file_crs: object = None  # the CRS the file declares (a legacy GeoJSON `crs` member), if any

    @property
    def ok(self) -> bool:
        return not self.problems and self.frame is not None

    def problem(self, msgid: str, row: Message | None = None, **params) -> "ImportReport":
        self.problems.append(DataProblem(self.file, row, message(msgid, **params)))
        return self

    def note(self, msgid: str, **params) -> None:
        self.notes.append(message(msgid, **params))

    def hint(self, msgid: str, **params) -> None:
        self.hints.append(message(msgid, **params))

    def lines(self) -> list[str]:
        return ([str(p) for p in self.problems] + [f"hint: {h}" for h in self.hints] +
                [f"note: {n}" for n in self.notes])


def _line(i: int) -> Message:
    return message(N_("line %(line)s"), line=i + 2)


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# Reading text ------------------------------------------------------------------------------------

def _decode(data: bytes, encoding: str | None, report: ImportReport) -> str | None:
    """The file's text: UTF-8 (with or without BOM), or the declared encoding."""
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as err:
            report.problem(N_("cannot be read as %(encoding)s: %(reason)s"), encoding=encoding, reason=str(err))
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            report.problem(N_("not UTF-8 text (byte %(byte)s is %(value)s) and not GBK either"),
                           byte=err.start, value=f"{data[err.start]:#04x}")
            return None
        report.problem(N_("the text is GBK/GB18030-encoded, not UTF-8 (byte %(byte)s); save it as UTF-8, or import "
                          "it declaring the encoding gbk"), byte=err.start)
        return None


def _geometry_from_columns(table: pd.DataFrame, report: ImportReport) -> gpd.GeoDataFrame | None:
    """Points from lon/lat columns, or any shape from a `wkt` column (as `geoapp export` writes)."""
    lower = {c.strip().lower(): c for c in table.columns}
    if "wkt" in lower:
        column = lower["wkt"]
        geometries = gpd.GeoSeries.from_wkt(table[column].where(table[column].str.strip() != "", None),
                                            on_invalid="ignore")
        for i in np.flatnonzero((geometries.isna() & (table[column].str.strip() != "")).to_numpy())[:10]:
            report.problem(N_("%(column)s: %(value)s is not WKT"), _line(i), column=column,
                           value=repr(table[column].iloc[i][:40]))
        return None if report.problems else gpd.GeoDataFrame(table.drop(columns=[column]), geometry=geometries)
    lon = next((lower[n] for n in LON_COLUMNS if n in lower), None)
    lat = next((lower[n] for n in LAT_COLUMNS if n in lower), None)
    if lon is None or lat is None:
        report.problem(N_("no coordinate columns: a point layer in a table needs a longitude column (%(lon)s) and a "
                          "latitude column (%(lat)s)"), lon=" / ".join(LON_COLUMNS), lat=" / ".join(LAT_COLUMNS))
        return None
    xs = pd.to_numeric(table[lon].astype("string").str.strip(), errors="coerce")
    ys = pd.to_numeric(table[lat].astype("string").str.strip(), errors="coerce")
    for i in np.flatnonzero((xs.isna() | ys.isna()).to_numpy())[:10]:
        report.problem(N_("%(lon)s/%(lat)s: %(x)s, %(y)s are not numbers"), _line(i), lon=lon, lat=lat,
                       x=repr(table[lon].iloc[i]), y=repr(table[lat].iloc[i]))
    swapped = (ys.abs() > 90) & (xs.abs() <= 90)
    for i in np.flatnonzero(swapped.to_numpy())[:10]:
        report.problem(N_("%(lat)s %(y)s is not a latitude (-90..90): are %(lon)s and %(lat)s swapped?"), _line(i),
                       lat=lat, lon=lon, y=f"{ys.iloc[i]:g}")
    if report.problems:
        return None
    return gpd.GeoDataFrame(table.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(xs, ys))


def _ogr(source, report: ImportReport, kind: Message, **options):
    """A frame from GDAL, with what it warned about kept as notes; None (and a problem) if it fails."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(source, **{k: v for k, v in options.items() if v is not None})
    except UnicodeDecodeError as err:
        report.problem(N_("the attributes are not UTF-8 (byte %(byte)s); a GBK Shapefile needs its .cpg file or the "
                          "encoding gbk declared"), byte=err.start)
        return None
    except Exception as err:
        report.problem(N_("cannot be read as %(kind)s: %(reason)s"), kind=kind, reason=_first_line(err))
        return None
    for warning in caught[:5]:
        report.note(N_("GDAL said: %(warning)s"), warning=str(warning.message).strip())
    return frame


def _table_of(frame) -> pd.DataFrame:
    """A GDAL frame's attributes as text, as a CSV's would be."""
    table = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    return table.astype(object).where(table.notna(), "").astype(str)


# One reader per file type ---------------------------------------------------------------------

def read_csv(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    text = _decode(path.read_bytes(), encoding, report)
    if text is None:
        return None
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except Exception as err:  # pandas' parser errors
        report.problem(N_("cannot be read as CSV: %(reason)s"), reason=_first_line(err))
        return None
    table.columns = [str(c).strip() for c in table.columns]
    return table if layer.is_table else _geometry_from_columns(table, report)


def _unpacked_size(path: Path, report: ImportReport, limit: int) -> int | None:
    """What a zip archive (a Shapefile zip, an XLSX workbook) unpacks to; None if too much or not a zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        report.problem(N_("not a zip file"))
        return None
    if total > limit:
        report.problem(N_("the archive unpacks to %(size)s MB; at most %(most)s MB"),
                       size=total // 2**20, most=limit // 2**20)
        return None
    return total


def read_xlsx(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    if _unpacked_size(path, report, MAX_WORKBOOK_BYTES) is None:
        return None
    try:
        table = pd.read_excel(path, dtype=str, keep_default_na=False)
    except Exception as err:
        report.problem(N_("cannot be read as an Excel workbook: %(reason)s"), reason=_first_line(err))
        return None
    table.columns = [str(c).strip() for c in table.columns]
    return table if layer.is_table else _geometry_from_columns(table, report)


_CRS_MEMBER = re.compile(r'"crs"\s*:\s*\{')


def _json_object_at(text: str, start: int, limit: int = 2000):
    """The small JSON object that opens at `text[start]` ('{'), or None if it is not one."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, min(len(text), start + limit)):
        char = text[i]
        if in_string:
            escaped, in_string = (not escaped and char == "\\"), in_string and (escaped or char != '"')
            continue
        if char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                try:
                    return json.loads(text[start:i + 1])
                except ValueError:
                    return None
    return None


def _legacy_crs(text: str, report: ImportReport) -> bool:
    """Honour a GeoJSON 2008 `crs` member by its name (GDAL silently takes names it does not know
    as WGS-84); False, with a problem, when it names no coordinate system we know. The member
    is looked for where writers put it: before the features, or after them at the end."""
    from pyproj import CRS
    features_at = text.find('"features"')
    found = _CRS_MEMBER.search(text, 0, features_at if features_at >= 0 else len(text)) or \
        _CRS_MEMBER.search(text, max(0, len(text) - 4096))
    if found is None:
        return True
    member = _json_object_at(text, found.end() - 1)
    name = member.get("properties", {}).get("name") if isinstance(member, dict) and isinstance(member.get("properties"), dict) else None
    if not isinstance(name, str):
        report.problem(N_("the file's crs member gives no coordinate system by name; remove it, or declare the "
                          "system"))
        return False
    try:
        report.file_crs = CRS.from_user_input(name)
    except Exception:
        report.problem(N_("the file's crs member names %(name)s, which is not a coordinate system we know; declare "
                          "the system (wgs84, cgcs2000, gcj02, bd09 or an EPSG code)"), name=repr(name[:60]))
        return False
    report.note(N_("the file names its coordinate system in a crs member: %(name)s"), name=name[:60])
    return True


# JSON escapes and raw characters that GDAL would cut (a NUL ends the text) or replace (a lone
# surrogate becomes U+FFFD) without a word. A match is only a suspicion (an escaped backslash
# before "u0000", a surrogate pair): the file is then parsed here to find the real ones.
_HIDDEN_IN_JSON = re.compile(r"\\u(?:000[0-8bcef]|001[0-9a-f]|007f|00[89][0-9a-f]|d[89a-f][0-9a-f]{2}|fff[ef])|"
                             r"[\x00-\x08\x0b\x0c\x0e-\x1f]", re.IGNORECASE)


def _hidden_characters(text: str, layer: LayerSpec, report: ImportReport) -> bool:
    """False, with a problem per feature and field, when the GeoJSON holds text that GDAL would
    read changed. Found by a scan of the text; only then is it parsed here to name the rows."""
    if not _HIDDEN_IN_JSON.search(text):
        return True
    from geoapp.data.validate import unstorable
    try:
        features = json.loads(text).get("features") or []
    except (ValueError, AttributeError):
        features = []
    key = layer.key_columns[0]
    for i, feature in enumerate(features if isinstance(features, list) else []):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        for name, value in (properties.items() if isinstance(properties, dict) else ()):
            reason = unstorable(value) if isinstance(value, str) else None
            if reason is not None and len(report.problems) < 10:
                label = _feature_label(pd.DataFrame([properties]) if key in properties else pd.DataFrame(), layer, 0)
                label = message(label.msgid, **{**label.params, "n": i + 1})
                report.problem(N_("%(column)s: %(reason)s cannot be stored unchanged; remove it"), label,
                               column=name, reason=reason)
    return not report.problems  # escaped surrogate pairs (an emoji) are fine


def read_geojson(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    data = path.read_bytes()
    text = _decode(data, encoding, report)
    if text is None or not _legacy_crs(text, report) or not _hidden_characters(text, layer, report):
        return None
    # GDAL reads UTF-8 files as they are; other text is handed over re-encoded, in memory
    source = path if not encoding and not data.startswith(b"\xef\xbb\xbf") else io.BytesIO(text.encode("utf-8"))
    frame = _ogr(source, report, message(N_("GeoJSON")), read_geometry=not layer.is_table)
    if frame is None:
        return None
    if report.file_crs is not None and not layer.is_table:
        frame = frame.set_crs(report.file_crs, allow_override=True)
    return _table_of(frame) if layer.is_table else frame


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
    if _unpacked_size(path, report, MAX_UNPACKED_BYTES) is None:
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
    frame = _ogr(f"/vsizip/{path}/{shapefiles[0]}", report, message(N_("a Shapefile")),
                 read_geometry=not layer.is_table,
                 encoding=encoding or ("UTF-8" if f"{stem}.cpg" not in names else None))
    if frame is None:
        return None
    short = {c.name[:10]: c.name for c in layer.columns if len(c.name) > 10}  # .dbf names stop at 10 characters
    frame = frame.rename(columns={k: v for k, v in short.items() if k in frame.columns})
    return _table_of(frame) if layer.is_table else frame


def read_geopackage(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            kinds = dict(conn.execute("SELECT c.table_name, m.type FROM gpkg_contents c LEFT JOIN sqlite_master m "
                                      "ON m.name = c.table_name").fetchall())
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        report.problem(N_("cannot be read as a GeoPackage: %(reason)s"), reason=_first_line(err))
        return None
    available = list(kinds)
    if len(available) != 1 and layer.id not in available:
        report.problem(N_("the GeoPackage holds %(layers)s; name one of them %(layer)s"),
                       layers=", ".join(available) or "nothing", layer=layer.id)
        return None
    chosen = available[0] if len(available) == 1 else layer.id
    if kinds[chosen] != "table":  # a view can run any query, for any time
        report.problem(N_("the GeoPackage layer %(name)s is a %(kind)s, not a table: export it as a table first"),
                       name=chosen, kind=kinds[chosen] or "missing table")
        return None
    if not _no_nul_text(path, chosen, report):  # GDAL would read such text cut at the NUL
        return None
    frame = _ogr(path, report, message(N_("a GeoPackage")), layer=chosen, read_geometry=not layer.is_table,
                 max_features=MAX_FEATURES + 1)
    if frame is None:
        return None
    return _table_of(frame) if layer.is_table else frame


def _no_nul_text(path: Path, table: str, report: ImportReport) -> bool:
    """False, with a problem per row and field, when a text field of the GeoPackage table holds
    a NUL character (GDAL, reading it, would end the text there)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")') if "TEXT" in str(row[2]).upper()]
        for column in columns:
            rows = conn.execute(f'SELECT rowid FROM "{table}" WHERE instr(CAST("{column}" AS BLOB), x\'00\') > 0 '
                                f'LIMIT 10').fetchall()
            for (rowid,) in rows:
                report.problem(N_("%(column)s: %(reason)s cannot be stored unchanged; remove it"),
                               message(N_("feature %(n)s"), n=rowid), column=column,
                               reason=message(N_("a NUL character")))
    finally:
        conn.close()
    return not report.problems


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

def _declared_crs(declared: str):
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


def _to_wgs84(frame: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame | None:
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
        target = _declared_crs(declared)
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

def _feature_label(frame, layer: LayerSpec, i: int) -> Message:
    key = layer.key_columns[0]
    if key in frame:
        return message(N_("feature %(n)s (%(key)s)"), n=i + 1, key=f"{key}={frame[key].iloc[i]}")
    return message(N_("feature %(n)s"), n=i + 1)


def _outside_county(frame: gpd.GeoDataFrame, current: Dataset, report: ImportReport, layer: LayerSpec) -> None:
    if layer.id == "county":
        return
    county = current["county"].to_crs(METRIC_CRS).geometry.union_all()
    distances = frame.geometry.to_crs(METRIC_CRS).distance(county)
    for i in np.flatnonzero((distances > OUTSIDE_TOLERANCE_M).to_numpy())[:10]:
        report.problem(N_("lies %(km)s km outside Hanyuan County"), _feature_label(frame, layer, i),
                       km=f"{distances.iloc[i] / 1000:.1f}")


def _shift_hints(frame: gpd.GeoDataFrame, current: Dataset, report: ImportReport, layer: LayerSpec) -> None:
    """Hint when features sit GCJ-02- or BD-09-like off the current version of the same ids,
    or lie in their claimed township only once converted from GCJ-02."""
    if report.declared_crs and report.declared_crs.lower() in SHIFTED_SYSTEMS:
        return
    key = layer.key_columns[0]
    old = current[layer.id]
    if key in frame and key in old:
        matched = frame[[key, "geometry"]].merge(pd.DataFrame(old[[key, "geometry"]]), on=key,
                                                 suffixes=("", "_old"))
        if len(matched) >= 3:
            new = gpd.GeoSeries(matched.geometry, crs=STORAGE_CRS).to_crs(METRIC_CRS).centroid
            before = gpd.GeoSeries(matched.geometry_old, crs=STORAGE_CRS).to_crs(METRIC_CRS).centroid
            shift = float(np.median(new.distance(before, align=False)))
            if GCJ_LIKE_M[0] <= shift <= GCJ_LIKE_M[1]:
                report.hint(N_("the features sit a median %(metres)s m from the current %(layer)s, as GCJ-02 (Amap, "
                               "Tencent) coordinates do here: if they came from such a map, import them declaring "
                               "gcj02"), metres=f"{shift:.0f}", layer=layer.id)
            elif BD_LIKE_M[0] <= shift <= BD_LIKE_M[1]:
                report.hint(N_("the features sit a median %(metres)s m from the current %(layer)s, as BD-09 (Baidu) "
                               "coordinates do here: if they came from Baidu, import them declaring bd09"),
                            metres=f"{shift:.0f}", layer=layer.id)
    if "township" in frame and (frame.geom_type == "Point").all():
        townships = current["townships"].set_index("code").geometry
        claimed = frame.township.map(townships)
        known = claimed.notna()
        if known.sum() >= 3:
            areas = claimed[known].to_numpy()
            as_is = shapely.contains(areas, frame.geometry[known].to_numpy()).mean()
            converted = shapely.contains(areas, from_shifted(frame.geometry[known].to_numpy(), "gcj02")).mean()
            if converted - as_is >= 0.2:
                report.hint(N_("%(as_is)s of the points lie in the township they name, %(converted)s once converted "
                               "from GCJ-02: if they came from Amap or Tencent, declare gcj02"),
                            as_is=f"{as_is:.0%}", converted=f"{converted:.0%}")


def prepare_import(path: str | Path, layer_id: str, current: Dataset, declared_crs: str | None = None,
                   encoding: str | None = None, progress: Progress | None = None,
                   store: LayerStore | None = None) -> ImportReport:
    """Read, convert and check a file for `layer_id`; nothing is written. With `store`, the
    checked layer is also written to a scratch copy and read back, to be sure it would be
    stored unchanged (see `geoapp.store.roundtrip`). See the module docstring."""
    path = Path(path)
    progress = progress or (lambda what, fraction: None)
    report = ImportReport(layer=layer_id, file=path.name, declared_crs=declared_crs)
    layer = LAYERS.get(layer_id)
    if layer is None:
        return report.problem(N_("unknown layer %(layer)s; known: %(known)s"), layer=repr(layer_id),
                              known=", ".join(LAYERS))
    progress("reading", 0.05)
    raw = read_source(path, layer, report, encoding)
    if raw is None:
        return report
    if not layer.is_table:
        progress("converting coordinates", 0.25)
        raw = _to_wgs84(raw, report)
        if raw is None:
            return report
    elif declared_crs:
        report.note(N_("%(layer)s is a table: the declared coordinate system is not used"), layer=layer_id)
    progress("checking", 0.4)
    frame, problems = check_frame(layer, raw, path.name, lines=path.suffix.lower() in (".csv", ".xlsx") or None)
    report.problems += problems
    if not problems:
        others = dict(current)
        others[layer_id] = frame
        references = check_references(others, LAYERS)
        report.problems += [p.named(path.name) for p in references if p.file == layer.filename]
        # and the other layers that point at this one must still find their keys
        report.problems += [DataProblem(p.file, p.row, message(N_("%(problem)s (after replacing %(layer)s)"),
                                                               problem=p.message, layer=layer_id))
                            for p in references if p.file != layer.filename]
        if not layer.is_table:
            _outside_county(frame, current, report, layer)
            _shift_hints(frame, current, report, layer)
    report.rows = len(raw)
    if report.problems:
        return report
    stored = frame[[c.name for c in layer.columns] + ([] if layer.is_table else ["geometry"])]
    if store is not None:
        progress("checking storage", 0.45)
        report.problems += [DataProblem(path.name, None, m) for m in store.check_storable(layer_id, stored)]
        if report.problems:
            return report
    report.frame = stored
    report.checksum = file_checksum(path)
    progress("checked", 0.5)
    return report


def publish_import(store: LayerStore, report: ImportReport, who: str,
                   progress: Progress | None = None) -> int:
    """Publish a clean report's layer as the new current version; returns its number."""
    if not report.ok:
        raise ValueError("a report with problems is never published")
    progress = progress or (lambda what, fraction: None)
    stage = lambda what, fraction: progress(what, 0.5 + 0.5 * fraction)  # noqa: E731
    versions = store.publish({report.layer: report.frame}, who, {report.layer: report.file},
                             {report.layer: report.checksum}, progress=stage)
    return versions[report.layer]


# Exporting -----------------------------------------------------------------------------------------

EXPORT_FORMATS = (".geojson", ".gpkg", ".csv", ".zip")


def export_frame(frame: gpd.GeoDataFrame | pd.DataFrame, layer_id: str, path: str | Path) -> Path:
    """Write a layer or table to `path` in the format its ending names: GeoJSON, GeoPackage,
    CSV (points as lon/lat columns, other shapes as WKT) or a zipped Shapefile (UTF-8, .cpg)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"cannot export to {suffix or '(none)'}; use {', '.join(EXPORT_FORMATS)}")
    is_table = LAYERS[layer_id].is_table
    if suffix == ".csv":
        table = pd.DataFrame(frame).copy()
        if not is_table:
            geometry = frame.geometry
            if (geometry.geom_type == "Point").all():
                table.insert(0, "lon", geometry.x.round(7))
                table.insert(1, "lat", geometry.y.round(7))
            else:
                table["wkt"] = geometry.to_wkt()
            table = table.drop(columns="geometry")
        table.to_csv(path, index=False, lineterminator="\n")
        return path
    path.unlink(missing_ok=True)
    if suffix == ".geojson" and is_table:  # GeoJSON allows features without geometry
        rows = pd.DataFrame(frame).astype(object).where(pd.DataFrame(frame).notna(), None)
        features = [{"type": "Feature", "geometry": None, "properties": row} for row in rows.to_dict("records")]
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                                   default=str), encoding="utf-8")
    elif suffix == ".geojson":
        frame.to_crs(STORAGE_CRS).to_file(path, driver="GeoJSON", engine="pyogrio", RFC7946="YES")
    elif suffix == ".gpkg":
        pyogrio.write_dataframe(frame if not is_table else pd.DataFrame(frame), path, layer=layer_id, driver="GPKG")
    else:
        with tempfile.TemporaryDirectory(prefix="geoapp-export-") as workdir:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # GDAL warns that field names stop at 10 characters: expected
                # a table becomes a Shapefile of attributes only: its .dbf (and .cpg)
                pyogrio.write_dataframe(pd.DataFrame(frame) if is_table else frame.to_crs(STORAGE_CRS),
                                        Path(workdir) / f"{layer_id}.{'dbf' if is_table else 'shp'}",
                                        driver="ESRI Shapefile", encoding="UTF-8")
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(Path(workdir).iterdir()):
                    archive.write(part, part.name)
    return path


# A proposed site from a file ------------------------------------------------------------------------

SITE = LayerSpec("site", "选址", "Proposed site", key="name", geometry=("Point", "Polygon", "MultiPolygon"),
                 columns=(Column("name", required=False, nullable=True),))


@dataclass
class SiteFile:
    geometries: list = field(default_factory=list)   # each feature's site, WGS-84
    labels: list = field(default_factory=list)       # what each feature is called in the file
    union: object = None                             # all of them as one site
    problems: list[DataProblem] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)


def read_site_file(path: Path, declared_crs: str | None = None, encoding: str | None = None) -> SiteFile:
    """The sites in a file the importer reads (any of READERS), converted to WGS-84 from the
    declared system or the file's own, checked as a proposed site is (`geoapp.analysis.planning`
    bounds), with their union; an outline with more vertices than a site may have is simplified
    until it fits, and a note says so."""
    from geoapp.analysis.planning import MAX_VERTICES, site_geometry
    report = ImportReport(layer="site", file=path.name, declared_crs=declared_crs)
    found = SiteFile(problems=report.problems, notes=report.notes)
    raw = read_source(path, SITE, report, encoding)
    if raw is None:
        return found
    frame = _to_wgs84(raw, report)
    if frame is None:
        return found
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    kinds = set(frame.geom_type)
    if not frame.empty and not kinds <= set(SITE.geometry):
        report.problem(N_("a site is a Point, Polygon or MultiPolygon, not %(kind)s"),
                       kind=", ".join(sorted(kinds - set(SITE.geometry))))
        return found
    if frame.empty:
        report.problem(N_("the file has no features; an import replaces the whole layer, so it would empty it"))
        return found
    label_column = next((c for c in ("name", "name_zh", "名称", "id") if c in frame.columns), None)
    geometries = [shapely.make_valid(g) if not g.is_valid else g for g in frame.geometry]
    union = shapely.union_all(geometries) if len(geometries) > 1 else geometries[0]
    if union.geom_type == "GeometryCollection":  # points with polygons: keep the areas
        union = shapely.union_all([g for g in shapely.get_parts(union) if g.geom_type != "Point"]) or union
    tolerance = 0.00001
    while shapely.get_num_coordinates(union) > MAX_VERTICES and tolerance < 0.01:
        union = shapely.simplify(union, tolerance, preserve_topology=True)
        tolerance *= 2
    if tolerance > 0.00001:
        report.note(N_("the outline was simplified to %(vertices)s vertices (about %(metres)s m) to be analysed"),
                    vertices=shapely.get_num_coordinates(union), metres=round(tolerance / 2 * 111_000))
    try:
        found.union = site_geometry(json.loads(shapely.to_geojson(union)))
    except ValueError as err:  # the site's own bounds (parts, holes, validity), as a message
        report.problems.append(DataProblem(path.name, None, getattr(err, "message", message(str(err)))))
        return found
    found.geometries = geometries
    found.labels = [str(v) for v in frame[label_column]] if label_column else [str(i + 1) for i in range(len(frame))]
    return found
