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


def records(frame: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    """The rows of `frame` (without geometry) as dicts of plain values."""
    columns = [c for c in (columns or frame.columns) if c != "geometry"]
    return [{c: plain(v) for c, v in zip(columns, row)} for row in frame[columns].itertuples(index=False)]
