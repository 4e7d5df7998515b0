"""OGC API – Features throughput, geoapp side by side with the anchors, in one run.

    .venv/bin/python bench/ogc_throughput.py --sizes 50000 500000 [--seconds 8] [--reps 2]
        [--anchor /path/to/scratch/copy/of/shared/anchors/pygeoapi]

The same random points (seed 42 in the anchors' box, as ../shared/anchors/pygeoapi/gen_data.py
makes them) are served by:
  - geoapp: gunicorn -w 2, the points as its farm_stays layer (each given the township it lies
    in, or the nearest one when outside the county), /ogc/collections/farm_stays/items;
  - bare: the anchors' baseline_app.py (numpy arrays, vectorised bbox mask), gunicorn -w 2;
  - the ceiling: bench/anchors/bare_app.py, gunicorn -w 2 sending precomputed bytes of geoapp's
    median answer's size (the HTTP stack alone), after the others;
  - pygeoapi 0.21 OGR+GeoPackage, gunicorn -w 2, when --anchor names a folder where its README's
    set-up has been run (venv with pygeoapi, data/, cfg/).
Each is asked for a random 1 % bbox with limit=100 by 4 keep-alive clients (wrk and the anchors'
bench.lua when wrk is installed, else a Python client), interleaved rep by rep so the shared
machine's noise spreads over all three. Also reported: geoapp's start-up time (until /ogc
answers) and resident memory per worker. Everything listens on 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.processes import children  # noqa: E402 (the repository on the path first)

LON0, LAT0, WIDTH, HEIGHT = 102.27, 29.09, 0.73, 0.63   # the anchors' box
LUA = """
local coll, prefix, format = os.getenv("COLL"), os.getenv("PREFIX") or "", os.getenv("FORMAT") or "json"
math.randomseed(tonumber(os.getenv("SEED") or "1"))
request = function()
  local w, h = %(w)f, %(h)f
  local x = %(x0)f + math.random() * (%(W)f - w)
  local y = %(y0)f + math.random() * (%(H)f - h)
  return wrk.format("GET", string.format("%%s/collections/%%s/items?bbox=%%.5f,%%.5f,%%.5f,%%.5f&limit=100&f=%%s",
                                         prefix, coll, x, y, x + w, y + h, format))
end
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests":%%d,"duration_us":%%d,"bytes":%%d,"errors":%%d,"p50_ms":%%.3f}\\n',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.status + summary.errors.timeout + summary.errors.read + summary.errors.connect,
    latency:percentile(50) / 1000))
end
""" % {"w": WIDTH * 0.1, "h": HEIGHT * 0.1, "x0": LON0, "y0": LAT0, "W": WIDTH, "H": HEIGHT}  # noqa: UP031 (a Lua script: its braces are Lua's)


def random_points(n: int, seed: int = 42) -> gpd.GeoDataFrame:
    """The anchors' points (gen_data.make): same seed, same box, same order of draws."""
    rng = np.random.default_rng(seed)
    lon = rng.uniform(LON0, LON0 + WIDTH, n)
    lat = rng.uniform(LAT0, LAT0 + HEIGHT, n)
    stars = rng.integers(1, 6, n)
    town = rng.integers(0, 20, n)
    return gpd.GeoDataFrame({"fid": np.arange(1, n + 1), "name": [f"农家乐 {i:06d}" for i in range(1, n + 1)],
                             "stars": stars, "township": [f"镇{t}" for t in town]},
                            geometry=shapely.points(np.column_stack([lon.round(6), lat.round(6)])), crs=4326)


