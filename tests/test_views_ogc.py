"""OGC API – Features at /ogc: the resources, paging, bbox and property filters, the
OpenAPI definition, and OWSLib (a real client) reading every public layer over HTTP."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import schemathesis
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from geoapp.data.load import load_dataset
from geoapp.layers import LAYERS, PUBLIC_LAYERS
from tests.conftest import DATA_DIR


def test_landing_conformance_and_collections(client):
    landing = client.get("/ogc").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in \
        client.get("/ogc/conformance").get_json()["conformsTo"]
    ids = [c["id"] for c in client.get("/ogc/collections").get_json()["collections"]]
    assert ids == list(PUBLIC_LAYERS) == ["county", "townships", "zones", "committees", "villages", "industry_bases",
                                          "party_organisations", "cooperatives", "farm_stays", "festivals"]
    for private in ("loans", "training_sessions", "yearly_output"):
        assert client.get(f"/ogc/collections/{private}/items").status_code == 404


def test_items_page_through_with_next_links(client, dataset):
    seen, url = [], "/ogc/collections/cooperatives/items?limit=50"
    while url:
        body = client.get(url).get_json()
        assert body["numberMatched"] == len(dataset["cooperatives"])
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://localhost", "") if nxt else None
    assert seen == list(dataset["cooperatives"].id)


def test_bbox_and_property_filters_match_geopandas(client, dataset):
    stays = dataset["farm_stays"]
    box = (102.55, 29.45, 102.65, 29.55)
    body = client.get("/ogc/collections/farm_stays/items?limit=100&bbox=" + ",".join(map(str, box))).get_json()
    assert sorted(f["id"] for f in body["features"]) == sorted(stays[stays.intersects(shapely.box(*box))].id)
    body = client.get("/ogc/collections/farm_stays/items?limit=100&stars=4&township=qianyu").get_json()
    assert sorted(f["id"] for f in body["features"]) == \
        sorted(stays[(stays.stars == 4) & (stays.township == "qianyu")].id)
    zones = dataset["zones"]
    body = client.get("/ogc/collections/zones/items?bbox=102.60,29.55,102.62,29.57").get_json()
    assert sorted(f["id"] for f in body["features"]) == \
        sorted(zones[zones.intersects(shapely.box(102.60, 29.55, 102.62, 29.57))].id)


@pytest.mark.parametrize("query,message", [("bbox=1,2", "bbox must be"), ("limit=0", "limit must be"),
                                           ("offset=-3", "offset must be"), ("colour=red", "unknown parameter 'colour'"),
                                           ("stars=many", "stars must be a number"), ("f=xml", "speaks JSON")])
def test_bad_parameters_get_a_400_naming_them(client, query, message):
    response = client.get(f"/ogc/collections/farm_stays/items?{query}&lang=en")
    assert response.status_code == 400 and message in response.get_json()["description"]


def test_one_feature_by_id(client, dataset):
    feature = client.get("/ogc/collections/festivals/items/peach-fair").get_json()
    assert feature["id"] == "peach-fair" and feature["properties"]["name_zh"] == "蟠桃会"
    assert feature["geometry"]["type"] == "Point"
    assert client.get("/ogc/collections/festivals/items/nope").status_code == 404


def test_the_openapi_definition_is_valid_and_lists_every_collection(client):
    response = client.get("/ogc/api")
    assert response.mimetype == "application/vnd.oai.openapi+json"
    spec = response.get_json()
    validate(spec)
    for collection in PUBLIC_LAYERS:
        parameters = spec["paths"][f"/collections/{collection}/items"]["get"]["parameters"]
        names = {p["name"] for p in parameters}
        assert {"bbox", "limit", "offset"} | {c.name for c in LAYERS[collection].columns} <= names


def test_owslib_reads_every_public_layer(live_server, dataset):
    from owslib.ogcapi.features import Features
    api = Features(live_server.url + "/ogc")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    assert [c["id"] for c in api.collections()["collections"]] == list(PUBLIC_LAYERS)
    for collection in PUBLIC_LAYERS:
        items = api.collection_items(collection, limit=10_000)
        key = LAYERS[collection].key_columns[0]
        assert sorted(f["id"] for f in items["features"]) == sorted(dataset[collection][key].astype(str))
    stays = api.collection_items("farm_stays", bbox=[102.55, 29.45, 102.65, 29.55], stars=4)
    assert all(f["properties"]["stars"] == 4 for f in stays["features"])


def many_points_dataset(dataset, n: int, seed: int = 13):
    """The dataset with `n` farm stays at random points over the county's box (ids K000000…)."""
    import geopandas as gpd
    import numpy as np
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = dataset["county"].total_bounds
    template = dataset["farm_stays"].iloc[[0] * n].reset_index(drop=True)
    template["id"] = [f"K{i:06d}" for i in range(n)]
    template["stars"] = rng.integers(1, 6, n)
    stays = gpd.GeoDataFrame(template.drop(columns="geometry"), crs=4326,
                             geometry=gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)))
    return dataset.replace("farm_stays", stays)


