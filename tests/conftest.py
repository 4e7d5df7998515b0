"""Fixtures: the committed data, writable copies of it, the app, a client, a person logged in
(`auth`), the command line (`runner`), a live server, a browser, a throw-away PostGIS.

Tests run against the real files, a real Flask app, a real PostGIS and a real chromium: no
mocks. The test files are named by the room they test: `test_data_*`, `test_store_*`,
`test_analysis_*`, `test_views_*` (a page family through its routes), `test_web_*` (what every
route shares: security, languages, workers), `test_browser_*` (a person in chromium).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from werkzeug.serving import make_server

from geoapp import create_app
from geoapp.config import ROOT, SAMPLE_DATA
from geoapp.data.load import load_dataset
from geoapp.layers import LAYERS

DATA_DIR = SAMPLE_DATA

# hypothesis: no deadline (CI machines may be busy), and module-scoped apps are fine to share
settings.register_profile("geoapp", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
settings.load_profile("geoapp")
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def dataset():
    return load_dataset(DATA_DIR)


@pytest.fixture(scope="session")
def analysis(dataset):
    from geoapp.analysis import analyse
    return analyse(dataset)


def copy_of_data(folder: Path, townships: int | None = None, farm_stays: int | None = None,
                 seed: int | None = None) -> Path:
    """`folder`/data: a writable copy of the committed layers and tables; with `townships`, the
    county split into that many, with `farm_stays`, that many random stays instead of the
    sample's (`geoapp.sample.synthetic`; `seed` for the stays)."""
    from geoapp.sample import synthetic
    copy = folder / "data"
    copy.mkdir(parents=True)
    for spec in LAYERS.values():
        shutil.copy(DATA_DIR / spec.filename, copy / spec.filename)
    if townships:
        synthetic.write_many_townships(copy, townships)
    if farm_stays:
        synthetic.write_many_farm_stays(copy, farm_stays, **({"seed": seed} if seed is not None else {}))
    return copy


def zipped_shapefile(frame, folder: Path, name: str, leave_out: tuple[str, ...] = ()) -> Path:
    """`folder`/`name`.zip: `frame` as a Shapefile (UTF-8), zipped as people send one; the parts
    whose suffix is in `leave_out` (".prj", ".shp") left out."""
    import zipfile

    import pyogrio
    parts = folder / f"{name}-shp"
    parts.mkdir(parents=True)
    pyogrio.write_dataframe(frame, parts / f"{name}.shp", driver="ESRI Shapefile", encoding="UTF-8")
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in parts.iterdir():
            if part.suffix not in leave_out:
                archive.write(part, part.name)
    return path


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the committed layers and tables."""
    return copy_of_data(tmp_path)


def make_app(data_dir: Path, instance: Path, **extra):
    """The app on `data_dir`, as the tests use it: a blank base map; no report made ahead (a test
    of that turns it on); a reload is always done by the request that notices it (the test of
    slow reloads in the background sets GEOAPP_BACKGROUND_RELOAD_AFTER itself), so that a test
    that imports and then reads does not depend on the machine's speed."""
    return create_app({"GEOAPP_DATA_DIR": data_dir, "GEOAPP_INSTANCE": instance, "GEOAPP_TILES": "blank",
                       "TESTING": True, "SECRET_KEY": "test", "GEOAPP_PREPARE_REPORT": False,
                       "GEOAPP_BACKGROUND_RELOAD_AFTER": 1e9, **extra})


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


PASSWORD = "correct horse battery"