def geoapp_data_dir(points: gpd.GeoDataFrame, work: Path) -> Path:
    """geodata/ with the points as farm_stays (and no photos pointing at the old stays)."""
    data = work / "geodata"
    shutil.copytree(ROOT / "geoapp" / "geodata", data)
    townships = gpd.read_file(data / "townships.geojson")[["code", "geometry"]].to_crs(32648)
    located = gpd.sjoin_nearest(points.to_crs(32648), townships, how="left").drop_duplicates("fid")
    n = len(points)
    stays = gpd.GeoDataFrame({
        "id": [f"K{i:07d}" for i in range(n)], "name_zh": points.name.to_numpy(), "name_en": None,
        "stars": points.stars.to_numpy(), "price": 100.0, "beds": 10, "phone": "0835-4000000",
        "township": located.code.to_numpy(), "zone": None, "season": None, "dishes": None, "address_zh": None,
        "source": "bench: random points"}, geometry=points.geometry.to_numpy(), crs=4326)
    stays.to_file(data / "farm_stays.geojson", driver="GeoJSON", engine="pyogrio")
    (data / "farm_stay_photos.csv").write_text("id,stay,file,caption_zh,caption_en,order,credit\n", encoding="utf-8")
    return data


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def start(command: list[str], port: int, ready_path: str, env: dict, cwd: Path, timeout: float = 900) -> tuple:
    began = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = began + timeout
    while time.perf_counter() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", ready_path)
            if connection.getresponse().status == 200:
                return process, time.perf_counter() - began
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} on port {port} exited with {process.returncode}")
        time.sleep(0.25)
    raise SystemExit(f"{command} did not answer {ready_path} within {timeout} s")


