"""Several counties in one dataset: each county's pages and figures are its own, the whole is
their sum, and the address names the county (`/c/<county>/…`)."""
from __future__ import annotations

import re
import subprocess
import sys

import geopandas as gpd
import pytest

from geoapp.config import ROOT
from geoapp.sample.synthetic import replicate_counties
from tests.conftest import DATA_DIR, fetch_report, make_app

HANYUAN, SECOND = "511823", "511823-c1"
AVERAGES = {"income_gain_yuan_per_capita"}  # a per-person figure: the same, not summed


@pytest.fixture(scope="module")
def two_counties(tmp_path_factory):
    root = tmp_path_factory.mktemp("counties")
    replicate_counties(DATA_DIR, root / "data", 2)
    return make_app(root / "data", root / "instance").test_client()


@pytest.fixture(scope="module")
def one_county(tmp_path_factory):
    return make_app(DATA_DIR, tmp_path_factory.mktemp("one")).test_client()


def figures(client, prefix: str = "") -> dict:
    response = client.get(f"{prefix}/api/summary")
    assert response.status_code == 200
    return response.get_json()["county"]


def test_each_county_has_its_own_figures_and_the_whole_is_their_sum(two_counties, one_county):
    hanyuan, second, whole = (figures(two_counties, f"/c/{HANYUAN}"), figures(two_counties, f"/c/{SECOND}"),
                              figures(two_counties))
    alone = figures(one_county)
    assert hanyuan == alone, "Hanyuan's figures do not change because another county is in the data"
    assert second == alone, "the copy has the same figures under its own keys"
    for key, value in whole.items():
        if key in AVERAGES:
            assert value == hanyuan[key]
        elif isinstance(value, (int, float)):
            assert value == hanyuan[key] + second[key], key
    assert whole["industry_branches"] == 2 * 93 and whole["zones"] == 10


def test_a_countys_pages_show_its_own_townships_and_keep_to_it(two_counties):
    page = two_counties.get(f"/c/{SECOND}/coverage?lang=zh").get_data(as_text=True)
    rows = re.findall(r'data-layer="townships" data-id="([a-z]+)"', page)
    assert len(rows) == 30 and all(code.endswith("zzb") for code in rows), "the second county's townships only"
    menu = re.search(r'<details class="county-menu">.*?</details>', page, re.S).group(0)
    links = re.findall(r'href="(/[^"]*)"', page.replace(menu, ""))   # (the county picker leaves it on purpose)
    inside = [link for link in links if not link.startswith(("/static", "/login", "/c/"))]
    assert f'/c/{SECOND}/zones/' in page and not inside, f"every link stays in the county: {inside[:3]}"
    whole = two_counties.get("/coverage?lang=zh").get_data(as_text=True)
    assert len(re.findall(r'data-layer="townships" data-id="', whole)) == 60
    zone = two_counties.get(f"/c/{SECOND}/api/zones/qingxi-pepper-c1")
    assert zone.status_code == 200
    assert two_counties.get(f"/c/{HANYUAN}/api/zones/qingxi-pepper-c1").status_code == 404
    report = fetch_report(two_counties, "lang=zh", prefix=f"/c/{SECOND}")
    assert report.status_code == 200 and report.data.startswith(b"%PDF")
    stays = two_counties.get(f"/c/{SECOND}/api/farmstays").get_json()
    assert stays["numberMatched"] == 16 and all(f["id"].endswith("-c1") for f in stays["features"])


def test_an_unknown_county_is_a_clear_404(two_counties):
    for path in ("/c/nowhere/coverage?lang=en", "/c/nowhere/api/summary?lang=en"):
        response = two_counties.get(path)
        assert response.status_code == 404
        assert "There is no county" in response.get_data(as_text=True) and HANYUAN in response.get_data(as_text=True)


def test_the_sample_command_writes_several_counties_that_load(tmp_path):
    out = tmp_path / "three"
    done = subprocess.run([sys.executable, "-m", "geoapp.cli", "sample", "--counties", "3", "--townships-per-county", "45",
                           "--farm-stays", "400", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600,
                          env={"GEOAPP_INSTANCE": str(tmp_path / "cli-instance"), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    client = make_app(out, tmp_path / "instance").test_client()
    counties = client.get("/ogc/collections/county/items").get_json()
    assert counties["numberMatched"] == 3
    assert figures(client)["industry_branches"] == 3 * 93
    townships = gpd.read_file(out / "townships.geojson")
    stays = gpd.read_file(out / "farm_stays.geojson")
    assert len(townships) == 3 * 45 and townships.code.is_unique and len(stays) == 3 * 400 and stays.id.is_unique
    found = gpd.sjoin(stays[["id", "township", "geometry"]], townships[["code", "county", "geometry"]],
                      predicate="within")
    assert len(found) == len(stays) and (found.township == found.code).all(), "each stay in the township it names"
    assert sorted(found.groupby("county").size()) == [400, 400, 400]
    assert client.get("/api/farmstays?limit=1").get_json()["numberMatched"] == 1200


def test_any_county_in_the_address_is_answered_without_a_server_error(two_counties):
    from urllib.parse import quote

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=60, deadline=None)
    @given(county=st.text(min_size=1, max_size=30).filter(lambda t: "/" not in t),
           path=st.sampled_from(["/", "/coverage", "/api/summary", "/farmstays", "/zones/x", "/api/farmstays/map"]))
    def check(county, path):
        response = two_counties.get(f"/c/{quote(county, safe='')}{path}")
        assert response.status_code < 500, (county, path, response.status_code)
    check()


def test_a_page_offers_the_same_page_in_each_county_when_there_are_several(two_counties, one_county):
    import re
    page = two_counties.get("/coverage?metric=loans&lang=zh").get_data(as_text=True)
    menu = page[page.index('class="county-menu"'):page.index("</details>")]
    links = re.findall(r'href="([^"]+)"', menu)
    codes = [str(c) for c in two_counties.application.extensions["geoapp"].newest.dataset["county"].code]
    assert links[0] == "/coverage?metric=loans&amp;lang=zh" and len(links) == 1 + len(codes)
    for code, link in zip(codes, links[1:]):
        assert link == f"/c/{code}/coverage?metric=loans&amp;lang=zh"
        there = two_counties.get(link.replace("&amp;", "&"))
        assert there.status_code == 200 and 'aria-current="page"' in there.get_data(as_text=True).split(
            f'href="{link}"')[1][:40], "the county shown is marked"
    assert "全部县" in menu
    assert 'class="county-menu"' not in one_county.get("/coverage").get_data(as_text=True), "one county: no picker"


def test_the_all_counties_legend_groups_the_zones_under_their_county(two_counties):
    legend = two_counties.get("/api/coverage?lang=zh").get_json()["legend"]
    zones = next(s for s in legend["sections"] if s["key"] == "zones")["items"]
    groups = [item["group"] for item in zones]
    counties = two_counties.application.extensions["geoapp"].newest.dataset["county"]
    assert groups == sorted(groups, key=list(counties.name_zh).index), "each county's zones together, in order"
    assert set(groups) == set(counties.name_zh) and len(zones) == 10
    one = two_counties.get(f"/c/{HANYUAN}/api/coverage?lang=zh").get_json()["legend"]
    assert all("group" not in item for item in next(s for s in one["sections"] if s["key"] == "zones")["items"])
