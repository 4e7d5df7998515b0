"""Planning in headless chromium: draw a polygon, read the analysis, log in, save it,
restart the app, and find the proposal in the list."""
from __future__ import annotations

import pytest

from tests.conftest import DATA_DIR, PASSWORD, LiveServer, log_in_page, make_app

pytestmark = pytest.mark.browser
CORNERS = [(29.49, 102.60), (29.49, 102.63), (29.51, 102.63), (29.51, 102.60)]  # lat, lon


CORNER_DRAWN = """n => {
  const mode = geoapp.planning.drawControl._toolbars.draw._activeMode;
  return mode && mode.handler._markers.length >= n && !mode.handler._disableMarkers;
}"""


def draw_polygon(page, corners):
    page.locator(".leaflet-draw-draw-polygon").click()
    box = page.locator(".folium-map").bounding_box()
    points = [page.evaluate("ll => geoapp.map.latLngToContainerPoint(ll)", list(c)) for c in corners]
    for number, point in enumerate(points + points[:1]):  # clicking the first corner again closes it
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        if number < len(points):  # each corner is drawn, and the tool ready for the next, before the next click
            page.wait_for_function(CORNER_DRAWN, arg=number + 1)


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


def click_lat_lon(page, lat: float, lon: float) -> None:
    point = page.evaluate("ll => geoapp.map.latLngToContainerPoint(ll)", [lat, lon])
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def test_pick_a_point_inside_a_zone_and_on_a_branch_dot(live_server, open_page, analysis):
    """"Click a point" works where it matters: inside a zone, and on a party branch's dot."""
    watched = open_page(live_server.url, "/planning?lang=zh")
    page = watched.page
    zone = analysis.zones.iloc[0]
    centre = zone.geometry.representative_point()
    page.select_option("#industry", "sichuan_pepper")
    page.evaluate("([lat, lon]) => geoapp.map.setView([lat, lon], 12, {animate: false})", [centre.y, centre.x])
    page.locator("#mode-point").click()
    assert "picking" in page.locator(".folium-map").get_attribute("class"), "the cursor shows the mode"
    click_lat_lon(page, centre.y, centre.x)
    page.wait_for_function("() => geoapp.planning.analysis !== null")
    assert zone.name_zh in page.locator("#analysis").inner_text()
    assert page.locator(".leaflet-popup").count() == 0, "the click went to the tool, not a popup"
    # a click on a branch's dot places the site there
    branch = analysis.dataset["party_organisations"].query("kind == 'industry'").iloc[0]
    page.evaluate("([lat, lon]) => geoapp.map.setView([lat, lon], 14, {animate: false})",
                  [branch.geometry.y, branch.geometry.x])
    page.evaluate("geoapp.planning.analysis = null")
    page.locator("#mode-point").click()
    click_lat_lon(page, branch.geometry.y, branch.geometry.x)
    page.wait_for_function("() => geoapp.planning.analysis !== null")
    assert page.locator(".leaflet-popup").count() == 0
    assert page.evaluate("geoapp.planning.analysis.nearest_branch.distance_m") <= 10
    # Escape leaves the mode; then a click identifies what is there
    page.locator("#mode-point").click()
    page.keyboard.press("Escape")
    assert "picking" not in page.locator(".folium-map").get_attribute("class")
    watched.screenshot("planning-point-in-zone")
    assert watched.errors == [] and watched.foreign_requests == []


