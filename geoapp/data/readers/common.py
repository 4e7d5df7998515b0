"""What every reader of an imported file shares: the bounds of an import, the report that
collects problems by row and field, reading text (UTF-8 or a declared encoding), points from
lon/lat (or WKT) columns, reading through GDAL, and the size a zip unpacks to."""
from __future__ import annotations

import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geoapp.data.validate import DataProblem
from geoapp.layers import LayerSpec
from geoapp.messages import N_, Message, message

if TYPE_CHECKING:
    from geoapp.data.diff import LayerChanges

MAX_IMPORT_BYTES = 200 * 1024 * 1024      # the file itself, from the web or the command line
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024   # what a zipped Shapefile unpacks to
MAX_WORKBOOK_BYTES = 64 * 1024 * 1024     # what an XLSX workbook unpacks to (openpyxl holds it all)
MAX_FEATURES = 1_000_000
LON_COLUMNS = ("lon", "lng", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
GEOGRAPHIC = ("EPSG:4326", "OGC:CRS84", "EPSG:4490")

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
    changes: LayerChanges | None = None   # what it changes against the version served
    served_version: int | None = None     # the number of that version (None: from a data dir)

    @property
    def ok(self) -> bool:
        return not self.problems and self.frame is not None

    def problem(self, msgid: str, row: Message | None = None, **params) -> ImportReport:
        self.problems.append(DataProblem(self.file, row, message(msgid, **params)))
        return self

    def note(self, msgid: str, **params) -> None:
        self.notes.append(message(msgid, **params))

    def hint(self, msgid: str, **params) -> None:
        self.hints.append(message(msgid, **params))

    def lines(self) -> list[str]:
        return ([str(p) for p in self.problems] + [f"hint: {h}" for h in self.hints] +
                [f"note: {n}" for n in self.notes])


def line_label(i: int) -> Message:
    return message(N_("line %(line)s"), line=i + 2)


def first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def decode_text(data: bytes, encoding: str | None, report: ImportReport) -> str | None:
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


def geometry_from_columns(table: pd.DataFrame, report: ImportReport) -> gpd.GeoDataFrame | None:
    """Points from lon/lat columns, or any shape from a `wkt` column (as `geoapp export` writes)."""
    lower = {c.strip().lower(): c for c in table.columns}
    if "wkt" in lower:
        column = lower["wkt"]
        geometries = gpd.GeoSeries.from_wkt(table[column].where(table[column].str.strip() != "", None),
                                            on_invalid="ignore")
        for i in np.flatnonzero((geometries.isna() & (table[column].str.strip() != "")).to_numpy())[:10]:
            report.problem(N_("%(column)s: %(value)s is not WKT"), line_label(i), column=column,
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
        report.problem(N_("%(lon)s/%(lat)s: %(x)s, %(y)s are not numbers"), line_label(i), lon=lon, lat=lat,
                       x=repr(table[lon].iloc[i]), y=repr(table[lat].iloc[i]))
    swapped = (ys.abs() > 90) & (xs.abs() <= 90)
    for i in np.flatnonzero(swapped.to_numpy())[:10]:
        report.problem(N_("%(lat)s %(y)s is not a latitude (-90..90): are %(lon)s and %(lat)s swapped?"), line_label(i),
                       lat=lat, lon=lon, y=f"{ys.iloc[i]:g}")
    if report.problems:
        return None
    return gpd.GeoDataFrame(table.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(xs, ys))


def read_with_gdal(source, report: ImportReport, kind: Message, **options):
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
        report.problem(N_("cannot be read as %(kind)s: %(reason)s"), kind=kind, reason=first_line(err))
        return None
    for warning in caught[:5]:
        report.note(N_("GDAL said: %(warning)s"), warning=str(warning.message).strip())
    return frame


def attributes_as_text(frame) -> pd.DataFrame:
    """A GDAL frame's attributes as text, as a CSV's would be."""
    table = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    return table.astype(object).where(table.notna(), "").astype(str)


def unpacked_size(path: Path, report: ImportReport, limit: int) -> int | None:
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


def feature_label(frame, layer: LayerSpec, i: int) -> Message:
    key = layer.key_columns[0]
    if key in frame:
        return message(N_("feature %(n)s (%(key)s)"), n=i + 1, key=f"{key}={frame[key].iloc[i]}")
    return message(N_("feature %(n)s"), n=i + 1)
