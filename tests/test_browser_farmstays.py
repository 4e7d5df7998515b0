"""The farm-stay pages in headless chromium, as a tourist uses them: on a phone (390x844, touch)
and on a laptop, in Chinese and English — price labels on the map, the list/map toggle, filter
chips that apply without a page load, "search this area", the way there, photos an admin
uploaded (with no EXIF left), and hostile text that stays text."""
from __future__ import annotations

import io
import re
from urllib.parse import unquote

import geopandas as gpd
import pytest
from shapely.geometry import Point

from tests.conftest import DATA_DIR, PASSWORD, LiveServer, log_in_page, make_app, settled

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844, "has_touch": True, "is_mobile": True}


def list_ids(page) -> list[str]:
    return page.locator("#results li[data-id]").evaluate_all("items => items.map(li => li.dataset.id)")


def marker_ids(page) -> list[str]:
    return page.evaluate("Object.keys(geoapp.farmstays.markers)")


def loaded(page, times: int = 1) -> None:
    page.wait_for_function("n => geoapp.farmstays && geoapp.farmstays.loaded >= n", arg=times)


def open_phone(open_page, base, path, **extra):
    return open_page(base, path, PHONE["width"], PHONE["height"], has_touch=True, is_mobile=True, **extra)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_on_a_phone_the_list_comes_first_and_the_map_shows_prices(live_server, open_page, dataset, lang):
    watched = open_phone(open_page, live_server.url, f"/farmstays?lang={lang}")
    page = watched.page
    loaded(page)
    assert sorted(list_ids(page)) == sorted(marker_ids(page)) == sorted(dataset["farm_stays"].id)
    assert page.locator("#results").is_visible() and not page.locator(".folium-map").is_visible(), "list first"
    assert page.locator(".tourist-header").is_visible() and page.locator(".site-header").count() == 0
    header = page.locator(".tourist-header").bounding_box()
    assert header["height"] < 60, "one row on a phone"
    assert ("示意数据" if lang == "zh" else "Illustrative data") in page.locator(".illustrative").first.inner_text()
    watched.screenshot(f"farmstays-phone-list-{lang}")
    page.locator(".view-toggle [data-view=map]").tap()
    page.wait_for_function("() => geoapp.farmstays.mapLoads >= 2")  # the view at its real size
    settled(page)
    assert page.locator(".folium-map").is_visible() and not page.locator("#results").is_visible()
    pins = page.locator(".leaflet-marker-pane .price-pin:visible")
    groups = page.locator(".leaflet-marker-pane .marker-cluster span").all_inner_texts()
    assert pins.count() >= 1, "prices on the map"
    assert pins.count() + sum(int(n) for n in groups) == len(dataset["farm_stays"]), "every stay is a pin or in a group"
    assert re.fullmatch(r"¥\d+ ★\d", pins.first.inner_text())
    box = pins.first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, "a 44 px tap target"
    watched.screenshot(f"farmstays-phone-map-{lang}")
    assert watched.errors == [] and watched.foreign_requests == []


def test_a_filter_chip_applies_without_a_page_load_and_shows_it_is_on(live_server, open_page, dataset):
    watched = open_phone(open_page, live_server.url, "/farmstays?lang=en")
    page = watched.page
    loaded(page)
    page.evaluate("window.notReloaded = true")
    page.select_option("select[name=stars_min]", "5")
    loaded(page, 2)
    assert page.evaluate("window.notReloaded") is True, "no page load"
    expected = sorted(dataset["farm_stays"][dataset["farm_stays"].stars >= 5].id)
    assert sorted(list_ids(page)) == sorted(marker_ids(page)) == expected
    assert "stars_min=5" in page.url and "price_max" not in page.url, "the address keeps the search, cleanly"
    assert "on" in page.locator("select[name=stars_min]").get_attribute("class")
    watched.screenshot("farmstays-phone-filtered")
    page.go_back()
    loaded(page, 3)
    assert len(list_ids(page)) == len(dataset["farm_stays"])
    assert watched.errors == [] and watched.foreign_requests == []


