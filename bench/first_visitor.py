"""The first visitor after an import against the next one (issue 23: "waits no longer than the
second, within 2×, on /coverage, a zone page and the report, at 40,000 townships").

    .venv/bin/python bench/first_visitor.py [--townships 40000]

The county split into `--townships` townships (`geoapp.sample.synthetic.write_many_townships`),
gunicorn with two workers and geoapp's settings, every reload counted as slow
(GEOAPP_BACKGROUND_RELOAD_AFTER=0: loaded in a thread, the old version served meanwhile — at
40,000 townships a load takes about 5 s, the threshold). The site is used once (its pages made
for the version served, its report made), then `geoapp import farm_stays` publishes the first seven stays. The
bench asks for the stays until twenty answers in a row show the new version (both workers
serve it), then times, for each page, the first answer and the next: `/coverage?lang=zh`, the
first zone's page and its map, and the report (when it is not there at the first ask: asked
every 0.2 s until it is made, from the new version being served until the PDF comes).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


def timed(port: int, path: str) -> float:
    began = time.perf_counter()
    status, _ = get(port, path)
    assert status == 200, (path, status)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--townships", type=int, default=40_000)
    args = parser.parse_args()
    from tests.conftest import copy_of_data
    work = Path(tempfile.mkdtemp(prefix="geoapp-first-"))
    data = copy_of_data(work, townships=args.townships if args.townships > 30 else None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GEOAPP_DATA_DIR": str(data), "GEOAPP_INSTANCE": str(work / "instance"),
           "GEOAPP_TILES": "blank", "GEOAPP_BACKGROUND_RELOAD_AFTER": "0"}
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "900",
                               "-c", "python:geoapp.gunicorn_conf", "geoapp.wsgi:app"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if get(port, "/api/summary")[0] == 200:
                    break
            except OSError:
                time.sleep(0.5)
        zone = json.loads(get(port, "/api/zones")[1])["zones"][0]["id"]
        pages = {"/coverage": "/coverage?lang=zh", "zone page": f"/zones/{zone}?lang=zh",
                 "zone map": f"/zones/{zone}/map.png?lang=zh"}
        report = "/coverage/report.pdf?metric=industry_branches&lang=zh"
        for _ in range(4):  # the site in use: its pages made for the version served, on both workers
            for path in pages.values():
                get(port, path)
        while get(port, report)[0] != 200:  # and its report (begun when the server started)
            time.sleep(0.5)
        stays = json.loads((data / "farm_stays.geojson").read_text(encoding="utf-8"))
        stays["features"] = stays["features"][:7]
        (work / "seven.geojson").write_text(json.dumps(stays, ensure_ascii=False), encoding="utf-8")
        began = time.perf_counter()
        subprocess.run([str(BIN / "geoapp"), "import", "farm_stays", str(work / "seven.geojson")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        in_a_row = 0
        while in_a_row < 20:
            served = json.loads(get(port, "/api/farmstays?limit=1")[1])["numberMatched"]
            in_a_row = in_a_row + 1 if served == 7 else 0
            time.sleep(0.05 if served == 7 else 0.2)
        print(f"{args.townships:,} townships: the import served by both workers {time.perf_counter() - began:.1f} s "
              "after it began")
        swapped = time.perf_counter()
        for name, path in pages.items():
            first, second = timed(port, path), timed(port, path)
            print(f"{name}: first {first * 1000:.0f} ms, next {second * 1000:.0f} ms ({first / second:.1f}×)")
        asked = time.perf_counter()
        if get(port, report)[0] == 200:  # made before the new version was served
            first, second = time.perf_counter() - asked, timed(port, report)
            print(f"the report: first {first * 1000:.0f} ms, next {second * 1000:.0f} ms ({first / second:.1f}×)")
            return
        while get(port, report)[0] != 200:
            time.sleep(0.2)
        waited = time.perf_counter() - swapped
        print(f"the report: made {waited:.1f} s after the new version was served; next {timed(port, report) * 1000:.0f} ms")
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