def stop(process) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def load(port: int, prefix: str, collection: str, seconds: float, seed: int, lua: Path, fmt: str = "json") -> dict:
    """Requests per second for `seconds` from 4 keep-alive clients (`fmt`: the items' f=)."""
    if shutil.which("wrk"):
        result = subprocess.run(["wrk", "-t1", "-c4", f"-d{int(seconds)}s", "--timeout", "60s", "-s", str(lua),
                                 f"http://127.0.0.1:{port}"], capture_output=True, text=True,
                                env={**os.environ, "COLL": collection, "PREFIX": prefix, "SEED": str(seed),
                                     "FORMAT": fmt})
        line = next(ln for ln in result.stdout.splitlines() if ln.startswith("RESULT "))
        body = json.loads(line[7:])
        return {"rps": body["requests"] / (body["duration_us"] / 1e6), "errors": body["errors"],
                "bytes": body["bytes"] / max(1, body["requests"]), "p50_ms": body["p50_ms"], "client": "wrk"}
    counts, sizes, errors, latencies = [0], [0], [0], []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(k):
        rnd = random.Random(seed * 100 + k)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < stop_at:
            w, h = WIDTH * 0.1, HEIGHT * 0.1
            x, y = LON0 + rnd.random() * (WIDTH - w), LAT0 + rnd.random() * (HEIGHT - h)
            t = time.perf_counter()
            connection.request("GET", f"{prefix}/collections/{collection}/items?bbox={x:.5f},{y:.5f},"
                                      f"{x + w:.5f},{y + h:.5f}&limit=100&f={fmt}")
            response = connection.getresponse()
            body = response.read()
            with lock:
                counts[0] += 1
                sizes[0] += len(body)
                errors[0] += response.status != 200
                latencies.append(time.perf_counter() - t)
    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"rps": counts[0] / seconds, "errors": errors[0], "bytes": sizes[0] / max(1, counts[0]),
            "p50_ms": 1000 * statistics.median(latencies) if latencies else None, "client": "python"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 500_000])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="more than 1: every server runs gunicorn's gthread workers with this many threads "
                             "(keep-alive connections) instead of sync workers")
    parser.add_argument("--anchor", type=Path, help="a scratch copy of ../shared/anchors/pygeoapi, set up")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-ogc-bench-"))
    lua = work / "bench.lua"
    lua.write_text(LUA, encoding="utf-8")
    venv = Path(sys.executable).parent
    workers = ["-w", str(args.workers), *(["--worker-class", "gthread", "--threads", str(args.threads)]
                                          if args.threads > 1 else [])]
    rows = []
    for n in args.sizes:
        tag = f"{n // 1000}k"
        points = random_points(n)
        bare_dir = work / f"bare-{tag}"
        (bare_dir / "data").mkdir(parents=True)
        points.to_file(bare_dir / "data" / f"points_{tag}.gpkg", layer="points", engine="pyogrio")
        shutil.copy(ROOT.parent / "shared" / "anchors" / "pygeoapi" / "baseline_app.py", bare_dir)
        data = geoapp_data_dir(points, work / f"geoapp-{tag}")
        servers = {}
        geoapp, started = start([str(venv / "gunicorn"), *workers, "-b", "127.0.0.1:5101",
                                 "--timeout", "600", "geoapp.wsgi:app"], 5101, "/ogc/conformance",
                                {"GEOAPP_DATA_DIR": str(data), "GEOAPP_INSTANCE": str(work / f"instance-{tag}"),
                                 "GEOAPP_TILES": "blank"}, ROOT)
        load(5101, "/ogc", "farm_stays", 1, 0, lua)  # warm: the index is built on first use
        memory = [rss_mb(p) for p in children(geoapp.pid)]
        servers["geoapp"] = (geoapp, 5101, "/ogc", "farm_stays")
        bare, _ = start([str(venv / "gunicorn"), *workers, "-b", "127.0.0.1:5102", "baseline_app:APP"],
                        5102, f"/collections/mem_{tag}/items?limit=1", {"BASELINE_SIZES": tag}, bare_dir)
        servers["bare"] = (bare, 5102, "", f"mem_{tag}")
        if args.anchor and (args.anchor / "venv" / "bin" / "pygeoapi").exists():
            _pygeoapi, _ = start(["bash", "start_gunicorn.sh", str(args.workers)], 5000,
                                f"/collections/ogr_gpkg_{tag}/items?limit=1&f=json", {}, args.anchor)
            servers["pygeoapi"] = (None, 5000, "", f"ogr_gpkg_{tag}")
        results = {name: [] for name in servers}
        for rep in range(args.reps):
            for name, (_process, port, prefix, collection) in servers.items():
                results[name].append(load(port, prefix, collection, args.seconds, rep + 1, lua))
        for process, *_rest in servers.values():
            if process is not None:
                stop(process)
        # the ceiling: the same gunicorn sending precomputed bytes of geoapp's answer's size
        size = round(statistics.median(r["bytes"] for r in results["geoapp"]))
        ceiling, _ = start([str(venv / "gunicorn"), *workers, "-b", "127.0.0.1:5103", "bare_app:app"],
                           5103, f"/bytes/{size}", {}, ROOT / "bench" / "anchors")
        results["ceiling"] = [load(5103, f"/bytes/{size}", "ceiling", args.seconds, rep + 1, lua)
                              for rep in range(args.reps)]
        stop(ceiling)
        if "pygeoapi" in servers:
            subprocess.run(["bash", "-c", "kill $(cat logs/gunicorn.pid)"], cwd=args.anchor)
        median = {name: statistics.median(r["rps"] for r in runs) for name, runs in results.items()}
        row = {"points": n, "startup_s": round(started, 1), "rss_mb_per_worker": [round(m) for m in memory],
               **{f"{name}_rps": round(value, 1) for name, value in median.items()},
               **{f"{name}_bytes": round(statistics.median(r["bytes"] for r in runs))
                  for name, runs in results.items()},
               "errors": {name: sum(r["errors"] for r in runs) for name, runs in results.items()},
               "client": results["geoapp"][0]["client"], "workers": " ".join(workers)}
        row["geoapp_vs_bare"] = round(median["geoapp"] / median["bare"], 2)
        row["geoapp_vs_ceiling"] = round(median["geoapp"] / median["ceiling"], 2)
        if "pygeoapi" in median:
            row["geoapp_vs_pygeoapi"] = round(median["geoapp"] / median["pygeoapi"], 2)
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
