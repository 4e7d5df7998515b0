"""Nothing a user sends takes geoapp down (issue 8): a stored version that does not load, an
import running while others open the store, several processes starting at once, hostile
parameters and bodies on every public route, log-in guessing, copied session cookies,
security headers, bounded imports, and a store written by an earlier release.

Each class is tested on both stores where it touches the store, with real files, a real
PostGIS and real processes."""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoapp.config import ROOT
from geoapp.data.load import load_store, open_dataset
from geoapp.store import open_stores
from tests.conftest import DATA_DIR, make_app

PASSWORD = "correct horse battery"
CLI = [sys.executable, "-m", "geoapp.cli"]


def cli(env: dict, *args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT,
                          timeout=timeout)


@pytest.fixture(params=["geopackage", "postgis"])
def backend(request, tmp_path) -> dict:
    """The environment of one deployment: an instance folder, and a database on PostGIS."""
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_DATA_DIR": str(DATA_DIR)}
    if request.param == "postgis":
        env["DATABASE_URL"] = request.getfixturevalue("database_url")
    return env


def app_of(env: dict, **extra):
    return make_app(DATA_DIR, Path(env["GEOAPP_INSTANCE"]), DATABASE_URL=env.get("DATABASE_URL"), **extra)


def login(client, name: str, password: str = PASSWORD, next_page: str = ""):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": next_page})
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return response


# 1. A stored version that does not load never takes the site down --------------------------------

def test_a_version_that_does_not_load_is_skipped_named_and_mended_by_rollback(backend):
    stores = open_stores(backend["GEOAPP_INSTANCE"], backend.get("DATABASE_URL"))
    open_dataset(stores.layers, DATA_DIR)
    stays = stores.layers.read("farm_stays")
    cut = stays.copy()
    cut.loc[cut.index[0], "name_zh"] = None  # what GDAL stored of a name that began with a NUL: nothing
    stores.layers.publish({"farm_stays": cut}, "an older release", {"farm_stays": "cut.csv"}, {"farm_stays": ""})
    assert stores.layers.current_versions()["farm_stays"] == 2

    app = app_of(backend)  # starts: serves v1 and says why v2 is skipped
    client = app.test_client()
    assert client.get("/api/summary").get_json()["county"]["farm_stays"] == 16
    names = {f["properties"]["name_zh"] for f in client.get("/api/farmstays").get_json()["features"]}
    assert stays.name_zh.iloc[0] in names
    state = app.extensions["geoapp"]
    assert state.newest.analysis.dataset.versions["farm_stays"] == 1
    assert [(s.layer, s.version) for s in state.newest.analysis.dataset.skipped] == [("farm_stays", 2)]
    state.users.create("keeper", PASSWORD, "admin")
    login(client, "keeper")
    page = client.get("/admin/data/?lang=en").get_data(as_text=True)
    assert "farm_stays v2 does not load, so it is not served; the app serves v1" in page
    assert "name_zh: empty, but a value is required" in page
    for path in ("/", "/coverage", "/farmstays", "/planning", "/login", "/ogc/collections/farm_stays/items"):
        assert client.get(path).status_code == 200, path

    # the command line names the store (not geodata/), and every command works
    history = cli(backend, "history", "farm_stays")
    assert history.returncode == 0 and "v2" in history.stdout and "cut.csv" in history.stdout
    summary = cli(backend, "summary")
    assert summary.returncode == 0 and "farm_stays v2 does not load" in summary.stderr
    assert cli(backend, "export", "farm_stays", str(Path(backend["GEOAPP_INSTANCE"]) / "out.geojson")).returncode == 0
    rolled = cli(backend, "rollback", "farm_stays", "1")
    assert rolled.returncode == 0 and "farm_stays v3 is now current" in rolled.stdout
    client.get("/api/summary")  # the app notices the new version
    assert state.newest.analysis.dataset.versions["farm_stays"] == 3 and state.newest.analysis.dataset.skipped == ()


