"""Farm-stay page at 16 and at 20,000 farm stays: page weight, server time, time to interactive.

    .venv/bin/python bench/farmstays_scale.py            # 16 (committed) and 20,000 (generated)
    .venv/bin/python bench/farmstays_scale.py --sizes 16 2000 20000

The large sets are random points inside the county boundary (fixed seed), written to a copy
of the data dir. Time to interactive: from navigation start until every farm stay found is
on the map (`geoapp.layers.farm_stays`), in headless chromium on this machine.
"""
from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the browser helpers live in tests/

import geopandas as gpd
import numpy as np
from playwright.sync_api import sync_playwright

from geoapp import create_app
from geoapp.config import ROOT
from geoapp.crs import to_metric
from geoapp.data.files import write_geojson
from geoapp.layers import LAYERS
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer


def data_dir_with(n: int) -> Path:
    """A copy of geodata/ whose farm_stays layer has `n` farm stays (16: the committed one)."""
    out = Path(tempfile.mkdtemp(prefix=f"geoapp-stays-{n}-"))
    for spec in LAYERS.values():
        shutil.copy(ROOT / "geodata" / spec.filename, out / spec.filename)
    if n == 16:
        return out
    rng = np.random.default_rng(20_000)
    townships = gpd.read_file(out / "townships.geojson")
    metric = to_metric(townships)
    minx, miny, maxx, maxy = metric.total_bounds
    xs, ys = rng.uniform(minx, maxx, n * 3), rng.uniform(miny, maxy, n * 3)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=metric.crs)
    located = gpd.sjoin(points, metric[["code", "geometry"]], predicate="within").head(n)
    zh = townships.set_index("code").name_zh
    stays = gpd.GeoDataFrame({
        "id": [f"G{i:05d}" for i in range(n)],
        "name_zh": [f"{zh[c]}农家乐{i}号" for i, c in enumerate(located.code)],
        "name_en": None,
        "stars": rng.integers(1, 6, n), "price": rng.integers(4, 40, n) * 10.0, "beds": rng.integers(4, 80, n),
        "phone": [f"0835-4{i:06d}" for i in range(n)], "township": located.code.to_numpy(), "zone": None,
        "season": None, "dishes": None, "address_zh": None, "source": "benchmark: random",
    }, geometry=located.geometry.to_numpy(), crs=metric.crs)
    write_geojson(stays, out / "farm_stays.geojson")
    return out


def measure(n: int, browser) -> dict:
    app = create_app({"GEOAPP_DATA_DIR": data_dir_with(n), "GEOAPP_TILES": "blank",
                      "GEOAPP_INSTANCE": tempfile.mkdtemp()})
    client = app.test_client()
    start = time.perf_counter()
    raw = client.get("/farmstays?lang=zh").data
    server = time.perf_counter() - start
    api_start = time.perf_counter()
    client.get("/api/farmstays?stars_min=4&price_max=200&limit=100")
    api = time.perf_counter() - api_start
    server_to = LiveServer(app)
    try:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        start = time.perf_counter()
        page.goto(server_to.url + "/farmstays?lang=zh")
        page.wait_for_function(f"window.geoapp && geoapp.layers.farm_stays && "
                               f"Object.keys(geoapp.layers.farm_stays).length >= {n}", timeout=120_000)
        interactive = time.perf_counter() - start
        page.close()
    finally:
        server_to.stop()
    return {"n": n, "bytes": len(raw), "gzip": len(gzip.compress(raw, 6)), "server_s": server,
            "api_s": api, "interactive_s": interactive}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 20_000])
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        rows = [measure(n, browser) for n in args.sizes]
        browser.close()
    print(f"{'farm stays':>10}{'page bytes':>12}{'gzip':>10}{'server s':>10}{'api s':>8}{'interactive s':>15}")
    for r in rows:
        print(f"{r['n']:>10,}{r['bytes']:>12,}{r['gzip']:>10,}{r['server_s']:>10.3f}{r['api_s']:>8.3f}"
              f"{r['interactive_s']:>15.2f}")


if __name__ == "__main__":
    main()
