"""Start-up time and memory of gunicorn workers with many farm stays.

    .venv/bin/python bench/startup.py                       # 50,000 and 500,000 stays, -w 2 and -w 4
    .venv/bin/python bench/startup.py --sizes 50000 --workers 2

For each size: a copy of geodata/ with that many random farm stays (`geoapp.sample.synthetic.write_many_farm_stays`:
Chinese names only, so every English name and pinyin is derived), then gunicorn on a fresh
instance folder ("first": seeds the store and derives the names' texts), stopped, and started
again with each worker count ("again": what every restart, and every worker after the first,
costs). gunicorn runs with the repository's `gunicorn.conf.py` (the app loaded once, before the
workers fork); `--no-preload` has each worker load it. A worker is up when gunicorn's
`post_worker_init` hook runs (the app is loaded); the time is from launching gunicorn until the
last worker is up. Memory after every worker has answered the farm-stay page, its map, a list
page and an OGC page (with `--mixed`, also every zone page in both languages and each zone's
map, the home and coverage pages, a tile and the report, which a renderer process makes): each worker's RSS, PSS and USS (`memory_mb`), the parent's PSS, and the
PSS of all of them (what the machine gives the app).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geoapp.config import ROOT
from tests.conftest import copy_of_data

HOOK = '''
import pathlib, time
exec(compile(pathlib.Path({config!r}).read_text(), "gunicorn.conf.py", "exec"))  # the settings geoapp runs with
preload_app = {preload}
def post_worker_init(worker):
    with open(pathlib.Path(__file__).with_suffix(".up"), "a") as out:
        out.write(f"{{worker.pid}} {{time.time()}}\\n")
'''


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory (RSS: every page it maps, shared ones whole), its
    proportional share (PSS: each shared page divided among the processes sharing it) and
    its own (USS: pages no other process has), in MB."""
    kb = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        kb[name] = int(value.split()[0])
    return {"rss": kb["Rss"] / 1024, "pss": kb["Pss"] / 1024,
            "uss": (kb["Private_Clean"] + kb["Private_Dirty"]) / 1024}


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.status


def fetch(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.request("GET", path)
    return connection.getresponse().read()


def run(data: Path, instance: Path, workers: int, work: Path, preload: bool, mixed: bool = False,
        port: int = 5180) -> dict:
    config = work / f"hooks-{workers}.py"
    config.write_text(HOOK.format(config=str(ROOT / "gunicorn.conf.py"), preload=preload), encoding="utf-8")
    up = config.with_suffix(".up")
    up.unlink(missing_ok=True)
    env = {**os.environ, "GEOAPP_DATA_DIR": str(data), "GEOAPP_INSTANCE": str(instance), "GEOAPP_TILES": "blank"}
    began = time.time()
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(workers), "-c", str(config),
                                "-b", f"127.0.0.1:{port}", "--timeout", "900", "geoapp.wsgi:app"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while not up.exists() or len(up.read_text().split("\n")) <= workers:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {process.returncode}")
            time.sleep(0.1)
        times = [float(line.split()[1]) for line in up.read_text().split("\n") if line]
        started = max(times) - began
        pids = [int(line.split()[0]) for line in up.read_text().split("\n") if line]
        paths = ["/farmstays?lang=zh", "/api/farmstays/map?bbox=102.2,29.1,102.9,29.9&zoom=10",
                 "/api/farmstays?limit=50", "/ogc/collections/farm_stays/items?limit=100"]
        if mixed:  # and what the office opens: every zone page in both languages, its map, the report
            zones = [z["id"] for z in json.loads(fetch(port, "/api/zones"))["zones"]]
            paths += ["/?lang=zh", "/coverage?lang=zh", "/coverage?lang=en", "/api/branches", "/tiles/farm_stays/10/803/425.mvt"]
            paths += [f"/zones/{z}?lang={lang}" for z in zones for lang in ("zh", "en")]
            paths += [f"/zones/{z}/map.png?lang=zh" for z in zones if z != "outside"]
            paths += ["/coverage/report.pdf?metric=industry_branches&lang=zh"]
        for _ in range(workers * 3):  # each worker answers the pages a tourist and a machine ask for
            for path in paths:
                assert get(port, path) in (200, 202), path
        memory = [memory_mb(pid) for pid in pids]
        parent = memory_mb(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    return {"workers": workers, "start_s": started, "memory": memory, "parent": parent}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 500_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--no-preload", action="store_true", help="each worker loads the app itself")
    parser.add_argument("--mixed", action="store_true", help="warm up with the office's pages too: every zone page "
                        "in both languages, each zone's map, the home and coverage pages, a tile, the report")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="geoapp-startup-"))
    print("| farm stays | run | workers | start s (last worker up) | per worker RSS / PSS / USS MB | "
          "gunicorn parent PSS MB | all PSS MB |")
    print("|---:|---|---:|---:|---|---:|---:|")
    try:
        for n in args.sizes:
            data = copy_of_data(work / f"stays-{n}", farm_stays=n)
            instance = work / f"instance-{n}"
            for label, workers in [("first", 1)] + [("again", w) for w in args.workers]:
                row = run(data, instance, workers, work, preload=not args.no_preload, mixed=args.mixed)
                each = "; ".join(f"{m['rss']:.0f} / {m['pss']:.0f} / {m['uss']:.0f}" for m in row["memory"])
                total = row["parent"]["pss"] + sum(m["pss"] for m in row["memory"])
                print(f"| {n:,} | {label} | {workers} | {row['start_s']:.1f} | {each} | {row['parent']['pss']:.0f} | "
                      f"{total:,.0f} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