def test_an_import_whose_text_would_be_cut_is_refused_and_changes_nothing(backend, tmp_path):
    stays = gpd.read_file(DATA_DIR / "farm_stays.geojson")
    table = stays.drop(columns="geometry").assign(lon=stays.geometry.x, lat=stays.geometry.y)
    table.loc[0, "name_zh"] = "\x00" + table.loc[0, "name_zh"]
    path = tmp_path / "stays.csv"
    table.to_csv(path, index=False)
    before = cli(backend, "history", "farm_stays").stdout
    for command in ("validate", "import"):
        result = cli(backend, command, "farm_stays", str(path))
        assert result.returncode == 1
        assert "stays.csv: line 2 (id=FS01): name_zh: U+0000 (a control character) at character 1" in result.stderr
    assert cli(backend, "history", "farm_stays").stdout == before


settings.register_profile("geoapp", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
settings.load_profile("geoapp")


@given(st.text(min_size=1, max_size=12))
@settings(max_examples=60)
def test_any_text_is_either_refused_by_the_check_or_stored_and_read_back_unchanged(tmp_path_factory, text):
    """The check and the store agree, for any text: what passes `check_frame` round-trips."""
    from geoapp.data.validate import check_frame
    from geoapp.layers import LAYERS
    stays = gpd.read_file(DATA_DIR / "farm_stays.geojson").iloc[:2]
    stays.loc[stays.index[0], "dishes"] = text
    frame, problems = check_frame(LAYERS["farm_stays"], stays)
    if problems:
        assert any("cannot be stored unchanged" in str(p) for p in problems)
        return
    store = open_stores(tmp_path_factory.mktemp("roundtrip")).layers
    assert store.check_storable("farm_stays", frame) == []
    store.publish({"farm_stays": frame}, "test", {}, {})
    stored = store.read("farm_stays").set_index("id").dishes["FS01"]
    expected = text.strip() or None  # blank text is stored as no text
    assert (stored is None or stored != stored) if expected is None else stored == expected


# 3. Opening the store never deletes someone else's import in progress --------------------------------

def test_opening_the_store_during_an_import_leaves_the_import_alone(tmp_path):
    from tests.test_imports import many_farm_stays
    instance = tmp_path / "instance"
    env = {"GEOAPP_INSTANCE": str(instance), "GEOAPP_DATA_DIR": str(DATA_DIR)}
    assert cli(env, "history", "farm_stays").returncode == 0  # seeded
    big = many_farm_stays(30_000, tmp_path / "big.geojson")
    running = subprocess.Popen([*CLI, "import", "farm_stays", str(big)], env={**os.environ, **env}, cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_temporary = False
    while running.poll() is None:
        if list(instance.glob(".layers-publishing-*")):
            seen_temporary = True
            open_stores(instance)  # as a restarted worker or `geoapp history` does
            assert cli(env, "history", "farm_stays").returncode == 0
        time.sleep(0.05)
    _out, err = running.communicate()
    assert running.returncode == 0, err
    assert seen_temporary, "the import was seen at work"
    assert open_stores(instance).layers.current_versions()["farm_stays"] == 2
    assert not list(instance.glob(".layers-publishing-*"))


def test_a_dead_writers_temporary_file_is_removed_once_no_writer_holds_the_lock(tmp_path):
    import fcntl
    instance = tmp_path / "instance"
    store = open_stores(instance).layers
    leftover = instance / ".layers-publishing-99999.000000.tmp.gpkg"
    leftover.write_bytes(b"half a copy")
    with open(instance / ".layers.lock", "a") as lock:  # a live writer
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert store.remove_stale_temporaries() == [] and leftover.exists()
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert store.remove_stale_temporaries() == [leftover] and not leftover.exists()


# 4. Several processes starting at once seed and create the schema once -------------------------------

def _start_app(instance: str, database_url: str | None, barrier) -> None:
    barrier.wait()
    make_app(DATA_DIR, Path(instance), DATABASE_URL=database_url)


def test_workers_starting_together_seed_once(backend):
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(3)
    workers = [spawn.Process(target=_start_app, args=(backend["GEOAPP_INSTANCE"], backend.get("DATABASE_URL"), barrier))
               for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(180)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    stores = open_stores(backend["GEOAPP_INSTANCE"], backend.get("DATABASE_URL"))
    assert set(stores.layers.current_versions().values()) == {1}
    assert all(len(stores.layers.history(layer)) == 1 for layer in stores.layers.current_versions())


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


# 5. Hostile parameters and bodies get a 4xx, never a 500 ---------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["²", "³", "٣", "１２", "1e999", "-0", "NaN", "Infinity", "0x10", "9" * 5000, "0001-01-01",
                     "9999-12-31", "2026-02-30", "\x00", "\r\nLocation: //evil", "../../etc/passwd", "%00",
                     "29.4,102.6", "102.6,29.4", "1,2,3,4", "-180,-90,180,90", "nope", "", " ", "29.5", "102.65", "12",
                     "0", "-1", "22.5", "townships,zones", "zones:qingxi-pepper", "townships:fulin"]))
