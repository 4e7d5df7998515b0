"""Importing layers: a corpus of bad files, each refused with its own message by the checker,
the CLI and the web, leaving the store byte-identical; good imports, versions, rollback,
exports, and a process killed in the middle of an import."""
from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geoapp.cli import main as cli
from geoapp.config import ROOT
from geoapp.crs import wgs84_to_gcj02
from geoapp.data.imports import prepare_import
from geoapp.data.load import open_dataset
from geoapp.layers import LAYERS
from geoapp.store import open_stores
from geoapp.store.layers import GeoPackageLayerStore as LayerStore
from tests.conftest import DATA_DIR, PASSWORD, Auth, login, make_app, run_cli, zipped_shapefile


def geojson(layer: str) -> dict:
    return json.loads((DATA_DIR / f"{layer}.geojson").read_text(encoding="utf-8"))


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def edited(layer: str, change) -> callable:
    """A builder: the committed layer with `change(collection)` applied."""
    def build(folder: Path) -> Path:
        collection = geojson(layer)
        change(collection)
        return write_json(folder / f"{layer}.geojson", collection)
    return build


def set_property(index: int, **values):
    return lambda c: c["features"][index]["properties"].update(values)


def set_geometry(index: int, geometry: dict):
    return lambda c: c["features"][index].update(geometry=geometry)


def csv_table(layer: str, change, encoding="utf-8", name=None) -> callable:
    def build(folder: Path) -> Path:
        table = pd.read_csv(DATA_DIR / f"{layer}.csv", dtype=str, keep_default_na=False)
        table = change(table)
        path = folder / (name or f"{layer}.csv")
        path.write_bytes(table.to_csv(index=False).encode(encoding))
        return path
    return build


def points_csv(change) -> callable:
    """farm_stays as a CSV with lon/lat columns, then `change(table)`."""
    def build(folder: Path) -> Path:
        frame = gpd.read_file(DATA_DIR / "farm_stays.geojson")
        table = pd.DataFrame(frame.drop(columns="geometry")).assign(lon=frame.geometry.x, lat=frame.geometry.y)
        path = folder / "farm_stays.csv"
        change(table).to_csv(path, index=False)
        return path
    return build


def shapefile_zip(with_prj: bool, with_shp: bool = True) -> callable:
    def build(folder: Path) -> Path:
        left_out = (() if with_prj else (".prj",)) + (() if with_shp else (".shp",))
        return zipped_shapefile(gpd.read_file(DATA_DIR / "festivals.geojson"), folder, "festivals", left_out)
    return build


def raw(name: str, data: bytes) -> callable:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path
    return build


def gpkg_with_layers(names, crs=None) -> callable:
    def build(folder: Path) -> Path:
        frame = gpd.read_file(DATA_DIR / "farm_stays.geojson")
        if crs:
            frame = frame.to_crs(crs)
        path = folder / "stays.gpkg"
        for name in names:
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
        return path
    return build


def xlsx(change) -> callable:
    def build(folder: Path) -> Path:
        path = folder / "loans.xlsx"
        change(pd.read_csv(DATA_DIR / "loans.csv", dtype=str)).to_excel(path, index=False)
        return path
    return build


def without_stars(c):
    for feature in c["features"]:
        feature["properties"].pop("stars")


def gbk_geojson(folder: Path) -> Path:
    collection = geojson("festivals")
    path = folder / "festivals.geojson"
    path.write_bytes(json.dumps(collection, ensure_ascii=False).encode("gbk"))
    return path


def projected(folder: Path) -> Path:
    collection = geojson("festivals")
    for feature in collection["features"]:
        feature["geometry"]["coordinates"] = [269000.0 + 100 * len(feature["properties"]["id"]), 3265000.0]
    return write_json(folder / "festivals.geojson", collection)


def drop_township(c):
    c["features"] = [f for f in c["features"] if f["properties"]["code"] != "qingxi"]