def test_no_analysis_until_an_industry_is_chosen_and_the_conclusion_shows_first(live_server, open_page):
    watched = open_page(live_server.url, "/planning?lang=en")
    page = watched.page
    draw_polygon(page, CORNERS)
    page.wait_for_function("() => document.getElementById('planning-status').textContent.includes('industry')")
    assert "Choose the industry of the base first" in page.locator("#planning-status").inner_text()
    assert page.evaluate("geoapp.planning.analysis") is None, "never analysed as a guessed industry"
    page.select_option("#industry", "pear")
    page.wait_for_function("() => geoapp.planning.analysis !== null")
    conclusion = page.locator("#analysis .statement").first
    box = conclusion.bounding_box()
    assert box["y"] + box["height"] <= 800, "what it changes is visible without scrolling at 1280x800"
    assert "village" in page.locator("#analysis").inner_text() and not any(
        "." in word for word in page.locator("#analysis").inner_text().split() if word.endswith("villages")), \
        "whole villages"
    watched.screenshot("planning-conclusion-en")


def test_suggested_sites_name_their_township_and_zone_and_say_why(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/planning?lang=zh")
    page = watched.page
    page.select_option("#industry", "pear")
    page.locator("#suggest").click()
    page.wait_for_selector("#candidates li[data-rank]")
    first = page.locator("#candidates li[data-rank]").first.inner_text()
    assert any(name in first for name in analysis.townships.name_zh), "its township"
    assert "联动区" in first and ("本产业为主导产业" in first or "主导产业不同" in first or "距" in first), "why, in words"
    in_view = page.evaluate("""() => { const b = geoapp.map.getBounds();
        return Object.values(document.querySelectorAll('.candidate-rank')).length > 0 &&
          geoapp.map.getPanes().markerPane.querySelectorAll('.leaflet-marker-icon').length; }""")
    assert in_view >= 10, "the map fits all the suggested sites"
    assert page.locator("#export-csv").get_attribute("href").startswith("/api/plan/candidates.csv")
    watched.screenshot("planning-candidates-zh")
    assert watched.errors == [] and watched.foreign_requests == []


def test_an_approved_proposal_offers_its_planner_no_edit(tmp_path, browser):
    app = make_app(DATA_DIR, tmp_path / "instance")
    state = app.extensions["geoapp"]
    state.users.create("ann", PASSWORD, "planner")
    from shapely.geometry import box
    proposal = state.proposals.create("已批准的基地", "pear", box(102.60, 29.49, 102.61, 29.50), "ann")
    state.proposals.update(proposal.id, "chief", "同意", status="submitted")
    state.proposals.update(proposal.id, "chief", "同意", status="approved")
    server = LiveServer(app)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        log_in_page(page, server.url, "ann", "/planning")
        item = page.locator(f'#proposals li[data-id="{proposal.id}"]')
        item.wait_for()
        assert "已批准" in item.inner_text()
        assert item.locator("button", has_text="编辑").count() == 0 and item.locator("select.move").count() == 0
        item.locator(".stay-name").click()
        assert page.locator("#save-button").is_disabled()
        item.locator("button", has_text="修改记录").click()
        page.wait_for_selector(f'#proposals li[data-id="{proposal.id}"] .history li')
        assert "已提交 → 已批准" in item.locator(".history").inner_text()
        from tests.conftest import ARTIFACTS
        page.screenshot(path=str(ARTIFACTS / "planning-approved-locked.png"))
    finally:
        server.stop()
        context.close()


ENGLISH_WORD = r"[A-Za-z]{3,}"


def english_words(page, selector: str = ".folium-map") -> list[str]:
    """English words a Chinese planner reads in the map's controls (buttons, titles, tooltips,
    aria-labels, the scale bar, the attribution), leaving out proper names of data sources."""
    import re
    shown = page.evaluate("""selector => {
      const map = document.querySelector(selector);
      const texts = [];
      map.querySelectorAll('.leaflet-control-container *, .leaflet-draw-tooltip, .leaflet-draw-actions *').forEach(e => {
        if (e.children.length === 0 && e.textContent.trim()) texts.push(e.textContent.trim());
        for (const name of ['title', 'aria-label']) if (e.getAttribute(name)) texts.push(e.getAttribute(name));
      });
      return texts;
    }""", selector)
    allowed = {"OpenStreetMap", "Leaflet", "WGS", "GCJ", "CGCS"}
    return [t for t in shown for word in re.findall(ENGLISH_WORD, t) if word not in allowed]


def test_a_chinese_planner_reads_no_english_in_the_drawing_tools_or_the_map(live_server, open_page):
    watched = open_page(live_server.url, "/planning?lang=zh")
    page = watched.page
    page.select_option("#industry", "pear")
    assert english_words(page) == []
    page.locator(".leaflet-draw-draw-polygon").click()           # drawing: its actions and tooltip
    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    first = page.evaluate("ll => geoapp.map.latLngToContainerPoint(ll)", list(CORNERS[0]))
    page.mouse.click(box["x"] + first["x"], box["y"] + first["y"])
    page.wait_for_function(CORNER_DRAWN, arg=1)
    page.mouse.move(box["x"] + first["x"] + 40, box["y"] + first["y"] + 30)
    assert page.locator(".leaflet-draw-actions-top").is_visible() and page.locator(".leaflet-draw-tooltip").is_visible()
    assert "完成" in page.locator(".leaflet-draw-actions-top").inner_text()
    watched.screenshot("planning-drawing-zh")
    assert english_words(page) == [], english_words(page)
    page.keyboard.press("Escape")


@pytest.mark.parametrize("typed, datum", [("102.69, 29.4", "wgs84"), ("29.4 102.69", "wgs84"),
                                          ("29.4N, 102.69E", "wgs84"), ("102.6924,29.3975", "gcj02")])
def test_a_typed_or_pasted_point_is_analysed_as_a_click_is(live_server, open_page, analysis, typed, datum):
    watched = open_page(live_server.url, "/planning?lang=en")
    page = watched.page
    page.select_option("#industry", "pear")
    page.fill("#coords", typed)
    page.select_option("#coords-datum", datum)
    page.locator("#coords").press("Enter")
    page.wait_for_function("() => geoapp.planning.analysis !== null")
    site = page.evaluate("geoapp.planning.analysis.site || null")
    result = page.evaluate("geoapp.planning.analysis")
    from shapely.geometry import Point
    townships = analysis.townships
    where = townships[townships.contains(Point(102.69, 29.4))].name_en.iloc[0]
    assert where in page.locator("#analysis").inner_text(), (typed, result.get("townships"), site)
    assert watched.errors == []


def test_numbers_that_read_both_ways_are_asked_about(live_server, open_page):
    watched = open_page(live_server.url, "/planning?lang=zh")
    page = watched.page
    page.select_option("#industry", "pear")
    page.fill("#coords", "29.4 45.1")
    page.locator("#coords-go").click()
    choices = page.locator("#coords-choices button")
    choices.first.wait_for()
    assert choices.count() == 2 and "纬度" in choices.first.inner_text()
    page.fill("#coords", "300, 400")
    page.locator("#coords-go").click()
    page.wait_for_function("() => document.getElementById('planning-status').classList.contains('error')")
    assert "纬度" in page.locator("#planning-status").inner_text()


def test_enter_on_the_map_in_point_mode_places_the_point_at_its_centre(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/planning?lang=en")
    page = watched.page
    page.select_option("#industry", "pear")
    page.evaluate("geoapp.map.setView([29.4, 102.69], 12, {animate: false})")
    page.locator("#mode-point").focus()
    page.keyboard.press("Enter")                         # the button, by keyboard
    page.locator(".folium-map").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => geoapp.planning.analysis !== null")
    from shapely.geometry import Point
    townships = analysis.townships
    where = townships[townships.contains(Point(102.69, 29.4))].name_en.iloc[0]
    assert where in page.locator("#analysis").inner_text()


@pytest.fixture
def planner(tmp_path, browser):
    """A planner logged in on the Chinese planning page of an app of their own (its page)."""
    app = make_app(DATA_DIR, tmp_path / "instance")
    app.extensions["geoapp"].users.create("ann", PASSWORD, "planner")
    server = LiveServer(app)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    log_in_page(page, server.url, "ann", "/planning?lang=zh")
    yield page
    context.close()
    server.stop()


def test_a_save_is_said_beside_the_button_and_a_move_is_confirmed_before_it_happens(planner):
    page = planner
    page.select_option("#industry", "pear")
    page.fill("#coords", "102.69, 29.4")
    page.locator("#coords").press("Enter")
    page.wait_for_function("() => geoapp.planning.analysis !== null")
    page.fill("#save-form input[name=name]", "梨园扩建")
    page.locator("#save-button").click()
    done = page.locator("#save-done")
    done.wait_for(state="visible")
    assert done.inner_text().startswith("已保存")
    assert abs(done.bounding_box()["y"] - page.locator("#save-button").bounding_box()["y"]) < 20, "beside the button"
    item = page.locator("#proposals li[data-id]").first
    item.wait_for()
    item.locator("select.move").select_option("submitted")
    confirm = item.locator(".confirm-move")
    confirm.wait_for(state="visible")
    assert "梨园扩建" in confirm.inner_text() and "已提交" in confirm.inner_text()
    confirm.get_by_role("button", name="否").click()
    assert confirm.is_hidden() and item.locator(".badge.status").inner_text() == "草稿", "nothing moved"
    item.locator("select.move").select_option("submitted")
    item.locator(".confirm-move").get_by_role("button", name="是，改过去").click()
    page.wait_for_function("() => document.querySelector('#proposals li[data-id] .badge.status').textContent === '已提交'")
    from tests.conftest import ARTIFACTS
    page.screenshot(path=str(ARTIFACTS / "planning-moved-zh.png"))


def test_a_pear_base_inside_the_pepper_zone_is_told_whose_zone_it_is(live_server, open_page, analysis):
    zones = analysis.zones
    inside = zones[zones.lead_industry == "sichuan_pepper"].iloc[0].geometry.representative_point()
    watched = open_page(live_server.url, "/planning?lang=zh")
    page = watched.page
    page.select_option("#industry", "pear")
    page.fill("#coords", f"{inside.x:.6f}, {inside.y:.6f}")
    page.locator("#coords").press("Enter")
    page.wait_for_function("() => geoapp.planning.analysis !== null")
    assert "主导产业是花椒，不是梨" in page.locator("#analysis").inner_text()


def test_proposals_are_on_the_map_by_status_and_two_compared_are_drawn_together(planner):
    page = planner
    for name, lon, lat in (("甲", 102.69, 29.40), ("乙", 102.63, 29.50)):
        made = page.evaluate("""([name, lon, lat]) => fetch('/api/proposals', {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
            body: JSON.stringify({type: 'Feature', geometry: {type: 'Point', coordinates: [lon, lat]},
                                  properties: {industry: 'pear', name: name}})}).then(r => r.status)""", [name, lon, lat])
        assert made == 201
    page.reload()
    page.wait_for_function("() => geoapp.planning.proposalLayer.getLayers().length === 2")
    colours = page.evaluate("geoapp.planning.proposalLayer.getLayers().map(l => l.options.color)")
    assert colours == ["#7f7f7f", "#7f7f7f"], "two drafts, in the drafts' colour"
    for tick in page.locator(".compare-tick").all():
        tick.check()
    page.locator("#compare").click()
    page.wait_for_function("() => geoapp.planning.comparedLayer.getLayers().length === 2")
    labels = page.locator(".compare-label").all_inner_texts()
    assert sorted(labels) == ["乙", "甲"]
    bounds = page.evaluate("(() => { const b = geoapp.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()")
    assert bounds[0] < 102.63 and bounds[2] > 102.69 and bounds[1] < 29.40 and bounds[3] > 29.50, "both in view"
    from tests.conftest import ARTIFACTS
    page.screenshot(path=str(ARTIFACTS / "planning-compared-zh.png"))
