"""Public routes under load while a layer is imported and a worker is killed (issue 8), and
while people ask for committee reports (issue 19).

    .venv/bin/python bench/chaos_load.py [--store gpkg|postgis] [--seconds 60] [--clients 8] [--reports 4]

Starts `gunicorn -w 2` on 127.0.0.1 on a fresh instance (with the repository's
gunicorn.conf.py: the app loaded once and the workers forked; and, with --store postgis, a
throw-away PostGIS cluster), then runs `--clients` threads that request the public routes in
turn for `--seconds`. A quarter of the way in, `geoapp import` publishes the farm stays with
one more 5-star stay (3 -> 4); half way in, one worker is killed with SIGKILL (gunicorn forks
another from the load made at start). Afterwards every worker must answer 4 (no stale data).

With --reports N, N more clients each ask for the committee's report of another indicator and
language, as its page does: asked again after Retry-After while it is being prepared (202),
then the next indicator. Reports are made off the request path (one renderer per instance), so
the other routes' latency should not move: compare p99 with and without.

Counted: answers by status, requests that got no answer (the killed worker's in-flight ones),
and latency (of the other routes). Loopback only; the load is bounded by --clients and --seconds.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.processes import children, free_port  # noqa: E402 (the repository on the path first)

ROUTES = [
    ("GET", "/", None), ("GET", "/coverage?metric=loans", None), ("GET", "/farmstays?stars_min=3", None),
    ("GET", "/farmstays/FS03", None), ("GET", "/api/summary", None), ("GET", "/api/coverage", None),
    ("GET", "/api/farmstays?near=29.4,102.6&sort=distance", None),
    ("GET", "/ogc/collections/party_organisations/items?bbox=102.4,29.2,102.8,29.6&limit=50", None),
    ("GET", "/ogc/collections/farm_stays/items?stars=4", None), ("GET", "/api/plan/candidates?industry=pear&n=5", None),
    ("POST", "/api/plan/analyse", json.dumps({"type": "Feature", "properties": {"industry": "pear"},
                                             "geometry": {"type": "Point", "coordinates": [102.65, 29.35]}})),
    ("GET", "/login", None), ("GET", "/api/farmstays?stars_min=%C2%B2", None),  # a 400 is an answer too
]


def request(port: int, method: str, path: str, body: str | None, timeout: float = 30) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("gpkg", "postgis"), default="gpkg")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--reports", type=int, default=0, help="clients asking for reports meanwhile")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="geoapp-chaos-"))
    env = {**os.environ, "GEOAPP_INSTANCE": str(work / "instance"), "GEOAPP_DATA_DIR": str(ROOT / "geoapp" / "geodata"),
           "GEOAPP_TILES": "blank", "SECRET_KEY": "bench", "GEOAPP_PREPARE_REPORT": "0"}
    cluster = None
    if args.store == "postgis":
        from tests.postgis_cluster import PostgisCluster
        cluster = PostgisCluster()
        env["DATABASE_URL"] = cluster.new_database()
    port = free_port()
    master = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--timeout", "60", "geoapp.wsgi:app"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=open(work / "gunicorn.log", "w"))  # noqa: SIM115
    try:
        for _ in range(600):
            try:
                if request(port, "GET", "/api/summary", None, timeout=5) == 200 and len(children(master.pid)) == 2:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        stays = json.loads((ROOT / "geoapp" / "geodata" / "farm_stays.geojson").read_text(encoding="utf-8"))
        next(f for f in stays["features"] if f["properties"]["stars"] == 4)["properties"]["stars"] = 5
        changed = work / "stays.geojson"  # one more 5-star farm stay (every branch is referenced since issue 12)
        changed.write_text(json.dumps(stays, ensure_ascii=False), encoding="utf-8")

        statuses: Counter = Counter()
        failures: list[str] = []
        latencies: list[float] = []
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < stop:
                method, path, body = rng.choice(ROUTES)
                start = time.perf_counter()
                try:
                    status = request(port, method, path, body)
                except (OSError, http.client.HTTPException) as err:  # no answer, or half of one: the killed worker's
                    with lock:
                        failures.append(f"{time.monotonic() - (stop - args.seconds):5.1f}s {path}: {err!r}")
                    continue
                with lock:
                    statuses[status] += 1
                    latencies.append(time.perf_counter() - start)

        reports: Counter = Counter()
        made: list[str] = []
        report_latencies: list[float] = []
        metrics = ["loans", "tourist_visits", "farm_stays", "party_groups", "trainees", "labour_transfer",
                   "cooperatives", "households_benefiting"]

        def report_client(seed: int) -> None:
            turn = seed
            while time.monotonic() < stop:
                metric, lang = metrics[turn % len(metrics)], ("zh", "en")[turn % 2]
                path = f"/coverage/report.pdf?metric={metric}&lang={lang}"
                start = time.perf_counter()
                try:
                    status = request(port, "GET", path, None)
                except (OSError, http.client.HTTPException):
                    status = 0
                with lock:
                    reports[status] += 1
                    report_latencies.append(time.perf_counter() - start)
                if status == 200:
                    made.append(path)
                    turn += args.reports  # read it, then ask for another (a person does not ask twice a second)
                time.sleep(5)  # Retry-After, or the time it takes to open the report

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        threads += [threading.Thread(target=report_client, args=(i,)) for i in range(args.reports)]
        for thread in threads:
            thread.start()
        time.sleep(args.seconds / 4)
        imported = subprocess.run([str(ROOT / ".venv/bin/geoapp"), "import", "farm_stays", str(changed),
                                   "--who", "chaos"], env=env, cwd=ROOT, capture_output=True, text=True)
        print(f"import at {args.seconds / 4:.0f} s: exit {imported.returncode} {imported.stdout.strip()}")
        time.sleep(args.seconds / 4)
        victim = children(master.pid)[0]
        os.kill(victim, signal.SIGKILL)
        print(f"SIGKILL to worker {victim} at {args.seconds / 2:.0f} s")
        for thread in threads:
            thread.join()
        answers = Counter()
        for _ in range(40):  # both workers, after the import and the restart
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/ogc/collections/farm_stays/items?stars=5&limit=1")
            answers[json.loads(conn.getresponse().read())["numberMatched"]] += 1
            conn.close()
        total = sum(statuses.values())
        print(f"store {args.store}, {args.clients} clients, {args.seconds:.0f} s: {total} answers "
              f"({total / args.seconds:.0f}/s) by status {dict(sorted(statuses.items()))}; "
              f"5xx: {sum(v for k, v in statuses.items() if k >= 500)}; no answer: {len(failures)}")
        for failure in failures:
            print("  no answer:", failure)
        print(f"latency median {statistics.median(latencies) * 1000:.0f} ms, "
              f"95th {statistics.quantiles(latencies, n=20)[18] * 1000:.0f} ms, "
              f"99th {statistics.quantiles(latencies, n=100)[98] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
        if args.reports:
            print(f"reports: {args.reports} clients, answers by status {dict(sorted(reports.items()))}, "
                  f"{len(made)} reports made and served; report requests median "
                  f"{statistics.median(report_latencies) * 1000:.0f} ms, max {max(report_latencies) * 1000:.0f} ms")
        print(f"after: 5-star farm stays answered {dict(answers)} (4 expected from every worker)")
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(30)
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main()
