"""The coverage page in headless chromium: drawn with names and a full legend, identify on
click, indicators switched in place, printable, offline (a local tile archive), and safe with
any text."""
from __future__ import annotations

import subprocess
from urllib.parse import unquote

import geopandas as gpd
import pandas as pd
import pytest

from geoapp.formats import clipped
from tests.conftest import HOSTILE_EN, HOSTILE_ZH, LiveServer, settled

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
    assert page.locator(".leaflet-control-layers-overlays .geoapp-swatch").count() >= 7, "the switcher has swatches"
    assert page.locator(".geoapp-legend").is_visible()
    assert page.locator("main h1").count() == 1
    watched.screenshot(name)
    assert watched.errors == []
    assert watched.foreign_requests == []


def visible_labels(page, kind: str) -> list[str]:
    """The names of `kind` the map shows now (drawn, not hidden for a collision)."""
    return page.evaluate("""kind => geoapp.labels.filter(l => l.label.kind === kind && l.marker._map &&
        l.node.style.visibility === 'visible').map(l => l.node.textContent)""", kind)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_names_every_zone_and_most_townships_and_the_legend_every_symbol(live_server, open_page, analysis,
                                                                                lang):
    watched = open_page(live_server.url, f"/coverage?lang={lang}")
    page = watched.page
    zones = visible_labels(page, "zones")
    # (a long name is cut with an ellipsis on the map; the table beside it has it whole)
    assert sorted(zones) == sorted(map(clipped, analysis.zones[f"name_{lang}"])), "all 5 zone names on the map"
    townships = visible_labels(page, "townships")
    names = analysis.townships[f"name_{lang}"]
    if lang == "en":  # on the map, English township names go without "Town"/"Township"
        names = names.str.replace(r" (Ethnic )?(Town|Township)$", "", regex=True)
    assert len(townships) >= 25 and set(townships) <= set(names)
    for text in zones + townships[:3]:  # really on screen, not under the legend
        box = page.get_by_text(text, exact=True).first.bounding_box()
        map_box = page.locator(".folium-map").bounding_box()
        assert map_box["x"] <= box["x"] and box["x"] + box["width"] <= map_box["x"] + map_box["width"] + 1
    legend = page.locator("#legend-pane").inner_text()
    for name in analysis.zones[f"name_{lang}"]:
        assert name in legend
    for words in ({"zh": "联动区党总支", "en": "zone general branch"}, {"zh": "无联动区党组织的乡镇", "en": "township without"},
                  {"zh": "生产基地", "en": "production base"}):
        assert words[lang] in legend
    assert "," not in " ".join(page.locator("#legend-pane .geoapp-legend-section").first.inner_text().split()), \
        "class breaks read as people write numbers"
    watched.screenshot(f"coverage-labels-{lang}-1280")
    assert watched.errors == [] and watched.foreign_requests == []


def test_clicking_inside_a_township_in_a_zone_lists_the_township_too(live_server, open_page, analysis):
    """Identify, not top-most: a click where a zone covers a township lists both."""
    watched = open_page(live_server.url, "/coverage?lang=zh")
    zones = analysis.zones.to_crs(32648)
    townships = analysis.townships.to_crs(32648)
    zone = zones.iloc[0]
    inside = townships[townships.intersects(zone.geometry)].iloc[0]
    spot = gpd.GeoSeries([inside.geometry.intersection(zone.geometry).representative_point()], crs=32648).to_crs(4326)[0]
    click_at(watched, spot.x, spot.y)
    popup = watched.page.locator(".leaflet-popup-content")
    popup.locator(".geoapp-identify-more").first.wait_for(timeout=5000)
    titles = popup.locator(".geoapp-popup-title").all_inner_texts()
    assert inside.name_zh in titles and zone.name_zh in titles
    assert "特色产业党支部" in popup.inner_text() and "人口" in popup.inner_text(), "the township's facts"
    watched.screenshot("coverage-identify-zh")
    assert watched.errors == [] and watched.foreign_requests == []


