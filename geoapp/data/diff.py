"""What a file would change in a layer, against the version served: the rows it adds and removes
and, for the rows it keeps, each value it changes (old → new) and how far each shape moves — said
before anything is imported (`/admin/data`, `geoapp validate`), so the data keeper sees "FS04
price 160 → 167" rather than a row count. Importing what is already served changes nothing."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.crs import METRIC_CRS
from geoapp.layers import LayerSpec

SHOWN = 50   # the changed values listed one by one; the rest are counted


@dataclass(frozen=True)
class ValueChange:
    key: str
    column: str       # a column's name, or "geometry"
    old: object
    new: object       # for a geometry: the metres it moved (a point) or None (a shape redrawn)


@dataclass
class LayerChanges:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed_rows: int = 0
    values: list[ValueChange] = field(default_factory=list)   # the first SHOWN of them
    more_values: int = 0                                      # changed values not listed

    @property
    def nothing(self) -> bool:
        return not self.added and not self.removed and not self.changed_rows

    def lines(self) -> list[str]:
        """The changes as lines for a terminal (the page says them with the catalog's words)."""
        said = [f"{len(self.added)} added, {len(self.removed)} removed, {self.changed_rows} changed"]
        said += [f"+ {k}" for k in self.added[:SHOWN]] + [f"- {k}" for k in self.removed[:SHOWN]]
        for change in self.values:
            if change.column == "geometry":
                said.append(f"~ {change.key} geometry " + (f"moved {change.new:.0f} m" if change.new is not None
                                                            else "redrawn"))
            else:
                said.append(f"~ {change.key} {change.column} {shown(change.old)} → {shown(change.new)}")
        if self.more_values:
            said.append(f"… and {self.more_values} more changed values")
        return said


def shown(value) -> str:
    """A value as the change list shows it: empty as "—", whole floats without ".0"."""
    if _missing(value):
        return "—"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    if isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return str(a) == str(b)


def _keys(frame: pd.DataFrame, layer: LayerSpec) -> pd.Index:
    columns = list(layer.key_columns)
    if len(columns) == 1:
        return pd.Index(frame[columns[0]].astype(str))
    return pd.Index(frame[columns].astype(str).agg("/".join, axis=1))


def layer_changes(layer: LayerSpec, served: pd.DataFrame, new: pd.DataFrame) -> LayerChanges:
    """What replacing `served` by `new` (both checked frames of `layer`) changes."""
    old_rows = served.set_axis(_keys(served, layer))
    new_rows = new.set_axis(_keys(new, layer))
    old_rows = old_rows[~old_rows.index.duplicated()]
    new_rows = new_rows[~new_rows.index.duplicated()]
    changes = LayerChanges(added=sorted(new_rows.index.difference(old_rows.index)),
                           removed=sorted(old_rows.index.difference(new_rows.index)))
    kept = new_rows.index.intersection(old_rows.index).sort_values()
    before, after = old_rows.loc[kept], new_rows.loc[kept]
    changed = np.zeros(len(kept), dtype=bool)
    found: list[ValueChange] = []
    total = 0
    for column in (c.name for c in layer.columns):
        if column not in before or column not in after:
            continue
        differs = np.fromiter((not _same(a, b) for a, b in zip(before[column].tolist(), after[column].tolist())),
                              dtype=bool, count=len(kept))
        changed |= differs
        total += int(differs.sum())
        found += [ValueChange(str(k), column, before[column].iat[i], after[column].iat[i])
                  for i, k in zip(np.flatnonzero(differs)[:SHOWN], kept[differs][:SHOWN])]
    if not layer.is_table and len(kept):
        moved = _geometry_changes(before, after, kept, changed)
        found += moved[0]
        total += moved[1]
    changes.changed_rows = int(changed.sum())
    found.sort(key=lambda c: (c.key, c.column))
    changes.values = found[:SHOWN]
    changes.more_values = total - len(changes.values)
    return changes


def _geometry_changes(before, after, kept: pd.Index, changed: np.ndarray) -> tuple[list[ValueChange], int]:
    """The first shapes that moved (a point: how many metres) or were redrawn, and how many did;
    marks their rows changed."""
    old_shapes, new_shapes = before.geometry.to_numpy(), after.geometry.to_numpy()
    differs = ~shapely.equals_exact(old_shapes, new_shapes, tolerance=1e-7)   # (1 cm: a round trip is no move)
    changed |= differs
    where = np.flatnonzero(differs)[:SHOWN]
    if not len(where):
        return [], 0
    points = shapely.get_type_id(old_shapes[where]) == 0
    metres = np.full(len(where), np.nan)
    if points.any():
        pair = gpd.GeoSeries(np.concatenate([old_shapes[where][points], new_shapes[where][points]]),
                             crs=before.crs).to_crs(METRIC_CRS).to_numpy()
        half = int(points.sum())
        metres[points] = shapely.distance(pair[:half], pair[half:])
    return ([ValueChange(str(kept[i]), "geometry", None, None if math.isnan(m) else float(m))
             for i, m in zip(where, metres)], int(differs.sum()))
