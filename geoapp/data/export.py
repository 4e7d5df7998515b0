"""Writing what people open in other programs: a layer or table as GeoJSON, GeoPackage, CSV or a
zipped Shapefile, and any table as CSV or an Excel workbook.

Spreadsheets run text that begins with =, +, -, @, a tab or a carriage return as a formula (a
zone named `=HYPERLINK(...)` would be a live link in the county's workbook). Every CSV and
workbook written here keeps such text text (OWASP's CSV-injection rule): in a CSV it is written
after an apostrophe, which spreadsheets hide and the importer removes again
(`geoapp.data.readers`), in a workbook it is a text cell marked as such. What is stored never
changes. CSVs begin with a UTF-8 byte-order mark, so Excel on Chinese Windows reads them right.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoapp.crs import STORAGE_CRS
from geoapp.layers import LAYERS

EXPORT_FORMATS = (".geojson", ".gpkg", ".csv", ".zip")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
BOM = "\ufeff"


def _formula_like(text: str) -> bool:
    """Text a spreadsheet would run, or such text already after apostrophes (guarded again, so
    that reading back is exact)."""
    return text.lstrip(GUARD).startswith(FORMULA_STARTS)


def guarded(value):
    """`value` as a spreadsheet keeps it text: an apostrophe before text a spreadsheet would run."""
    return GUARD + value if isinstance(value, str) and _formula_like(value) else value


def unguarded(value):
    """The text `guarded` wrote, as it was (for reading a CSV this app exported)."""
    if isinstance(value, str) and value.startswith(GUARD) and _formula_like(value[1:]):
        return value[1:]
    return value


def csv_text(headers: list[str], rows) -> str:
    """A table as CSV text: the byte-order mark, a header, CRLF lines, text kept text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([guarded(h) for h in headers])
    writer.writerows([guarded(v) for v in row] for row in rows)
    return BOM + out.getvalue()


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list]
    caption: str = ""                                         # a title row above the table
    number_formats: dict[int, str] = field(default_factory=dict)   # column -> Excel number format


def workbook(sheets: list[Sheet]) -> bytes:
    """Sheets as an Excel workbook: a caption, a bold header with a filter, frozen panes, columns
    wide enough, numbers as numbers (in their format), every text a text cell."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        page = book.create_sheet(sheet.title[:31])
        first = 1
        if sheet.caption:
            page.cell(1, 1, sheet.caption).font = Font(bold=True, size=13)
            first = 3
        for column, header in enumerate(sheet.headers, start=1):
            _text_cell(page.cell(first, column), header).font = Font(bold=True)
        for r, row in enumerate(sheet.rows, start=first + 1):
            for column, value in enumerate(row, start=1):
                cell = page.cell(r, column)
                if isinstance(value, str):
                    _text_cell(cell, value)
                else:
                    cell.value = value
                    if column - 1 in sheet.number_formats and value is not None:
                        cell.number_format = sheet.number_formats[column - 1]
        if sheet.headers and sheet.rows:
            last = get_column_letter(len(sheet.headers))
            page.auto_filter.ref = f"A{first}:{last}{first + max(1, len(sheet.rows))}"
            page.freeze_panes = f"B{first + 1}"
        for column in range(1, len(sheet.headers) + 1):
            values = [sheet.headers[column - 1], *(row[column - 1] for row in sheet.rows)]
            width = max(len(str(v)) if v is not None else 0 for v in values)
            page.column_dimensions[get_column_letter(column)].width = min(40, max(8, width * 1.6))
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _text_cell(cell, text: str):
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever it begins with
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # and it stays text when someone edits it
    return cell


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
        text = table.select_dtypes(include=["object", "string"]).columns
        table[text] = table[text].map(guarded)
        table.to_csv(path, index=False, lineterminator="\n", encoding="utf-8-sig")
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
