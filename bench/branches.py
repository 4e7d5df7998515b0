"""The branches' list and pages at several counties' size (issue 20: "/api/branches for 500
branches answers in well under a second").

    .venv/bin/python bench/branches.py [--counties 5] [--runs 5]

Builds the sample county `--counties` times side by side (`geoapp sample --counties`: 106
organisations and about 5,700 five-day activities each), starts the app on it (GeoPackage
store, blank base map) and times, through Flask's test client (no network), the first and the
following answers of: the list of every organisation with its standing, the red ones, the
standing of an earlier month (computed on first use, then kept), one branch's JSON and page.
Also: how long the standing of every organisation takes when the data is loaded.
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


def timed(client, path: str, runs: int) -> tuple[float, float, int]:
    """(first answer s, median of the next `runs` s, bytes) of GET `path`."""
    began = time.perf_counter()
    response = client.get(path)
    first = time.perf_counter() - began
    assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - began)
    return first, statistics.median(times), len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counties", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from geoapp.analysis.branches import standing
    from geoapp.sample import synthetic, write_sample
    from tests.conftest import make_app
    work = Path(tempfile.mkdtemp(prefix="geoapp-branches-"))
    one, data = work / "one", work / "data"
    write_sample(one)
    synthetic.replicate_counties(one, data, args.counties)
    app = make_app(data, work / "instance")
    version = app.extensions["geoapp"].newest
    organisations, activities = version.dataset["party_organisations"], version.dataset["branch_activities"]
    began = time.perf_counter()
    standing(organisations, activities)
    print(f"{len(organisations)} organisations, {len(activities)} activities; standing of all computed in "
          f"{(time.perf_counter() - began) * 1000:.0f} ms")
    client = app.test_client()
    branch = organisations.id.iloc[len(organisations) // 2]
    print(f"{'request':<42} {'first ms':>9} {'warm ms':>8} {'bytes':>9}")
    for path in ("/api/branches", "/api/branches?status=red", "/api/branches?as_of=2015-09",
                 f"/api/branches/{branch}", f"/branches/{branch}"):
        first, warm, size = timed(client, path, args.runs)
        print(f"{path:<42} {first * 1000:>9.0f} {warm * 1000:>8.0f} {size:>9,}")


if __name__ == "__main__":
    main()
