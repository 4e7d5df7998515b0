"""Importing a layer or table from the data keeper's file, and exporting one.

`prepare_import` reads GeoJSON, GeoPackage, a zipped Shapefile (with its .prj) or CSV/XLSX
(lon/lat columns), converts the declared coordinate system to WGS-84, and checks everything
against the registry and the other current layers — writing nothing. Its report names each
problem with its row and field, and adds hints (a GBK file, points that sit a GCJ-02-like
300-400 m off). `publish_import` then hands a clean report to the layer store.
"""
from __future__ import annotations

import json
import shutil
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

from geoapp.crs import METRIC_CRS, SHIFTED_SYSTEMS, STORAGE_CRS, from_shifted, to_storage_from
from geoapp.data.load import Dataset, check_frame
from geoapp.data.validate import DataProblem, check_references
from geoapp.layers import LAYERS, LayerSpec, spec
from geoapp.store.layers import LayerStore, file_checksum

SUPPORTED = (".geojson", ".json", ".gpkg", ".zip", ".csv", ".xlsx")
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
    hints: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    frame: gpd.GeoDataFrame | pd.DataFrame | None = None
    checksum: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and self.frame is not None

    def problem(self, message: str, row: str | None = None) -> "ImportReport":
        self.problems.append(DataProblem(self.file, row, message))
        return self

    def lines(self) -> list[str]:
        return ([str(p) for p in self.problems] + [f"hint: {h}" for h in self.hints] +
                [f"note: {n}" for n in self.notes])


# Reading ---------------------------------------------------------------------------------------

def _decode(data: bytes, encoding: str | None, report: ImportReport) -> str | None:
    """The file's text: UTF-8 (with or without BOM), or the declared encoding."""
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as err:
            report.problem(f"cannot be read as {encoding}: {err}")
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            report.problem(f"not UTF-8 text (byte {err.start} is {data[err.start]:#04x}) and not GBK either")
            return None
        report.problem(f"the text is GBK/GB18030-encoded, not UTF-8 (byte {err.start}); save it as UTF-8, "
                       "or import it declaring the encoding gbk")
        return None


def _geometry_from_columns(table: pd.DataFrame, report: ImportReport) -> gpd.GeoDataFrame | None:
    """Points from lon/lat columns, or any shape from a `wkt` column (as `geoapp export` writes)."""
    lower = {c.strip().lower(): c for c in table.columns}
    if "wkt" in lower:
        column = lower["wkt"]
        geometries = gpd.GeoSeries.from_wkt(table[column].where(table[column].str.strip() != "", None),
                                            on_invalid="ignore")
        for i in np.flatnonzero((geometries.isna() & (table[column].str.strip() != "")).to_numpy())[:10]:
            report.problem(f"{column}: {table[column].iloc[i][:40]!r} is not WKT", f"line {i + 2}")
        return None if report.problems else gpd.GeoDataFrame(table.drop(columns=[column]), geometry=geometries)
    lon = next((lower[n] for n in LON_COLUMNS if n in lower), None)
    lat = next((lower[n] for n in LAT_COLUMNS if n in lower), None)
    if lon is None or lat is None:
        report.problem(f"no coordinate columns: a point layer in a table needs a longitude column "
                       f"({' / '.join(LON_COLUMNS)}) and a latitude column ({' / '.join(LAT_COLUMNS)})")
        return None
    xs = pd.to_numeric(table[lon].astype("string").str.strip(), errors="coerce")
    ys = pd.to_numeric(table[lat].astype("string").str.strip(), errors="coerce")
    for i in np.flatnonzero((xs.isna() | ys.isna()).to_numpy())[:10]:
        report.problem(f"{lon}/{lat}: {table[lon].iloc[i]!r}, {table[lat].iloc[i]!r} are not numbers",
                       f"line {i + 2}")
    swapped = (ys.abs() > 90) & (xs.abs() <= 90)
    for i in np.flatnonzero(swapped.to_numpy())[:10]:
        report.problem(f"{lat} {ys.iloc[i]:g} is not a latitude (-90..90): are {lon} and {lat} swapped?",
                       f"line {i + 2}")
    if report.problems:
        return None
    return gpd.GeoDataFrame(table.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(xs, ys))