def test_clicking_a_township_opens_its_facts(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/coverage?lang=zh")
    code, lon, lat = quiet_township(analysis)
    click_at(watched, lon, lat)
    popup = watched.page.locator(".leaflet-popup-content .geoapp-identify-first")
    popup.wait_for(timeout=5000)
    name = analysis.townships.set_index("code").name_zh[code]
    assert popup.locator(".geoapp-popup-title").inner_text() == name
    assert "特色产业党支部" in popup.inner_text()
    assert watched.errors == [] and watched.foreign_requests == []


def test_another_indicator_changes_shading_legend_and_table_without_a_page_load(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/coverage?lang=zh")
    page = watched.page
    page.evaluate("window.notReloaded = true")
    page.evaluate("geoapp.map.setView([29.45, 102.62], 11, {animate: false})")
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text="党组织").locator("input").uncheck()
    page.select_option("#metric", "loan_amount_yuan")
    page.wait_for_function("() => document.getElementById('metric-heading').textContent === '扶持贷款金额'")
    assert page.evaluate("window.notReloaded") is True, "no page load"
    address = unquote(page.url)
    assert "metric=loan_amount_yuan" in address and "view=11/" in address and "party_organisations" not in address
    assert page.evaluate("geoapp.map.getZoom()") == 11
    assert "万元" in page.locator("#legend-pane").inner_text()
    first_row = page.locator("#township-rows tr").first.inner_text()
    top = analysis.townships.sort_values("loan_amount_yuan", ascending=False).iloc[0]
    assert top.name_zh in first_row and "万元" in first_row
    page.go_back()
    page.wait_for_function("() => document.getElementById('metric-heading').textContent === '特色产业党支部'")
    assert page.evaluate("window.notReloaded") is True
    shared = page.url
    watched.screenshot("coverage-switched-zh")
    again = open_page(live_server.url, shared.replace(live_server.url, ""))  # a shared address opens the same view
    assert again.page.evaluate("geoapp.map.getZoom()") == 11
    assert again.page.evaluate("geoapp.map.hasLayer(geoapp.groups.party_organisations)") is False
    assert watched.errors == [] and again.errors == []


def test_printing_gives_the_whole_map_and_whole_tables(live_server, open_page):
    watched = open_page(live_server.url, "/coverage?lang=zh", 1280, 800)
    page = watched.page
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.wait_for_function("() => geoapp.map.getSize().x === geoapp.map.getContainer().clientWidth")
    map_box = page.locator(".map-pane").bounding_box()
    assert map_box["width"] > 700 and map_box["height"] < 700, "the map fits one A4 landscape page"
    head = page.locator(".print-head")
    assert head.is_visible() and head.bounding_box()["y"] + head.bounding_box()["height"] <= map_box["y"] + 1, \
        "the title sits above the map, not over its north"
    from geoapp.formats import beijing_today
    today = beijing_today()
    assert f"{today.year}年{today.month}月{today.day}日" in head.inner_text() and "示意数据" in head.inner_text()
    legend = page.locator("#legend").bounding_box()
    assert legend["x"] >= map_box["x"] + map_box["width"] - 1, "the legend beside the map, not over its east"
    assert legend["y"] < map_box["y"] + map_box["height"], "on the first page"
    assert page.locator(".north-arrow").is_visible() and page.locator(".leaflet-control-scale").is_visible()
    assert not page.locator(".geoapp-legend").is_visible()
    for table in page.locator("table.data").all():
        assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth + 1"), "no table cut at the edge"
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    from tests.conftest import ARTIFACTS
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "coverage-print.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(ARTIFACTS / "coverage-print.pdf"),
                    str(ARTIFACTS / "coverage-print")], check=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") <= 5, "not eight pages any more"


def test_a_gap_in_the_side_list_opens_on_the_map(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/coverage?lang=en")
    base = analysis.gaps.bases_outside_zones.iloc[0]
    watched.page.locator(f'#gaps a[data-id="{base.id}"]').first.click()
    popup = watched.page.locator(".leaflet-popup-content .geoapp-identify-first")
    popup.wait_for(timeout=5000)
    assert popup.locator(".geoapp-popup-title").inner_text() == base.name_en
    assert "outside every linkage zone" in popup.inner_text()
    assert watched.errors == []


def test_switching_layers_off_removes_them_from_the_map(live_server, open_page):
    watched = open_page(live_server.url, "/coverage?lang=en")
    page = watched.page
    before = page.locator(".leaflet-overlay-pane path").count()
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text="Party organisations").click()
    assert page.locator(".leaflet-overlay-pane path").count() < before
    assert page.locator("#legend-pane .geoapp-legend-section[data-key=party_organisations]").is_hidden(), \
        "the legend drops what is switched off"


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
        title = page.locator(".leaflet-popup-content .geoapp-identify-first .geoapp-popup-title")
        title.wait_for(timeout=5000)
        assert title.inner_text() == (HOSTILE_ZH if lang == "zh" else analysis.townships.name_en.iloc[0])
        page.evaluate("([key, id]) => geoapp.show(key, id)", ["zones", analysis.zones.id.iloc[0]])
        page.wait_for_function("name => [...document.querySelectorAll("
                               "'.leaflet-popup-content .geoapp-identify-first .geoapp-popup-title')]"
                               ".some(t => t.textContent === name)",
                               arg=HOSTILE_EN if lang == "en" else analysis.zones.name_zh.iloc[0])
        names = page.evaluate("geoapp.labels.map(l => l.node.textContent)")
        assert clipped(HOSTILE_ZH if lang == "zh" else HOSTILE_EN) in names, "hostile names are labels' text"
        page.locator(".leaflet-control-layers").hover()
        assert watched.dialogs == [] and watched.errors == []
        watched.screenshot(f"coverage-hostile-{lang}")


