"""Data that claims no more than it holds (issue 21): every answer says what is real, the sample's
phone numbers cannot ring anyone, a township says where its seat comes from, and nothing tells
the public a path on the server."""
from __future__ import annotations

import re

import pytest

from tests.conftest import DATA_DIR

JSON_ANSWERS = ["/api/summary", "/api/coverage", "/api/zones", "/api/zones/qingxi-pepper", "/api/farmstays",
                "/api/farmstays/FS01", "/api/branches", "/api/branches/PO-I001"]


@pytest.mark.parametrize("path", JSON_ANSWERS)
def test_every_json_answer_about_the_data_says_what_is_real(client, dataset, path):
    answer = client.get(f"{path}?lang=en").get_json()
    estimated = int(dataset["townships"].coord_source.str.startswith("estimate").sum())
    assert "Illustrative data" in answer["notice"] and f"{estimated} of 30" in answer["notice"]
    assert "Voronoi" in answer["notice"], "the township shapes are said to be derived"


def test_the_summary_names_versions_never_a_path_on_the_server(client):
    text = client.get("/api/summary").get_data(as_text=True)
    assert "/tmp" not in text and ".gpkg" not in text and str(DATA_DIR) not in text
    source = client.get("/api/summary").get_json()["source"]
    assert source["versions"]["townships"] >= 1


def test_the_sample_phone_numbers_cannot_be_dialled_and_say_so_beside_the_button(client, dataset):
    for layer in ("farm_stays", "party_organisations", "committees"):
        phones = dataset[layer].phone.dropna()
        assert len(phones) and all(re.fullmatch(r"0835-0\d{6}", p) for p in phones), layer
    page = client.get("/farmstays/FS01?lang=en").get_data(as_text=True)
    call, note = page.index('class="button call"'), page.index("cannot be dialled")
    assert 0 < note - call < 2500, "the note stands next to the call button"
    card = client.get("/api/farmstays/FS01?lang=en").get_json()
    assert "cannot be dialled" in card["phone_note"]


def test_a_township_says_where_its_seat_comes_from_and_that_its_area_is_of_a_drawn_shape(client, dataset):
    townships = dataset["townships"].set_index("code")
    estimated = townships.index[townships.coord_source.str.startswith("estimate")][0]
    found = townships.index[townships.coord_source.str.startswith("found:gazetteer")][0]
    said = {}
    for code in (estimated, found):
        rows = dict(client.get(f"/api/coverage/popups/townships/{code}?lang=en").get_json()["rows"])
        said[code] = rows["Seat"]
    assert "estimated" in said[estimated] and "gazetteer" in said[found]
    page = client.get("/coverage?lang=en").get_data(as_text=True)
    assert "2013–2019" in page and "乡镇区划" in page
    zone = client.get("/zones/qingxi-pepper?lang=zh").get_data(as_text=True)
    assert "乡镇区划：2013—2019年" in zone