@pytest.fixture(params=["geopackage", "postgis"])
def stores(request, tmp_path):
    from geoapp.store import open_stores
    url = request.getfixturevalue("database_url") if request.param == "postgis" else None
    return open_stores(tmp_path / "instance", url)


def test_bbox_paging_is_exact_at_a_hundred_thousand_points_on_both_stores(dataset, stores):
    """100,000 farm stays published to the store (GeoPackage or PostGIS) and loaded back as the
    app loads them: every feature in a box exactly once across pages, with a filter too, and
    the count the API gives (numberMatched) is the count geopandas finds."""
    from geoapp.data.load import load_store, open_dataset
    from geoapp.views.ogc import FeaturesAPI
    open_dataset(stores.layers, DATA_DIR)  # seeded with the committed layers
    big = many_points_dataset(dataset, 100_000)
    stores.layers.publish({"farm_stays": big["farm_stays"]}, "bench", {"farm_stays": "many.geojson"},
                          {"farm_stays": "sha256:many"})
    loaded = load_store(stores.layers)
    api = FeaturesAPI(loaded, "http://test/ogc")
    stays = big["farm_stays"]
    assert len(loaded["farm_stays"]) == len(stays) == 100_000
    minx, miny, maxx, maxy = stays.total_bounds
    box = (minx + 0.2 * (maxx - minx), miny + 0.3 * (maxy - miny), minx + 0.45 * (maxx - minx),
           miny + 0.5 * (maxy - miny))
    inside = stays[stays.intersects(shapely.box(*box))]
    for extra, expected in (({}, inside), ({"stars": "5"}, inside[inside.stars == 5])):
        seen, offset = [], 0
        while True:
            body = api.items("farm_stays", {"bbox": ",".join(map(str, box)), "limit": "1000",
                                            "offset": str(offset), **extra})
            assert body["numberMatched"] == len(expected)
            seen += [f["id"] for f in body["features"]]
            if not any(link["rel"] == "next" for link in body["links"]):
                break
            offset += 1000
        assert len(seen) == len(set(seen)) == len(expected) > 1000
        assert set(seen) == set(expected.id)


def test_properties_chooses_the_columns(client):
    body = client.get("/ogc/collections/farm_stays/items?limit=3&properties=name_zh,stars").get_json()
    assert all(set(f["properties"]) == {"name_zh", "stars"} for f in body["features"])
    refused = client.get("/ogc/collections/farm_stays/items?properties=name_zh,owner&lang=en")
    assert refused.status_code == 400 and "'owner'" in refused.get_json()["description"]


