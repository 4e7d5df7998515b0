"""Fixtures: the committed data, writable copies of it, the app, a live server, a browser.

Tests run against the real files, a real Flask app and a real chromium: no mocks.
"""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from geoapp import create_app
from geoapp.config import ROOT
from geoapp.data.load import load_dataset
from geoapp.layers import LAYERS

DATA_DIR = ROOT / "geodata"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def dataset():
    return load_dataset(DATA_DIR)


@pytest.fixture(scope="session")
def analysis(dataset):
    from geoapp.analysis import analyse
    return analyse(dataset)


def copy_of_data(folder: Path) -> Path:
    """`folder`/data: a writable copy of the committed layers and tables."""
    copy = folder / "data"
    copy.mkdir()
    for spec in LAYERS.values():
        shutil.copy(DATA_DIR / spec.filename, copy / spec.filename)
    return copy


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the committed layers and tables."""
    return copy_of_data(tmp_path)


def write_many_farm_stays(data_dir: Path, n: int, seed: int = 20_000) -> None:
    """Replace the farm stays in `data_dir` by `n` random ones inside the county's townships
    (fixed seed; each in the township it names; Chinese names only, so English names and
    pinyin are made at load as for real data without them), for scale tests and benchmarks."""
    import geopandas as gpd
    import numpy as np

    from geoapp.crs import to_metric
    from geoapp.data.files import write_geojson

    rng = np.random.default_rng(seed)
    townships = gpd.read_file(data_dir / "townships.geojson")
    metric = to_metric(townships)
    minx, miny, maxx, maxy = metric.total_bounds
    xs, ys = rng.uniform(minx, maxx, n * 3), rng.uniform(miny, maxy, n * 3)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=metric.crs)
    located = gpd.sjoin(points, metric[["code", "geometry"]], predicate="within").head(n)
    zh = townships.set_index("code").name_zh
    stays = gpd.GeoDataFrame({
        "id": [f"G{i:06d}" for i in range(n)],
        "name_zh": [f"{zh[c]}农家乐{i}号" for i, c in enumerate(located.code)],
        "name_en": None,
        "stars": rng.integers(1, 6, n), "price": rng.integers(4, 40, n) * 10.0, "beds": rng.integers(4, 80, n),
        "phone": [f"0835-4{i:06d}" for i in range(n)], "township": located.code.to_numpy(), "zone": None,
        "season": None, "dishes": None, "address_zh": None, "source": "benchmark: random",
    }, geometry=located.geometry.to_numpy(), crs=metric.crs)
    write_geojson(stays, data_dir / "farm_stays.geojson")


def township_code(i: int) -> str:
    """A township code of letters only (the registry's pattern) that no pinyin name takes: 0 -> 'zza'."""
    letters = ""
    while True:
        letters = chr(ord("a") + i % 26) + letters
        i = i // 26 - 1
        if i < 0:
            return "zz" + letters


def write_many_townships(data_dir: Path, n: int, seed: int = 40_000) -> None:
    """Split the county in `data_dir` into `n` townships (the 30 real seats and n-30 random
    ones; Voronoi cells clipped to the county), and move every feature's `township` to the
    one it lies in — a county drawn as finely as a province's townships, for scale tests and
    benchmarks. Tables keep naming the 30 real townships, which still exist."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geoapp.crs import METRIC_CRS, to_metric, to_storage
    from geoapp.data.files import write_geojson

    rng = np.random.default_rng(seed)
    real = gpd.read_file(data_dir / "townships.geojson")
    county = to_metric(gpd.read_file(data_dir / "county.geojson")).geometry.union_all()
    seats = to_metric(gpd.GeoDataFrame(geometry=gpd.points_from_xy(real.seat_lon, real.seat_lat), crs=4326))
    minx, miny, maxx, maxy = county.bounds
    extra = []
    while len(extra) < n - len(real):
        candidates = shapely.points(rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n))
        extra += list(candidates[shapely.contains(county, candidates)])
    points = np.concatenate([seats.geometry.to_numpy(), np.array(extra[:n - len(real)], dtype=object)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=county))
    owner = shapely.STRtree(cells).query(points, predicate="within")  # (point, cell) pairs
    shapes = np.empty(len(points), dtype=object)
    shapes[owner[0]] = shapely.intersection(cells[owner[1]], county)
    seats_lonlat = to_storage(gpd.GeoSeries(points, crs=METRIC_CRS))
    codes = list(real.code) + [township_code(i) for i in range(n - len(real))]
    kinds = np.array(["town", "township", "ethnic township"])
    townships = gpd.GeoDataFrame({
        "code": codes,
        "name_zh": list(real.name_zh) + [f"第{i + 1}乡" for i in range(n - len(real))],
        "name_en": list(real.name_en) + [f"Township {i + 1}" for i in range(n - len(real))],
        "kind": list(real.kind) + list(kinds[rng.integers(0, 3, n - len(real))]),
        "seat_lon": seats_lonlat.x.round(6).to_numpy(), "seat_lat": seats_lonlat.y.round(6).to_numpy(),
        "area_km2_reported": None, "population": rng.integers(500, 30_000, n), "villages": rng.integers(1, 12, n),
        "main_industries": None, "coord_source": "benchmark: random", "source": "benchmark: Voronoi of random seats",
    }, geometry=to_storage(gpd.GeoSeries(shapes, crs=METRIC_CRS)).to_numpy(), crs=4326)
    write_geojson(townships, data_dir / "townships.geojson")
    located = townships[["code", "geometry"]]
    for name in ("industry_bases", "party_organisations", "cooperatives", "farm_stays", "festivals"):
        path = data_dir / f"{name}.geojson"
        if not path.exists():
            continue
        layer = gpd.read_file(path)
        if "township" not in layer.columns:
            continue
        spots = gpd.GeoDataFrame(geometry=layer.geometry.representative_point(), crs=layer.crs)
        found = gpd.sjoin(spots, located, predicate="within", how="left")
        layer["township"] = found[~found.index.duplicated()].code.reindex(layer.index).fillna(layer.township).to_numpy()
        write_geojson(layer, path)


def make_app(data_dir: Path, instance: Path, **extra):
    return create_app({"GEOAPP_DATA_DIR": data_dir, "GEOAPP_INSTANCE": instance, "GEOAPP_TILES": "blank",
                       "TESTING": True, "SECRET_KEY": "test", **extra})


# Names built to break out of HTML, of a JS template literal, and of a <script> element.
HOSTILE_ZH = '<img src=x onerror="alert(1)">${alert(2)}`\\'
HOSTILE_EN = "</script><script>alert(3)</script>"


@pytest.fixture
def hostile_app(data_copy, tmp_path):
    """An app on data whose first township (name_zh) and zone (name_en) carry hostile names."""
    for name, key, value in (("townships.geojson", "name_zh", HOSTILE_ZH), ("zones.geojson", "name_en", HOSTILE_EN)):
        path = data_copy / name
        collection = json.loads(path.read_text(encoding="utf-8"))
        collection["features"][0]["properties"][key] = value
        path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return make_app(data_copy, tmp_path / "instance")


@pytest.fixture
def hostile_stay_app(data_copy, tmp_path):
    """An app on data whose first farm stay has hostile text in every field shown."""
    path = data_copy / "farm_stays.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    props = collection["features"][0]["properties"]
    props.update(name_zh=HOSTILE_ZH, name_en=HOSTILE_EN, phone='0835"><script>alert(4)</script>',
                 dishes="<b>bold</b>", address_zh="${alert(5)}")
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return make_app(data_copy, tmp_path / "instance")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    return make_app(DATA_DIR, tmp_path_factory.mktemp("instance"))


@pytest.fixture
def client(app):
    return app.test_client()


class LiveServer:
    """A real HTTP server for an app, in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app)
    yield server
    server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run the tests with ./dev test, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class WatchedPage:
    """A page that records JavaScript errors, console errors, dialogs, and every request
    that does not go to `allowed_origin` (those are aborted and counted)."""

    def __init__(self, page, allowed_origin: str):
        self.page = page
        self.errors: list[str] = []
        self.foreign_requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda err: self.errors.append(f"pageerror: {err}"))
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

        def route(route):
            if route.request.url.startswith(allowed_origin + "/"):
                route.continue_()
            else:
                self.foreign_requests.append(route.request.url)
                route.abort()
        page.route("**/*", route)

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


@pytest.fixture
def open_page(browser):
    """open_page(url_base, path, width=1280, height=800, locale='zh-CN', **context options) -> WatchedPage."""
    contexts = []

    def opener(base: str, path: str, width: int = 1280, height: int = 800, locale: str = "zh-CN",
               **context_options) -> WatchedPage:
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                      **context_options)
        contexts.append(context)
        page = context.new_page()
        watched = WatchedPage(page, base)
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        return watched

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def postgis_cluster():
    from tests.postgis_cluster import PostgisCluster
    cluster = PostgisCluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def database_url(postgis_cluster) -> str:
    """A fresh PostGIS database for one test."""
    return postgis_cluster.new_database()
