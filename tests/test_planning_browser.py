"""Planning in headless chromium: draw a polygon, read the analysis, log in, save it,
restart the app, and find the proposal in the list."""
from __future__ import annotations

import pytest

from tests.conftest import DATA_DIR, LiveServer, make_app

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
CORNERS = [(29.49, 102.60), (29.49, 102.63), (29.51, 102.63), (29.51, 102.60)]  # lat, lon


def draw_polygon(page, corners):
    page.locator(".leaflet-draw-draw-polygon").click()
    box = page.locator(".folium-map").bounding_box()
    points = [page.evaluate("ll => geoapp.map.latLngToContainerPoint(ll)", list(c)) for c in corners]
    for point in points + points[:1]:  # clicking the first corner again closes the polygon
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        page.wait_for_timeout(120)


def test_draw_analyse_log_in_save_restart_and_find_it(tmp_path, browser):
    instance = tmp_path / "instance"
    app = make_app(DATA_DIR, instance)
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    server = LiveServer(app)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    foreign, allowed = [], [server.url]
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(allowed[-1] + "/")
               else (foreign.append(route.request.url), route.abort()))
    try:
        page.goto(server.url + "/planning?lang=en")
        page.select_option("#industry", "pear")
        draw_polygon(page, CORNERS)
        page.wait_for_function("() => geoapp.planning.analysis !== null")
        analysis = page.locator("#analysis").inner_text()
        assert "Jiuxiang Town" in analysis and "Jiuxiang Pear Linkage Zone" in analysis
        assert "mu" in analysis and "This is the zone's lead industry." in analysis
        assert page.locator("#save-form").count() == 0, "anonymous visitors cannot save"

        page.locator("#save-section a", has_text="log in").click()
        page.fill("input[name=name]", "ann")
        page.fill("input[name=password]", PASSWORD)
        page.locator("form.login-form button").click()
        page.wait_for_url("**/planning**")
        page.wait_for_function("() => geoapp.planning.analysis !== null")  # the drawing survived the login
        page.fill("#save-form input[name=name]", "Jiuxiang pear extension")
        page.fill("#save-form textarea[name=notes]", "drawn in the browser test")
        page.locator("#save-form button[type=submit]").click()
        page.wait_for_selector("#proposals li[data-id]")
    finally:
        server.stop()

    restarted = LiveServer(make_app(DATA_DIR, instance))  # a new app on the same instance folder
    allowed.append(restarted.url)
    try:
        page.goto(restarted.url + "/planning?lang=en")  # the session cookie is still valid
        item = page.locator("#proposals li[data-id]").first
        item.wait_for()
        assert item.locator(".stay-name").inner_text() == "Jiuxiang pear extension"
        assert "pear" in item.inner_text() and "ann" in item.inner_text()
        from tests.conftest import ARTIFACTS
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "planning-saved.png"))
        assert errors == [] and foreign == []
    finally:
        restarted.stop()
        context.close()


def test_planning_on_a_phone_suggests_sites(live_server, open_page):
    watched = open_page(live_server.url, "/planning?lang=zh", 390, 844)
    page = watched.page
    page.select_option("#industry", "sichuan_pepper")
    page.locator("#suggest").click()
    page.wait_for_selector("#candidates li[data-rank]")
    assert page.locator("#candidates li[data-rank]").count() == 10
    assert page.locator(".candidate-rank").count() == 10
    page.locator("#candidates li[data-rank] button").first.click()
    page.wait_for_function("() => geoapp.planning.analysis !== null")
    assert "花椒产业基地" in page.locator("#analysis").inner_text()  # its nearest pepper bases
    watched.screenshot("planning-phone")
    assert watched.errors == [] and watched.foreign_requests == []
