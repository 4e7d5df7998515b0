"""The farm-stay page in headless chromium, on a phone and on a desktop."""
from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

pytestmark = pytest.mark.browser
SIZES = [(390, 844, "phone"), (1280, 800, "wide")]


def list_ids(page) -> list[str]:
    return page.locator("#results li[data-id]").evaluate_all("items => items.map(li => li.dataset.id)")


def marker_ids(page) -> list[str]:
    return page.evaluate("Object.keys(geoapp.layers.farm_stays)")


def loneliest_stay(dataset) -> str:
    """The farm stay farthest from any other marker, so a tap on it can hit nothing else."""
    stays = dataset["farm_stays"].to_crs(32648)
    others = gpd.GeoSeries(list(stays.geometry) + list(dataset["festivals"].to_crs(32648).geometry), crs=32648)
    gaps = [sorted(others.distance(p))[1] for p in stays.geometry]
    return stays.id.iloc[max(range(len(gaps)), key=gaps.__getitem__)]


@pytest.mark.parametrize("width,height,size", SIZES)
def test_list_and_map_stay_in_step(live_server, open_page, dataset, width, height, size):
    watched = open_page(live_server.url, "/farmstays?lang=zh", width, height)
    page = watched.page
    assert sorted(list_ids(page)) == sorted(marker_ids(page)) == sorted(dataset["farm_stays"].id)
    # tapping a list item centres the map on it and opens its popup
    stay = dataset["farm_stays"].iloc[3]
    page.locator(f'#results li[data-id="{stay.id}"] .meta').click()
    title = page.locator(".leaflet-popup-content .geoapp-popup-title")
    title.wait_for(timeout=5000)
    assert title.inner_text() == stay.name_zh
    centre = page.evaluate("geoapp.map.getCenter()")
    assert abs(centre["lat"] - stay.geometry.y) < 0.01 and abs(centre["lng"] - stay.geometry.x) < 0.01
    page.evaluate("geoapp.map.closePopup()")
    # tapping a marker highlights its list item
    lonely = loneliest_stay(dataset)
    # let the smooth scroll started by the list tap finish, then bring the map to the top
    page.wait_for_function("""() => new Promise(done => {
        let last = -1; const settle = () => (window.scrollY === last ? done(true) : (last = window.scrollY,
        setTimeout(settle, 100))); settle(); })""")
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    # the list tap started a zoom animation; a view set before it ends is undone when it ends
    page.wait_for_function("() => !geoapp.map._animatingZoom && !(geoapp.map._panAnim && geoapp.map._panAnim._inProgress)")
    page.evaluate("id => geoapp.map.setView(geoapp.layers.farm_stays[id].getLatLng(), 13, {animate: false})", lonely)
    page.wait_for_timeout(100)
    point = page.evaluate("id => geoapp.map.latLngToContainerPoint(geoapp.layers.farm_stays[id].getLatLng())", lonely)
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector(f'#results li.selected[data-id="{lonely}"]', timeout=5000)
    assert page.locator("#results li.selected").count() == 1
    assert "家农家乐" in page.locator("#results-title").inner_text()  # Chinese is drawn from the catalog
    watched.screenshot(f"farmstays-{size}")
    assert watched.errors == [] and watched.foreign_requests == []


@pytest.mark.parametrize("width,height,size", SIZES)
def test_a_filter_narrows_list_and_map(live_server, open_page, dataset, width, height, size):
    watched = open_page(live_server.url, "/farmstays?lang=en", width, height)
    page = watched.page
    page.locator("summary").click()
    page.select_option("select[name=stars_min]", "5")
    page.locator("#search button[type=submit]").click()
    page.wait_for_url("**stars_min=5**")
    expected = sorted(dataset["farm_stays"][dataset["farm_stays"].stars >= 5].id)
    assert sorted(list_ids(page)) == sorted(marker_ids(page)) == expected
    assert "price_max" not in page.url, "empty fields stay out of the shared address"
    watched.screenshot(f"farmstays-filtered-{size}")
    assert watched.errors == [] and watched.foreign_requests == []


def test_the_language_switch_changes_every_label(live_server, open_page, dataset):
    watched = open_page(live_server.url, "/farmstays?lang=zh", 390, 844)
    page = watched.page
    assert page.locator("#locate").inner_text() == "按离我的距离排序"
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en**")
    assert page.locator("#locate").inner_text() == "Sort by distance from me"
    first = dataset["farm_stays"].set_index("id").name_en[list_ids(page)[0]]
    assert page.locator("#results li .stay-name").first.inner_text() == first
    assert watched.errors == []


def test_distance_from_the_visitors_location(live_server, open_page, dataset):
    lat, lon = 29.56, 102.66
    watched = open_page(live_server.url, "/farmstays?lang=en", 390, 844, permissions=["geolocation"],
                        geolocation={"latitude": lat, "longitude": lon})
    page = watched.page
    page.locator("#locate").click()
    page.wait_for_url("**sort=distance**")
    assert "near=29.56000%2C102.66000" in page.url or "near=29.56000,102.66000" in page.url
    origin = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(32648).iloc[0]
    stays = dataset["farm_stays"]
    expected = stays.assign(d=stays.to_crs(32648).distance(origin).round(0)).sort_values(["d", "id"]).id
    assert list_ids(page) == list(expected)
    assert watched.errors == [] and watched.foreign_requests == []


def test_a_refused_location_gets_a_clear_message(live_server, open_page):
    watched = open_page(live_server.url, "/farmstays?lang=en", 390, 844)  # no geolocation permission
    page = watched.page
    page.locator("#locate").click()
    message = page.locator("#locate-message")
    message.wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('locate-message').textContent.startsWith('Location refused')")
    assert "Distance from" in message.inner_text()


def test_a_farm_stay_page_on_a_phone(live_server, open_page, dataset):
    stay = dataset["farm_stays"].iloc[0]
    watched = open_page(live_server.url, f"/farmstays/{stay.id}?lang=zh", 390, 844)
    page = watched.page
    assert page.locator("h1").inner_text() == stay.name_zh
    assert page.locator("a.phone").get_attribute("href") == "tel:" + stay.phone.replace("-", "")
    assert page.evaluate("Object.keys(geoapp.layers.festivals).length") == len(dataset["festivals"])
    watched.screenshot("farmstay-page-phone")
    assert watched.errors == [] and watched.foreign_requests == []


def test_hostile_names_show_as_text_in_the_popup(hostile_stay_app, open_page):
    from tests.conftest import HOSTILE_ZH, LiveServer
    server = LiveServer(hostile_stay_app)
    try:
        watched = open_page(server.url, "/farmstays?lang=zh")
        page = watched.page
        page.locator('#results li[data-id="FS01"] .meta').click()
        title = page.locator(".leaflet-popup-content .geoapp-popup-title")
        title.wait_for(timeout=5000)
        assert title.inner_text() == HOSTILE_ZH
        assert page.locator('#results li[data-id="FS01"] .stay-name').inner_text() == HOSTILE_ZH
        assert watched.dialogs == [] and watched.errors == []
    finally:
        server.stop()