def test_a_large_page_is_written_in_pieces_and_reads_as_the_small_pages_do(tmp_path):
    """A page of thousands of features is sent as it is written (no length known ahead, gzip
    as it goes) and is the same GeoJSON as the small pages covering it."""
    import gzip

    from tests.conftest import copy_of_data, make_app
    data = copy_of_data(tmp_path, farm_stays=3000, seed=5)
    client = make_app(data, tmp_path / "instance").test_client()
    big = client.get("/ogc/collections/farm_stays/items?limit=2600&offset=100", headers={"Accept-Encoding": "gzip"})
    assert big.status_code == 200 and big.headers["Content-Encoding"] == "gzip" and "Content-Length" not in big.headers
    body = json.loads(gzip.decompress(big.data))
    assert body["numberMatched"] == 3000 and body["numberReturned"] == len(body["features"]) == 2600
    small = []
    for offset in range(100, 2700, 500):
        page = client.get(f"/ogc/collections/farm_stays/items?limit={min(500, 2700 - offset)}&offset={offset}")
        assert "Content-Length" in page.headers
        small += page.get_json()["features"]
    assert body["features"] == small
    assert [link["rel"] for link in body["links"]] == ["self", "alternate", "next", "prev"]


@pytest.mark.parametrize("column", [c.name for layer in PUBLIC_LAYERS for c in LAYERS[layer].columns
                                    if c.type in ("int", "float")][:40])
@pytest.mark.parametrize("value", ["", " ", "%20%20"])
def test_a_blank_property_filter_is_a_400_naming_it(client, column, value):
    layer = next(layer for layer in PUBLIC_LAYERS if any(c.name == column for c in LAYERS[layer].columns))
    response = client.get(f"/ogc/collections/{layer}/items?{column}={value}&lang=en")
    assert response.status_code == 400, (layer, column, response.status_code)
    assert column in response.get_json()["description"]


def test_the_ogc_api_answers_whatever_schemathesis_sends_without_a_500(tmp_path):
    """schemathesis reads the app's own OpenAPI definition of /ogc and sends, to every operation,
    values of the declared types and values that break them (blank, wrong type, out of range):
    about 300 requests. None may answer 5xx; every error is JSON saying what is wrong."""
    from tests.conftest import fuzz_operations, make_app
    schema = schemathesis.openapi.from_wsgi("/ogc/api", make_app(DATA_DIR, tmp_path / "instance"))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3 * len(PUBLIC_LAYERS)

    def check(case, response):
        assert response.status_code < 500, (case.path, case.query, response.text[:300])
        if response.status_code >= 400:
            media = {k.lower(): v for k, v in response.headers.items()}["content-type"]
            media = str(media[0] if isinstance(media, list) else media)
            if (case.query or {}).get("f") == "html":   # a person asked for a page: the error is one
                assert media.startswith("text/html") and 'class="error"' in response.text
            else:
                assert media.startswith("application/json"), "errors are JSON"
                assert response.json()["description"], "and say what is wrong"
    fuzz_operations(operations, check)


# Part 2 (CRS), Part 3 (queryables), and what clients cache -----------------------------------------

E = "http://www.opengis.net/def/crs/EPSG/0/"


def test_features_come_in_the_crs_asked_for_with_its_axis_order_and_say_so(client):
    plain = client.get("/ogc/collections/farm_stays/items?limit=1")
    lon, lat = plain.get_json()["features"][0]["geometry"]["coordinates"]
    assert plain.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    for code in ("4326", "4490"):  # latitude first, as EPSG defines them
        answer = client.get(f"/ogc/collections/farm_stays/items?limit=1&crs={E}{code}")
        assert answer.headers["Content-Crs"] == f"<{E}{code}>"
        assert answer.get_json()["features"][0]["geometry"]["coordinates"] == pytest.approx([lat, lon], abs=1e-6)
    mercator = client.get(f"/ogc/collections/farm_stays/items?limit=1&crs={E}3857").get_json()
    x, y = mercator["features"][0]["geometry"]["coordinates"]
    assert x == pytest.approx(lon * 20037508.34 / 180, rel=1e-6) and 3.0e6 < y < 3.6e6
    assert client.get("/ogc/collections/zones/items/qingxi-pepper?crs=[EPSG:4490]").headers["Content-Crs"] == \
        f"<{E}4490>"
    refused = client.get(f"/ogc/collections/farm_stays/items?crs={E}2000")
    assert refused.status_code == 400 and "4490" in refused.get_json()["description"]


