"""The coverage page at 30, 3,000 and 40,000 townships: start-up, page weight, server time and
chromium's time to interactive.

    .venv/bin/python bench/coverage_scale.py                  # 30, 3000, 40000
    .venv/bin/python bench/coverage_scale.py --townships 30 3000

Above 30 the county is split into that many townships (`geoapp.sample.synthetic.write_many_townships`:
the 30 real seats and random ones, Voronoi cells clipped to the county; every feature's
township follows its new cell). From 2,000 townships (`GEOAPP_TILED_TOWNSHIPS_FROM`) the map
draws them from vector tiles, and cuts the tiles of the first views in a thread as soon as
the data is loaded (after a process's first request; "tiles cut ahead": the bench waits for it, so "interactive" is what a
visitor after that sees). "page": `/coverage?lang=zh`, the HTML with the map's data inline,
gzip level 6; "first"/"warm": server seconds through the test client. Browser: headless chromium
at 1280x800 on loopback, from navigation until the townships are drawn (every township shape,
or every tile in view loaded); "browser bytes": every response body the page received
(scripts, styles, tiles included), uncompressed; "bytes over the wire": the same as sent
(the app gzips pages, JSON and tiles; static files go as they are, which a proxy in front
would compress too).
"""
from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from geoapp import create_app
from tests.conftest import (
    LiveServer,
    copy_of_data,
    headless_chromium,
)

DRAWN = """() => {
  const group = window.geoapp && geoapp.groups && geoapp.groups.townships;
  if (!group) return false;
  if (!group.geoappTiled) return Object.keys(geoapp.layers.townships).length > 0;
  return document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile').length > 0 && !group.isLoading();
}"""


def measure(n: int, browser, work: Path) -> dict:
    data = copy_of_data(work / f"townships-{n}", townships=n if n > 30 else None)
    began = time.perf_counter()
    app = create_app({"GEOAPP_DATA_DIR": data, "GEOAPP_TILES": "blank", "GEOAPP_INSTANCE": work / f"instance-{n}"})
    started = time.perf_counter() - began
    app.test_client().get("/api/summary")  # a process's first request starts the cutting ahead
    while any(t.name == "geoapp-tiles-ahead" for t in threading.enumerate()):  # tiles cut ahead (many townships)
        time.sleep(0.1)
    ahead = time.perf_counter() - began - started
    client = app.test_client()
    began = time.perf_counter()
    page = client.get("/coverage?lang=zh").data
    first = time.perf_counter() - began
    began = time.perf_counter()
    client.get("/coverage?lang=zh")
    warm = time.perf_counter() - began
    server = LiveServer(app)
    try:
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        began = time.perf_counter()
        tab.goto(server.url + "/coverage?lang=zh")
        tab.wait_for_function(DRAWN, timeout=300_000)
        interactive = time.perf_counter() - began
        received, sent = tab.evaluate("""() => performance.getEntriesByType('navigation').concat(
            performance.getEntriesByType('resource')).reduce(
            (sums, e) => [sums[0] + e.decodedBodySize, sums[1] + e.encodedBodySize], [0, 0])""")
        tab.close()
    finally:
        server.stop()
    return {"n": n, "start": started, "ahead": ahead, "bytes": len(page), "gzip": len(gzip.compress(page, 6)), "first": first,
            "warm": warm, "interactive": interactive, "browser": received, "sent": sent}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--townships", type=int, nargs="+", default=[30, 3000, 40_000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-coverage-scale-"))
    try:
        with headless_chromium() as browser:
            rows = [measure(n, browser, work) for n in args.townships]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| townships | start s | tiles cut ahead s | page bytes | page gzip | first s | warm s | browser bytes "
          "| bytes over the wire | interactive s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']:,} | {r['start']:.1f} | {r['ahead']:.1f} | {r['bytes']:,} | {r['gzip']:,} | {r['first']:.2f} "
              f"| {r['warm']:.2f} "
              f"| {r['browser']:,} | {r['sent']:,} | {r['interactive']:.2f} |")


if __name__ == "__main__":
    main()
