"""The OGC items answered without Flask (`geoapp.web.public_reads`) are the answers Flask gives:
the same status, body and headers for whatever a client sends; and a page written from the
features written once per version (`geoapp.views.ogc.EncodedFeatures`) is the page written per
request."""
from __future__ import annotations

import gzip
import io
import re

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from geoapp.layers import PUBLIC_LAYERS
from geoapp.views.ogc import FeaturesAPI, encoded_features
from geoapp.web import i18n, ogc
from geoapp.web.public_reads import PlainRead, PublicReads
from tests.conftest import make_app

NONCE = re.compile(r"'nonce-[^']+'")
COUNTY_BOX = (102.27, 29.09, 103.0, 29.72)


@pytest.fixture(scope="module")
def both(tmp_path_factory, dataset):
    """The app, and the same app with its requests handed straight to Flask."""
    from tests.conftest import DATA_DIR
    app = make_app(DATA_DIR, tmp_path_factory.mktemp("instance"))
    assert isinstance(app.wsgi_app, PublicReads)
    flask_only = app.wsgi_app.wsgi_app
    return app, Client(app), Client(lambda environ, start_response: flask_only(environ, start_response))


def _answer(client: Client, path: str, query: dict, headers: dict):
    response = client.get(path, query_string=query or None, headers=headers)
    body = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    kept = {name: NONCE.sub("'nonce-…'", value) for name, value in response.headers.items()
            if name not in ("Content-Length", "Set-Cookie")}
    return response.status_code, kept, body


numbers = st.floats(min_value=-200, max_value=200, allow_nan=False).map(lambda v: f"{v:.4f}")
boxes = st.one_of(st.tuples(st.floats(COUNTY_BOX[0], COUNTY_BOX[2]), st.floats(COUNTY_BOX[1], COUNTY_BOX[3]),
                            st.floats(0.001, 0.5), st.floats(0.001, 0.5))
                  .map(lambda b: f"{b[0]:.5f},{b[1]:.5f},{b[0] + b[2]:.5f},{b[1] + b[3]:.5f}"),
                  st.lists(numbers, min_size=1, max_size=6).map(",".join), st.text(max_size=12))
queries = st.fixed_dictionaries({}, optional={
    "bbox": boxes, "limit": st.one_of(st.integers(-3, 800).map(str), st.text(max_size=4)),
    "offset": st.integers(-1, 300).map(str), "f": st.sampled_from(["json", "html", "", "xml"]),
    "properties": st.sampled_from(["name_zh", "name_zh,stars", "nope", ""]),
    "crs": st.sampled_from(["http://www.opengis.net/def/crs/EPSG/0/4490", "[EPSG:3857]", "EPSG:9"]),
    "stars": st.sampled_from(["3", "4", "x", " "]), "lang": st.sampled_from(["en", "zh"]),
    "colour": st.just("red")})
header_sets = st.fixed_dictionaries({}, optional={
    "Accept": st.sampled_from(["text/html,application/xhtml+xml,*/*;q=0.8", "application/geo+json", "*/*",
                               "application/json;q=0.5,text/html;q=0.9"]),
    "Accept-Encoding": st.sampled_from(["gzip, deflate, br", "identity"]),
    "Accept-Language": st.sampled_from(["en-GB,en;q=0.9", "zh-CN,zh;q=0.9", "fr"]),
    "Cookie": st.sampled_from(["lang=en", "lang=zh", "session=forged"]),
    "If-None-Match": st.just('"abc"')})


@settings(max_examples=150)
@given(collection=st.sampled_from([*PUBLIC_LAYERS, "loans", "nothing"]), query=queries, headers=header_sets)
def test_every_items_request_gets_the_answer_flask_gives(both, collection, query, headers):
    _app, fast, flask_only = both
    path = f"/ogc/collections/{collection}/items"
    assert _answer(fast, path, query, headers) == _answer(flask_only, path, query, headers)


raw_queries = st.lists(st.one_of(st.sampled_from(["bbox=102.5,29.3,102.6,29.4", "limit=7", "limit=3", "offset=2",
                                                   "f=json", "f=", "f", "=json", "", "stars=4", "lang=en",
                                                   "bbox=102.5%2C29.3%2C102.6%2C29.4", "name_zh=%E5%86%9C", "limit=+5",
                                                   "f=json;limit=2", "properties=name_zh,stars", "Limit=2"]),
                               st.text(alphabet="abfilmt=&,.%+;~-_09xé", max_size=12)),
                     max_size=5).map("&".join)


