"""CSV and Excel files: a table, or a point layer with lon/lat (or WKT) columns."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from geoapp.data.export import unguarded
from geoapp.data.readers.common import (
    MAX_WORKBOOK_BYTES,
    ImportReport,
    decode_text,
    first_line,
    geometry_from_columns,
    unpacked_size,
)
from geoapp.layers import LayerSpec
from geoapp.messages import N_


def read_csv(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    text = decode_text(path.read_bytes(), encoding, report)
    if text is None:
        return None
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except Exception as err:  # pandas' parser errors
        report.problem(N_("cannot be read as CSV: %(reason)s"), reason=first_line(err))
        return None
    table.columns = [str(c).strip() for c in table.columns]
    table = table.map(unguarded)  # a CSV this app exported keeps formula-like text after an apostrophe
    return table if layer.is_table else geometry_from_columns(table, report)


def read_xlsx(path: Path, layer: LayerSpec, report: ImportReport, encoding: str | None):
    if unpacked_size(path, report, MAX_WORKBOOK_BYTES) is None:
        return None
    try:
        table = pd.read_excel(path, dtype=str, keep_default_na=False)
    except Exception as err:
        report.problem(N_("cannot be read as an Excel workbook: %(reason)s"), reason=first_line(err))
        return None
    table.columns = [str(c).strip() for c in table.columns]
    return table if layer.is_table else geometry_from_columns(table, report)
