"""The stores' contract, run against both backends (the instance GeoPackages and a real
PostGIS): seeding, publishing, reading by bbox and filters, rolling back, proposals and users;
a stored version that does not load never takes the site down; what the check accepts is
stored and read back unchanged; an import in progress is left alone; processes starting at
once create the schema and seed once; a store written by an earlier release opens and gains
what is new; nothing above the storage room reaches past the protocols."""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from geoapp.config import ROOT
from geoapp.data.load import load_dataset, load_store, open_dataset
from geoapp.store import open_stores
from tests.conftest import CLI, DATA_DIR, PASSWORD, app_of, login, make_app
from tests.conftest import run_cli as cli


@pytest.fixture(params=["geopackage", "postgis"])
def stores(request, tmp_path):
    url = request.getfixturevalue("database_url") if request.param == "postgis" else None
    return open_stores(tmp_path / "instance", url)


def test_seeding_publishing_reading_and_rolling_back(stores):
    layers = stores.layers
    dataset = open_dataset(layers, DATA_DIR)
    assert layers.current_versions()["farm_stays"] == 1 and len(dataset["farm_stays"]) == 16
    stamp = layers.stamp()
    fewer = dataset["farm_stays"].iloc[:10]
    assert layers.publish({"farm_stays": fewer}, "keeper", {"farm_stays": "ten.geojson"}, {"farm_stays": "sha256:x"}) \
        == {"farm_stays": 2}
    assert layers.stamp() != stamp, "readers can tell a new version was published"
    assert len(layers.read("farm_stays")) == 10 and len(layers.read("farm_stays", 1)) == 16
    history = layers.history("farm_stays")
    assert [(v.version, v.who, v.rows, v.current) for v in history] == [(1, "seed", 16, False), (2, "keeper", 10, True)]
    layers.rollback("farm_stays", 1, "keeper")
    assert len(layers.read("farm_stays")) == 16 and layers.history("farm_stays")[-1].note == "rollback to v1"
    with pytest.raises(KeyError, match="no version 9"):
        layers.rollback("farm_stays", 9, "keeper")


def test_reading_by_bbox_and_filters(stores):
    layers = stores.layers
    dataset = open_dataset(layers, DATA_DIR)
    stays = dataset["farm_stays"]
    area = (102.55, 29.45, 102.65, 29.55)
    assert sorted(layers.read("farm_stays", bbox=area).id) == sorted(stays[stays.intersects(box(*area))].id)
    assert sorted(layers.read("farm_stays", filters={"stars": 4}).id) == sorted(stays[stays.stars == 4].id)
    loans = dataset["loans"]
    assert len(layers.read("loans", filters={"township": "qingxi"})) == (loans.township == "qingxi").sum()
    with pytest.raises(KeyError, match="no column colour"):
        layers.read("farm_stays", filters={"colour": "red"})


def test_the_loaded_data_is_the_same_on_both(stores):
    from geoapp.analysis import analyse
    dataset = open_dataset(stores.layers, DATA_DIR)
    assert analyse(dataset).summary == analyse(load_dataset(DATA_DIR)).summary


def test_proposals_and_users(stores):
    proposals, users = stores.proposals, stores.users
    made = proposals.create("试验基地 <b>", "pear", box(102.60, 29.50, 102.61, 29.51), "ann", notes="一")
    assert proposals.get(made.id).geometry.equals_exact(box(102.60, 29.50, 102.61, 29.51), 1e-9)
    changed = proposals.update(made.id, "ann", status="submitted", geometry=Point(102.62, 29.52))
    assert changed.status == "submitted" and changed.geometry.equals(Point(102.62, 29.52))
    assert [p.name for p in proposals.list()] == ["试验基地 <b>"]
    revisions = proposals.revisions(made.id)
    assert [r.action for r in revisions] == ["created", "moved"]
    assert revisions[1].changes["status"] == ["draft", "submitted"]
    assert revisions[1].changes["geometry"][1] == {"type": "Point", "coordinates": [102.62, 29.52]}
    assert proposals.update(made.id, "ann", name="试验基地 <b>").updated == changed.updated, "no change, no write"
    assert len(proposals.revisions(made.id)) == 2
    assert proposals.update(999, "ann", status="draft") is None
    assert proposals.delete(made.id, "ann") and proposals.list() == []
    assert proposals.revisions(made.id)[-1].action == "deleted"
    users.create("ann", PASSWORD, "planner")
    assert users.check("ann", PASSWORD).role == "planner" and users.check("ann", "wrong-password") is None
    with pytest.raises(ValueError, match="a password has 8 to 200 characters"):
        users.create("bob", "short", "planner")