@settings(max_examples=150)
@given(query=raw_queries, headers=header_sets)
def test_a_query_as_a_client_writes_it_gets_the_answer_flask_gives(both, query, headers):
    """Repeated names, empty pieces, names without a value, escapes and pluses, written by hand."""
    _app, fast, flask_only = both
    path = f"/ogc/collections/farm_stays/items?{query}"
    assert _answer(fast, path, {}, headers) == _answer(flask_only, path, {}, headers)


@settings(max_examples=300)
@given(query=raw_queries, headers=header_sets,
       where=st.tuples(st.sampled_from(["http", "https"]), st.sampled_from([None, "example.org", "example.org:8080",
                                                                           "127.0.0.1:5101", "[::1]:80", "bad host"]),
                       st.sampled_from(["localhost", "10.0.0.2"]), st.sampled_from(["80", "443", "5101", ""]),
                       st.sampled_from(["", "/geoapp"])))
def test_a_plain_read_is_what_werkzeug_reads_from_the_request(both, query, headers, where):
    """What `PlainRead` reads from the environ without werkzeug (the parameters, the path with
    the query, the language, where the request came) is what werkzeug's request reads."""
    app, _fast, _flask_only = both
    scheme, host, server, port, script = where
    environ = EnvironBuilder(path="/ogc/collections/farm_stays/items", query_string=query, headers=headers,
                             base_url=f"{scheme}://{server}{script}").get_environ()
    environ.update({"SERVER_PORT": port, **({"HTTP_HOST": host} if host else {})})
    if not host:
        environ.pop("HTTP_HOST", None)
    read, asked = PlainRead.of(environ, app.config), Request(environ)
    plain = query.isascii() and "lang" not in asked.args and "session" not in asked.cookies
    assert (read is not None) == (plain and "If-None-Match" not in headers)
    if read is None:
        return
    assert (read.args, read.full_path, read.language, read.root, read.accept, read.accept_encoding) == (
        asked.args.to_dict(), asked.full_path, i18n.language_of(asked), ogc.url_root(asked),
        asked.headers.get("Accept", ""), asked.headers.get("Accept-Encoding", ""))


tile_numbers = st.one_of(st.integers(0, 40000).map(str), st.sampled_from(["007", "-1", "x", "", "١"]))


@settings(max_examples=150)
@given(layer=st.sampled_from([*PUBLIC_LAYERS, "loans"]), z=st.one_of(st.integers(0, 16).map(str), tile_numbers),
       spot=st.tuples(st.floats(COUNTY_BOX[0], COUNTY_BOX[2]), st.floats(COUNTY_BOX[1], COUNTY_BOX[3])),
       x=st.one_of(st.none(), tile_numbers), y=st.one_of(st.none(), tile_numbers),
       query=st.fixed_dictionaries({}, optional={"properties": st.sampled_from(["name_zh", "name_zh,stars", "nope", ""]),
                                                 "display": st.sampled_from(["1", "0"]), "lang": st.just("en")}),
       headers=header_sets)
def test_every_tile_request_gets_the_answer_flask_gives(both, layer, z, spot, x, y, query, headers):
    """Mostly tiles over the county (x, y of the zoom asked), some anywhere, some not numbers."""
    from geoapp.mercator import lonlat_to_tile
    if z.isdigit() and int(z) <= 16 and x is None and y is None:
        tx, ty = lonlat_to_tile(np.array([spot[0]]), np.array([spot[1]]), int(z))
        x, y = str(int(tx[0])), str(int(ty[0]))
    _app, fast, flask_only = both
    path = f"/tiles/{layer}/{z}/{x or 0}/{y or 0}.mvt"
    assert _answer(fast, path, query, headers) == _answer(flask_only, path, query, headers)


