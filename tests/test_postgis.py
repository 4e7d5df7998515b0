"""The PostGIS stores (DATABASE_URL) keep the GeoPackage stores' promises, and the whole app
runs on them: the same contract tests run against both backends, on a real PostGIS."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from shapely.geometry import Point, box

from geoapp.config import ROOT
from geoapp.data.load import load_dataset, open_dataset
from geoapp.store import open_stores
from tests.conftest import DATA_DIR, make_app

PASSWORD = "correct horse battery"


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
    result = subprocess.run([sys.executable, "-m", "geoapp.cli", "import", "festivals",
                             str(DATA_DIR / "festivals.geojson"), "--who", "keeper"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "festivals v2" in result.stdout
    assert app.extensions["geoapp"].layers.history("festivals")[-1].who == "keeper"
    client.get("/api/summary")  # any request notices the new version
    assert app.extensions["geoapp"].stamp == app.extensions["geoapp"].layers.stamp()
