"""Synthetic data at scale, for benchmarks and tests (`geoapp sample --counties N
--townships-per-county M --farm-stays K`): a county split into many townships, many farm
stays, and the county's layers and tables copied side by side, each copy moved east and given
its own keys. Every invariant the checks hold for the sample county (each point in the
township it names, every reference resolving) holds for what these write."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.crs import METRIC_CRS, to_metric, to_storage
from geoapp.data.files import write_csv, write_geojson
from geoapp.data.load import load_dataset
from geoapp.layers import LAYERS

SPACING_DEG = 0.8   # each copy this far east of the last (the county is about 0.7° wide) …
COPIES_PER_ROW = 10  # … and every tenth copy starts a row this far north (100 copies stay within 111° E, 37° N)


def _offset(k: int) -> tuple[float, float]:
    """How far (degrees east, north) copy k lies from the county."""
    return (k % COPIES_PER_ROW) * SPACING_DEG, (k // COPIES_PER_ROW) * SPACING_DEG


def write_many_farm_stays(data_dir: Path, n: int, seed: int = 20_000) -> None:
    """Replace the farm stays in `data_dir` by `n` random ones inside the county's townships
    (fixed seed; each in the township it names; Chinese names only, so English names and
    pinyin are made at load as for real data without them), for scale tests and benchmarks."""
    rng = np.random.default_rng(seed)
    townships = gpd.read_file(data_dir / "townships.geojson")
    metric = to_metric(townships)
    minx, miny, maxx, maxy = metric.total_bounds
    xs, ys = rng.uniform(minx, maxx, n * 3), rng.uniform(miny, maxy, n * 3)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=metric.crs)
    located = gpd.sjoin(points, metric[["code", "geometry"]], predicate="within").head(n)
    zh = townships.set_index("code").name_zh
    stays = gpd.GeoDataFrame({
        "id": [f"G{i:06d}" for i in range(n)],
        "name_zh": [f"{zh[c]}农家乐{i}号" for i, c in enumerate(located.code)],
        "name_en": None,
        "stars": rng.integers(1, 6, n), "price": rng.integers(4, 40, n) * 10.0, "beds": rng.integers(4, 80, n),
        "phone": [f"0835-4{i:06d}" for i in range(n)], "township": located.code.to_numpy(), "zone": None,
        "season": None, "dishes": None, "address_zh": None, "source": "benchmark: random",
    }, geometry=located.geometry.to_numpy(), crs=metric.crs)
    write_geojson(stays, data_dir / "farm_stays.geojson")


def township_code(i: int) -> str:
    """A township code of letters only (the registry's pattern) that no pinyin name takes: 0 -> 'zza'."""
    letters = ""
    while True:
        letters = chr(ord("a") + i % 26) + letters
        i = i // 26 - 1
        if i < 0:
            return "zz" + letters


def write_many_townships(data_dir: Path, n: int, seed: int = 40_000) -> None:
    """Split the county in `data_dir` into `n` townships (the 30 real seats and n-30 random
    ones; Voronoi cells clipped to the county), and move every feature's `township` to the
    one it lies in — a county drawn as finely as a province's townships, for scale tests and
    benchmarks. Tables keep naming the 30 real townships, which still exist."""
    rng = np.random.default_rng(seed)
    real = gpd.read_file(data_dir / "townships.geojson")
    county = to_metric(gpd.read_file(data_dir / "county.geojson")).geometry.union_all()
    seats = to_metric(gpd.GeoDataFrame(geometry=gpd.points_from_xy(real.seat_lon, real.seat_lat), crs=4326))
    minx, miny, maxx, maxy = county.bounds
    extra = []
    while len(extra) < n - len(real):
        candidates = shapely.points(rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n))
        extra += list(candidates[shapely.contains(county, candidates)])
    points = np.concatenate([seats.geometry.to_numpy(), np.array(extra[:n - len(real)], dtype=object)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=county))
    owner = shapely.STRtree(cells).query(points, predicate="within")  # (point, cell) pairs
    shapes = np.empty(len(points), dtype=object)
    shapes[owner[0]] = shapely.intersection(cells[owner[1]], county)
    seats_lonlat = to_storage(gpd.GeoSeries(points, crs=METRIC_CRS))
    codes = list(real.code) + [township_code(i) for i in range(n - len(real))]
    kinds = np.array(["town", "township", "ethnic township"])
    townships = gpd.GeoDataFrame({
        "code": codes,
        "name_zh": list(real.name_zh) + [f"第{i + 1}乡" for i in range(n - len(real))],
        "name_en": list(real.name_en) + [f"Township {i + 1}" for i in range(n - len(real))],
        "kind": list(real.kind) + list(kinds[rng.integers(0, 3, n - len(real))]),
        "seat_lon": seats_lonlat.x.round(6).to_numpy(), "seat_lat": seats_lonlat.y.round(6).to_numpy(),
        "area_km2_reported": None, "population": rng.integers(500, 30_000, n), "villages": rng.integers(1, 12, n),
        "main_industries": None, "coord_source": "benchmark: random", "source": "benchmark: Voronoi of random seats",
    }, geometry=to_storage(gpd.GeoSeries(shapes, crs=METRIC_CRS)).to_numpy(), crs=4326)
    write_geojson(townships, data_dir / "townships.geojson")
    located = townships[["code", "geometry"]]
    for name in ("industry_bases", "party_organisations", "cooperatives", "farm_stays", "festivals"):
        path = data_dir / f"{name}.geojson"
        if not path.exists():
            continue
        layer = gpd.read_file(path)
        if "township" not in layer.columns:
            continue
        spots = gpd.GeoDataFrame(geometry=layer.geometry.representative_point(), crs=layer.crs)
        found = gpd.sjoin(spots, located, predicate="within", how="left")
        layer["township"] = found[~found.index.duplicated()].code.reindex(layer.index).fillna(layer.township).to_numpy()
        write_geojson(layer, path)


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
    moved east in rows of ten (`_offset`) with its keys suffixed and its townships naming their
    county."""
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
                copy["seat_lon"] = copy.seat_lon + _offset(k)[0]
                copy["seat_lat"] = copy.seat_lat + _offset(k)[1]
            if spec.id == "loans" and k:  # other people in another county
                copy["recipient"] = [f"{name}（{k + 1}）" for name in copy.recipient]
            if not spec.is_table:
                shift = np.array(_offset(k))
                copy = copy.set_geometry(shapely.transform(copy.geometry.to_numpy(), lambda xy, by=shift: xy + by))
            copies.append(copy)
        joined = pd.concat(copies, ignore_index=True)
        path = out / spec.filename
        if spec.is_table:
            write_csv(joined, path)
        else:
            write_geojson(gpd.GeoDataFrame(joined, geometry="geometry", crs=frame.crs), path)
        written.append(path)
    return written