def read_source(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None = None):
    """The file as a (Geo)DataFrame with its own CRS, or None with the problems in `report`."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        report.problem(f"unsupported file type {suffix or '(none)'}; use {', '.join(SUPPORTED)}")
        return None
    if not path.is_file() or path.stat().st_size == 0:
        report.problem("the file is empty" if path.is_file() else "no such file")
        return None
    if suffix in (".csv", ".xlsx"):
        if suffix == ".csv":
            text = _decode(path.read_bytes(), encoding, report)
            if text is None:
                return None
            from io import StringIO
            try:
                table = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
            except Exception as err:  # pandas' parser errors
                report.problem(f"cannot be read as CSV: {str(err).splitlines()[0]}")
                return None
        else:
            try:
                table = pd.read_excel(path, dtype=str, keep_default_na=False)
            except Exception as err:
                report.problem(f"cannot be read as an Excel workbook: {str(err).splitlines()[0]}")
                return None
        table.columns = [str(c).strip() for c in table.columns]
        return table if layer.is_table else _geometry_from_columns(table, report)

    source = str(path)
    options: dict = {}
    if suffix in (".geojson", ".json"):
        text = _decode(path.read_bytes(), encoding, report)
        if text is None:
            return None
        workdir = Path(tempfile.mkdtemp(prefix="geoapp-import-"))
        source = str(workdir / "source.geojson")
        Path(source).write_text(text, encoding="utf-8")
    elif suffix == ".zip":
        try:
            names = zipfile.ZipFile(path).namelist()
        except zipfile.BadZipFile:
            report.problem("not a zip file")
            return None
        part = ".dbf" if layer.is_table else ".shp"  # a table travels as a Shapefile's attributes alone
        shapefiles = [n for n in names if n.lower().endswith(part)]
        if len(shapefiles) != 1:
            report.problem(f"the zip must hold exactly one Shapefile ({part}), not {len(shapefiles)}")
            return None
        stem = shapefiles[0][:-4]
        if not layer.is_table and f"{stem}.prj" not in names and not report.declared_crs:
            report.problem(f"{shapefiles[0]} has no .prj, so its coordinate system is unknown: declare it "
                           "(wgs84, cgcs2000, gcj02, bd09 or an EPSG code)")
            return None
        source = f"/vsizip/{path}/{shapefiles[0]}"
        options["encoding"] = encoding or ("UTF-8" if f"{stem}.cpg" not in names else None)
    elif suffix == ".gpkg":
        try:
            available = [str(name) for name, _ in pyogrio.list_layers(path)]
        except Exception as err:
            report.problem(f"cannot be read as a GeoPackage: {str(err).splitlines()[0]}")
            return None
        if len(available) != 1 and layer.id not in available:
            report.problem(f"the GeoPackage holds {', '.join(available)}; name one of them {layer.id}")
            return None
        options["layer"] = available[0] if len(available) == 1 else layer.id
    if layer.is_table:
        options["read_geometry"] = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pyogrio.read_dataframe(source, **{k: v for k, v in options.items() if v is not None})
        if layer.is_table:
            frame = pd.DataFrame(frame).astype(object).where(pd.DataFrame(frame).notna(), "").astype(str)
    except UnicodeDecodeError as err:
        report.problem(f"the attributes are not UTF-8 (byte {err.start}); a GBK Shapefile needs its .cpg file "
                       "or the encoding gbk declared")
        return None
    except Exception as err:
        kind = {".gpkg": "a GeoPackage", ".zip": "a Shapefile"}.get(suffix, "GeoJSON")
        report.problem(f"cannot be read as {kind}: {str(err).strip().splitlines()[0]}")
        return None
    if len(frame) == 0:
        report.problem("the file has no features; an import replaces the whole layer, so it would empty it")
        return None
    if suffix == ".zip":  # Shapefile field names stop at 10 characters: give back the registry's names
        short = {c.name[:10]: c.name for c in layer.columns if len(c.name) > 10}
        frame = frame.rename(columns={k: v for k, v in short.items() if k in frame.columns})
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
        raise ValueError(f"unknown coordinate system {declared!r}: use wgs84, cgcs2000, gcj02, bd09 "
                         "or an EPSG code such as EPSG:4547") from None


def _to_wgs84(frame: gpd.GeoDataFrame, report: ImportReport) -> gpd.GeoDataFrame | None:
    """The frame in WGS-84: from the declared system if there is one, else from the file's."""
    declared = report.declared_crs
    geographic_file = frame.crs is None or any(frame.crs.equals(c) for c in GEOGRAPHIC)
    if not declared:
        if geographic_file:
            report.notes.append("coordinates taken as WGS-84 lon/lat (declare gcj02 for Amap/Tencent, "
                                "bd09 for Baidu)")
            return frame.set_crs(STORAGE_CRS, allow_override=True)
        report.notes.append(f"converted from the file's {frame.crs.to_string()} to WGS-84")
        return frame.to_crs(STORAGE_CRS)
    try:
        target = _declared_crs(declared)
    except ValueError as err:
        report.problem(str(err))
        return None
    if not geographic_file and (target is None or not frame.crs.equals(target)):
        report.problem(f"the file says its coordinates are {frame.crs.to_string()}, not {declared}: "
                       "declare the file's own system, or none")
        return None
    report.notes.append(f"converted from {declared} to WGS-84")
    return to_storage_from(frame, declared)