def test_the_plain_page_is_answered_outside_flask_and_counted(both):
    """A map client's page (JSON, no session) is answered by PublicReads itself, with the security
    headers, gzip, and a line in the metrics; a page for a person is left to Flask."""
    app, fast, _flask_only = both
    reads = app.wsgi_app
    plain = EnvironBuilder(path="/ogc/collections/farm_stays/items", query_string={"limit": "5"},
                           headers={"Accept-Encoding": "gzip"}).get_environ()
    endpoint, _version, headers, _varies, body = reads._items(PlainRead.of(plain, app.config))
    assert reads.routes[endpoint] == "/ogc/collections/<collection_id>/items"
    assert dict(headers)["Content-Encoding"] == "gzip" and b'"numberReturned":5' in gzip.decompress(body)
    answered = fast.get("/ogc/collections/farm_stays/items?limit=5", headers={"Accept-Encoding": "gzip"})
    assert answered.headers["X-Frame-Options"] == "DENY" and answered.headers["Access-Control-Allow-Origin"] == "*"
    person = EnvironBuilder(path="/ogc/collections/farm_stays/items",
                            headers={"Accept": "text/html,*/*;q=0.8"}).get_environ()
    assert reads._items(PlainRead.of(person, app.config)) is None
    tile = EnvironBuilder(path="/tiles/farm_stays/10/803/425.mvt").get_environ()
    endpoint, _version, headers, _varies, body = reads._tile(PlainRead.of(tile, app.config))
    assert reads.routes[endpoint] == "/tiles/<layer_id>/<int:z>/<int:x>/<int:y>.mvt"
    assert dict(headers)["Content-Type"] == "application/vnd.mapbox-vector-tile" and body
    for address, route in (("/ogc/collections/farm_stays/items?limit=3", reads.routes["ogc.items"]),
                           ("/tiles/farm_stays/10/803/425.mvt", reads.routes["tiles.vector_tile"])):
        before = _counted(fast, route)
        assert fast.get(address).status_code == 200
        assert _counted(fast, route) == before + 1


def _counted(client: Client, route: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    found = re.search(rf'geoapp_requests_total\{{method="GET",route="{re.escape(route)}",status="200"\}} ([0-9.e+]+)',
                      text)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize("collection", PUBLIC_LAYERS)
def test_pages_from_the_features_written_once_are_the_pages_written_per_request(both, collection):
    app, _fast, _flask_only = both
    served = app.extensions["geoapp"]
    version = served.newest
    written = encoded_features(version, served.shelf, collection)
    assert written is not None
    per_request = FeaturesAPI(version.dataset, "http://x/ogc", index=version.index)
    from_file = FeaturesAPI(version.dataset, "http://x/ogc", index=version.index,
                            encoded=lambda c: encoded_features(version, served.shelf, c))
    rng = np.random.default_rng(3)
    count = len(version.dataset[collection])
    for _ in range(8):
        args = {"limit": str(int(rng.integers(1, 60))), "offset": str(int(rng.integers(0, max(1, count))))}
        assert b"".join(from_file.items_text(collection, args)) == b"".join(per_request.items_text(collection, args))
    # (the whole layer, read back from the file, is the layer)
    everything = b"".join(from_file.items_text(collection, {"limit": "10000"}))
    read = gpd.read_file(io.BytesIO(everything), engine="pyogrio")
    assert len(read) == count


def test_a_new_version_is_served_from_its_own_written_features(tmp_path, data_copy):
    app = make_app(data_copy, tmp_path / "instance")
    client = app.test_client()
    first = client.get("/ogc/collections/farm_stays/items?limit=500").get_json()
    state = app.extensions["geoapp"]
    stays = state.newest.dataset["farm_stays"]
    state.layers.publish({"farm_stays": stays.iloc[:4]}, "keeper", {"farm_stays": "four.geojson"},
                         {"farm_stays": "sha256:four"})
    second = client.get("/ogc/collections/farm_stays/items?limit=500").get_json()
    assert first["numberMatched"] == len(stays) > 4
    assert second["numberMatched"] == second["numberReturned"] == 4
    assert [f["id"] for f in second["features"]] == [str(k) for k in stays.id.iloc[:4]]
    # a county's slice is never answered from the whole's file
    county = state.newest.dataset["county"].code.astype(str).iloc[0]
    sliced = client.get(f"/c/{county}/ogc/collections/farm_stays/items?limit=500").get_json()
    assert sliced["numberMatched"] == 4
