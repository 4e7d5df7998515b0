"""Rows as plain JSON-ready values (numpy numbers become int/float, missing values None)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def plain(value):
    """`value` as a plain Python value that json.dumps accepts."""
    if isinstance(value, (list, tuple, dict)):
        return value
    if value is None or pd.isna(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() else round(float(value), 2)
    return value


def plain_values(values: np.ndarray) -> list:
    """`plain` over an array, with the work done per array where its type allows."""
    if values.dtype.kind in "iub":
        return values.tolist()
    if values.dtype.kind == "f":
        return [None if v != v else (int(v) if v.is_integer() else round(v, 2)) for v in values.tolist()]
    return [v if v is None or type(v) is str else plain(v) for v in values.tolist()]


def records(frame: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    """The rows of `frame` (without geometry) as dicts of plain values."""
    columns = [c for c in (columns or frame.columns) if c != "geometry"]
    return [{c: plain(v) for c, v in zip(columns, row)} for row in frame[columns].itertuples(index=False)]