def test_travel_dates_hide_nothing_and_mark_the_festival(live_server, open_page, dataset):
    watched = open_page(live_server.url, "/farmstays?lang=zh&from=2027-07-20&to=2027-07-28")
    page = watched.page
    loaded(page)
    assert len(list_ids(page)) == len(dataset["farm_stays"])
    assert page.locator("#results .flag.festival").count() >= 1
    assert "行程期间" in page.locator("#results .flag.festival").first.inner_text()
    assert page.locator("#festivals li.on").count() == 2
    page.fill("input[name=from]", "2027-12-01")
    page.fill("input[name=to]", "2027-12-05")
    page.locator("input[name=to]").dispatch_event("change")
    page.wait_for_function("() => new URLSearchParams(location.search).get('to') === '2027-12-05'")
    page.wait_for_selector("#results .flag.closed")  # seasonal stays say they are closed then
    assert len(list_ids(page)) == len(dataset["farm_stays"]), "December shows every stay too"
    assert page.locator("#results .flag.festival").count() == 0
    watched.screenshot("farmstays-dates-zh")
    assert watched.errors == [] and watched.foreign_requests == []


def test_search_this_area_after_panning(live_server, open_page, dataset):
    watched = open_page(live_server.url, "/farmstays?lang=en", 1280, 800)
    page = watched.page
    loaded(page)
    stays = dataset["farm_stays"]
    target = stays.iloc[0].geometry
    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2 + 30, steps=5)
    page.mouse.up()
    page.evaluate("([lat, lon]) => geoapp.map.setView([lat, lon], 14)", [target.y, target.x])
    area = page.locator("#search-area")
    area.wait_for(state="visible")
    area.click()
    loaded(page, 2)
    bounds = page.evaluate("(() => { const b = geoapp.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    inside = stays[stays.geometry.within(gpd.GeoSeries.from_wkt([f"POLYGON(({bounds[0]} {bounds[1]}, {bounds[2]} {bounds[1]}, {bounds[2]} {bounds[3]}, {bounds[0]} {bounds[3]}, {bounds[0]} {bounds[1]}))"])[0])]
    assert stays.iloc[0].id in list_ids(page) and sorted(list_ids(page)) == sorted(inside.id)
    assert "bbox=" in unquote(page.url)


def test_the_list_and_the_map_stay_in_step(live_server, open_page, dataset):
    watched = open_page(live_server.url, "/farmstays?lang=zh", 1280, 800)
    page = watched.page
    loaded(page)
    stay = dataset["farm_stays"].iloc[3]
    page.locator(f'#results li[data-id="{stay.id}"] .meta >> nth=0').click()
    title = page.locator(".leaflet-popup-content .geoapp-popup-title")
    title.wait_for(timeout=5000)
    assert title.inner_text() == stay.name_zh
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator("a.call").get_attribute("href").startswith("tel:+86")
    assert popup.locator("a.amap").get_attribute("href").startswith("https://uri.amap.com/marker?position=")
    watched.screenshot("farmstays-wide-popup")
    assert watched.errors == [] and watched.foreign_requests == []


def test_distance_from_the_visitors_location(live_server, open_page, dataset):
    lat, lon = 29.56, 102.66
    watched = open_phone(open_page, live_server.url, "/farmstays?lang=en", permissions=["geolocation"],
                         geolocation={"latitude": lat, "longitude": lon})
    page = watched.page
    loaded(page)
    page.locator("#locate").tap()
    loaded(page, 2)
    assert "near=29.56000,102.66000" in unquote(page.url) and "sort=distance" in page.url
    origin = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(32648).iloc[0]
    stays = dataset["farm_stays"]
    expected = stays.assign(d=stays.to_crs(32648).distance(origin).round(0)).sort_values(["d", "id"]).id
    assert list_ids(page) == list(expected)
    assert watched.errors == [] and watched.foreign_requests == []


def test_a_refused_location_gets_a_clear_message(live_server, open_page):
    watched = open_phone(open_page, live_server.url, "/farmstays?lang=en")  # no geolocation permission
    page = watched.page
    page.locator("#locate").tap()
    page.wait_for_function("() => document.getElementById('locate-message').textContent.startsWith('Location refused')")
    assert "Distance from" in page.locator("#locate-message").inner_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_farm_stay_page_on_a_phone_shows_the_way_there(live_server, open_page, dataset, lang):
    stay = dataset["farm_stays"].iloc[0]
    watched = open_phone(open_page, live_server.url, f"/farmstays/{stay.id}?lang={lang}")
    page = watched.page
    assert page.locator("h1").inner_text() == (stay.name_zh if lang == "zh" else stay.name_en)
    assert page.locator("a.call").get_attribute("href") == "tel:+86" + stay.phone.replace("-", "")[1:]
    page.locator("details.directions summary").tap()
    for app in ("amap", "baidu", "tencent", "apple"):
        assert page.locator(f"details.directions a.{app}").is_visible()
    text = page.locator("main").inner_text()
    if lang == "en":
        assert stay.address_en in text and stay.season_en in text, "English data fields in English"
    # no photo: something true instead — where it is, with its nearest village and festival venue
    assert page.locator(".where-figure svg.mini-map circle.stay").is_visible()
    metric = "EPSG:32648"
    here = dataset["farm_stays"].to_crs(metric).geometry.iloc[0]
    for layer in ("villages", "festivals"):
        places = dataset[layer].to_crs(metric)
        nearest = places.iloc[int(places.geometry.distance(here).argmin())]
        assert (nearest.name_zh if lang == "zh" else nearest.name_en) in page.locator(".where-figure figcaption").inner_text()
    watched.screenshot(f"farmstay-page-phone-{lang}")
    assert watched.errors == [] and watched.foreign_requests == []


def jpeg_with_gps() -> bytes:
    """A JPEG carrying the photographer's GPS position in its EXIF."""
    from PIL import Image
    image = Image.new("RGB", (1200, 900), (90, 140, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"                      # Make
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (29.0, 24.0, 36.0), 3: "E", 4: (102.0, 39.0, 0.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert b"Exif" in data and Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data


def test_an_admins_photo_shows_on_the_stay_with_no_exif_left(tmp_path, browser):
    from PIL import Image
    app = make_app(DATA_DIR, tmp_path / "instance")
    app.extensions["geoapp"].users.create("keeper", PASSWORD, "admin")
    server = LiveServer(app)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        photo = tmp_path / "gps.jpg"
        photo.write_bytes(jpeg_with_gps())
        log_in_page(page, server.url, "keeper", "/farmstays/FS02")
        page.set_input_files("input[name=photo]", str(photo))
        page.fill("input[name=caption_zh]", "院子")
        page.fill("input[name=credit]", "汉源县文旅局")
        page.locator("form.upload-form button[type=submit]").click()
        page.wait_for_selector(".photos img")
        src = page.locator(".photos img").first.get_attribute("src")
        served = page.request.get(server.url + src)
        assert served.status == 200 and "immutable" in served.headers["cache-control"]
        image = Image.open(io.BytesIO(served.body()))
        assert not image.getexif() and b"Exif" not in served.body() and image.info.get("exif") is None
        assert "院子" in page.locator(".photos").inner_text() and "汉源县文旅局" in page.locator(".photos").inner_text()
        page.screenshot(path=str(tmp_path / "x.png"))
        from tests.conftest import ARTIFACTS
        page.screenshot(path=str(ARTIFACTS / "farmstay-photo-phone.png"))
        page.goto(server.url + "/farmstays?lang=zh")
        page.wait_for_function("() => geoapp.farmstays && geoapp.farmstays.loaded >= 1")
        assert page.locator('#results li[data-id="FS02"] img.stay-photo').count() == 1, "the list shows it too"
        assert errors == []
    finally:
        server.stop()
        context.close()


def test_hostile_names_show_as_text_in_the_popup(hostile_stay_app, open_page):
    from tests.conftest import HOSTILE_ZH
    server = LiveServer(hostile_stay_app)
    try:
        watched = open_page(server.url, "/farmstays?lang=zh")
        page = watched.page
        loaded(page)
        page.locator('#results li[data-id="FS01"] .meta >> nth=0').click()
        title = page.locator(".leaflet-popup-content .geoapp-popup-title")
        title.wait_for(timeout=5000)
        assert title.inner_text() == HOSTILE_ZH
        assert page.locator('#results li[data-id="FS01"] .stay-name').inner_text() == HOSTILE_ZH
        assert watched.dialogs == [] and watched.errors == []
    finally:
        server.stop()


@pytest.fixture(scope="module")
def crowded_server(tmp_path_factory):
    """A live app on 6,000 random farm stays."""
    from tests.conftest import copy_of_data
    root = tmp_path_factory.mktemp("crowded")
    data = copy_of_data(root, farm_stays=6000, seed=7)
    server = LiveServer(make_app(data, root / "instance"))
    server.stays = gpd.read_file(data / "farm_stays.geojson")
    yield server
    server.stop()


def test_thousands_of_stays_on_a_phone_come_as_groups_a_list_page_and_more(crowded_server, open_page):
    watched = open_phone(open_page, crowded_server.url, "/farmstays?lang=zh")
    page = watched.page
    loaded(page)
    assert len(list_ids(page)) == 50, "the list holds one page"
    assert "6000" in page.locator("#results-title").inner_text()
    page.locator("button.more").tap()
    page.wait_for_function("() => document.querySelectorAll('#results li[data-id]').length === 100")
    assert len(set(list_ids(page))) == 100
    page.locator(".view-toggle [data-view=map]").tap()
    page.wait_for_function("() => geoapp.farmstays.mapLoads >= 2")
    groups = page.locator(".stay-group")
    assert groups.count() >= 5, "the county view shows groups, not 6,000 pins"
    counts = [int(t.split("\n")[0]) for t in groups.all_inner_texts()]
    singles = page.locator(".leaflet-marker-pane .price-pin").count()
    clustered = sum(int(n) for n in page.locator(".leaflet-marker-pane .marker-cluster span").all_inner_texts())
    west, south, east, north = page.evaluate(
        "() => { const b = geoapp.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }")
    dx, dy = (east - west) * 0.05, (north - south) * 0.05  # the map asks for a margin around the view
    xs, ys = crowded_server.stays.geometry.x, crowded_server.stays.geometry.y
    in_view = ((xs >= west - dx) & (xs <= east + dx) & (ys >= south - dy) & (ys <= north + dy)).sum()
    assert sum(counts) + singles + clustered == in_view, "the groups count every stay in view once"
    watched.screenshot("farmstays-phone-6000-groups")
    zoom = page.evaluate("() => geoapp.map.getZoom()")
    loads = page.evaluate("() => geoapp.farmstays.mapLoads")
    groups.first.tap()
    page.wait_for_function("n => geoapp.farmstays.mapLoads > n", arg=loads)
    assert page.evaluate("() => geoapp.map.getZoom()") > zoom, "a tap on a group zooms into it"
    watched.screenshot("farmstays-phone-6000-zoomed")
    assert watched.errors == [] and watched.foreign_requests == []


def test_a_listed_stay_inside_a_group_opens_on_the_map(crowded_server, open_page):
    watched = open_page(crowded_server.url, "/farmstays?lang=en", 1280, 800)
    page = watched.page
    loaded(page)
    first = list_ids(page)[0]
    assert page.evaluate("id => !(id in geoapp.farmstays.markers)", first), "grouped at the county view"
    name = page.locator(f'#results li[data-id="{first}"] .stay-name').inner_text()
    page.locator(f'#results li[data-id="{first}"] .meta >> nth=0').click()
    title = page.locator(".leaflet-popup-content .geoapp-popup-title")
    title.wait_for(timeout=10000)
    assert title.inner_text() == name
    assert page.locator("#search-area").is_hidden(), "our own move is not the visitor's"
    settled(page)
    watched.screenshot("farmstays-wide-6000-popup")
    assert watched.errors == [] and watched.foreign_requests == []