def incomplete_shapefile(folder: Path) -> Path:
    """A zipped Shapefile whose .dbf lost its last rows (GDAL would read the rest without a word)."""
    frame = gpd.read_file(DATA_DIR / "festivals.geojson")
    shp = folder / "shp"
    shp.mkdir()
    pyogrio.write_dataframe(frame, shp / "festivals.shp", driver="ESRI Shapefile", encoding="UTF-8")
    pyogrio.write_dataframe(frame.iloc[:1], folder / "short.shp", driver="ESRI Shapefile", encoding="UTF-8")
    (shp / "festivals.dbf").write_bytes((folder / "short.dbf").read_bytes())
    path = folder / "festivals.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in shp.iterdir():
            archive.write(part, part.name)
    return path


def workbook_bomb(folder: Path) -> Path:
    """An .xlsx of 100 KB that unpacks to 100 MB."""
    path = folder / "loans.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (100 * 1024 * 1024) + b">")
    return path


def geopackage_view(folder: Path) -> Path:
    """A GeoPackage whose one layer is a view (a view can run any query, for any time)."""
    import sqlite3
    path = gpkg_with_layers(["stays"])(folder)
    conn = sqlite3.connect(path)
    conn.execute("CREATE VIEW slow AS SELECT * FROM stays")
    conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'stays'")
    conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('slow', 'features', 'slow', 4326)")
    conn.commit()
    conn.close()
    return path


def geopackage_with_nul(folder: Path) -> Path:
    """A GeoPackage whose text holds a NUL byte (GDAL would read the name cut at it)."""
    import sqlite3
    path = gpkg_with_layers(["farm_stays"])(folder)
    conn = sqlite3.connect(path)
    for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{trigger}"')  # GDAL's R-tree triggers need SpatiaLite functions
    conn.execute("UPDATE farm_stays SET name_zh = CAST(X'E6A492E0A9A800E9A699' AS TEXT) WHERE fid = 2")
    conn.commit()
    conn.close()
    return path


def swapped_geojson(c):
    for feature in c["features"]:
        feature["geometry"]["coordinates"] = feature["geometry"]["coordinates"][::-1]


def with_crs_member(name: str):
    return lambda c: c.update(crs={"type": "name", "properties": {"name": name}})


BOWTIE = {"type": "Polygon", "coordinates": [[[102.60, 29.50], [102.62, 29.52], [102.62, 29.50], [102.60, 29.52],
                                               [102.60, 29.50]]]}
LINE = {"type": "LineString", "coordinates": [[102.6, 29.5], [102.7, 29.5]]}
SQUARE = {"type": "Polygon", "coordinates": [[[102.60, 29.50], [102.61, 29.50], [102.61, 29.51], [102.60, 29.50]]]}

