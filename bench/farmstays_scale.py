"""The farm-stay page from 16 to 500,000 farm stays: bytes, server time, time to interactive.

    .venv/bin/python bench/farmstays_scale.py      # 16 (committed), 20,000, 100,000, 500,000
    .venv/bin/python bench/farmstays_scale.py --sizes 16 20000

The large sets are random points inside the county's townships (fixed seed), written to a
copy of the data dir (`geoapp.sample.synthetic.write_many_farm_stays`). "start": creating the app
(load, check, analyse; seeding a fresh instance store). Server columns: one request each
after start, through the test client. Browser: headless chromium at 390x844 (a phone); time
to interactive is from navigation start until the first page of the list and the map of the
first view are drawn (`geoapp.farmstays.loaded`); "browser bytes" is every response's body.
"""
from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the browser helpers live in tests/


from geoapp import create_app
from tests.conftest import (
    LiveServer,
    copy_of_data,
    headless_chromium,
)


def data_dir_with(n: int) -> Path:
    """A copy of geodata/ whose farm_stays layer has `n` farm stays (16: the committed one)."""
    return copy_of_data(Path(tempfile.mkdtemp(prefix=f"geoapp-stays-{n}-")), farm_stays=n if n != 16 else None)


def timed(client, url: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    body = client.get(url).data
    return time.perf_counter() - start, body


def measure(n: int, browser) -> dict:
    data = data_dir_with(n)
    start = time.perf_counter()
    app = create_app({"GEOAPP_DATA_DIR": data, "GEOAPP_TILES": "blank", "GEOAPP_INSTANCE": tempfile.mkdtemp()})
    started = time.perf_counter() - start
    client = app.test_client()
    server, raw = timed(client, "/farmstays?lang=zh")
    api, _ = timed(client, "/api/farmstays?stars_min=4&price_max=200&limit=50")
    dated, _ = timed(client, "/api/farmstays?from=2027-03-20&to=2027-03-25&limit=50")
    text, _ = timed(client, "/api/farmstays?q=qingxi&limit=50")
    view, _ = timed(client, "/api/farmstays/map?bbox=102.2,29.1,102.9,29.9&zoom=10")
    server_to = LiveServer(app)
    try:
        page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        sizes = []
        page.on("response", lambda r: sizes.append(len(r.body()) if r.ok else 0))
        start = time.perf_counter()
        page.goto(server_to.url + "/farmstays?lang=zh")
        page.wait_for_function("() => window.geoapp && geoapp.farmstays && geoapp.farmstays.loaded >= 1",
                               timeout=300_000)
        interactive = time.perf_counter() - start
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
        page.close()
    finally:
        server_to.stop()
    return {"n": n, "start_s": started, "bytes": len(raw), "gzip": len(gzip.compress(raw, 6)), "server_s": server,
            "api_s": api, "dated_s": dated, "text_s": text, "map_s": view, "interactive_s": interactive,
            "browser_bytes": sum(sizes), "heap_mb": heap / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 20_000, 100_000, 500_000])
    args = parser.parse_args()
    with headless_chromium() as browser:
        rows = [measure(n, browser) for n in args.sizes]
    print("| farm stays | start s | page gzip | page s | filtered s | dated s | text s | map s "
          "| browser bytes | JS heap MB | interactive s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']:,} | {r['start_s']:.1f} | {r['gzip']:,} | {r['server_s']:.3f} | {r['api_s']:.3f} "
              f"| {r['dated_s']:.3f} | {r['text_s']:.3f} | {r['map_s']:.3f} | {r['browser_bytes']:,} "
              f"| {r['heap_mb']:.0f} | {r['interactive_s']:.2f} |")


if __name__ == "__main__":
    main()
