"""OGC API – Features at /ogc: the resources, paging, bbox and property filters, the
OpenAPI definition, and OWSLib (a real client) reading every public layer over HTTP."""
from __future__ import annotations

import pytest
import shapely
from openapi_spec_validator import validate

from geoapp.layers import LAYERS, PUBLIC_LAYERS


def test_landing_conformance_and_collections(client):
    landing = client.get("/ogc").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in \
        client.get("/ogc/conformance").get_json()["conformsTo"]
    ids = [c["id"] for c in client.get("/ogc/collections").get_json()["collections"]]
    assert ids == list(PUBLIC_LAYERS) == ["county", "townships", "zones", "industry_bases", "party_organisations",
                                          "cooperatives", "farm_stays", "festivals"]
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
                                           ("stars=many", "stars must be a number"), ("f=html", "speaks JSON")])
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