def test_a_bbox_may_be_given_in_another_crs_or_with_heights(client):
    expected = client.get("/ogc/collections/villages/items?bbox=102.5,29.3,102.8,29.6").get_json()["numberMatched"]
    assert 0 < expected < 186
    lat_first = client.get(f"/ogc/collections/villages/items?bbox=29.3,102.5,29.6,102.8&bbox-crs={E}4490")
    with_heights = client.get("/ogc/collections/villages/items?bbox=102.5,29.3,-100,102.8,29.6,5000")
    assert lat_first.get_json()["numberMatched"] == expected == with_heights.get_json()["numberMatched"]
    from pyproj import Transformer
    to_metres = Transformer.from_crs(4326, 3857, always_xy=True).transform
    (x0, x1), (y0, y1) = to_metres([102.5, 102.8], [29.3, 29.6])
    metres = client.get(f"/ogc/collections/villages/items?bbox={x0},{y0},{x1},{y1}&bbox-crs={E}3857")
    assert metres.get_json()["numberMatched"] == expected


def test_a_limit_above_the_most_is_the_most(client):
    answer = client.get("/ogc/collections/villages/items?limit=99999999")
    assert answer.status_code == 200 and answer.get_json()["numberReturned"] == 186


def test_each_collection_publishes_its_queryables_and_geometry_type(client):
    for collection in client.get("/ogc/collections").get_json()["collections"]:
        assert collection["geometryType"] in ("Point", "MultiPolygon", "Polygon")
        assert f"{E}4490" in collection["crs"] and collection["storageCrs"].endswith("CRS84")
        link = next(li for li in collection["links"] if li["rel"].endswith("queryables"))
        queryables = client.get(link["href"].replace("http://localhost", ""))
        assert queryables.status_code == 200 and queryables.mimetype == "application/schema+json"
        properties = queryables.get_json()["properties"]
        assert properties["geometry"]["format"].startswith("geometry-")
        key = LAYERS[collection["id"]].key_columns[0]
        assert properties[key]["type"] == "string", "a key is a string (even a county's code)"


def test_answers_carry_an_etag_of_the_data_version_and_a_repeat_costs_a_304(client):
    first = client.get("/ogc/collections/zones/items")
    assert first.headers["Cache-Control"].startswith("public") and first.headers["ETag"]
    again = client.get("/ogc/collections/zones/items", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    other = client.get("/ogc/collections/zones/items?limit=2", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200, "another request is another answer"


def test_gdal_reads_every_public_layer_in_cgcs2000(tmp_path):
    """GDAL's OAPIF driver (as QGIS and ogr2ogr use it), asking for EPSG:4490, the national CRS."""
    import pyogrio

    from geoapp.layers import PUBLIC_LAYERS
    from tests.processes import gunicorn
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_DATA_DIR": str(DATA_DIR), "GEOAPP_TILES": "blank",
           "SECRET_KEY": "test", "GEOAPP_PREPARE_REPORT": "0"}
    dataset = load_dataset(DATA_DIR)
    with gunicorn(env, tmp_path / "gunicorn.log") as url:
        for layer in PUBLIC_LAYERS:
            frame = pyogrio.read_dataframe(f"OAPIF:{url}/ogc", layer=layer, CRS="EPSG:4490")
            assert frame.crs.to_epsg() == 4490 and len(frame) == len(dataset[layer]), layer
            assert abs(frame.total_bounds[0] - dataset[layer].total_bounds[0]) < 1e-4, f"{layer}: lon, lat as GIS has them"


# Pages a person can browse (f=html) -----------------------------------------------------------------

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"}


def test_a_browser_gets_pages_and_a_gis_client_json_from_the_same_addresses(client, dataset):
    zone = dataset["zones"].id.iloc[0]
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/zones",
                 "/ogc/collections/zones/queryables", "/ogc/collections/zones/items", f"/ogc/collections/zones/items/{zone}"):
        page, data = client.get(path, headers=BROWSER), client.get(path, headers={"Accept": "*/*"})
        assert page.status_code == data.status_code == 200, path
        assert page.mimetype == "text/html" and data.mimetype != "text/html", path
        assert client.get(f"{path}?f=json", headers=BROWSER).mimetype != "text/html", "f= decides over Accept"
        assert client.get(f"{path}?f=html").mimetype == "text/html"
        assert "Accept" in page.headers["Vary"] and page.headers["ETag"] != data.headers["ETag"], "cached apart"
    definition = client.get("/ogc/api", headers=BROWSER)
    assert definition.status_code == 200 and definition.get_json()["openapi"].startswith("3."), "a definition is JSON"
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html" in client.get("/ogc/conformance").get_json()[
        "conformsTo"]