def test_a_layer_hidden_at_first_is_fetched_and_drawn_when_switched_on(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/coverage?lang=en")
    page = watched.page
    assert page.evaluate("Object.keys(geoapp.layers.cooperatives || {}).length") == 0
    page.locator(".leaflet-control-layers").hover()
    page.locator(".leaflet-control-layers-overlays label", has_text="Cooperatives and leading enterprises").click()
    page.wait_for_function("() => Object.keys(geoapp.layers.cooperatives || {}).length > 0")
    assert page.evaluate("Object.keys(geoapp.layers.cooperatives).length") == len(analysis.dataset["cooperatives"])
    assert watched.errors == [] and watched.foreign_requests == []


FILL_AT = """([x, y]) => {  // the colour the tiles painted at a point of the page, as #rrggbb
  for (const canvas of document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile')) {
    const box = canvas.getBoundingClientRect();
    if (x < box.left || x >= box.right || y < box.top || y >= box.bottom) continue;
    const px = Math.floor((x - box.left) * canvas.width / box.width);
    const py = Math.floor((y - box.top) * canvas.height / box.height);
    const [r, g, b, a] = canvas.getContext('2d').getImageData(px, py, 1, 1).data;
    if (a) return '#' + [r, g, b].map(v => v.toString(16).padStart(2, '0')).join('');
  }
  return null;
}"""


@pytest.fixture
def tiled_server(tmp_path):
    """The app drawing the coverage map's townships from vector tiles, as it does from
    GEOAPP_TILED_TOWNSHIPS_FROM townships on (here: always)."""
    from tests.conftest import DATA_DIR, make_app
    server = LiveServer(make_app(DATA_DIR, tmp_path / "instance", GEOAPP_TILED_TOWNSHIPS_FROM=0))
    yield server
    server.stop()


def test_townships_drawn_from_vector_tiles_are_coloured_by_the_indicator(tiled_server, open_page, analysis):
    from geoapp.maps.coverage import CoverageMap
    from geoapp.messages import translator
    watched = open_page(tiled_server.url, "/coverage?lang=zh")
    page = watched.page
    tiles = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/townships/" in r.url else None)
    page.evaluate("geoapp.map.setView([29.45, 102.62], 10, {animate: false})")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile').length > 0 "
                           "&& !geoapp.groups.townships.isLoading()")
    assert page.evaluate("Object.keys(geoapp.layers.townships || {}).length") == 0, "no township shapes in the page"
    assert "/tiles/townships/" in page.content() and tiles, "the shapes come as tiles"
    code, lon, lat = quiet_township(analysis)

    def fill_at_township(metric: str) -> tuple[str, str]:
        layers = CoverageMap(analysis, metric, "zh", translator("zh"), disclose=False)  # as the public sees it
        expected = layers.options("townships", "{layer}", None)["style"]["values"][layers.township_classes()[code]]
        point = page.evaluate("([lat, lon]) => geoapp.map.latLngToContainerPoint([lat, lon])", [lat, lon])
        box = page.locator(".folium-map").bounding_box()
        return page.evaluate(FILL_AT, [box["x"] + point["x"], box["y"] + point["y"]]), expected["fillColor"]

    def near(drawn: str, expected: str) -> bool:  # the canvas keeps colours to within rounding
        return drawn is not None and all(abs(int(drawn[i:i + 2], 16) - int(expected[i:i + 2], 16)) <= 3
                                         for i in (1, 3, 5))

    drawn, expected = fill_at_township("industry_branches")
    assert near(drawn, expected), (drawn, expected)
    before = len(tiles)
    page.select_option("#metric", "loan_amount_yuan")
    page.wait_for_function("() => document.getElementById('metric-heading').textContent === '扶持贷款金额'")
    settled(page)
    drawn, expected = fill_at_township("loan_amount_yuan")
    assert near(drawn, expected), "another indicator recolours the same tiles"
    assert len(tiles) == before, "no new tiles for another indicator"
    click_at(watched, lon, lat)  # identify still answers a click inside a township
    popup = page.locator(".leaflet-popup-content .geoapp-identify-first")
    popup.wait_for(timeout=5000)
    assert popup.locator(".geoapp-popup-title").inner_text() == analysis.townships.set_index("code").name_zh[code]
    settled(page)
    watched.screenshot("coverage-from-tiles-zh")
    assert watched.errors == [] and watched.foreign_requests == []