# (case id, layer, builder, declared crs, encoding, the message that must name the mistake)
CORPUS = [
    ("missing-column", "farm_stays", edited("farm_stays", without_stars), None, None, "missing column 'stars'"),
    ("unknown-township", "farm_stays", edited("farm_stays", set_property(2, township="atlantis")), None, None,
     "feature 3 (id=FS03): township: unknown township 'atlantis'"),
    ("unknown-zone", "farm_stays", edited("farm_stays", set_property(3, zone="moon-zone")), None, None,
     "feature 4 (id=FS04): zone: unknown zone 'moon-zone'"),
    ("duplicate-id", "farm_stays", edited("farm_stays", set_property(5, id="FS01")), None, None,
     "duplicate key 'FS01'"),
    ("self-intersection", "zones", edited("zones", set_geometry(1, BOWTIE)), None, None,
     "feature 2 (id=shuangxi-peach): invalid geometry: Self-intersection"),
    ("outside-county", "farm_stays",
     edited("farm_stays", set_geometry(0, {"type": "Point", "coordinates": [104.06, 30.67]})), None, None,
     "km outside Hanyuan County"),
    ("line-in-points", "farm_stays", edited("farm_stays", set_geometry(1, LINE)), None, None,
     "feature 2 (id=FS02): geometry is a LineString; this layer takes Point"),
    ("polygon-in-points", "festivals", edited("festivals", set_geometry(0, SQUARE)), None, None,
     "geometry is a Polygon; this layer takes Point"),
    ("gbk-csv", "loans", csv_table("loans", lambda t: t.assign(recipient="王某"), encoding="gbk"), None, None,
     "GBK/GB18030-encoded, not UTF-8"),
    ("gbk-geojson", "festivals", gbk_geojson, None, None, "GBK/GB18030-encoded, not UTF-8"),
    ("not-a-number", "farm_stays", edited("farm_stays", set_property(0, price="cheap")), None, None,
     "price: 'cheap' is not a number"),
    ("out-of-range", "farm_stays", edited("farm_stays", set_property(0, stars=9)), None, None,
     "stars: 9 is above the maximum 5"),
    ("not-whole", "farm_stays", edited("farm_stays", set_property(0, stars=3.5)), None, None,
     "stars: 3.5 is not a whole number"),
    ("negative", "farm_stays", edited("farm_stays", set_property(0, price=-5)), None, None,
     "price: -5 is below the minimum 0"),
    ("off-vocabulary", "party_organisations", edited("party_organisations", set_property(0, kind="hotel")),
     None, None, "kind: 'hotel' is not one of general, industry, association, sector"),
    ("empty-required", "farm_stays", edited("farm_stays", set_property(0, name_zh="")), None, None,
     "name_zh: empty, but a value is required"),
    ("bad-date-form", "festivals", edited("festivals", set_property(0, start_md="March")), None, None,
     "start_md: 'March' is not a day of the year"),
    ("no-such-day", "festivals", edited("festivals", set_property(0, end_md="02-30")), None, None,
     "end_md: '02-30' is not a day of the year"),
    ("truncated-json", "zones", raw("zones.geojson", b'{"type": "FeatureCollection", "features": ['), None, None,
     "cannot be read as GeoJSON"),
    ("json-array", "zones", raw("zones.geojson", b"[1, 2, 3]"), None, None, "cannot be read as GeoJSON"),
    ("empty-file", "zones", raw("zones.geojson", b""), None, None, "the file is empty"),
    ("no-features", "zones", raw("zones.geojson", b'{"type": "FeatureCollection", "features": []}'), None, None,
     "has no features"),
    ("projected-undeclared", "festivals", projected, None, None, "are not lon/lat degrees"),
    ("shapefile-without-prj", "festivals", shapefile_zip(with_prj=False), None, None, "has no .prj"),
    ("zip-without-shp", "festivals", shapefile_zip(with_prj=True, with_shp=False), None, None,
     "exactly one Shapefile (.shp), not 0"),
    ("csv-without-coordinates", "farm_stays", points_csv(lambda t: t.drop(columns=["lon", "lat"])), None, None,
     "no coordinate columns"),
    ("csv-coordinates-not-numbers", "farm_stays", points_csv(lambda t: t.assign(lon="abc")), None, None,
     "are not numbers"),
    ("csv-lon-lat-swapped", "farm_stays", points_csv(lambda t: t.rename(columns={"lon": "lat", "lat": "lon"})),
     None, None, "swapped"),
    ("xlsx-missing-column", "loans", xlsx(lambda t: t.drop(columns=["amount_yuan"])), None, None,
     "missing column 'amount_yuan'"),
    ("unsupported-type", "farm_stays", raw("stays.kml", b"<kml></kml>"), None, None, "unsupported file type .kml"),
    ("gpkg-ambiguous-layers", "farm_stays", gpkg_with_layers(["a", "b"]), None, None, "name one of them farm_stays"),
    ("null-geometry", "farm_stays", edited("farm_stays", set_geometry(0, None)), None, None, "no geometry"),
    ("duplicate-composite-key", "yearly_output",
     csv_table("yearly_output", lambda t: pd.concat([t, t.iloc[[0]]])), None, None, "duplicate key '2014/"),
    ("unknown-base-reference", "party_organisations",
     edited("party_organisations", set_property(10, base="B999")), None, None, "base: unknown industry_base 'B999'"),
    ("unknown-crs", "farm_stays", edited("farm_stays", lambda c: None), "mars", None,
     "unknown coordinate system 'mars'"),
    ("declared-crs-contradicts-file", "farm_stays", gpkg_with_layers(["farm_stays"], crs=32648), "gcj02", None,
     "the file says its coordinates are EPSG:32648, not gcj02"),
    ("breaks-other-layers", "townships", edited("townships", drop_township), None, None,
     "unknown township 'qingxi' (no code like it in townships.geojson) (after replacing townships)"),
    ("unknown-layer", "rivers", edited("zones", lambda c: None), None, None, "unknown layer 'rivers'"),
    ("not-a-zip", "festivals", raw("festivals.zip", b"PK but not really"), None, None, "not a zip file"),
    # text that would not be stored as it is: a NUL (GDAL ends the text there), a lone surrogate
    ("nul-in-csv", "farm_stays", points_csv(lambda t: t.assign(name_zh=t.name_zh.where(t.index != 2, "椒\x00香"))),
     None, None, "line 4 (id=FS03): name_zh: U+0000 (a control character) at character 2 cannot be stored unchanged"),
    ("nul-in-geojson", "farm_stays", edited("farm_stays", set_property(4, name_zh="\x00椒香人家")), None, None,
     "feature 5 (id=FS05): name_zh: U+0000 (a control character) at character 1 cannot be stored unchanged"),
    ("surrogate-in-geojson", "farm_stays", raw("farm_stays.geojson", (DATA_DIR / "farm_stays.geojson").read_bytes()
                                              .replace("椒香人家".encode(), b"\\ud800")), None, None,
     "name_zh: U+D800 (a lone surrogate) at character 1 cannot be stored unchanged"),
    ("control-in-table", "loans", csv_table("loans", lambda t: t.assign(recipient="王\x07某")), None, None,
     "recipient: U+0007 (a control character) at character 2 cannot be stored unchanged"),
    ("nul-in-geopackage", "farm_stays", geopackage_with_nul, None, None,
     "feature 2: name_zh: a NUL character cannot be stored unchanged"),
    ("incomplete-shapefile", "festivals", incomplete_shapefile, None, None,
     "the Shapefile is incomplete: festivals.shp has 3 shapes but festivals.dbf 1 rows of attributes"),
    ("workbook-bomb", "loans", workbook_bomb, None, None, "the archive unpacks to 100 MB; at most 64 MB"),
    ("geopackage-view", "farm_stays", geopackage_view, None, None,
     "the GeoPackage layer slow is a view, not a table"),
    ("id-not-for-addresses", "farm_stays", edited("farm_stays", set_property(0, id="FS/01")), None, None,
     "id: 'FS/01' does not have the form"),
    ("lon-lat-swapped-geojson", "farm_stays", edited("farm_stays", swapped_geojson), None, None,
     "are longitude and latitude swapped?"),
    ("crs-member-unknown", "festivals", edited("festivals", with_crs_member("urn:ogc:def:crs:EPSG::999999")), None,
     None, "the file's crs member names 'urn:ogc:def:crs:EPSG::999999', which is not a coordinate system we know"),
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An instance folder with a seeded store, an admin, and the app on it."""
    instance = tmp_path_factory.mktemp("import-instance")
    app = make_app(DATA_DIR, instance)
    app.extensions["geoapp"].users.create("keeper", PASSWORD, "admin")
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    return instance, app


def admin_client(app, name="keeper"):
    return Auth(app).client(name)


def test_the_corpus_has_thirty_or_more_different_mistakes():
    assert len(CORPUS) >= 30
    assert len({case[0] for case in CORPUS}) == len(CORPUS)
    assert len({case[-1] for case in CORPUS}) >= 30, "each mistake has its own message"


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_a_bad_file_is_refused_everywhere_with_its_message(case, seeded, tmp_path, monkeypatch, capsys):
    _name, layer, build, crs, encoding, message = case
    instance, app = seeded
    store_file = instance / "layers.gpkg"
    before = digest(store_file)
    path = build(tmp_path)

    report = prepare_import(path, layer, app.extensions["geoapp"].newest.analysis.dataset, crs, encoding)
    assert not report.ok
    assert any(message in line for line in report.lines()), report.lines()

    monkeypatch.setenv("GEOAPP_INSTANCE", str(instance))
    args = ["import", layer, str(path)] + (["--crs", crs] if crs else []) + (["--encoding", encoding] if encoding else [])
    assert cli(args) != 0
    assert message in capsys.readouterr().err

    client = admin_client(app)
    response = client.post("/admin/data/check?lang=en", data={
        "layer": layer, "crs": crs or "", "encoding": encoding or "", "csrf_token": client.csrf,
        "file": (io.BytesIO(path.read_bytes()), path.name)}, content_type="multipart/form-data")
    assert 400 <= response.status_code < 500
    text = html.unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))  # what the keeper reads
    assert message in text
    assert digest(store_file) == before, "nothing stored changed"
    assert not list(instance.glob(".layers-publishing-*")) and not list((instance / "uploads").glob("*/*"))


def test_an_oversized_upload_is_a_413(seeded, monkeypatch):
    _, app = seeded
    monkeypatch.setattr("geoapp.web.admin.UPLOAD_LIMIT", 1000)
    client = admin_client(app)
    response = client.post("/admin/data/check", data={
        "layer": "farm_stays", "csrf_token": client.csrf,
        "file": (io.BytesIO(b"x" * 5000), "big.geojson")}, content_type="multipart/form-data")
    assert response.status_code == 413


def test_only_admins_reach_the_data_page(seeded):
    _, app = seeded
    assert app.test_client().get("/admin/data/").status_code == 302  # to the login page
    assert admin_client(app, "ann").get("/admin/data/").status_code == 403
    assert admin_client(app, "keeper").get("/admin/data/").status_code == 200


def amap_copy(folder: Path) -> Path:
    """The farm stays as someone would collect them on Amap: shifted into GCJ-02."""
    collection = geojson("farm_stays")
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        feature["geometry"]["coordinates"] = [float(v) for v in wgs84_to_gcj02(lon, lat)]
    return write_json(folder / "amap_stays.geojson", collection)


def test_gcj02_points_get_a_hint_and_convert_when_declared(seeded, tmp_path):
    _, app = seeded
    dataset = app.extensions["geoapp"].newest.analysis.dataset
    path = amap_copy(tmp_path)
    plain = prepare_import(path, "farm_stays", dataset)
    assert plain.ok and any("as GCJ-02 (Amap, Tencent) coordinates do here" in str(h) for h in plain.hints)
    declared = prepare_import(path, "farm_stays", dataset, "gcj02")
    assert declared.ok and declared.hints == []
    distance = declared.frame.geometry.to_crs(32648).distance(dataset["farm_stays"].geometry.to_crs(32648))
    assert distance.max() < 0.01, "converted back to where they are, within a centimetre"


def test_a_web_import_shows_progress_and_the_new_data_without_a_restart(seeded, tmp_path):
    instance, app = seeded
    other_worker = make_app(DATA_DIR, instance).test_client()  # a second process on the same store
    collection = geojson("party_organisations")
    first_branch = next(i for i, f in enumerate(collection["features"]) if f["properties"]["kind"] == "industry")
    # the branch is rebuilt as an association branch (removing it would orphan its activities,
    # which the import refuses)
    collection["features"][first_branch]["properties"]["kind"] = "association"
    path = write_json(tmp_path / "orgs.geojson", collection)
    client = admin_client(app)
    checked = client.post("/admin/data/check", data={"layer": "party_organisations", "csrf_token": client.csrf,
                                                      "file": (io.BytesIO(path.read_bytes()), "orgs.geojson")},
                          content_type="multipart/form-data")
    assert checked.status_code == 200
    token = re.search(r'/admin/data/import/([0-9a-f]+)', checked.get_data(as_text=True)).group(1)
    started = client.post(f"/admin/data/import/{token}", data={"layer": "party_organisations", "confirm": "yes",
                                                                   "csrf_token": client.csrf})
    job_url = started.headers["Location"] + ".json"
    seen = []
    for _ in range(200):
        job = client.get(job_url).get_json()
        seen.append(job["fraction"])
        if job["state"] != "running":
            break
        time.sleep(0.05)
    assert job["state"] == "done", job
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert client.get("/api/summary").get_json()["county"]["industry_branches"] == 92
    assert other_worker.get("/api/summary").get_json()["county"]["industry_branches"] == 92
    history = LayerStore(instance).history("party_organisations")
    assert history[-1].current and history[-1].who == "keeper" and history[-1].source_file == "orgs.geojson"
    assert history[-1].rows == len(collection["features"]) and history[-1].checksum.startswith("sha256:")
    # and back: a rollback makes the seeded version's data current again
    client.post("/admin/data/rollback/party_organisations/1", data={"confirm": "yes", "csrf_token": client.csrf})
    assert other_worker.get("/api/summary").get_json()["county"]["industry_branches"] == 93


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "zip"])
def test_every_layer_exports_and_reads_back_in_each_format(seeded, tmp_path, fmt):
    _, app = seeded
    client = admin_client(app)
    dataset = app.extensions["geoapp"].newest.analysis.dataset
    for layer in ("farm_stays", "zones", "loans"):
        response = client.get(f"/admin/data/export/{layer}/{fmt}")
        assert response.status_code == 200
        path = tmp_path / f"{layer}.{fmt}"
        path.write_bytes(response.data)
        report = prepare_import(path, layer, dataset)
        assert report.ok, report.lines()
        assert sorted(report.frame[report.frame.columns[0]]) == sorted(dataset[layer][dataset[layer].columns[0]])


def test_cli_import_shows_progress_and_records_a_version(seeded, tmp_path):
    instance, _ = seeded
    env = {**os.environ, "GEOAPP_INSTANCE": str(instance)}
    path = amap_copy(tmp_path)
    collection = json.loads(path.read_text(encoding="utf-8"))
    collection["features"][0]["properties"]["price"] += 10   # a change: the same data would make no version
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "geoapp.cli", "import", "farm_stays", str(path), "--crs", "gcj02",
                             "--who", "keeper", "--progress"], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "100% published" in result.stderr and " 40% checking" in result.stderr
    assert re.search(r"farm_stays v\d+: 16 rows from", result.stdout)
    history = subprocess.run([sys.executable, "-m", "geoapp.cli", "history", "farm_stays"], capture_output=True,
                             text=True, env=env, cwd=ROOT, timeout=60).stdout
    assert "* v" in history and "amap_stays.geojson" in history


def many_farm_stays(n: int, path: Path) -> Path:
    """`n` valid farm stays at random points of the county, as GeoJSON."""
    townships = gpd.read_file(DATA_DIR / "townships.geojson").to_crs(32648)
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = townships.total_bounds
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(minx, maxx, 3 * n),
                                                          rng.uniform(miny, maxy, 3 * n)), crs=32648)
    located = gpd.sjoin(points, townships[["code", "geometry"]], predicate="within").head(n)
    stays = gpd.GeoDataFrame({"id": [f"K{i:06d}" for i in range(n)], "name_zh": [f"农家乐{i}" for i in range(n)],
                              "name_en": None, "stars": 3, "price": 100.0, "beds": 10, "phone": "0835-4000000",
                              "township": located.code.to_numpy(), "zone": None, "season": None, "dishes": None,
                              "address_zh": None, "source": "test"}, geometry=located.geometry.to_numpy(), crs=32648)
    stays.to_crs(4326).to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def test_a_process_killed_mid_import_leaves_the_previous_version(tmp_path):
    instance = tmp_path / "instance"
    open_dataset(LayerStore(instance), DATA_DIR)  # seed
    store_file = instance / "layers.gpkg"
    before = digest(store_file)
    big = many_farm_stays(30_000, tmp_path / "big.geojson")
    env = {**os.environ, "GEOAPP_INSTANCE": str(instance)}
    process = subprocess.Popen([sys.executable, "-m", "geoapp.cli", "import", "farm_stays", str(big)],
                               env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list(instance.glob(".layers-publishing-*")):
        assert process.poll() is None, "the import ended before it began writing"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list(instance.glob(".layers-publishing-*")), "killed while the new version was being written"
    assert digest(store_file) == before, "the published store is untouched"
    store = LayerStore(instance)  # opening it removes the stale temporary copy
    assert not list(instance.glob(".layers-publishing-*"))
    assert store.current_versions()["farm_stays"] == 1 and len(store.read("farm_stays")) == 16
    app = make_app(DATA_DIR, instance)
    assert app.test_client().get("/api/summary").get_json()["county"]["farm_stays"] == 16


def test_a_gbk_file_imports_when_its_encoding_is_declared(seeded, tmp_path):
    _, app = seeded
    path = csv_table("loans", lambda t: t.assign(recipient="王某"), encoding="gbk")(tmp_path)
    report = prepare_import(path, "loans", app.extensions["geoapp"].newest.analysis.dataset, encoding="gbk")
    assert report.ok and set(report.frame.recipient) == {"王某"}


def test_the_store_reads_a_layer_by_bbox_and_filters(seeded):
    instance, _ = seeded
    store = LayerStore(instance)
    everything = store.read("farm_stays")
    qianyu = store.read("farm_stays", filters={"township": "qianyu"})
    assert sorted(qianyu.id) == sorted(everything[everything.township == "qianyu"].id) and len(qianyu) > 0
    box = (102.55, 29.45, 102.65, 29.55)
    inside = store.read("farm_stays", bbox=box)
    expected = everything.cx[box[0]:box[2], box[1]:box[3]]
    assert sorted(inside.id) == sorted(expected.id)
    loans = pd.read_csv(DATA_DIR / "loans.csv")
    expected_loans = ((loans.township == "qingxi") & (loans.year == 2015)).sum()
    assert len(store.read("loans", filters={"township": "qingxi", "year": 2015})) == expected_loans > 0
    with pytest.raises(KeyError, match="no column colour"):
        store.read("farm_stays", filters={"colour": "red"})


def test_an_excel_table_imports(seeded, tmp_path):
    _, app = seeded
    path = xlsx(lambda t: t)(tmp_path)
    report = prepare_import(path, "loans", app.extensions["geoapp"].newest.analysis.dataset)
    assert report.ok and len(report.frame) == 137


def test_every_column_name_survives_a_shapefile():
    """A .dbf keeps 10 characters of a name: two columns alike in those would swap or vanish
    on the way out and back in."""
    for layer in LAYERS.values():
        short = [c.name[:10] for c in layer.columns]
        assert len(short) == len(set(short)), layer.id


# 8. Imports are bounded and leave nothing behind ------------------------------------------------------

def test_an_oversized_file_is_refused_by_the_command_line_before_it_is_read(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:
        handle.truncate(201 * 1024 * 1024)  # sparse: 201 MB on paper, nothing on disk
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance")}
    result = run_cli(env, "validate", "farm_stays", str(path))
    assert result.returncode == 1 and "the file is 201 MB; at most 200 MB can be imported" in result.stderr


def test_validating_importing_and_exporting_leave_no_temporary_files(tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "TMPDIR": str(temporary)}
    for command in ("validate", "import"):
        assert run_cli(env, command, "festivals", str(DATA_DIR / "festivals.geojson")).returncode == 0
    assert run_cli(env, "export", "zones", str(tmp_path / "zones.zip")).returncode == 0
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
    result = run_cli(env, "import", "festivals", str(path))
    assert result.returncode == 0, result.stderr
    assert "urn:ogc:def:crs:EPSG::4547" in result.stdout
    stored = open_stores(tmp_path / "instance").layers.read("festivals").to_crs(32648)
    assert stored.distance(festivals.to_crs(32648), align=False).max() < 0.01


@pytest.mark.parametrize("code", ["a/b?c#d", "", "汉源", "x" * 80, "../etc", "a b"])
def test_a_county_code_is_checked_like_an_id(code, tmp_path):
    """A county's code is part of every address of its pages (/c/<code>/): it is an id."""
    path = tmp_path / "county.geojson"
    collection = json.loads((DATA_DIR / "county.geojson").read_text(encoding="utf-8"))
    collection["features"][0]["properties"]["code"] = code
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_DATA_DIR": str(DATA_DIR)}
    refused = run_cli(env, "validate", "county", str(path))
    assert refused.returncode == 1 and "code" in refused.stderr, refused.stderr


def test_the_importer_reads_their_import_on_any_worker_however_slow_its_load(seeded, tmp_path):
    """A worker whose loads count as slow (GEOAPP_BACKGROUND_RELOAD_AFTER=0) loads a new version
    in a thread and answers others from the old one meanwhile — but the person who imported sees
    their import on their next request there (it waits for the load), and /admin/data says which
    version each worker serves."""
    instance, app = seeded
    slow_worker = make_app(DATA_DIR, instance, GEOAPP_BACKGROUND_RELOAD_AFTER=0)
    assert slow_worker.test_client().get("/api/summary").status_code == 200  # serving
    collection = geojson("farm_stays")
    collection["features"] = collection["features"][:9]
    path = write_json(tmp_path / "nine.geojson", collection)
    client = admin_client(app)
    checked = client.post("/admin/data/check", data={"layer": "farm_stays", "csrf_token": client.csrf,
                                                      "file": (io.BytesIO(path.read_bytes()), "nine.geojson")},
                          content_type="multipart/form-data")
    token = re.search(r'/admin/data/import/([0-9a-f]+)', checked.get_data(as_text=True)).group(1)
    started = client.post(f"/admin/data/import/{token}", data={"layer": "farm_stays", "confirm": "yes",
                                                                   "csrf_token": client.csrf})
    deadline = time.monotonic() + 120
    while (job := client.get(started.headers["Location"] + ".json").get_json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job["state"] == "done", job
    on_the_slow_worker = slow_worker.test_client()
    on_the_slow_worker.set_cookie("session", client.get_cookie("session").value)  # the same person, another worker
    assert on_the_slow_worker.get("/api/farmstays?limit=1").get_json()["numberMatched"] == 9
    page = on_the_slow_worker.get("/admin/data/").get_data(as_text=True)
    assert 'id="workers"' in page and f'data-pid="{os.getpid()}"' in page


def test_the_check_says_what_a_file_changes_and_a_file_that_changes_nothing_makes_no_version(tmp_path):
    """The data keeper reads "FS04 price 160 → 167" before importing; importing what is served makes
    no new version; rollback and import ask for a confirmation naming the version."""
    app = make_app(DATA_DIR, tmp_path / "instance")
    client = Auth(app).client("keeper", "admin")
    collection = json.loads((DATA_DIR / "farm_stays.geojson").read_text(encoding="utf-8"))
    stays = {f["properties"]["id"]: f for f in collection["features"]}
    changed = stays["FS04"]["properties"]["price"] + 7
    stays["FS04"]["properties"]["price"] = changed
    removed = collection["features"].pop(5)["properties"]["id"]
    upload = tmp_path / "stays.geojson"
    upload.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")

    def check(path):
        with open(path, "rb") as handle:
            return client.post("/admin/data/check?lang=zh", data={"layer": "farm_stays", "csrf_token": client.csrf,
                                                                  "file": (handle, path.name)})
    page = check(upload).get_data(as_text=True)
    assert "与第1版相比的改动" in page and "新增 0 行，删除 1 行，修改 1 行" in page
    assert removed in page and re.search(rf"FS04</td>\s*<td>price</td><td>{changed - 7:g}</td><td>{changed:g}</td>", page)
    token = re.search(r'/admin/data/import/([0-9a-f]+)', page).group(1)
    refused = client.post(f"/admin/data/import/{token}", data={"layer": "farm_stays", "csrf_token": client.csrf})
    assert refused.status_code == 400 and app.extensions["geoapp"].layers.current_versions()["farm_stays"] == 1
    started = client.post(f"/admin/data/import/{token}", data={"layer": "farm_stays", "confirm": "yes",
                                                               "csrf_token": client.csrf})
    for _ in range(600):
        status = client.get(started.headers["Location"] + ".json").get_json()
        if status["state"] != "running":
            break
        time.sleep(0.05)
    assert status["state"] == "done" and status["version"] == 2
    again = check(upload).get_data(as_text=True)
    assert "没有改动" in again and "/admin/data/import/" not in again, "nothing to import, no button"
    refused = client.post("/admin/data/rollback/farm_stays/1", data={"csrf_token": client.csrf})
    assert refused.status_code == 400 and app.extensions["geoapp"].layers.current_versions()["farm_stays"] == 2


def test_a_file_that_changes_nothing_makes_no_version_from_the_command_line(tmp_path):
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance")}
    first = run_cli(env, "import", "farm_stays", str(DATA_DIR / "farm_stays.geojson"))
    assert first.returncode == 0 and "nothing changed" in first.stdout and "stays at v1" in first.stdout
    history = run_cli(env, "history", "farm_stays")
    assert history.stdout.count("\n") == 1, "one version"
