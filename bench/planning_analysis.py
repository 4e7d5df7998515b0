"""Server time of the planning analysis at county scale (target: at most 20 ms).

    .venv/bin/python bench/planning_analysis.py [--runs 200]

Times `analyse_site` alone and the whole `POST /api/plan/analyse` request (through Flask's
test client: parsing, analysis, JSON), for a point and for a polygon across a township and a
zone border, and `GET /api/plan/candidates` once per industry. Medians and 95th percentiles.
"""
from __future__ import annotations

import argparse
import statistics
import time

from shapely.geometry import Point, Polygon, mapping

from geoapp import create_app
from geoapp.analysis.planning import analyse_site
from geoapp.layers import INDUSTRIES

POINT = Point(102.62, 29.50)
POLYGON = Polygon([(102.60, 29.49), (102.63, 29.49), (102.63, 29.51), (102.60, 29.51)])


def timings(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    app = create_app({"GEOAPP_TILES": "blank"})
    context = app.extensions["geoapp"].planning
    client = app.test_client()
    print(f"{'what':<44}{'median ms':>10}{'p95 ms':>9}")
    for name, site in (("point", POINT), ("polygon across borders", POLYGON)):
        median, p95 = timings(lambda site=site: analyse_site(context, site, "pear"), args.runs)
        print(f"{'analyse_site, ' + name:<44}{median:>10.1f}{p95:>9.1f}")
        body = {"type": "Feature", "properties": {"industry": "pear"}, "geometry": mapping(site)}
        median, p95 = timings(lambda body=body: client.post("/api/plan/analyse", json=body), args.runs)
        print(f"{'POST /api/plan/analyse, ' + name:<44}{median:>10.1f}{p95:>9.1f}")
    median, p95 = timings(lambda: [client.get(f"/api/plan/candidates?industry={i}&n=10") for i in INDUSTRIES], 5)
    print(f"{'GET /api/plan/candidates, all 8 industries':<44}{median:>10.1f}{p95:>9.1f}")


if __name__ == "__main__":
    main()
