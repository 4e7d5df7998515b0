"""What every route shares against a hostile or careless visitor: any parameters and bodies on
every public route get a 4xx, never a 500 (fuzzed with hypothesis); a proposed site past the
bounds is refused by size; logging in never sends anyone off this site; log-in guessing is
throttled and names cannot be found by timing; a copied session dies at logout; every answer
carries the security headers."""
from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoapp.store import open_stores
from tests.conftest import DATA_DIR, PASSWORD, app_of, login, make_app

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


@given(next_page=HOSTILE_TEXT)
@settings(max_examples=300)
def test_any_next_address_is_kept_on_this_site(fuzz_app, next_page):
    """Where a log-in sends its person: only a printable path on this site, whatever `next` says."""
    from geoapp.web.auth import safe_next
    with fuzz_app.test_request_context("/login"):
        target = safe_next(next_page)
    assert target.startswith("/") and not target.startswith(("//", "/\\")) and target.isprintable()
    assert target == next_page or target == "/", "a safe address is kept as it is, anything else is home"


@pytest.fixture(scope="module")
def login_app(tmp_path_factory):
    app = make_app(DATA_DIR, tmp_path_factory.mktemp("login"))
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    return app


@given(next_page=HOSTILE_TEXT, name=HOSTILE_TEXT, address=st.integers(1, 250))
@settings(max_examples=40)
def test_logging_in_with_any_next_address_stays_on_this_site(login_app, next_page, name, address):
    """The whole form, as a browser posts it (from an address of its own, so that the throttle,
    tested below, does not answer first): a wrong password stays, a right one goes to a path
    on this site."""
    client = login_app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.0.{address}.{hash(name) % 250 + 1}"
    assert login(client, name, "wrong password", next_page).status_code in (401, 429)
    response = login(client, "ann", PASSWORD, next_page)
    assert response.status_code in (302, 429)
    if response.status_code == 302:
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


def test_what_needs_a_login_is_never_kept_by_a_cache(tmp_path):
    """Every route that needs a login answers `Cache-Control: no-store` (the data page, its
    exports of tables about people, proposals and their sheets), and so does every page a
    logged-in person sees; what is the same for everyone (static files, tiles) stays cacheable."""
    from tests.conftest import Auth
    app = make_app(DATA_DIR, tmp_path / "instance")
    client = Auth(app).client("keeper", "admin")
    created = client.post("/api/proposals", json={"type": "Feature", "properties": {"industry": "pear", "name": "p"},
                                                   "geometry": {"type": "Point", "coordinates": [102.65, 29.35]}})
    assert created.status_code == 201
    proposal = created.get_json()["id"]
    private = ["/admin/data/", "/admin/data/export/loans/csv", "/admin/data/export/members_pipeline/xlsx",
               "/api/proposals", f"/api/proposals/{proposal}", f"/api/proposals/{proposal}.pdf", "/login",
               "/zones/outside", "/api/zones/outside", "/coverage", "/api/summary"]
    for path in private:
        response = client.get(path)
        assert "no-store" in response.headers.get("Cache-Control", ""), (path, response.status_code)
    anonymous = app.test_client()
    for path in ("/api/proposals", "/admin/data/"):
        assert "no-store" in anonymous.get(path).headers.get("Cache-Control", ""), f"{path} refused, and not kept"
    assert "no-store" not in anonymous.get("/coverage").headers.get("Cache-Control", ""), "public pages may be kept"
    static = client.get("/static/js/coverage.js")
    assert "no-store" not in static.headers.get("Cache-Control", ""), "static files stay cacheable"


def test_every_answer_gets_its_own_nonce_and_a_forked_worker_draws_its_own():
    """Nonces are drawn from the OS ahead, many at once (`security.new_nonce`): still never the
    same twice, as `secrets.token_urlsafe(18)` writes them, and a worker forked from the loading
    process does not hand out the nonces its parent drew (nor the parent those of a worker)."""
    import os

    from geoapp.web.security import NONCES_DRAWN, new_nonce
    drawn = [new_nonce() for _ in range(3 * NONCES_DRAWN)]
    assert len(set(drawn)) == len(drawn)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{24}", nonce) for nonce in drawn)
    new_nonce()  # (so that the parent holds nonces drawn ahead when it forks)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: its first nonce, to the parent
        os.write(write, new_nonce().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    in_worker = os.read(read, 64).decode()
    os.close(read)
    assert in_worker not in {new_nonce() for _ in range(NONCES_DRAWN)}