def test_the_app_runs_on_postgis(database_url, tmp_path):
    app = make_app(DATA_DIR, tmp_path / "instance", DATABASE_URL=database_url)
    client = app.test_client()
    assert client.get("/api/summary").get_json()["county"]["industry_branches"] == 93
    assert not (tmp_path / "instance" / "layers.gpkg").exists(), "nothing goes to the GeoPackage store"
    assert client.get("/ogc/collections/farm_stays/items?stars=5").get_json()["numberMatched"] == 3
    # a planner saves a proposal
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token})
    saved = client.post("/api/proposals", headers={"X-CSRFToken": token}, json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [102.62, 29.50]},
        "properties": {"industry": "pear", "name": "九襄新基地"}})
    assert saved.status_code == 201
    # the data keeper imports from the command line; the running app shows it without a restart
    env = {**os.environ, "DATABASE_URL": database_url, "GEOAPP_INSTANCE": str(tmp_path / "cli-instance")}
    festivals = json.loads((DATA_DIR / "festivals.geojson").read_text(encoding="utf-8"))
    festivals["features"][0]["properties"]["visits"] = 1 + (festivals["features"][0]["properties"].get("visits") or 0)
    changed = tmp_path / "festivals.geojson"   # (the same file again would make no new version)
    changed.write_text(json.dumps(festivals, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "geoapp.cli", "import", "festivals",
                             str(changed), "--who", "keeper"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "festivals v2" in result.stdout
    assert app.extensions["geoapp"].layers.history("festivals")[-1].who == "keeper"
    deadline = time.monotonic() + 30   # a request after the next look at the store (a second at most) serves it
    while app.extensions["geoapp"].stamp[0] != app.extensions["geoapp"].layers.stamp():
        assert time.monotonic() < deadline, "the new version was never noticed"
        client.get("/api/summary")
        time.sleep(0.1)


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
    from tests.test_data_imports import many_farm_stays
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
    from geoapp.store.base import ActivityReportStore, LayerStore, ProposalStore, UserStore
    stores = open_stores(backend["GEOAPP_INSTANCE"], backend.get("DATABASE_URL"))
    assert isinstance(stores.layers, LayerStore)
    assert isinstance(stores.proposals, ProposalStore)
    assert isinstance(stores.users, UserStore)
    assert isinstance(stores.reports, ActivityReportStore)


def test_branch_reports_are_added_once_corrected_removed_and_keep_their_history(stores):
    reports = stores.reports
    before = reports.stamp()
    assert reports.latest() == 0 and reports.list() == []
    fields = {"branch": "PO-I001", "date": "2015-12-20", "kind": "open_day", "topic_zh": "党员承诺公开",
              "attendance": 14, "minutes": "", "photos": ("a" * 64,)}
    first, new = reports.add("sec", client_key="phone-0001", **fields)
    assert new and first.activity_id == "R00001" and first.photos == ("a" * 64,) and first.who == "sec"
    again, new = reports.add("sec", client_key="phone-0001", **fields)
    assert not new and again.id == first.id, "a resend with the same key is the same report"
    other, new = reports.add("another", client_key="phone-0001", **fields)
    assert new and other.id != first.id, "keys are per person"
    assert reports.stamp() != before
    corrected = reports.update(first.id, "admin", attendance=16)
    assert corrected.attendance == 16 and corrected.topic_zh == "党员承诺公开"
    removed = reports.remove(first.id, "admin")
    assert removed.removed and [r.id for r in reports.list()] == [other.id]
    assert [r.id for r in reports.list(include_removed=True)] == [first.id, other.id]
    history = reports.revisions(first.id)
    assert [(r.action, r.who) for r in history] == [("created", "sec"), ("edited", "admin"), ("removed", "admin")]
    assert history[1].changes == {"attendance": [14, 16]}
    assert reports.latest() == 4 and reports.update(999, "admin", attendance=1) is None
    with pytest.raises(ValueError):
        reports.update(other.id, "admin", branch="PO-I002")  # a report stays with its branch
    user = stores.users.create("secretary", PASSWORD, "branch", "PO-I001")
    assert (user.role, user.branch) == ("branch", "PO-I001")
    assert stores.users.check("secretary", PASSWORD).branch == "PO-I001"


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


def test_with_postgis_down_the_public_pages_go_on_and_come_back_with_it(tmp_path):
    """PostGIS stops while the app serves: the public pages, the API, the OGC API and the tiles
    go on from the version loaded (with a line in the log), logging in says the database cannot
    be reached (503, not a 500); when PostGIS is back, logging in works and an import shows."""
    from tests.postgis_cluster import PostgisCluster
    cluster = PostgisCluster()  # its own server, so stopping it stops no other test
    try:
        url = cluster.new_database()
        app = make_app(DATA_DIR, tmp_path / "instance", DATABASE_URL=url)
        app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
        client = app.test_client()
        paths = ["/", "/coverage", "/api/summary", "/farmstays", "/api/farmstays?limit=3", "/zones/qingxi-pepper",
                 "/ogc/collections/farm_stays/items?limit=2", "/tiles/townships/9/401/211.mvt"]
        before = {path: client.get(path).status_code for path in paths}
        assert set(before.values()) == {200}, before
        cluster.pause()
        during = {path: client.get(path).status_code for path in paths}
        assert during == before, during
        refused = login(app.test_client(), "ann")
        assert refused.status_code == 503 and "数据库" in refused.get_data(as_text=True)
        cluster.resume()
        assert login(app.test_client(), "ann").status_code == 302
        changed = app.extensions["geoapp"].layers.read("farm_stays").iloc[:4]
        app.extensions["geoapp"].layers.publish({"farm_stays": changed}, "test", {}, {})
        # another process's publish is learned at the next look at the store (at most a second apart)
        deadline = time.monotonic() + 30
        while client.get("/api/farmstays?limit=1").get_json()["numberMatched"] != 4:
            assert time.monotonic() < deadline, "the new version was never served"
            time.sleep(0.1)
    finally:
        cluster.stop()
