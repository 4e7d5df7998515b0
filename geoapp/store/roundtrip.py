"""Whether a layer reads back from a store exactly as it was written.

Both stores write a new version, read it back and compare it with what they were given before
they publish it (and `check_storable` does the same without publishing, for `geoapp validate`).
Text that a driver cuts (GDAL ends a string at a NUL byte), numbers it rounds or geometry it
changes are caught here, named by row and field, and nothing is published.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geoapp.layers import LAYERS
from geoapp.messages import N_, Message, message

MAX_DIFFERENCES = 10
GEOMETRY_TOLERANCE_DEGREES = 1e-9


def _key(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    keys = frame[columns[0]].astype(str)
    for column in columns[1:]:
        keys = keys.str.cat(frame[column].astype(str), sep="/")
    return keys


def _same_values(written: pd.Series, stored: pd.Series, kind: str) -> np.ndarray:
    if kind == "str":
        a = written.astype(object).where(written.notna(), None).to_numpy(dtype=object)
        b = stored.astype(object).where(stored.notna(), None).to_numpy(dtype=object)
        return np.asarray(a == b, dtype=bool)  # element by element; None equals None
    if kind == "bool":
        a, b = written.astype("boolean"), stored.astype("boolean")
        return ((a == b) | (a.isna() & b.isna())).fillna(False).to_numpy(dtype=bool)
    a = pd.to_numeric(written, errors="coerce").astype(float).to_numpy()
    b = pd.to_numeric(stored, errors="coerce").astype(float).to_numpy()
    return (a == b) | (np.isnan(a) & np.isnan(b))


def differences(layer_id: str, written: pd.DataFrame, stored: pd.DataFrame) -> list[Message]:
    """What changed between `written` and the `stored` frame read back (empty when nothing)."""
    spec = LAYERS[layer_id]
    if len(written) != len(stored):
        return [message(N_("%(layer)s: %(written)s rows were written but %(stored)s read back"),
                        layer=layer_id, written=len(written), stored=len(stored))]
    keys = spec.key_columns
    written = written.assign(_key=_key(written, keys)).sort_values("_key", kind="stable").reset_index(drop=True)
    stored = stored.assign(_key=_key(stored, keys)).sort_values("_key", kind="stable").reset_index(drop=True)
    found: list[Message] = []
    for column in spec.columns:
        if column.name not in written.columns:  # an older version, from before the column existed
            continue
        if column.name not in stored.columns:
            if written[column.name].notna().any():
                found.append(message(N_("%(layer)s: the column %(column)s was not stored"), layer=layer_id,
                                     column=column.name))
            continue
        same = _same_values(written[column.name], stored[column.name], column.type)
        for i in np.flatnonzero(~same)[:MAX_DIFFERENCES]:
            found.append(message(N_("%(layer)s %(key)s: %(column)s %(written)r was stored as %(stored)r"),
                                 layer=layer_id, key=written["_key"].iloc[i], column=column.name,
                                 written=written[column.name].iloc[i], stored=stored[column.name].iloc[i]))
    if not spec.is_table:
        a, b = written.geometry.to_numpy(), stored.geometry.to_numpy()
        same = shapely.equals_exact(a, b, tolerance=GEOMETRY_TOLERANCE_DEGREES) | (shapely.is_missing(a) & shapely.is_missing(b))
        for i in np.flatnonzero(~same)[:MAX_DIFFERENCES]:
            found.append(message(N_("%(layer)s %(key)s: the geometry changed when stored"), layer=layer_id,
                                 key=written["_key"].iloc[i]))
    return found[:MAX_DIFFERENCES]