# Checks against the county and the other layers ----------------------------------------------------

def _outside_county(frame: gpd.GeoDataFrame, current: Dataset, report: ImportReport, layer: LayerSpec) -> None:
    if layer.id == "county":
        return
    county = current["county"].to_crs(METRIC_CRS).geometry.union_all()
    metric = frame.geometry.to_crs(METRIC_CRS)
    distances = metric.distance(county)
    key = layer.key_columns[0]
    for i in np.flatnonzero((distances > OUTSIDE_TOLERANCE_M).to_numpy())[:10]:
        label = f"feature {i + 1}" + (f" ({key}={frame[key].iloc[i]})" if key in frame else "")
        report.problem(f"lies {distances.iloc[i] / 1000:.1f} km outside Hanyuan County", label)


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
                report.hints.append(f"the features sit a median {shift:.0f} m from the current {layer.id}, as GCJ-02 "
                                    "(Amap, Tencent) coordinates do here: if they came from such a map, import "
                                    "them declaring gcj02")
            elif BD_LIKE_M[0] <= shift <= BD_LIKE_M[1]:
                report.hints.append(f"the features sit a median {shift:.0f} m from the current {layer.id}, as BD-09 "
                                    "(Baidu) coordinates do here: if they came from Baidu, import them declaring bd09")
    if "township" in frame and (frame.geom_type == "Point").all():
        townships = current["townships"].set_index("code").geometry
        claimed = frame.township.map(townships)
        known = claimed.notna()
        if known.sum() >= 3:
            areas = claimed[known].to_numpy()
            as_is = shapely.contains(areas, frame.geometry[known].to_numpy()).mean()
            converted = shapely.contains(areas, from_shifted(frame.geometry[known].to_numpy(), "gcj02")).mean()
            if converted - as_is >= 0.2:
                report.hints.append(f"{as_is:.0%} of the points lie in the township they name, {converted:.0%} once "
                                    "converted from GCJ-02: if they came from Amap or Tencent, declare gcj02")


def prepare_import(path: str | Path, layer_id: str, current: Dataset, declared_crs: str | None = None,
                   encoding: str | None = None, progress: Progress | None = None) -> ImportReport:
    """Read, convert and check a file for `layer_id`; nothing is written. See the module docstring."""
    path = Path(path)
    progress = progress or (lambda what, fraction: None)
    report = ImportReport(layer=layer_id, file=path.name, declared_crs=declared_crs)
    try:
        layer = spec(layer_id)
    except KeyError as err:
        return report.problem(err.args[0])
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
        report.notes.append(f"{layer_id} is a table: the declared coordinate system is not used")
    progress("checking", 0.4)
    frame, problems = check_frame(layer, raw, path.name)
    report.problems += problems
    if not problems:
        others = dict(current)
        others[layer_id] = frame
        report.problems += [DataProblem(path.name, p.row, p.message) for p in check_references(others, LAYERS)
                            if p.file == layer.filename]
        # and the other layers that point at this one must still find their keys
        report.problems += [DataProblem(p.file, p.row, p.message + f" (after replacing {layer_id})")
                            for p in check_references(others, LAYERS) if p.file != layer.filename]
        if not layer.is_table:
            _outside_county(frame, current, report, layer)
            _shift_hints(frame, current, report, layer)
    report.rows = len(raw)
    if report.problems:
        return report
    report.frame = frame[[c.name for c in layer.columns] + ([] if layer.is_table else ["geometry"])]
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
        workdir = Path(tempfile.mkdtemp(prefix="geoapp-export-"))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the 10-character field names are noted below
                # a table becomes a Shapefile of attributes only: its .dbf (and .cpg)
                pyogrio.write_dataframe(pd.DataFrame(frame) if is_table else frame.to_crs(STORAGE_CRS),
                                        workdir / f"{layer_id}.{'dbf' if is_table else 'shp'}",
                                        driver="ESRI Shapefile", encoding="UTF-8")
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(workdir.iterdir()):
                    archive.write(part, part.name)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return path
