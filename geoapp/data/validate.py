"""Checks of layers and tables against the registry in `geoapp.layers`.

`check_frame` is the one check a layer passes before it is served: `geoapp validate` and
`geoapp import` run it on the file as it will be stored, and the app runs it again on every
version it loads from the store. Every problem names the file, the feature or line, the
column and what is wrong, so the person who made the file can fix it without a traceback.
Problems are `Message`s, shown in English on the command line and translated on the web.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.crs import STORAGE_CRS
from geoapp.dates import day, month_day
from geoapp.layers import Column, LayerSpec
from geoapp.messages import N_, Message, message

MAX_PROBLEMS_PER_CHECK = 10
# Text that cannot be stored and read back unchanged: control characters (a NUL ends the
# text in GDAL and PostgreSQL refuses it), lone surrogates (not UTF-8), non-characters.
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class DataProblem:
    file: str
    row: Message | None      # "feature 3 (id=B003)" or "line 14 (id=L012)"; None for the whole file
    message: Message

    def __str__(self) -> str:
        return f"{self.file}: {self.row}: {self.message}" if self.row else f"{self.file}: {self.message}"

    def named(self, file: str) -> DataProblem:
        """The same problem said of another file name (the upload rather than the registry's)."""
        return DataProblem(file, self.row, self.message)


class DataError(Exception):
    """The data could not be loaded; `problems` says each thing that is wrong."""

    def __init__(self, problems: list[DataProblem], source: str = ""):
        self.problems = problems
        self.source = source
        super().__init__("\n".join(str(p) for p in problems))


def row_label(spec: LayerSpec, frame: pd.DataFrame, position: int, lines: bool | None = None) -> Message:
    """How a person finds row `position` (0-based) in the file: feature or line number and key.
    Rows are lines (counting the header) in a table, or whenever `lines` says so (a CSV of points)."""
    keys = [k for k in spec.key_columns if k in frame.columns]
    values = ", ".join(f"{k}={shown_text(frame[k].iloc[position])}" for k in keys
                       if not _missing(frame[k].iloc[position]))
    if spec.is_table if lines is None else lines:
        return message(N_("line %(line)s (%(key)s)") if values else N_("line %(line)s"), line=position + 2, key=values)
    return message(N_("feature %(n)s (%(key)s)") if values else N_("feature %(n)s"), n=position + 1, key=values)


def _missing(value) -> bool:
    return value is None or (not isinstance(value, (list, tuple, dict)) and bool(pd.isna(value)))


class _Report:
    def __init__(self, spec: LayerSpec, frame: pd.DataFrame, lines: bool | None = None):
        self.spec, self.frame, self.lines, self.problems = spec, frame, lines, []

    def whole(self, text: Message) -> None:
        self.problems.append(DataProblem(self.spec.filename, None, text))

    def rows(self, mask, describe) -> None:
        """Report each row where `mask` holds; `describe(position)` says what is wrong there."""
        positions = np.flatnonzero(pd.Series(mask).fillna(False).to_numpy(dtype=bool))
        for i in positions[:MAX_PROBLEMS_PER_CHECK]:
            self.problems.append(DataProblem(self.spec.filename, row_label(self.spec, self.frame, i, self.lines),
                                             describe(i)))
        if len(positions) > MAX_PROBLEMS_PER_CHECK:
            self.whole(message(N_("... and %(count)s more rows like these"),
                               count=len(positions) - MAX_PROBLEMS_PER_CHECK))


def shown(value) -> str:
    """A value as a person reads it in a message: text quoted, 9.0 as 9, 3.5 as 3.5."""
    if isinstance(value, str):
        return "'" + shown_text(value) + "'"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


def shown_text(value) -> str:
    """Text with the characters a terminal or page would hide written as escapes, cut at 60."""
    text = _UNSTORABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"),
                           str(value))
    return text if len(text) <= 60 else text[:60] + "…"