def test_every_answer_links_its_page_and_the_page_links_its_json_and_its_features(client, dataset):
    stay = dataset["farm_stays"].iloc[0]
    for path in ("/ogc", "/ogc/collections", "/ogc/collections/farm_stays", "/ogc/collections/farm_stays/items?limit=3",
                 f"/ogc/collections/farm_stays/items/{stay.id}"):
        body = client.get(path).get_json()
        [page_link] = [link["href"] for link in body["links"] if link["rel"] == "alternate"]
        page = client.get(page_link.replace("http://localhost", ""))
        assert page.status_code == 200 and page.mimetype == "text/html", path
    items = client.get(f"/ogc/collections/farm_stays/items?f=html&limit=3&stars={stay.stars}").get_data(as_text=True)
    shown = dataset["farm_stays"][dataset["farm_stays"].stars == stay.stars].head(3)
    assert all(f"/ogc/collections/farm_stays/items/{i}?f=html" in items for i in shown.id), "each feature links its page"
    assert f"stars={stay.stars}" in items, "the page's JSON twin keeps the filter"
    one = client.get(f"/ogc/collections/farm_stays/items/{stay.id}?f=html&lang=zh").get_data(as_text=True)
    assert stay.name_zh in one and f"/ogc/collections/farm_stays/items/{stay.id}?f=json" in one


def test_a_page_of_features_holds_at_most_five_hundred(tmp_path):
    from tests.conftest import copy_of_data, make_app
    app = make_app(copy_of_data(tmp_path / "data", farm_stays=1200), tmp_path / "instance")
    client = app.test_client()
    page = client.get("/ogc/collections/farm_stays/items?f=html&limit=5000").get_data(as_text=True)
    assert len(re.findall(r'/ogc/collections/farm_stays/items/[^/?"]+\?f=html', page)) == 500 and "offset=500" in page
    assert len(client.get("/ogc/collections/farm_stays/items?limit=5000").get_json()["features"]) == 1200


def test_pages_show_hostile_names_as_text(hostile_app):
    from tests.conftest import HOSTILE_EN, HOSTILE_ZH
    client = hostile_app.test_client()
    for path in ("/ogc/collections/zones/items?f=html&limit=100", "/ogc/collections/townships/items?f=html&limit=100"):
        page = client.get(path).get_data(as_text=True)
        assert HOSTILE_EN not in page and HOSTILE_ZH not in page
        assert "&lt;/script&gt;" in page or "&lt;img" in page


@pytest.mark.parametrize("layer_id", sorted(PUBLIC_LAYERS))
def test_a_feature_carries_the_values_it_has_and_leaves_out_those_it_has_not(client, dataset, layer_id):
    """A property without a value is left out of a feature, not written as null (GeoJSON's way;
    the queryables still list it): every stored value is there, and nothing else."""
    frame = dataset[layer_id]
    key = LAYERS[layer_id].key_columns[0]
    body = client.get(f"/ogc/collections/{layer_id}/items?limit=10000").get_json()
    assert len(body["features"]) == len(frame)
    stored = frame.set_index(key)
    columns = [c.name for c in LAYERS[layer_id].columns]
    for feature in body["features"]:
        row = stored.loc[feature["id"]]
        assert None not in feature["properties"].values()
        has = {c for c in columns if c in stored.columns and c != key and not pd.isna(row[c])}
        assert set(feature["properties"]) - {key} == has, feature["id"]


