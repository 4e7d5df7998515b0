"""What a request costs on PostGIS against the embedded GeoPackage store (issue 23, item 6: "a
request costs ≤ 1.2× the same request on the embedded store").

    .venv/bin/python bench/store_overhead.py [--runs 300]

Starts the app twice on the sample data — once on the instance GeoPackages, once on a throw-away
PostGIS cluster (as the tests do) — and times, through Flask's test client (no network), the
median of `--runs` answers of a few cheap public reads, where asking the store whether a new
version was published weighs most. Prints each route's milliseconds on both and their ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROUTES = ["/api/summary", "/api/farmstays?limit=5", "/ogc/collections/farm_stays/items?limit=5",
          "/api/branches/PO-I001"]


def median_ms(client, path: str, runs: int) -> float:
    client.get(path)   # made once per version: not what is measured
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    from tests.conftest import DATA_DIR, make_app
    from tests.postgis_cluster import PostgisCluster
    folder = Path(tempfile.mkdtemp(prefix="geoapp-bench-"))
    embedded = make_app(DATA_DIR, folder / "gpkg").test_client()
    cluster = PostgisCluster()
    try:
        database = make_app(DATA_DIR, folder / "pg", DATABASE_URL=cluster.new_database()).test_client()
        print(f"{'route':48} {'GeoPackage ms':>14} {'PostGIS ms':>11} {'ratio':>6}")
        for route in ROUTES:
            gpkg, pg = median_ms(embedded, route, args.runs), median_ms(database, route, args.runs)
            print(f"{route:48} {gpkg:14.2f} {pg:11.2f} {pg / gpkg:6.2f}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
