"""axe-core (vendored from npm, tests/vendor/) run on every kind of page, in Chinese and English,
on a laptop and a phone: no serious or critical violation, and no moderate one that is not in
ACCEPTED with its reason."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA_DIR, NO_ANIMATION, PASSWORD, LiveServer, log_in_page, make_app

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PUBLIC = ["/", "/coverage", "/zones/qingxi-pepper", "/zones/outside", "/branches/PO-I001", "/farmstays",
          "/farmstays/FS01", "/planning", "/login", "/ogc", "/ogc/collections", "/ogc/collections/farm_stays/items?limit=5",
          "/documents/selection-standard"]
OFFICE = ["/admin/data/", "/planning"]
# Moderate findings we keep, each with its reason (none of them hides content from anyone).
ACCEPTED: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = make_app(DATA_DIR, tmp_path_factory.mktemp("a11y") / "instance")
    app.extensions["geoapp"].users.create("keeper", PASSWORD, "admin")
    live = LiveServer(app)
    yield live
    live.stop()


def scan(page, base: str, paths: list[str], lang: str | None = None) -> dict[str, list[dict]]:
    """The violations of each page of `paths` (in `lang`), by path; the pages without any left out."""
    found = {}
    for path in paths:
        page.goto(f"{base}{path}" + (f"{'&' if '?' in path else '?'}lang={lang}" if lang else ""))
        page.wait_for_load_state("networkidle")
        bad = violations(page)
        if bad:
            found[path] = bad
    return found


def violations(page) -> list[dict]:
    page.add_script_tag(content=AXE)
    found = page.evaluate("""() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 160))})))""")
    return [v for v in found if v["impact"] in ("serious", "critical") or
            (v["impact"] == "moderate" and v["id"] not in ACCEPTED)]


@pytest.mark.parametrize("phone", [False, True], ids=["laptop", "phone"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_public_page_passes_axe(server, browser, lang, phone):
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(viewport=size, locale="zh-CN" if lang == "zh" else "en-GB", bypass_csp=True,
                                  is_mobile=phone, has_touch=phone)
    context.add_init_script(NO_ANIMATION)
    try:
        found = scan(context.new_page(), server.url, PUBLIC, lang)
    finally:
        context.close()
    assert found == {}, found


def test_the_office_pages_pass_axe(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", bypass_csp=True)
    try:
        page = context.new_page()
        log_in_page(page, server.url, "keeper", "/admin/data/")
        found = scan(page, server.url, OFFICE)
        assert found == {}, found
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/coverage?lang=zh", "/farmstays?lang=zh", "/farmstays/FS01?lang=zh",
                                  "/ogc/collections/farm_stays/items?lang=zh"])
def test_a_chinese_map_shows_no_english_from_its_libraries(server, open_page, path):
    from tests.test_browser_planning import english_words
    watched = open_page(server.url, path)
    assert english_words(watched.page, "#ogc-map" if path.startswith("/ogc") else ".folium-map") == []
