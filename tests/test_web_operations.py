"""What an operator and other sites get (issue 21): /healthz, /metrics, JSON request logs, CORS on
the public read routes only, the footer a government site needs, GCJ-02 left alone abroad."""
from __future__ import annotations

import json
import logging
import re

import pytest

from tests.conftest import DATA_DIR, Auth, make_app


def test_healthz_says_what_this_worker_serves_and_503_when_the_store_cannot_be_read(tmp_path):
    app = make_app(DATA_DIR, tmp_path / "instance")
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 200 and health.headers["Cache-Control"] == "no-store"
    body = health.get_json()
    assert body["status"] == "ok" and body["serving"]["townships"] == body["store"]["townships"]
    assert body["behind"] == [] and body["data_age_seconds"] >= 0
    store = tmp_path / "instance" / "layers.gpkg"
    store.write_bytes(b"not a GeoPackage" * 64)  # the disk gave way under it
    broken = client.get("/healthz")
    assert broken.status_code == 503 and broken.get_json()["status"] == "unavailable"
    assert broken.get_json()["reason"]


def test_metrics_count_requests_by_route_and_show_the_report_queue(client):
    client.get("/api/summary")
    client.get("/branches/PO-I001")
    client.get("/branches/PO-I002")
    text = client.get("/metrics").get_data(as_text=True)
    lines = [line for line in text.splitlines() if line.startswith("geoapp_requests_total{")]
    assert any('route="/branches/<branch_id>"' in line for line in lines), "by route, not by address"
    assert not any("PO-I001" in line for line in lines)
    assert "geoapp_request_seconds_bucket" in text and "geoapp_reports_being_made 0" in text


def test_the_pages_the_app_makes_ahead_are_not_counted_as_visitors(tmp_path):
    """Before the workers fork and before a new version is served, the app asks itself for its
    first pages (`Served.warm`); /metrics counts visitors' requests, not those."""
    app = make_app(DATA_DIR, tmp_path / "instance")
    client = app.test_client()

    def coverage_pages() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        return sum(float(n) for n in re.findall(r'geoapp_requests_total\{method="GET",route="/coverage",'
                                                r'status="200"\} ([0-9.e+]+)', text))
    before = coverage_pages()
    state = app.extensions["geoapp"]
    state.warm(state.newest)  # asks for /coverage in both languages, among the rest
    assert coverage_pages() == before
    assert client.get("/coverage").status_code == 200
    assert coverage_pages() == before + 1


def test_with_json_logs_each_request_is_one_json_line(tmp_path):
    app = make_app(DATA_DIR, tmp_path / "instance", GEOAPP_JSON_LOGS=True)
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record.getMessage())
    logger = logging.getLogger("geoapp.requests")
    keep = Keep()
    logger.addHandler(keep)
    try:
        app.test_client().get("/api/zones/qingxi-pepper")
    finally:
        logger.removeHandler(keep)
    line = json.loads(seen[-1])
    assert line["route"] == "/api/zones/<zone_id>" and line["status"] == 200 and line["ms"] >= 0
    assert line["worker"] and len(line["version"]) == 12


@pytest.mark.parametrize("path", ["/ogc/collections", "/ogc/collections/zones/items?limit=2",
                                  "/tiles/zones/8/200/107.mvt", "/api/summary", "/api/branches?status=red",
                                  "/api/farmstays"])
def test_public_reads_may_be_fetched_by_other_sites(client, path):
    answer = client.get(path, headers={"Origin": "https://maps.example.org"})
    assert answer.status_code in (200, 204) and answer.headers["Access-Control-Allow-Origin"] == "*"


def test_nothing_that_needs_a_login_and_no_page_is_open_to_other_sites(app):
    client = Auth(app).client("cors-planner", "planner")
    for path in ("/api/pipeline", "/api/proposals", "/coverage", "/admin/data/"):
        assert "Access-Control-Allow-Origin" not in client.get(path).headers, path
    posted = client.post("/api/plan/analyse", json={"type": "Point", "coordinates": [102.65, 29.4]},
                         headers={"Origin": "https://maps.example.org"})
    assert "Access-Control-Allow-Origin" not in posted.headers