def test_the_page_of_features_has_a_column_for_every_property_some_feature_has(client):
    """Features leave out what they have no value for: the page's table still has a column
    for each property any feature on it has, with a dash where a feature has none."""
    for layer_id in sorted(PUBLIC_LAYERS):
        features = client.get(f"/ogc/collections/{layer_id}/items?limit=500").get_json()["features"]
        page = client.get(f"/ogc/collections/{layer_id}/items?limit=500&f=html").get_data(as_text=True)
        header = re.search(r"<thead>(.*?)</thead>", page, re.S).group(1)
        present = {name for f in features for name in f["properties"]} - set(LAYERS[layer_id].key_columns)
        assert all(f">{name}<" in header for name in present), layer_id


@given(rows=st.lists(st.integers(0, 10**6), unique=True, max_size=300), start=st.integers(0, 320),
       length=st.integers(0, 120))
def test_a_page_of_matches_is_the_page_of_the_sorted_matches(rows, start, length):
    """A page is cut from the matches without sorting them all (`first_rows`): the same rows as
    sorting them all and taking the page."""
    from geoapp.analysis.index import first_rows
    matches = np.array(rows, dtype=np.int64)
    assert first_rows(matches, start, start + length).tolist() == np.sort(matches)[start:start + length].tolist()


@settings(max_examples=120, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), lattice=st.sampled_from([0.0, 0.01, 0.1]))
def test_a_box_of_many_points_is_counted_and_paged_as_the_tree_finds_them(data, seed, lattice):
    """A box holding thousands of points is counted on a grid and its first points read in row
    order (`PointGrid`), not listed: the same count and the same page as listing every point the
    STRtree finds in it and sorting them — for boxes in and around the points, on points and
    cell edges, points on a lattice (many on a box's edge) and on one another."""
    import geopandas as gpd

    from geoapp.analysis.index import LayerIndex
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1, (20_000, 2))
    if lattice:
        xy = np.round(xy / lattice) * lattice
    xy[rng.integers(0, len(xy), 500)] = xy[rng.integers(0, len(xy), 500)]   # some on one another
    index = LayerIndex(gpd.GeoDataFrame(geometry=shapely.points(xy), crs=4326))
    grid = index.point_grid
    edge = st.one_of(st.floats(-0.2, 1.2), st.integers(0, len(xy) - 1).map(lambda k: float(xy[k, 0])),
                     st.sampled_from([0.0, 0.5, 1.0, grid.west + grid.width, grid.south + 3 * grid.height]))
    for _ in range(4):
        west, east = sorted([data.draw(edge), data.draw(edge)])
        south, north = sorted([data.draw(edge), data.draw(edge)])
        box = (west, south, east, north)
        inside = np.flatnonzero((xy[:, 0] >= west) & (xy[:, 0] <= east) & (xy[:, 1] >= south) & (xy[:, 1] <= north))
        assert grid.count(box) == len(inside)
        stop = data.draw(st.one_of(st.integers(0, 300), st.integers(0, 12_000)))
        assert grid.first(box, len(inside), stop).tolist() == inside[:stop].tolist()
        start = data.draw(st.integers(0, stop))
        page, matched = index.page_in_box(box, start, stop)
        assert matched == len(inside) and page.tolist() == inside[start:stop].tolist()
        assert np.sort(index.in_box(box)).tolist() == inside.tolist()   # (the tree: what the grid stands in for)


@given(st.text(max_size=40) | st.from_regex(r"[0-9.,a-z_~-]{0,30}", fullmatch=True))
def test_a_parameter_is_quoted_in_links_as_quote_plus_quotes_it(text):
    from urllib.parse import quote_plus

    from geoapp.views.ogc import quoted
    assert quoted(text) == quote_plus(text)