def login(client, name: str, password: str = PASSWORD, next_page: str = ""):
    """Log `client` in through the log-in form; the answer (a 302 when it worked). The form's CSRF
    token is kept as `client.csrf` and sent from then on as the X-CSRFToken header."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                           "next": next_page})
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    client.csrf = token
    return response


class Auth:
    """People with accounts on an app, logging in as a person does: the log-in form with its
    CSRF token, which the client then sends as the X-CSRFToken header (as the pages' scripts do)
    and keeps as `client.csrf` (for forms)."""

    def __init__(self, app):
        self.app = app

    def user(self, name: str, role: str, password: str = PASSWORD, branch: str = ""):
        return self.app.extensions["geoapp"].users.create(name, password, role, branch)

    def login(self, client, name: str, password: str = PASSWORD, next_page: str = ""):
        return login(client, name, password, next_page)

    def client(self, name: str, role: str | None = None, password: str = PASSWORD, branch: str = ""):
        """A client logged in as `name` (made a user with `role` first, when given)."""
        if role is not None:
            self.user(name, role, password, branch)
        client = self.app.test_client()
        assert self.login(client, name, password).status_code == 302, f"{name} could not log in"
        return client


@pytest.fixture
def auth(app) -> Auth:
    return Auth(app)


def log_in_page(page, base: str, name: str, next_path: str, password: str = PASSWORD) -> None:
    """Log in in the browser as a person does (the log-in form), landing on `next_path`."""
    page.goto(f"{base}/login?next={next_path}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.locator("form.login-form button").click()
    page.wait_for_url(f"**{next_path.split('?')[0]}**")


def fetch_report(client, query: str, timeout: float = 600, prefix: str = ""):
    """The report's answer once it is made: asked again, as its page does, while it is being
    prepared (202 with Retry-After), until it is there (`prefix`: a county's /c/<code>)."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"{prefix}/coverage/report.pdf?{query}")
        if response.status_code != 202:
            return response
        assert time.monotonic() < deadline, "the report was never made"
        time.sleep(min(1.0, float(response.headers.get("Retry-After", 1))))


CLI = [sys.executable, "-m", "geoapp.cli"]


def run_cli(env: dict, *args, timeout=300, input_text: str | None = None) -> subprocess.CompletedProcess:
    """`geoapp ARGS` in a process of its own, with `env` added to the environment (and
    `input_text` on its standard input)."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT,
                          timeout=timeout, input=input_text)


@pytest.fixture(params=["geopackage", "postgis"])
def backend(request, tmp_path) -> dict:
    """The environment of one deployment, on either store: an instance folder over the committed
    data, and with PostGIS a fresh database."""
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_DATA_DIR": str(DATA_DIR)}
    if request.param == "postgis":
        env["DATABASE_URL"] = request.getfixturevalue("database_url")
    return env


def app_of(env: dict, **extra):
    """The app of a `backend` environment."""
    return make_app(DATA_DIR, Path(env["GEOAPP_INSTANCE"]), DATABASE_URL=env.get("DATABASE_URL"), **extra)


@pytest.fixture
def runner(tmp_path):
    """The command line on a fresh instance folder over the committed data: runner("history", "zones")."""
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_DATA_DIR": str(DATA_DIR)}
    return lambda *args, **options: run_cli(env, *args, **options)


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


@contextmanager
def headless_chromium():
    """Debian's chromium driven by Playwright, headless (the tests' and the benches' browser)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run the tests with ./dev test, which installs Debian's chromium")
    with headless_chromium() as chromium:
        yield chromium


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


# Animations off in the tests' pages (popups fade, pages scroll smoothly): a test then waits for
# a state, never for a time, and its screenshot shows the page settled.
NO_ANIMATION = """document.addEventListener("DOMContentLoaded", () => {
  const style = document.createElement("style");
  style.textContent = "*, *::before, *::after { transition: none !important; animation: none !important; "
                    + "scroll-behavior: auto !important; }";
  document.head.appendChild(style);
});"""
# Resolves when the map has stopped moving (a pan or zoom animation has ended).
MAP_SETTLED = """() => new Promise(done => {
  const map = geoapp.map;
  const moving = map._animatingZoom || (map._panAnim && map._panAnim._inProgress);
  if (!moving) { done(true); return; }
  map.once("moveend", () => done(true));
})"""


def settled(page) -> None:
    """Wait until the page's map is still and two frames have been drawn since."""
    page.evaluate(MAP_SETTLED)
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


@pytest.fixture
def open_page(browser):
    """open_page(url_base, path, width=1280, height=800, locale='zh-CN', **context options) -> WatchedPage."""
    contexts = []

    def opener(base: str, path: str, width: int = 1280, height: int = 800, locale: str = "zh-CN",
               **context_options) -> WatchedPage:
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                      **context_options)
        contexts.append(context)
        context.add_init_script(NO_ANIMATION)
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


def fuzz_operations(operations, check, examples: int = 6) -> None:
    """Send each OpenAPI operation (schemathesis) `examples` cases that fit its description and
    `examples` that break it; `check(case, response)` judges each answer. An operation whose
    parameters nothing can break (any text is an id) has no negative cases, and that is fine."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(case=operation.as_strategy(generation_mode=mode))
            def answers(case):
                check(case, case.call())
            try:
                answers()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE
