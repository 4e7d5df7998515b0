"""Checks of layer and table files against the registry in `geoapp.layers`.

Every problem names the file, the feature or line, the column and what is wrong, so the
person who made the file can fix it without reading a traceback.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.layers import Column, LayerSpec

MAX_PROBLEMS_PER_CHECK = 10


@dataclass(frozen=True)
class DataProblem:
    file: str
    row: str | None      # "feature 3 (id=B003)" or "line 14 (id=L012)"; None for the whole file
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.row}: {self.message}" if self.row else f"{self.file}: {self.message}"


class DataError(Exception):
    """The data could not be loaded; `problems` says each thing that is wrong."""

    def __init__(self, problems: list[DataProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def row_label(spec: LayerSpec, frame: pd.DataFrame, position: int) -> str:
    """How a person finds row `position` (0-based) in the file: feature or line number and key."""
    where = f"line {position + 2}" if spec.is_table else f"feature {position + 1}"
    keys = [k for k in spec.key_columns if k in frame.columns]
    if keys:
        values = ", ".join(f"{k}={frame[k].iloc[position]}" for k in keys
                           if not pd.isna(frame[k].iloc[position]))
        if values:
            where += f" ({values})"
    return where


class _Report:
    def __init__(self, spec: LayerSpec, frame: pd.DataFrame):
        self.spec, self.frame, self.problems = spec, frame, []

    def whole(self, message: str) -> None:
        self.problems.append(DataProblem(self.spec.filename, None, message))

    def rows(self, mask, message) -> None:
        """Report each row where `mask` holds; `message(position)` says what is wrong there."""
        positions = [i for i, bad in enumerate(pd.Series(mask).fillna(False).to_numpy()) if bad]
        for i in positions[:MAX_PROBLEMS_PER_CHECK]:
            self.problems.append(DataProblem(self.spec.filename, row_label(self.spec, self.frame, i),
                                             message(i)))
        if len(positions) > MAX_PROBLEMS_PER_CHECK:
            self.whole(f"... and {len(positions) - MAX_PROBLEMS_PER_CHECK} more rows like these")


def shown(value) -> str:
    """A value as a person reads it in a message: text quoted, 9.0 as 9, 3.5 as 3.5."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


def _coerce(report: _Report, column: Column, values: pd.Series) -> pd.Series:
    """The column in its registry type; rows that cannot be converted are reported."""
    blank = _blank(values)
    if column.type == "str":
        text = values.astype("string").str.strip().astype(object)
        text[blank.to_numpy()] = None  # empty text is missing: None, not pd.NA or ""
        return text
    if column.type == "bool":
        text = values.astype("string").str.strip().str.lower()
        truth = text.map({"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False})
        report.rows(~blank & truth.isna(), lambda i: f"{column.name}: {shown(values.iloc[i])} is not true or false")
        return truth.astype("boolean")
    numbers = pd.to_numeric(values.astype("string").str.strip().str.replace(",", "", regex=False), errors="coerce")
    report.rows(~blank & numbers.isna(), lambda i: f"{column.name}: {shown(values.iloc[i])} is not a number")
    if column.type == "int":
        fractional = numbers.notna() & (numbers % 1 != 0)
        report.rows(fractional, lambda i: f"{column.name}: {shown(values.iloc[i])} is not a whole number")
        return numbers.where(~fractional).astype("Int64")
    return numbers.astype(float)


def check_columns(spec: LayerSpec, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[DataProblem]]:
    """Check and convert every column of `frame` as the registry says; returns (frame, problems)."""
    report = _Report(spec, frame)
    missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
    for name in missing:
        report.whole(f"missing column {name!r} (the {spec.id} layer needs: "
                     f"{', '.join(c.name for c in spec.columns if c.required)})")
    if missing:
        return frame, report.problems
    frame = frame.copy()
    for column in spec.columns:
        if column.name not in frame.columns:
            frame[column.name] = None
        raw = frame[column.name]
        values = _coerce(report, column, raw)
        present = ~_blank(raw)
        if not column.nullable:
            report.rows(~present, lambda i, c=column: f"{c.name}: empty, but a value is required")
        if column.choices:
            report.rows(present & ~values.isin(column.choices),
                        lambda i, c=column: f"{c.name}: {shown(raw.iloc[i])} is not one of {', '.join(c.choices)}")
        if column.pattern:
            rx = re.compile(column.pattern)
            report.rows(present & ~values.map(lambda v: bool(rx.fullmatch(str(v))) if v is not None else True),
                        lambda i, c=column: f"{c.name}: {shown(raw.iloc[i])} does not have the form {c.pattern}")
        if column.minimum is not None:
            report.rows(values.notna() & (values < column.minimum) if column.type != "str" else False,
                        lambda i, c=column: f"{c.name}: {shown(raw.iloc[i])} is below the minimum {c.minimum:g}")
        if column.maximum is not None:
            report.rows(values.notna() & (values > column.maximum) if column.type != "str" else False,
                        lambda i, c=column: f"{c.name}: {shown(raw.iloc[i])} is above the maximum {c.maximum:g}")
        frame[column.name] = values
    keys = list(spec.key_columns)
    duplicated = frame.duplicated(keys, keep=False) & frame[keys].notna().all(axis=1)
    first = {}
    for i, key in enumerate(map(tuple, frame[keys].astype(str).to_numpy())):
        first.setdefault(key, i)
    report.rows(duplicated, lambda i: f"duplicate key {'/'.join(map(str, frame[keys].iloc[i]))!r} (also "
                                      f"{row_label(spec, frame, first[tuple(frame[keys].astype(str).iloc[i])])})")
    return frame, report.problems


def check_geometry(spec: LayerSpec, frame: gpd.GeoDataFrame) -> list[DataProblem]:
    """Geometry present, of the registry's type, valid, and in lon/lat degrees."""
    report = _Report(spec, frame)
    crs = frame.crs
    if crs is not None and crs.to_epsg() != 4326 and not crs.equals("OGC:CRS84"):
        report.whole(f"coordinate system is {crs.to_string()}; layers must be WGS-84 lon/lat "
                     "(EPSG:4326). Import the file with its CRS declared to convert it.")
        return report.problems
    geometry = frame.geometry
    empty = geometry.isna() | geometry.is_empty
    report.rows(empty, lambda i: "no geometry")
    present = ~empty
    kinds = geometry.geom_type
    report.rows(present & ~kinds.isin(spec.geometry),
                lambda i: f"geometry is a {kinds.iloc[i]}; this layer takes {' or '.join(spec.geometry)}")
    bounds = geometry.bounds
    outside = present & ((bounds.minx < -180) | (bounds.maxx > 180) | (bounds.miny < -90) | (bounds.maxy > 90))
    report.rows(outside, lambda i: f"coordinates ({bounds.minx.iloc[i]:.0f}, {bounds.miny.iloc[i]:.0f}) are not "
                                   "lon/lat degrees: is the file in a projected CRS?")
    invalid = present & ~outside & ~geometry.is_valid
    report.rows(invalid, lambda i: f"invalid geometry: {shapely.is_valid_reason(geometry.iloc[i])}")
    return report.problems


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
                        lambda i, c=column, t=target, k=target_key, v=values:
                        f"{c.name}: unknown {t[:-1] if t.endswith('s') else t} {shown(v.iloc[i])} "
                        f"(no {k} like it in {specs[t].filename})")
        problems += report.problems
    return problems
