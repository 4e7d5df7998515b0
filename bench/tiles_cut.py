"""Cutting the coverage map's township tiles: in memory (mapbox-vector-tile, the GeoPackage
store) beside PostGIS (ST_AsMVT, with DATABASE_URL), on the same townships.

    .venv/bin/python bench/tiles_cut.py                      # 3,000 and 40,000 townships
    .venv/bin/python bench/tiles_cut.py --townships 40000

For each count: a copy of geodata/ split into that many townships
(`geoapp.sample.synthetic.write_many_townships`), the app on a fresh GeoPackage instance and on a
fresh database of a throw-away PostGIS cluster (`tests/postgis_cluster.py`), and every tile the
coverage page's first views need (z6–z11 over the county, `geoapp.views.tiles.AHEAD_ZOOMS`) asked
for once through the test client, as the page asks (`?properties=code`, gzip). Each tile is
cut on its first request (none is cut ahead: the bench makes no request before, so no thread
runs); reported: the seconds for all of them, the slowest tile, and the bytes sent.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geoapp import create_app
from geoapp.mercator import tile_range
from geoapp.views.tiles import AHEAD_ZOOMS, TOWNSHIP_TILE_PROPERTIES
from tests.conftest import copy_of_data
from tests.postgis_cluster import PostgisCluster


def cut_all(app, bounds) -> dict:
    client = app.test_client()
    times, sent = [], 0
    for z in AHEAD_ZOOMS:
        for x, y in tile_range(bounds, z):
            began = time.perf_counter()
            response = client.get(f"/tiles/townships/{z}/{x}/{y}.mvt?properties={','.join(TOWNSHIP_TILE_PROPERTIES)}",
                                  headers={"Accept-Encoding": "gzip"})
            times.append(time.perf_counter() - began)
            assert response.status_code == 200
            sent += len(response.data)
    return {"tiles": len(times), "seconds": sum(times), "slowest": max(times), "bytes": sent}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--townships", type=int, nargs="+", default=[3000, 40_000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-tiles-cut-"))
    cluster = PostgisCluster()
    print("| townships | cut by | tiles | seconds, all | slowest tile s | bytes sent (gzip) |")
    print("|---:|---|---:|---:|---:|---:|")
    try:
        for n in args.townships:
            data = copy_of_data(work / f"t{n}", townships=n)
            for label, extra in (("app (in memory)", {}), ("PostGIS ST_AsMVT", {"DATABASE_URL": cluster.new_database()})):
                app = create_app({"GEOAPP_DATA_DIR": data, "GEOAPP_TILES": "blank",
                                  "GEOAPP_INSTANCE": work / f"instance-{n}-{len(extra)}", **extra})
                bounds = tuple(app.extensions["geoapp"].newest.analysis.dataset["county"].total_bounds)
                row = cut_all(app, bounds)
                print(f"| {n:,} | {label} | {row['tiles']} | {row['seconds']:.2f} | {row['slowest']:.2f} | "
                      f"{row['bytes']:,} |", flush=True)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