def test_a_page_on_another_site_reads_the_layers(browser, live_server, tmp_path):
    """A map page on another origin (as a MapLibre or OpenLayers page would) fetches the OGC API
    and the tiles."""
    import functools
    import http.server
    import threading
    (tmp_path / "index.html").write_text("<!doctype html><title>another site</title>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    page = browser.new_page()
    try:
        page.goto(f"http://127.0.0.1:{other.server_port}/index.html")
        count = page.evaluate("url => fetch(url).then(r => r.json()).then(j => j.features.length)",
                              f"{live_server.url}/ogc/collections/zones/items")
        assert count == 5
        size = page.evaluate("url => fetch(url).then(r => r.arrayBuffer()).then(b => b.byteLength)",
                             f"{live_server.url}/tiles/zones/8/200/107.mvt")
        assert size >= 0
    finally:
        page.close()
        other.shutdown()


def test_the_footer_shows_the_filings_when_set(tmp_path):
    app = make_app(DATA_DIR, tmp_path / "instance", GEOAPP_ICP="蜀ICP备00000000号-1",
                   GEOAPP_PSB="川公网安备 00000000000000号", GEOAPP_OWNER="汉源县委组织部（示例）")
    client = app.test_client()
    for path in ("/", "/coverage", "/farmstays", "/branches/PO-I001"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="https://beian.miit.gov.cn/"' in page and "蜀ICP备00000000号-1" in page, path
        assert "code=00000000000000" in page and "汉源县委组织部（示例）" in page, path
    plain = make_app(DATA_DIR, tmp_path / "plain").test_client().get("/").get_data(as_text=True)
    assert "site-footer" not in plain, "no empty footer"


def test_tianditu_draws_its_place_names_and_says_its_approval_number(tmp_path):
    app = make_app(DATA_DIR, tmp_path / "instance", GEOAPP_TILES="tianditu:testkey",
                   GEOAPP_MAP_APPROVAL="GS(2099)0001号")
    page = app.test_client().get("/coverage").get_data(as_text=True)
    assert "T=vec_w" in page and "T=cva_w" in page, "the base layer and its place names"
    said = json.loads(re.search(r'"attribution": ("[^"]*审图号[^"]*"|"[^"]*\\u5ba1\\u56fe\\u53f7[^"]*")', page).group(1))
    assert "审图号：GS(2099)0001号" in said
    policy = app.test_client().get("/coverage").headers["Content-Security-Policy"]
    assert "https://*.tianditu.gov.cn" in policy, "its tiles (and place names) may load"
    imagery = make_app(DATA_DIR, tmp_path / "img", GEOAPP_TILES="tianditu-img:testkey")
    page = imagery.test_client().get("/farmstays").get_data(as_text=True)
    assert "T=img_w" in page and "T=cia_w" in page and "GS(" in page


@pytest.mark.parametrize("lang, bars", [("zh", 1), ("en", 2)])
def test_the_map_has_a_plain_attribution_and_a_metric_scale_on_chinese_pages(open_page, live_server, lang, bars):
    watched = open_page(live_server.url, f"/coverage?lang={lang}")
    page = watched.page
    assert page.locator(".leaflet-control-scale-line").count() == bars, "metric only in Chinese"
    attribution = page.locator(".leaflet-control-attribution").inner_html()
    assert "Leaflet" in attribution and "<svg" not in attribution, "no flag in the prefix"


def test_the_first_requests_of_a_threaded_server_arriving_together_are_all_answered(tmp_path):
    """The metrics are made on a process's first request: eight first requests at once to a
    threaded server (`geoapp serve`) once made them twice, and seven answered 500."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from geoapp.config import ROOT
    from tests.processes import free_port
    port = free_port()
    env = {**os.environ, "GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_TILES": "blank",
           "GEOAPP_PREPARE_REPORT": "0"}
    server = subprocess.Popen([sys.executable, "-m", "geoapp.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:   # listening, and asked nothing yet
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server never listened"
                time.sleep(0.1)

        def status(path: str) -> int:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
                    return answer.status
            except urllib.error.HTTPError as err:
                return err.code
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(status, ["/api/summary", "/ogc", "/api/zones", "/healthz"] * 2))
        assert statuses == [200] * 8, statuses
    finally:
        server.terminate()
        server.wait(30)
