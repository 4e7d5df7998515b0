"""Serving as production does: gunicorn workers forked from one load answer, follow an import
and survive a killed sibling; a slow reload runs beside the requests, which keep the version
they started with."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geoapp.config import ROOT
from geoapp.data.load import load_store
from tests.conftest import DATA_DIR, fetch_report, make_app
from tests.conftest import run_cli as cli


def _get(port: int, path: str) -> tuple[int, bytes]:
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)  # a new connection: any worker
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _five_star(port: int) -> int:
    status, body = _get(port, "/ogc/collections/farm_stays/items?stars=5&limit=1")
    assert status == 200, body[:300]
    return json.loads(body)["numberMatched"]


def test_gunicorn_workers_forked_from_one_load_answer_and_follow_imports(backend, tmp_path):
    """gunicorn as the README runs it (the repository's gunicorn.conf.py: the app loaded once,
    then the workers forked): every worker answers rightly — on PostGIS each with its own
    connections — an import reaches every worker, and a worker gunicorn forks again after one
    dies serves the new data, not the load it was forked from."""
    import signal

    from tests.processes import children, free_port
    port = free_port()
    env = {**os.environ, **backend, "GEOAPP_TILES": "blank", "SECRET_KEY": "test"}
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 (the server writes to it while it runs)
    master = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                               "geoapp.wsgi:app"], env=env, cwd=ROOT, stdout=log, stderr=log)

    def workers() -> list[int]:
        return children(master.pid)
    try:
        for _ in range(600):
            try:
                if _five_star(port) == 3 and len(workers()) == 2:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail((tmp_path / "gunicorn.log").read_text())
        answers = [_five_star(port) for _ in range(20)]
        found = [_get(port, "/api/farmstays?q=qingxi&limit=5") for _ in range(6)]
        assert answers == [3] * 20 and all(status == 200 and json.loads(body)["numberMatched"] > 0
                                           for status, body in found)
        stays = json.loads((DATA_DIR / "farm_stays.geojson").read_text(encoding="utf-8"))
        next(f for f in stays["features"] if f["properties"]["stars"] == 4)["properties"]["stars"] = 5
        changed = tmp_path / "stays.geojson"
        changed.write_text(json.dumps(stays, ensure_ascii=False), encoding="utf-8")
        imported = cli(backend, "import", "farm_stays", str(changed), "--who", "test")
        assert imported.returncode == 0, imported.stderr
        assert [_five_star(port) for _ in range(20)] == [4] * 20
        before = set(workers())
        os.kill(min(before), signal.SIGKILL)
        for _ in range(600):
            if len(set(workers()) - before) == 1 and len(workers()) == 2:
                break
            time.sleep(0.1)
        assert [_five_star(port) for _ in range(20)] == [4] * 20, "a worker forked again serves the new version"
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(30)


def test_a_slow_reload_runs_beside_the_requests_which_keep_their_version(data_copy, tmp_path):
    """A new version whose load is slow (GEOAPP_BACKGROUND_RELOAD_AFTER=0 makes every load count
    as slow) is loaded in a thread: the request that notices it is answered at once from the
    version it had, and later requests get the new one, whole."""
    import time

    app = make_app(data_copy, tmp_path / "instance", GEOAPP_BACKGROUND_RELOAD_AFTER=0)
    client = app.test_client()
    state = app.extensions["geoapp"]
    def stays_served() -> int:
        return client.get("/api/farmstays?limit=1").get_json()["numberMatched"]
    before = stays_served()
    stays = load_store(state.layers)["farm_stays"]
    state.layers.publish({"farm_stays": stays.iloc[:5]}, "keeper", {"farm_stays": "five.geojson"},
                         {"farm_stays": "sha256:five"})
    noticed = stays_served()
    assert noticed == before, "the request that notices the version is not held up by its load"
    deadline = time.time() + 60
    while stays_served() != 5 or state.reloading:
        assert time.time() < deadline, "the new version was never served"
        time.sleep(0.05)
    assert client.get(f"/farmstays/{stays.id.iloc[0]}").status_code == 200
    assert client.get(f"/farmstays/{stays.id.iloc[-1]}").status_code == 404, "the new version, whole"


def test_a_version_loaded_in_the_background_is_served_with_its_pages_made(data_copy, tmp_path):
    """A slow load (hundreds of thousands of features) happens beside the requests; before the
    new version is served, the thread that loaded it asks for the pages an office opens first,
    so what they make once per version — each zone's map in both languages among it — is
    made before the first visitor comes, for every worker (the maps are on the shelf)."""
    import time

    from geoapp.views.shelf import version_key
    app = make_app(data_copy, tmp_path / "instance", GEOAPP_BACKGROUND_RELOAD_AFTER=0)
    client = app.test_client()
    state = app.extensions["geoapp"]
    assert client.get("/api/summary").status_code == 200
    stays = load_store(state.layers)["farm_stays"]
    state.layers.publish({"farm_stays": stays.iloc[:7]}, "keeper", {"farm_stays": "seven.geojson"},
                         {"farm_stays": "sha256:seven"})
    old = state.newest
    client.get("/api/summary")  # notices the new version: loaded in a thread
    deadline = time.time() + 120
    while state.newest is old or state.reloading:
        assert time.time() < deadline, "the new version was never served"
        time.sleep(0.05)
    shelved = tmp_path / "instance" / "documents" / version_key(state.newest)
    for zone_id in state.newest.analysis.zones.id:
        for lang in ("zh", "en"):
            assert (shelved / f"zone-{zone_id}-{lang}.png").is_file(), (zone_id, lang)
    assert client.get("/api/farmstays?limit=1").get_json()["numberMatched"] == 7


def test_reports_are_made_off_the_request_path_one_at_a_time(tmp_path):
    """Four people ask at once for four reports: each is told at once that it is being prepared
    (202, Retry-After), at most one renderer process works at a time whatever the number of
    requests, the rest of the site answers meanwhile, and asking again finds each report made —
    once, for every worker (the shelf is in the instance folder)."""
    from concurrent.futures import ThreadPoolExecutor

    from geoapp.views.shelf import RENDERERS
    from tests.conftest import LiveServer
    from tests.processes import holding, running
    app = make_app(DATA_DIR, tmp_path / "instance")
    server = LiveServer(app)
    metrics = ["industry_branches", "loans", "tourist_visits", "farm_stays"]
    try:
        with ThreadPoolExecutor(4) as pool:
            first = list(pool.map(lambda m: _get(server.server.server_port, f"/coverage/report.pdf?metric={m}"),
                                  metrics))
        assert [status for status, _body in first] == [202] * 4
        assert "正在准备".encode() in first[0][1] or b"being prepared" in first[0][1]
        made: dict[str, bytes] = {}
        deadline = time.monotonic() + 600
        while len(made) < len(metrics):
            # renderers at work: those holding a slot (one finishing may overlap one starting)
            slots = tmp_path / "instance" / "documents" / "slots"
            working = [pid for pid in running("--to-shelf", {"GEOAPP_INSTANCE": str(tmp_path / "instance")})
                       if holding(pid, slots)]
            assert len(working) <= RENDERERS, "renderers are bounded"
            status, _ = _get(server.server.server_port, "/api/summary")
            assert status == 200, "the site answers while reports are made"
            for metric in metrics:
                if metric not in made:
                    status, body = _get(server.server.server_port, f"/coverage/report.pdf?metric={metric}")
                    assert status in (200, 202), status
                    if status == 200:
                        made[metric] = body
            assert time.monotonic() < deadline, f"reports never made: {set(metrics) - set(made)}"
            time.sleep(0.5)
        assert all(body.startswith(b"%PDF") for body in made.values())
        again = make_app(DATA_DIR, tmp_path / "instance").test_client()  # another worker of the same instance
        assert again.get("/coverage/report.pdf?metric=loans").data == made["loans"], "made once, for every worker"
    finally:
        server.stop()


def test_a_version_loaded_in_the_background_is_served_with_its_report_made(data_copy, tmp_path):
    """After an import the committee's report is made before the new version is served: its
    first reader gets the PDF, as the next one does, not "being prepared" (issue 23)."""
    from geoapp.indicators import DEFAULT_SHADING
    from geoapp.views.documents import report_name
    from geoapp.views.shelf import version_key
    app = make_app(data_copy, tmp_path / "instance", GEOAPP_BACKGROUND_RELOAD_AFTER=0, GEOAPP_PREPARE_REPORT=True)
    client = app.test_client()
    state = app.extensions["geoapp"]
    old = state.newest
    query = f"metric={DEFAULT_SHADING}&lang=zh"
    assert fetch_report(client, query).status_code == 200  # the site in use: its report made, the renderer free
    stays = load_store(state.layers)["farm_stays"]
    state.layers.publish({"farm_stays": stays.iloc[:6]}, "keeper", {"farm_stays": "six.geojson"},
                         {"farm_stays": "sha256:six"})
    client.get("/api/summary")  # notices the new version: loaded in a thread, its report begun
    deadline = time.time() + 300
    while state.newest is old:
        assert time.time() < deadline, "the new version was never served"
        time.sleep(0.05)
    assert state.shelf.find(version_key(state.newest), report_name(DEFAULT_SHADING, "zh")) is not None
    first = client.get(f"/coverage/report.pdf?{query}")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")


def test_who_published_reads_the_new_version_while_it_is_made_ready_for_everyone(data_copy, tmp_path):
    """While a version loaded in the background waits for what is made beside it, everyone is
    answered from the version before; the person who published it is answered from it."""
    import threading
    app = make_app(data_copy, tmp_path / "instance", GEOAPP_BACKGROUND_RELOAD_AFTER=0)
    client = app.test_client()
    state = app.extensions["geoapp"]
    made = threading.Event()
    state.ready_before_serving.append(lambda _served, _loaded: made.is_set())  # what is made beside it
    old = state.newest
    stays = load_store(state.layers)["farm_stays"]
    published = state.layers.publish({"farm_stays": stays.iloc[:3]}, "keeper", {"farm_stays": "three.geojson"},
                                     {"farm_stays": "sha256:three"})
    try:
        client.get("/api/summary")  # notices the new version: loaded in a thread
        deadline = time.time() + 120
        while state._loading is None:
            assert time.time() < deadline, "the new version was never loaded"
            time.sleep(0.05)
        assert state.version_for(None) is old, "everyone: the version before"
        mine = state.version_for(None, at_least=published)
        assert mine is not old and len(mine.dataset["farm_stays"]) == 3, "who published: the new one"
    finally:
        made.set()
    while state.newest is old:
        assert time.time() < deadline, "the new version was never served"
        time.sleep(0.05)
    assert client.get("/api/farmstays?limit=1").get_json()["numberMatched"] == 3


def _write_once_on_the_shelf(folder: str, log: str) -> str:
    from geoapp.views.shelf import Shelf

    def write(out) -> None:
        with open(log, "a") as written:
            written.write(f"{os.getpid()}\n")
        time.sleep(0.2)   # (a wide window for the others to arrive while it is written)
        out.write(b"x" * 100_000)
    return str(Shelf(Path(folder)).written_once("v1", "tiles/farm_stays.pack", write))


def test_a_file_every_worker_needs_is_written_by_one_while_the_others_wait_for_it(tmp_path):
    """Workers loading the same new version in the background all need its tile packs and
    features' files: one writes each, the others wait and read it whole (none writes its own)."""
    import multiprocessing
    log = tmp_path / "writers.txt"
    with multiprocessing.get_context("fork").Pool(4) as pool:
        paths = pool.starmap(_write_once_on_the_shelf, [(str(tmp_path / "documents"), str(log))] * 4)
    assert len(log.read_text().split()) == 1
    assert len(set(paths)) == 1 and Path(paths[0]).read_bytes() == b"x" * 100_000
    assert [p.name for p in Path(paths[0]).parent.iterdir()] == ["farm_stays.pack"]   # (no lock left behind)
