"""The coverage page in headless chromium: drawn, clickable, offline, and safe with any text."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from tests.conftest import HOSTILE_EN, HOSTILE_ZH, LiveServer

pytestmark = pytest.mark.browser


def click_at(watched, lon: float, lat: float) -> None:
    """Click the map at a place given in lon/lat."""
    page = watched.page
    point = page.evaluate("([lat, lon]) => geoapp.map.latLngToContainerPoint([lat, lon])", [lat, lon])
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def quiet_township(analysis) -> tuple[str, float, float]:
    """A served township and a point inside it at least 2 km from every marker and base,
    so that a click there can only hit the township: (code, lon, lat)."""
    data = analysis.dataset
    others = gpd.GeoSeries(pd.concat([data[layer].geometry for layer in
                                      ("party_organisations", "cooperatives", "industry_bases", "festivals",
                                       "farm_stays")]), crs=4326).to_crs(32648)
    served = analysis.townships[analysis.townships.served]
    spots = served.geometry.representative_point()
    distances = [others.distance(spot).min() for spot in gpd.GeoSeries(spots, crs=4326).to_crs(32648)]
    quiet = [(code, spot) for code, spot, d in zip(served.code, spots, distances) if d > 2000]
    if not quiet:
        pytest.fail("no served township has a quiet spot to click")
    code, spot = quiet[0]
    return code, spot.x, spot.y


@pytest.mark.parametrize("width,height,name", [(1280, 800, "coverage-wide"), (390, 844, "coverage-phone")])
def test_coverage_page_draws_townships_zones_and_layer_control_offline(live_server, open_page, width, height, name):
    watched = open_page(live_server.url, "/coverage", width, height)
    page = watched.page
    assert page.evaluate("Object.keys(geoapp.layers.townships).length") == 30
    assert page.evaluate("Object.keys(geoapp.layers.zones).length") == 5
    assert page.locator(".leaflet-overlay-pane path").count() >= 35
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-layers-overlays input").count() >= 7
    assert page.locator(".geoapp-legend").is_visible()
    watched.screenshot(name)
    assert watched.errors == []
    assert watched.foreign_requests == []


def test_clicking_a_township_opens_its_popup(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/coverage?lang=zh")
    code, lon, lat = quiet_township(analysis)
    click_at(watched, lon, lat)
    popup = watched.page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    name = analysis.townships.set_index("code").name_zh[code]
    assert popup.locator(".geoapp-popup-title").inner_text() == name
    assert "特色产业党支部" in popup.inner_text()
    assert watched.errors == [] and watched.foreign_requests == []


def test_a_gap_in_the_side_list_opens_on_the_map(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/coverage?lang=en")
    base = analysis.gaps.bases_outside_zones.iloc[0]
    watched.page.locator(f'#gaps a[data-id="{base.id}"]').first.click()
    popup = watched.page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    assert popup.locator(".geoapp-popup-title").inner_text() == base.name_en
    assert "outside every linkage zone" in popup.inner_text()
    assert watched.errors == []


def test_switching_layers_off_removes_them_from_the_map(live_server, open_page):
    watched = open_page(live_server.url, "/coverage?lang=en")
    page = watched.page
    before = page.locator(".leaflet-overlay-pane path").count()
    page.locator(".leaflet-control-layers").hover()
    page.get_by_text("Party organisations", exact=True).click()
    assert page.locator(".leaflet-overlay-pane path").count() < before


@pytest.fixture
def hostile_server(hostile_app):
    server = LiveServer(hostile_app)
    yield server
    server.stop()


def test_hostile_names_show_as_text_and_never_run(hostile_server, open_page, analysis):
    code = analysis.townships.code.iloc[0]
    for lang in ("zh", "en"):
        watched = open_page(hostile_server.url, f"/coverage?lang={lang}")
        page = watched.page
        assert page.evaluate("Object.keys(geoapp.layers.townships).length") == 30, "the map still draws"
        page.evaluate("([key, id]) => geoapp.show(key, id)", ["townships", code])
        title = page.locator(".leaflet-popup-content .geoapp-popup-title")
        title.wait_for(timeout=5000)
        assert title.inner_text() == (HOSTILE_ZH if lang == "zh" else analysis.townships.name_en.iloc[0])
        page.evaluate("([key, id]) => geoapp.show(key, id)", ["zones", analysis.zones.id.iloc[0]])
        page.wait_for_timeout(300)
        if lang == "en":
            assert page.locator(".leaflet-popup-content .geoapp-popup-title").inner_text() == HOSTILE_EN
        page.locator(".leaflet-control-layers").hover()
        assert watched.dialogs == [] and watched.errors == []
        watched.screenshot(f"coverage-hostile-{lang}")


def test_a_layer_hidden_at_first_is_fetched_and_drawn_when_switched_on(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/coverage?lang=en")
    page = watched.page
    assert page.evaluate("Object.keys(geoapp.layers.cooperatives || {}).length") == 0
    page.locator(".leaflet-control-layers").hover()
    page.get_by_text("Cooperatives and leading enterprises", exact=True).click()
    page.wait_for_function("() => Object.keys(geoapp.layers.cooperatives || {}).length > 0")
    assert page.evaluate("Object.keys(geoapp.layers.cooperatives).length") == len(analysis.dataset["cooperatives"])
    assert watched.errors == [] and watched.foreign_requests == []