def unstorable(text: str) -> Message | None:
    """Why `text` cannot be stored and read back unchanged, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        what = message(N_("a lone surrogate"))
    elif code in (0xFFFE, 0xFFFF):
        what = message(N_("a non-character"))
    else:
        what = message(N_("a control character"))
    return message(N_("U+%(code)s (%(what)s) at character %(position)s"), code=f"{code:04X}", what=what,
                   position=found.start() + 1)


def _stripped(values: pd.Series) -> tuple[pd.Series, np.ndarray, bool]:
    """(the values as text with spaces trimmed, object dtype with missing values kept missing;
    which are missing; whether every present value already was a Python str). Text as GDAL
    reads it takes the quick way, anything else goes through pandas' string dtype."""
    objects = values.astype(object)
    missing = objects.isna().to_numpy()
    present = objects.to_numpy()[~missing]
    if all(type(v) is str for v in present):
        if not any(v != v.strip() for v in present.tolist()):  # (strip gives back the same string when
            return objects, missing, True  # there is nothing to trim, as in most stored text: no copy)
        return objects.str.strip(), missing, True
    return values.astype("string").str.strip().astype(object), missing, False


def _coerce(report: _Report, column: Column, values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(the column in its registry type, which rows are blank); rows that cannot be converted
    are reported. A blank is a missing value or text of spaces only."""
    if column.type in ("int", "float") and pd.api.types.is_numeric_dtype(values) \
            and not pd.api.types.is_bool_dtype(values):
        numbers, blank = values.astype(float), values.isna().to_numpy()  # already numbers: no round trip through text
    else:
        stripped, missing, all_text = _stripped(values)
        blank = missing | (stripped == "").to_numpy(dtype=bool)
    if column.type == "str":
        text = stripped.copy()
        text[blank] = None  # empty text is missing: None, not pd.NA or ""
        raw = values.astype(object).to_numpy()[~missing] if all_text else values.astype("string").dropna()
        suspect = _UNSTORABLE.search("\n".join(raw)) is not None  # one scan of the whole column
        flagged = values.astype("string").str.contains(_UNSTORABLE, na=False) if suspect else False
        report.rows(flagged, lambda i: message(
            N_("%(column)s: %(reason)s cannot be stored unchanged; remove it"), column=column.name,
            reason=unstorable(str(text.iloc[i] if text.iloc[i] is not None else values.iloc[i]))))
        return text, blank
    if column.type == "bool":
        truth = stripped.str.lower().map({"true": True, "1": True, "yes": True, "false": False, "0": False,
                                          "no": False})
        report.rows(~blank & truth.isna(), lambda i: message(N_("%(column)s: %(value)s is not true or false"),
                                                             column=column.name, value=shown(values.iloc[i])))
        return truth.astype("boolean"), blank
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(stripped.astype("string").str.replace(",", "", regex=False), errors="coerce")
    numbers = numbers.where(np.isfinite(numbers.astype(float)))
    report.rows(~blank & numbers.isna(), lambda i: message(N_("%(column)s: %(value)s is not a number"),
                                                           column=column.name, value=shown(values.iloc[i])))
    if column.type == "int":
        fractional = numbers.notna() & (numbers % 1 != 0)
        report.rows(fractional, lambda i: message(N_("%(column)s: %(value)s is not a whole number"),
                                                  column=column.name, value=shown(values.iloc[i])))
        too_big = numbers.notna() & (numbers.abs() >= 2 ** 53)
        report.rows(too_big, lambda i: message(N_("%(column)s: %(value)s is too large"), column=column.name,
                                               value=shown(values.iloc[i])))
        return numbers.where(~fractional & ~too_big).astype("Int64"), blank
    return numbers.astype(float), blank


def check_columns(spec: LayerSpec, frame: pd.DataFrame, lines: bool | None = None) -> tuple[pd.DataFrame, list[DataProblem]]:
    """Check and convert every column of `frame` as the registry says; returns (frame, problems)."""
    report = _Report(spec, frame, lines)
    missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
    for name in missing:
        report.whole(message(N_("missing column '%(column)s' (the %(layer)s layer needs: %(columns)s)"),
                             column=name, layer=spec.id, columns=", ".join(c.name for c in spec.columns if c.required)))
    if missing:
        return frame, report.problems
    frame = frame.copy()
    for column in spec.columns:
        if column.name not in frame.columns:  # optional columns a file (or an older version) lacks
            frame[column.name] = None
        raw = frame[column.name]
        values, blank = _coerce(report, column, raw)
        present = ~blank
        if not column.nullable:
            report.rows(~present, lambda i, c=column: message(N_("%(column)s: empty, but a value is required"),
                                                              column=c.name))
        if column.choices:
            report.rows(present & ~values.isin(column.choices), lambda i, c=column, raw=raw: message(
                N_("%(column)s: %(value)s is not one of %(choices)s"), column=c.name, value=shown(raw.iloc[i]),
                choices=", ".join(c.choices)))
        if column.type == "str":
            text_of = values.astype(object).where(present)
            too_long = present & (text_of.map(lambda v: len(v) if isinstance(v, str) else 0) > column.max_length)
            report.rows(too_long, lambda i, c=column, text_of=text_of: message(
                N_("%(column)s is %(length)s characters long; at most %(most)s"), column=c.name,
                length=len(text_of.iloc[i]), most=c.max_length))
        if column.month_day:
            real = values.map(lambda v: month_day(v) is not None if v is not None else True)
            report.rows(present & ~real.astype(bool), lambda i, c=column, raw=raw: message(
                N_("%(column)s: %(value)s is not a day of the year (month-day such as 03-15; 02-29 is one, "
                   "02-30 is not)"), column=c.name, value=shown(raw.iloc[i])))
        elif column.day:
            real = values.map(lambda v: day(v) is not None if v is not None else True)
            report.rows(present & ~real.astype(bool), lambda i, c=column, raw=raw: message(
                N_("%(column)s: %(value)s is not a day of the calendar (year-month-day such as 2015-03-15)"),
                column=c.name, value=shown(raw.iloc[i])))
        elif column.pattern:
            rx = re.compile(column.pattern)
            report.rows(present & ~values.map(lambda v, rx=rx: bool(rx.fullmatch(str(v))) if v is not None else True),
                        lambda i, c=column, raw=raw: message(N_("%(column)s: %(value)s does not have the form %(form)s"),
                                                    column=c.name, value=shown(raw.iloc[i]), form=c.pattern))
        if column.minimum is not None and column.type != "str":
            report.rows(values.notna() & (values < column.minimum), lambda i, c=column, raw=raw: message(
                N_("%(column)s: %(value)s is below the minimum %(minimum)s"), column=c.name,
                value=shown(raw.iloc[i]), minimum=f"{c.minimum:g}"))
        if column.maximum is not None and column.type != "str":
            report.rows(values.notna() & (values > column.maximum), lambda i, c=column, raw=raw: message(
                N_("%(column)s: %(value)s is above the maximum %(maximum)s"), column=c.name,
                value=shown(raw.iloc[i]), maximum=f"{c.maximum:g}"))
        frame[column.name] = values
    keys = list(spec.key_columns)
    duplicated = frame.duplicated(keys, keep=False) & frame[keys].notna().all(axis=1)
    first = {}
    if duplicated.any():  # where each duplicated key was first seen, for the message
        for i, key in enumerate(map(tuple, frame[keys].astype(str).to_numpy())):
            first.setdefault(key, i)
    report.rows(duplicated, lambda i: message(
        N_("duplicate key '%(key)s' (also %(other)s)"), key="/".join(map(shown_text, frame[keys].iloc[i])),
        other=row_label(spec, frame, first[tuple(frame[keys].astype(str).iloc[i])], lines)))
    return frame, report.problems


def check_geometry(spec: LayerSpec, frame: gpd.GeoDataFrame, lines: bool | None = None) -> list[DataProblem]:
    """Geometry present, of the registry's type, valid, and in lon/lat degrees."""
    report = _Report(spec, frame, lines)
    crs = frame.crs
    if crs is not None and crs.to_epsg() != 4326 and not crs.equals("OGC:CRS84"):
        report.whole(message(N_("coordinate system is %(crs)s; layers must be WGS-84 lon/lat (EPSG:4326). "
                                "Import the file with its CRS declared to convert it."), crs=crs.to_string()))
        return report.problems
    geometry = frame.geometry
    empty = geometry.isna() | geometry.is_empty
    report.rows(empty, lambda i: message(N_("no geometry")))
    present = ~empty
    kinds = geometry.geom_type
    report.rows(present & ~kinds.isin(spec.geometry), lambda i: message(
        N_("geometry is a %(kind)s; this layer takes %(kinds)s"), kind=kinds.iloc[i], kinds=" / ".join(spec.geometry)))
    bounds = geometry.bounds
    finite = np.isfinite(bounds.to_numpy()).all(axis=1)
    outside = present & (~finite | (bounds.minx < -180) | (bounds.maxx > 180) | (bounds.miny < -90) | (bounds.maxy > 90))
    swapped = outside & finite & (bounds.minx >= -90) & (bounds.maxx <= 90) & (bounds.miny >= -180) & (bounds.maxy <= 180)
    report.rows(outside & ~swapped, lambda i: message(
        N_("coordinates (%(x)s, %(y)s) are not lon/lat degrees: is the file in a projected CRS?"),
        x=f"{bounds.minx.iloc[i]:.0f}", y=f"{bounds.miny.iloc[i]:.0f}"))
    report.rows(swapped, lambda i: message(
        N_("coordinates (%(x)s, %(y)s) are not lon/lat: the latitude is over 90, are longitude and latitude "
           "swapped?"), x=f"{bounds.minx.iloc[i]:.4f}", y=f"{bounds.miny.iloc[i]:.4f}"))
    invalid = present & ~outside & ~geometry.is_valid
    report.rows(invalid, lambda i: message(N_("invalid geometry: %(reason)s"),
                                           reason=shapely.is_valid_reason(geometry.iloc[i])))
    return report.problems


def check_frame(spec: LayerSpec, raw: pd.DataFrame, name: str | None = None,
                lines: bool | None = None) -> tuple[pd.DataFrame, list[DataProblem]]:
    """The one check of a layer or table on its own — geometry, columns, values, keys — run by
    `validate`, `import` and the app when it loads a version. Returns (frame in the registry's
    types, problems); `name` is what messages call the file (default: the registry's name);
    `lines` says that rows are lines of a spreadsheet (default: only for tables)."""
    problems: list[DataProblem] = []
    if not spec.is_table:
        problems += check_geometry(spec, raw, lines)
    frame, column_problems = check_columns(spec, raw, lines)
    problems += column_problems
    if not spec.is_table and not problems:
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
    if name and name != spec.filename:
        problems = [p.named(name) if p.file == spec.filename else p for p in problems]
    return frame, problems


def check_references(layers: dict[str, pd.DataFrame], specs: dict[str, LayerSpec]) -> list[DataProblem]:
    """Every column that names another layer's key holds a key that layer has."""
    problems: list[DataProblem] = []
    for layer_id, frame in layers.items():
        spec = specs[layer_id]
        report = _Report(spec, frame)
        for column in spec.columns:
            target = column.references
            if not target or target not in layers or column.name not in frame.columns:
                continue
            target_key = specs[target].key_columns[0]
            known = set(layers[target][target_key].dropna().astype(str))
            values = frame[column.name]
            report.rows(values.notna() & ~values.astype(str).isin(known),
                        lambda i, c=column, t=target, k=target_key, v=values: message(
                            N_("%(column)s: unknown %(what)s %(value)s (no %(key)s like it in %(file)s)"),
                            column=c.name, what=t[:-1] if t.endswith("s") else t, value=shown(v.iloc[i]),
                            key=k, file=specs[t].filename))
        problems += report.problems
    return problems