PARAMETERS = ["limit", "offset", "bbox", "n", "industry", "metric", "lang", "stars_min", "price_max", "township",
              "festival", "near", "place", "q", "from", "to", "sort", "radius_km", "f", "stars", "id", "kind", "lat",
              "lon", "zoom", "layers", "aimed", "table", "view"]


def public_get_routes(app) -> list[str]:
    """Every GET route an anonymous visitor may call, with its path variables to fill."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and not rule.endpoint.startswith("admin."):
            routes.append(rule.rule)
    return sorted(routes)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    return make_app(DATA_DIR, tmp_path_factory.mktemp("fuzz"))


@given(data=st.data())
@settings(max_examples=300)
def test_every_public_get_route_answers_any_parameters_without_a_500(fuzz_app, data):
    client = fuzz_app.test_client()
    route = data.draw(st.sampled_from(public_get_routes(fuzz_app)))
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: data.draw(st.sampled_from(
        ["farm_stays", "FS01", "townships", "qingxi", "1", "peach-fair", "x", "%2F", "..", "²", "qingxi-pepper", "outside"])), route)
    query = data.draw(st.dictionaries(st.one_of(st.sampled_from(PARAMETERS), st.text(max_size=8)), HOSTILE_TEXT,
                                      max_size=5))
    response = client.get(path, query_string=query)
    assert response.status_code < 500, (path, query, response.get_data(as_text=True)[:300])
    if path.startswith(("/api/", "/ogc")) and response.status_code >= 400:
        assert response.is_json


JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                                     st.text(max_size=10)),
                           lambda children: st.lists(children, max_size=4) |
                           st.dictionaries(st.sampled_from(["type", "geometry", "properties", "features",
                                                            "coordinates", "industry", "name"]), children, max_size=4),
                           max_leaves=20)
SITE_LIKE = st.fixed_dictionaries({
    "type": st.sampled_from(["Feature", "FeatureCollection", "Point"]),
    "properties": st.one_of(JSON_VALUES, st.fixed_dictionaries({"industry": st.one_of(
        st.sampled_from(["pear", "peach", "durian"]), JSON_VALUES)})),
    "geometry": st.one_of(JSON_VALUES, st.fixed_dictionaries({
        "type": st.sampled_from(["Point", "Polygon", "MultiPolygon", "LineString"]),
        "coordinates": st.one_of(JSON_VALUES, st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=3),
                                 st.lists(st.lists(st.lists(st.floats(100, 105), min_size=2, max_size=2),
                                                   max_size=5), max_size=2))})),
    "features": JSON_VALUES})


@given(body=st.one_of(JSON_VALUES, SITE_LIKE))
@settings(max_examples=300)
def test_the_analysis_answers_any_json_without_a_500(fuzz_app, body):
    response = fuzz_app.test_client().post("/api/plan/analyse", json=body)
    assert response.status_code < 500, (body, response.get_data(as_text=True)[:300])
    assert response.is_json


@pytest.mark.parametrize("body", ["[" * 1000 + "]" * 1000, '{"a":' + "9" * 5000 + "}", "1e999999", "NaN",
                                  '{"type": "Feature", "properties": null, "geometry": null}', "\ud800", "",
                                  '{"type":"Feature","properties":{"industry":"pear"},"geometry":{"type":"Point",'
                                  '"coordinates":[102.6, 1e400]}}'])
def test_pathological_bodies_get_a_clear_4xx(fuzz_app, body):
    response = fuzz_app.test_client().post("/api/plan/analyse?lang=en", data=body.encode("utf-8", "surrogatepass"),
                                           content_type="application/json")
    assert 400 <= response.status_code < 500 and response.get_json()["message"]


@given(next_page=HOSTILE_TEXT, name=HOSTILE_TEXT)
@settings(max_examples=60)
def test_logging_in_with_any_next_address_stays_on_this_site(tmp_path_factory, next_page, name):
    app = make_app(DATA_DIR, tmp_path_factory.mktemp("login"))
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    client = app.test_client()
    assert login(client, name, "wrong password", next_page).status_code in (401, 429)
    response = login(client, "ann", PASSWORD, next_page)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and location.isprintable()


# 6. Log-in guessing is throttled, and names cannot be found by timing -------------------------------

def test_wrong_passwords_are_throttled_per_name_and_per_address(backend):
    app = app_of(backend)
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    client = app.test_client()
    for _ in range(10):
        assert login(client, "ann", "wrong password").status_code == 401
    refused = login(client, "ann", PASSWORD)  # even the right password, until the window passes
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "密码错误次数过多" in refused.get_data(as_text=True)
    # another worker (another app on the same store) knows it too
    assert login(app_of(backend).test_client(), "ann", PASSWORD).status_code == 429
    # one address trying many names is stopped as well
    for i in range(20):
        login(client, f"guess{i}", "wrong password")
    assert login(client, "someone", "wrong password").status_code == 429


def test_an_unknown_name_costs_as_much_time_as_a_known_one(tmp_path):
    users = open_stores(tmp_path).users
    users.create("ann", PASSWORD, "planner")

    def fastest(name: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert users.check(name, "wrong password") is None
            times.append(time.perf_counter() - start)
        return min(times)
    assert fastest("nobody") > 0.5 * fastest("ann"), "the unknown name skipped the password hashing"


# 7. Sessions and headers ----------------------------------------------------------------------------

def test_a_session_copied_before_logout_no_longer_works_after_it(backend):
    app = app_of(backend)
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    client = app.test_client()
    response = login(client, "ann")
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    copied = client.get_cookie("session").value
    assert client.get("/api/proposals").status_code == 200
    client.post("/logout", data={"csrf_token": client.environ_base["HTTP_X_CSRFTOKEN"]})
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/api/proposals").status_code == 401


def test_behind_https_the_session_cookie_is_secure_and_the_proxy_is_trusted(tmp_path):
    app = make_app(DATA_DIR, tmp_path / "instance", GEOAPP_HTTPS=True, GEOAPP_PROXIES=1)
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    client = app.test_client()
    client.environ_base.update({"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "geo.example.cn"})
    response = login(client, "ann")
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert client.get("/ogc").get_json()["links"][0]["href"].startswith("https://geo.example.cn/ogc")


@pytest.mark.parametrize("path", ["/", "/coverage", "/farmstays", "/planning", "/login", "/api/summary", "/ogc",
                                  "/static/js/geoapp-map.js", "/nowhere", "/api/farmstays?stars_min=9"])
def test_every_response_carries_the_security_headers(fuzz_app, path):
    response = fuzz_app.test_client().get(path)
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    scripts = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    if response.mimetype == "text/html":
        nonce = re.search(r"'nonce-([^']+)'", scripts).group(1)
        html = response.get_data(as_text=True)
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert all(f'nonce="{nonce}"' in attributes for attributes in inline), "every inline script has the nonce"
        assert " on" not in " ".join(re.findall(r"<[a-z]+\s[^>]*\son\w+=", html)), "no inline event handlers"
        assert "user-scalable=no" not in html and "maximum-scale" not in html


def test_a_405_keeps_its_allow_header(fuzz_app):
    response = fuzz_app.test_client().put("/api/summary")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


# 8. Imports are bounded and leave nothing behind ------------------------------------------------------

def test_an_oversized_file_is_refused_by_the_command_line_before_it_is_read(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:
        handle.truncate(201 * 1024 * 1024)  # sparse: 201 MB on paper, nothing on disk
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance")}
    result = cli(env, "validate", "farm_stays", str(path))
    assert result.returncode == 1 and "the file is 201 MB; at most 200 MB can be imported" in result.stderr


def test_validating_importing_and_exporting_leave_no_temporary_files(tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "TMPDIR": str(temporary)}
    for command in ("validate", "import"):
        assert cli(env, command, "festivals", str(DATA_DIR / "festivals.geojson")).returncode == 0
    assert cli(env, "export", "zones", str(tmp_path / "zones.zip")).returncode == 0
    assert list(temporary.iterdir()) == []
    # the data page's export too
    app = make_app(DATA_DIR, tmp_path / "instance")
    app.extensions["geoapp"].users.create("keeper", PASSWORD, "admin")
    client = app.test_client()
    login(client, "keeper")
    before = set(Path(tempfile.gettempdir()).glob("geoapp-export-*"))
    for fmt in ("zip", "gpkg", "geojson", "csv"):
        assert client.get(f"/admin/data/export/zones/{fmt}").status_code == 200
    assert set(Path(tempfile.gettempdir()).glob("geoapp-export-*")) == before


def test_a_geojson_crs_member_is_honoured_by_name(tmp_path):
    festivals = gpd.read_file(DATA_DIR / "festivals.geojson")
    projected = json.loads(festivals.to_crs(4547).to_json())
    projected["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}
    path = tmp_path / "festivals.geojson"
    path.write_text(json.dumps(projected), encoding="utf-8")
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance")}
    result = cli(env, "import", "festivals", str(path))
    assert result.returncode == 0, result.stderr
    assert "urn:ogc:def:crs:EPSG::4547" in result.stdout
    stored = open_stores(tmp_path / "instance").layers.read("festivals").to_crs(32648)
    assert stored.distance(festivals.to_crs(32648), align=False).max() < 0.01


# 9. A store written by an earlier release opens, and gains what the registry added ------------------

PREVIOUS_SQLITE = """
CREATE TABLE proposals (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB NOT NULL, name TEXT NOT NULL,
  industry TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, owner TEXT NOT NULL,
  created TEXT NOT NULL, updated TEXT NOT NULL);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('proposals', 'features', 'proposals', 'proposed industry bases', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('proposals', 'geom', 'GEOMETRY', 4326, 0, 0);
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL);
"""
PREVIOUS_POSTGRES = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE layer_versions (seq BIGSERIAL UNIQUE, layer TEXT NOT NULL, version INTEGER NOT NULL, created TEXT NOT NULL,
  who TEXT NOT NULL, source_file TEXT NOT NULL, rows INTEGER NOT NULL, checksum TEXT NOT NULL, note TEXT NOT NULL,
  PRIMARY KEY (layer, version));
CREATE TABLE layer_current (layer TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE proposals (fid SERIAL PRIMARY KEY, geom geometry(Geometry, 4326) NOT NULL, name TEXT NOT NULL,
  industry TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '', status TEXT NOT NULL, owner TEXT NOT NULL,
  created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL);
"""