@pytest.fixture(scope="module")
def many_townships_server(tmp_path_factory):
    """The county split into 3,000 townships: over GEOAPP_TILED_TOWNSHIPS_FROM (2,000)."""
    from tests.conftest import copy_of_data, make_app
    root = tmp_path_factory.mktemp("townships")
    data = copy_of_data(root, townships=3000)
    server = LiveServer(make_app(data, root / "instance"))
    server.townships = gpd.read_file(data / "townships.geojson")
    yield server
    server.stop()


def test_three_thousand_townships_come_as_tiles_and_the_page_stays_small(many_townships_server, open_page):
    import gzip
    import urllib.request
    server = many_townships_server
    with urllib.request.urlopen(server.url + "/coverage?lang=zh") as response:
        page = response.read()
    assert len(gzip.compress(page, 6)) < 100_000, "classes and names, not 3,000 shapes"
    watched = open_page(server.url, "/coverage?lang=zh")
    p = watched.page
    p.wait_for_function("() => document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile').length > 0 "
                        "&& !geoapp.groups.townships.isLoading()")
    assert p.evaluate("geoapp.groups.townships.geoappTiled") is True
    assert p.locator("#township-rows tr").count() == 200
    assert "3000" in p.locator("#township-rows-note").inner_text()
    assert p.locator("#gaps .gap-list.inline li a").count() <= 200
    assert 0 < p.evaluate("geoapp.labels.filter(l => l.label.kind === 'townships').length") <= 300
    tiles = p.evaluate("performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('.mvt'))")
    assert tiles and len(tiles) == len(set(tiles)), "one layer of tiles: the gap outlines are drawn on the shading's"
    gap = p.locator("#gaps .gap-list.inline li a").nth(3)  # a township without a branch, from the side list
    gap.click()
    popup = p.locator(".leaflet-popup-content .geoapp-identify-first")
    popup.wait_for(timeout=10000)
    assert popup.locator(".geoapp-popup-title").inner_text() == gap.inner_text()
    p.evaluate("() => { geoapp.map.closePopup(); }")
    settled(p)  # the popup's pan into view ends before the view is set again
    township = server.townships.iloc[2500]  # a small one, not among the named
    spot = township.geometry.representative_point()
    p.evaluate("([lat, lon]) => { geoapp.map.setView([lat, lon], 14, {animate: false}); }", [spot.y, spot.x])
    p.evaluate("() => { window.scrollTo({top: 0, behavior: 'instant'}); }")  # the gap link scrolled to the map
    p.wait_for_function("() => window.scrollY === 0")
    settled(p)
    click_at(watched, spot.x, spot.y)
    popup = p.locator(".leaflet-popup-content .geoapp-identify-first")
    popup.wait_for(timeout=10000)
    assert popup.locator(".geoapp-popup-title").inner_text() == township.name_zh
    settled(p)
    watched.screenshot("coverage-3000-townships-zh")
    assert watched.errors == [] and watched.foreign_requests == []


def test_a_click_after_switching_to_a_change_tells_the_change_the_map_is_coloured_by(live_server, open_page, analysis):
    watched = open_page(live_server.url, "/coverage?lang=en")
    page = watched.page
    page.select_option("#metric", "tourist_visits_change_2014")
    page.wait_for_function("() => document.getElementById('metric-heading').textContent.includes('since 2014')")
    _code, lon, lat = quiet_township(analysis)
    click_at(watched, lon, lat)
    popup = page.locator(".leaflet-popup-content .geoapp-identify-first")
    popup.wait_for(timeout=5000)
    first_row = popup.locator("tr").first.inner_text()
    assert "change since 2014" in first_row, first_row
    assert watched.errors == []


@pytest.mark.parametrize("typed, layer", [("jxz", "townships"), ("九襄梨", "zones"), ("xinhua", "villages")])
def test_the_search_box_finds_a_place_by_name_pinyin_or_initials_and_opens_it(live_server, open_page, analysis,
                                                                             typed, layer):
    watched = open_page(live_server.url, "/coverage?lang=zh")
    page = watched.page
    page.fill("#place-q", typed)
    first = page.locator("#place-results button").first
    first.wait_for()
    name = first.inner_text().split(" · ")[0]
    page.locator("#place-q").press("Enter")    # the keyboard's way: the first place found
    popup = page.locator(".leaflet-popup-content .geoapp-identify-first")
    popup.wait_for(timeout=10000)
    assert popup.locator(".geoapp-popup-title").inner_text() == name
    frame = analysis.townships if layer == "townships" else analysis.dataset[layer]
    assert name in set(frame.name_zh)
    if layer == "villages":
        assert page.evaluate("geoapp.map.hasLayer(geoapp.groups.villages)"), "its layer switched on"
    watched.screenshot(f"coverage-search-{layer}-zh")
    assert watched.errors == []
