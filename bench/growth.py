"""How each public route's cost grows with the data (issue 23: "a growth table for every
route, with the exponent, none above 1.1").

    .venv/bin/python bench/growth.py counties [1 10 30]
    .venv/bin/python bench/growth.py stays [5000 50000 500000]

`counties`: the sample county N times side by side (`geoapp sample --counties N`: zones,
townships, organisations, activities all ×N). `stays`: the sample county with N random farm
stays (`geoapp.sample.synthetic.write_many_farm_stays`). For each size the app is made on the
data (GeoPackage store, blank base map) and each route asked through Flask's test client (no
network): the first answer and the median of the next `--runs`. The exponent k between two
sizes is log(t₂/t₁) / log(n₂/n₁) of the warm medians: 1 grows as the data, 0 is flat. A warm
answer under 2 ms is noise-bound (the exponent between two such is not meaningful).
"""
from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def routes(app) -> dict[str, str]:
    """The routes to time, named, with ids from the data the app serves."""
    version = app.extensions["geoapp"].newest
    dataset = version.dataset
    zone = dataset["zones"].id.iloc[0]
    branch = dataset["party_organisations"].id.iloc[len(dataset["party_organisations"]) // 2]
    stay = dataset["farm_stays"].id.iloc[len(dataset["farm_stays"]) // 2]
    west, south, east, north = dataset["county"].total_bounds  # the first county
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    return {
        "home /": "/?lang=zh",
        "/coverage": "/coverage?lang=zh",
        "/api/summary": "/api/summary",
        "zone page": f"/zones/{zone}?lang=zh",
        "/api/zones": "/api/zones",
        "branch page": f"/branches/{branch}?lang=zh",
        "/api/branches": "/api/branches",
        "/farmstays": "/farmstays?lang=zh",
        "/api/farmstays 20": "/api/farmstays?limit=20",
        "stays map, first view": f"/api/farmstays/map?bbox={west},{south},{east},{north}&zoom=10",
        "stays map, a town": f"/api/farmstays/map?bbox={mid_x - 0.03},{mid_y - 0.03},{mid_x + 0.03},{mid_y + 0.03}&zoom=14",
        "stays map, 4 stars": f"/api/farmstays/map?bbox={west},{south},{east},{north}&zoom=10&stars_min=4",
        "stay page": f"/farmstays/{stay}?lang=zh",
        "OGC items 50": "/ogc/collections/farm_stays/items?limit=50",
        "OGC items 50, bbox": f"/ogc/collections/farm_stays/items?limit=50&bbox={mid_x - 0.05},{mid_y - 0.05},{mid_x + 0.05},{mid_y + 0.05}",
        "tile z12 stays": _tile_path("farm_stays", 12, mid_x, mid_y),
        "tile z10 townships": _tile_path("townships", 10, mid_x, mid_y),
    }


def _tile_path(layer: str, z: int, lon: float, lat: float) -> str:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt"


def timed(client, path: str, runs: int) -> tuple[float, float]:
    began = time.perf_counter()
    response = client.get(path)
    first = time.perf_counter() - began
    assert response.status_code in (200, 204), (path, response.status_code)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(path)
        times.append(time.perf_counter() - began)
    return first, statistics.median(times)


def data_for(axis: str, size: int, work: Path) -> Path:
    from geoapp.sample import synthetic
    from tests.conftest import copy_of_data
    if axis == "counties":
        one = work / "one"
        if not one.exists():
            copy_of_data(work / "one-parent")
            (work / "one-parent" / "data").rename(one)
        synthetic.replicate_counties(one, work / f"counties-{size}", size)
        return work / f"counties-{size}"
    return copy_of_data(work / f"stays-{size}", farm_stays=size, seed=3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("axis", choices=["counties", "stays"])
    parser.add_argument("sizes", type=int, nargs="*")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sizes = args.sizes or ([1, 10, 30] if args.axis == "counties" else [5_000, 50_000, 500_000])
    from tests.conftest import make_app
    work = Path(tempfile.mkdtemp(prefix="geoapp-growth-"))
    table: dict[str, dict[int, tuple[float, float]]] = {}
    for size in sizes:
        data = data_for(args.axis, size, work)
        began = time.perf_counter()
        app = make_app(data, work / f"instance-{size}")
        start = time.perf_counter() - began
        table.setdefault("start-up (create_app)", {})[size] = (start, start)
        client = app.test_client()
        for name, path in routes(app).items():
            table.setdefault(name, {})[size] = timed(client, path, args.runs)
        print(f"{args.axis}={size}: measured (start-up {start:.1f} s)", file=sys.stderr, flush=True)
    head = " | ".join(f"{s:,} first / warm ms" for s in sizes)
    exps = " | ".join(f"k {a:,}→{b:,}" for a, b in itertools.pairwise(sizes))
    print(f"| route | {head} | {exps} |")
    print("|---|" + "---:|" * (len(sizes) + len(sizes) - 1))
    for name, by_size in table.items():
        cells = " | ".join(f"{by_size[s][0] * 1000:,.0f} / {by_size[s][1] * 1000:,.1f}" for s in sizes)
        ks = []
        for a, b in itertools.pairwise(sizes):
            ta, tb = by_size[a][1], by_size[b][1]
            ks.append("—" if max(ta, tb) < 0.002 else f"{math.log(tb / ta) / math.log(b / a):.2f}")
        print(f"| {name} | {cells} | {' | '.join(ks)} |")


if __name__ == "__main__":
    main()
