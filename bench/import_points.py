"""Importing 100,000 farm-stay points: the time of each stage, through the CLI's own functions.

    .venv/bin/python bench/import_points.py [--n 100000]

The points are random inside the county (fixed seed), with valid townships, written as
GeoJSON; the store is a fresh instance folder seeded from geodata/.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the generator lives in tests/

from geoapp.config import ROOT
from geoapp.data.imports import prepare_import, publish_import
from geoapp.data.load import load_store, open_dataset
from geoapp.store import open_stores
from tests.test_data_imports import many_farm_stays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-import-bench-"))
    start = time.perf_counter()
    path = many_farm_stays(args.n, work / "stays.geojson")
    print(f"made {args.n:,} points ({path.stat().st_size / 1e6:.1f} MB GeoJSON) in {time.perf_counter() - start:.1f} s")
    store = open_stores(work / "instance").layers
    dataset = open_dataset(store, ROOT / "geoapp" / "geodata")
    stages: dict[str, float] = {}
    last = [time.perf_counter(), "start"]

    def progress(stage: str, fraction: float) -> None:
        now = time.perf_counter()
        stages[last[1]] = stages.get(last[1], 0) + now - last[0]
        last[:] = [now, stage]

    begin = time.perf_counter()
    report = prepare_import(path, "farm_stays", dataset, progress=progress)
    assert report.ok, report.lines()[:5]
    version = publish_import(store, report, "bench", progress)
    total = time.perf_counter() - begin
    reload_start = time.perf_counter()
    load_store(store)
    reload = time.perf_counter() - reload_start
    for stage, seconds in stages.items():
        if stage != "start":
            print(f"  {stage:<28}{seconds:7.2f} s")
    print(f"import of {args.n:,} points as farm_stays v{version}: {total:.1f} s; "
          f"store {store.path.stat().st_size / 1e6:.1f} MB; reloading the whole dataset {reload:.1f} s")


if __name__ == "__main__":
    main()