def previous_release_store(backend) -> None:
    """The stores as the previous release left them: the old proposal and user tables (one user,
    ann), and layer versions without the festivals layer and without farm stays' new columns."""
    from werkzeug.security import generate_password_hash

    from geoapp.data.load import load_dataset
    hashed = generate_password_hash(PASSWORD)
    if backend.get("DATABASE_URL"):
        from sqlalchemy import create_engine, text
        engine = create_engine(backend["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            for statement in filter(str.strip, PREVIOUS_POSTGRES.split(";")):
                conn.execute(text(statement))
            conn.execute(text("INSERT INTO users VALUES ('ann', 'planner', :h)"), {"h": hashed})
        engine.dispose()
    else:
        from geoapp.store import gpkg
        conn = gpkg.connect(Path(backend["GEOAPP_INSTANCE"]) / "geoapp.gpkg")
        conn.executescript(PREVIOUS_SQLITE)
        conn.execute("INSERT INTO users VALUES ('ann', 'planner', ?)", (hashed,))
        conn.close()
    from geoapp.store.layers import GeoPackageLayerStore
    from geoapp.store.postgis import PostgisLayerStore
    if backend.get("DATABASE_URL"):  # the layer tables as they are, without this release's migrations
        from sqlalchemy import create_engine
        layers = PostgisLayerStore(create_engine(backend["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")))
    else:
        layers = GeoPackageLayerStore(Path(backend["GEOAPP_INSTANCE"]))
    frames = dict(load_dataset(DATA_DIR))
    frames.pop("festivals")
    frames["farm_stays"] = frames["farm_stays"].drop(columns=["season_en", "open_from_md"])
    layers.publish(frames, "release 0.1", {}, {})


def test_a_store_from_the_previous_release_opens_and_gains_what_is_new(backend):
    Path(backend["GEOAPP_INSTANCE"]).mkdir(parents=True, exist_ok=True)
    previous_release_store(backend)
    app = app_of(backend)
    state = app.extensions["geoapp"]
    assert state.layers.history("festivals")[0].who == "seed", "a layer new to the store is seeded"
    assert state.newest.analysis.dataset["farm_stays"].open_from_md.isna().all(), "a new column starts empty"
    client = app.test_client()
    assert client.get("/api/summary").status_code == 200
    assert login(client, "ann").status_code == 302, "users of the previous release still log in"
    assert client.post("/api/proposals", json={"type": "Feature", "geometry": {"type": "Point",
                       "coordinates": [102.62, 29.50]}, "properties": {"industry": "pear", "name": "旧库新建"}}
                       ).status_code == 201
    again = app_of(backend)  # opening again changes nothing
    assert again.extensions["geoapp"].layers.history("festivals")[0].version == 1
    assert len(again.extensions["geoapp"].layers.history("festivals")) == 1


def test_both_backends_implement_the_store_protocols(backend):
    from geoapp.store.base import LayerStore, ProposalStore, UserStore
    stores = open_stores(backend["GEOAPP_INSTANCE"], backend.get("DATABASE_URL"))
    assert isinstance(stores.layers, LayerStore)
    assert isinstance(stores.proposals, ProposalStore)
    assert isinstance(stores.users, UserStore)


def test_load_store_reads_only_through_the_protocol(backend):
    """The data room reaches the store through `open_stores` and the protocol's methods."""
    import ast
    for path in (ROOT / "geoapp" / "data").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert not any(m.startswith("geoapp.store.") for m in imported), f"{path.name} reaches into a backend"
    stores = open_stores(backend["GEOAPP_INSTANCE"], backend.get("DATABASE_URL"))
    open_dataset(stores.layers, DATA_DIR)
    assert load_store(stores.layers).versions["zones"] == 1


# 2. One public analysis has a bounded cost whatever the site's shape --------------------------------

def _triangles(n: int) -> dict:
    parts = [[[[102.60 + 0.002 * (i % 60), 29.30 + 0.002 * (i // 60)],
               [102.6005 + 0.002 * (i % 60), 29.30 + 0.002 * (i // 60)],
               [102.60 + 0.002 * (i % 60), 29.3005 + 0.002 * (i // 60)],
               [102.60 + 0.002 * (i % 60), 29.30 + 0.002 * (i // 60)]]] for i in range(n)]
    return {"type": "Feature", "properties": {"industry": "pear"}, "geometry": {"type": "MultiPolygon", "coordinates": parts}}


def test_a_site_past_the_bounds_is_refused_with_a_413_naming_them(fuzz_app):
    client = fuzz_app.test_client()
    reported = client.post("/api/plan/analyse?lang=en", json=_triangles(2_400))  # 88 s before the bounds
    assert reported.status_code == 413
    assert "2400 parts" in reported.get_json()["message"] and "at most 3000 vertices, 500 parts" in reported.get_json()["message"]
    within = client.post("/api/plan/analyse", json=_triangles(500))
    assert within.status_code == 200
    service = within.get_json()["service_area"]
    assert service["households_benefiting"] > 0 and service["townships"], "the service area is still measured"


def test_a_slow_reload_runs_beside_the_requests_which_keep_their_version(data_copy, tmp_path):
    """A new version whose load is slow (GEOAPP_BACKGROUND_RELOAD_AFTER=0 makes every load count
    as slow) is loaded in a thread: the request that notices it is answered at once from the
    version it had, and later requests get the new one, whole."""
    import time

    from geoapp.data.load import load_store
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
