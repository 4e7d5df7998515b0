"""The OGC API as a person browses it (f=html) in headless chromium: from the address a GIS
colleague gave, through the collections, to a page of features on a map and one feature."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale, words", [("zh-CN", {"collections": "集合", "browse": "浏览", "features": "要素"}),
                                           ("en-GB", {"collections": "Collections", "browse": "Browse",
                                                      "features": "Features"})])
def test_a_person_walks_from_the_api_address_to_a_feature_on_a_map(live_server, open_page, dataset, locale, words):
    watched = open_page(live_server.url, "/ogc", locale=locale)
    page = watched.page
    assert page.locator("h1").inner_text().endswith("OGC API – Features")
    page.get_by_role("link", name=words["collections"], exact=False).first.click()
    page.wait_for_url("**/ogc/collections?f=html")
    farm_stays = page.locator("tr", has=page.locator("code", has_text="farm_stays"))
    assert farm_stays.locator("td.num").inner_text().replace(",", "") == str(len(dataset["farm_stays"]))
    farm_stays.get_by_role("link", name=words["browse"]).click()
    page.wait_for_url("**/collections/farm_stays/items?f=html")
    page.wait_for_selector("#ogc-map[data-ready]")
    rows = page.locator("table.data tbody tr")
    assert page.locator("#ogc-map").get_attribute("data-ready") == str(rows.count()) == "10"
    assert words["features"] in page.locator("main p").first.inner_text()
    watched.screenshot(f"ogc-items-{locale}")
    first_page = set(page.locator("table.data tbody tr td a").all_inner_texts())
    page.get_by_role("link", name="→").click()          # the next page of ten
    page.wait_for_url("**offset=10**")
    page.wait_for_selector("#ogc-map[data-ready]")
    second_page = set(page.locator("table.data tbody tr td a").all_inner_texts())
    assert len(second_page) == min(10, len(dataset["farm_stays"]) - 10) and not first_page & second_page
    assert first_page | second_page <= set(dataset["farm_stays"].id)
    page.locator("#ogc-map path.leaflet-interactive").first.click()   # a dot on the map opens its feature
    page.wait_for_url("**/collections/farm_stays/items/*?f=html")
    page.wait_for_selector("#ogc-map[data-ready='1']")
    shown = page.locator("table.properties").inner_text()
    stay_id = page.url.split("/items/")[1].split("?")[0]
    stay = dataset["farm_stays"].set_index("id").loc[stay_id]
    assert stay.name_zh in shown
    watched.screenshot(f"ogc-item-{locale}")
    assert watched.errors == [] and watched.foreign_requests == []
