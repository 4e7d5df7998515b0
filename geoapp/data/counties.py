"""Synthetic data for several counties: the county's layers and tables copied side by side,
each copy moved east and given its own keys, so every invariant the checks hold for one
county (each point in the township it names, every reference resolving) holds for all of
them. For benchmarks and tests of the many-county pages (`geoapp sample --counties N`)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geoapp.data.files import write_csv, write_geojson
from geoapp.data.load import load_dataset
from geoapp.layers import LAYERS

SPACING_DEG = 0.8   # each copy this far east of the last (the county is about 0.7° wide)


def _letters(k: int) -> str:
    """A suffix of letters for copy k (township codes are letters only): 1 -> 'zzb'."""
    return "zz" + chr(ord("a") + k % 26) * (1 + k // 26)


def _keyed(value, target: str, k: int):
    """`value`, a key of layer `target`, as copy k names it."""
    if value is None or (isinstance(value, float) and value != value) or k == 0:
        return value
    return f"{value}{_letters(k)}" if target == "townships" else f"{value}-c{k}"


def replicate_counties(data_dir: Path, out: Path, counties: int) -> list[Path]:
    """Write to `out` the layers of `data_dir` for `counties` counties: copy 0 as it is, copy k
    moved k × SPACING_DEG east with its keys suffixed and its townships naming their county."""
    dataset = load_dataset(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in LAYERS.values():
        if spec.id not in dataset:
            continue
        frame = dataset[spec.id]
        copies = []
        for k in range(counties):
            copy = frame.copy()
            for column in spec.columns:
                if column.name not in copy.columns:
                    continue
                own_key = tuple(spec.key_columns) == (column.name,)  # (a year in a composite key stays a year)
                target = spec.id if own_key and not column.references else column.references
                if target:
                    copy[column.name] = [_keyed(v, target, k) for v in copy[column.name]]
            if spec.id == "townships":
                copy["county"] = _keyed(dataset["county"].code.iloc[0], "county", k)
                copy["seat_lon"] = copy.seat_lon + k * SPACING_DEG
            if spec.id == "loans" and k:  # other people in another county
                copy["recipient"] = [f"{name}（{k + 1}）" for name in copy.recipient]
            if not spec.is_table:
                copy = copy.set_geometry(shapely.transform(copy.geometry.to_numpy(),
                                                           lambda xy, dx=k * SPACING_DEG: xy + [dx, 0]))
            copies.append(copy)
        joined = pd.concat(copies, ignore_index=True)
        path = out / spec.filename
        if spec.is_table:
            write_csv(joined, path)
        else:
            write_geojson(gpd.GeoDataFrame(joined, geometry="geometry", crs=frame.crs), path)
        written.append(path)
    return written
