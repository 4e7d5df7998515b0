"""A tourist on a phone, where pages give up on people (issue 22): a search that fails on a mountain
road, no signal at all, Back from a stay, pinyin initials, a stay without photos, sharing a stay
in WeChat — in headless chromium at 390 px, in Chinese and English."""
from __future__ import annotations

import json

import pytest

from tests.conftest import LiveServer, copy_of_data, make_app

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844, "has_touch": True, "is_mobile": True}


def open_phone(open_page, base, path, **extra):
    return open_page(base, path, PHONE["width"], PHONE["height"], has_touch=True, is_mobile=True, **extra)


def loaded(page, times: int = 1) -> None:
    page.wait_for_function("n => geoapp.farmstays && geoapp.farmstays.loaded >= n", arg=times)


def list_ids(page) -> list[str]:
    return page.locator("#results li[data-id]").evaluate_all("items => items.map(li => li.dataset.id)")


@pytest.fixture(scope="module")
def many_stays(tmp_path_factory):
    """A server with more stays than one page of the list (the list pages 50 at a time)."""
    folder = tmp_path_factory.mktemp("many-stays")
    live = LiveServer(make_app(copy_of_data(folder / "data", farm_stays=130), folder / "instance"))
    yield live
    live.stop()


@pytest.mark.parametrize("lang, words", [("zh", {"failed": "无法加载农家乐", "stale": "可能不是最新的", "retry": "重试"}),
                                         ("en", {"failed": "Could not load the farm stays", "stale": "out of date",
                                                 "retry": "Retry"})])
def test_a_failed_search_says_so_in_the_pages_language_keeps_the_list_marked_and_retries(live_server, open_page, lang,
                                                                                          words):
    # (no service worker here: what it answers, the test's network cannot intercept)
    watched = open_phone(open_page, live_server.url, f"/farmstays?lang={lang}", service_workers="block")
    page = watched.page
    loaded(page)
    before = list_ids(page)
    heading = page.locator("#results-title").inner_text()
    # the road loses the signal half way: the answer is a proxy's HTML error page, not JSON
    searches = lambda url: "/api/farmstays?" in url  # noqa: E731
    page.route(searches, lambda route: route.fulfill(status=502, content_type="text/html",
                                                                 body="<html>Bad Gateway</html>"))
    page.locator("select[name=stars_min]").select_option("4")
    status = page.locator("#search-status")
    status.wait_for(state="visible")
    said = status.inner_text()
    assert words["failed"] in said and words["stale"] in said and "Unexpected token" not in said
    assert "<html" not in said and "Bad Gateway" not in said, "the page's words, never a raw browser error"
    assert page.locator("#results-title").inner_text() == heading, "the heading still counts the list shown"
    assert list_ids(page) == before and "stale" in page.locator("#results").get_attribute("class")
    watched.screenshot(f"tourist-search-failed-{lang}")
    page.unroute(searches)
    page.get_by_role("button", name=words["retry"]).tap()
    status.wait_for(state="hidden")
    page.wait_for_function("() => !document.getElementById('results').classList.contains('stale')")
    assert len(list_ids(page)) < len(before), "the retried search applies the filter"
    assert not [e for e in watched.errors if "502" not in e]


def test_a_wrong_parameter_is_named_in_the_pages_language(live_server, open_page):
    watched = open_phone(open_page, live_server.url, "/farmstays?lang=zh")
    page = watched.page
    loaded(page)
    page.evaluate("""() => { const f = document.getElementById('search');
                             f.elements.near.value = '99,999'; f.dispatchEvent(new Event('change')); }""")
    status = page.locator("#search-status")
    status.wait_for(state="visible")
    assert "near" in status.inner_text() and "纬度" in status.inner_text(), status.inner_text()


def test_pinyin_initials_find_a_stay_and_the_trip_chip_is_in_view(live_server, open_page, dataset):
    watched = open_phone(open_page, live_server.url, "/farmstays?lang=zh")
    page = watched.page
    loaded(page)
    dates = page.locator("label.chip.dates").bounding_box()
    assert dates["x"] + dates["width"] <= PHONE["width"], "the travel dates are on the first screen"
    stays = dataset["farm_stays"]
    from pypinyin import lazy_pinyin
    name = stays.name_zh.iloc[5]
    initials = "".join(s[0] for s in lazy_pinyin(name))
    page.locator("input[name=q]").fill(initials)
    page.wait_for_function("ids => { const shown = [...document.querySelectorAll('#results li[data-id]')]"
                           ".map(li => li.dataset.id); return shown.length && shown.includes(ids); }",
                           arg=stays.id.iloc[5])
    assert name in page.locator("#results").inner_text()
    more = page.locator("button.more")
    assert not more.is_visible(), "no 'More' when every stay is listed"
    control = page.locator("select[name=place] option[value='']").inner_text().rstrip("…")
    assert f"“{control}”" in page.locator("#locate").get_attribute("data-refused"), "the message names the control shown"


def test_back_from_a_stay_returns_to_the_same_place_in_the_list_and_to_the_map(many_stays, open_page):
    watched = open_phone(open_page, many_stays.url, "/farmstays?lang=zh")
    page = watched.page
    loaded(page)
    page.locator("button.more").tap()
    page.wait_for_function("() => document.querySelectorAll('#results li[data-id]').length > 50")
    target = page.locator("#results li[data-id]").nth(70)
    target.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 2000
    target_id = target.get_attribute("data-id")
    target.locator("a.stay-name").tap()
    page.wait_for_url(f"**/farmstays/{target_id}*")
    page.go_back()
    page.wait_for_selector("body[data-place-restored]")
    assert len(list_ids(page)) > 70, "the pages that were shown are shown again"
    assert abs(page.evaluate("window.scrollY") - scrolled) < 60, "the list is where it was"
    assert page.locator(f'#results li[data-id="{target_id}"]').is_visible()
    # from the map: Back returns to the map
    page.locator(".view-toggle [data-view=map]").tap()
    assert "view=map" in page.url
    page.goto(many_stays.url + f"/farmstays/{target_id}?lang=zh")
    page.go_back()
    page.wait_for_function("() => document.body.classList.contains('view-map')")
    assert page.locator(".folium-map").is_visible() and not page.locator("#results").is_visible()


def test_a_stay_without_photos_shows_where_it_is_and_the_legend_explains_the_map(live_server, open_page, dataset):
    watched = open_phone(open_page, live_server.url, "/farmstays?lang=en")
    page = watched.page
    loaded(page)
    first = page.locator("#results li[data-id]").first
    assert first.locator("svg.mini-map circle.stay").count() == 1 and first.locator(".placeholder").count() == 0
    assert first.locator(".where").inner_text().startswith("Near ")
    page.locator(".view-toggle [data-view=map]").tap()
    legend = page.locator(".price-legend").inner_text()
    assert "festival venue" in legend and "stars" in legend and "grouped" in legend
    watched.screenshot("tourist-map-legend-en")


def test_a_stay_is_shared_with_its_link_and_carries_share_metadata(live_server, open_page, dataset):
    stay = dataset["farm_stays"].iloc[2]
    watched = open_phone(open_page, live_server.url, f"/farmstays/{stay.id}?lang=zh")
    page = watched.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    assert page.locator('meta[property="og:title"]').get_attribute("content") == stay.name_zh
    assert "¥" in page.locator('meta[property="og:description"]').get_attribute("content")
    page.evaluate("() => { delete Navigator.prototype.share; }")   # WeChat's browser has no share sheet
    page.get_by_role("button", name="分享").tap()
    page.locator("#copy-message").wait_for(state="visible")
    assert "微信" in page.locator("#copy-message").inner_text()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert stay.name_zh in copied and f"/farmstays/{stay.id}" in copied


def test_without_a_signal_a_stay_already_seen_and_the_saved_stays_still_open(live_server, browser, dataset):
    stay = dataset["farm_stays"].iloc[3]
    context = browser.new_context(viewport={"width": PHONE["width"], "height": PHONE["height"]}, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/farmstays?lang=zh")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null || "
                               "document.documentElement.dataset.worker === 'registered'")
        page.reload()   # now the worker looks after the page and what it loads
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        loaded(page)
        page.goto(f"{live_server.url}/farmstays/{stay.id}?lang=zh")
        page.get_by_role("button", name="保存到本机").tap()
        page.wait_for_function("() => document.querySelector('.save-stay').getAttribute('aria-pressed') === 'true'")
        page.wait_for_function("id => caches.open('geoapp-pages').then(c => c.keys())"
                               ".then(keys => keys.some(k => k.url.includes('/farmstays/' + id)))", arg=stay.id)
        context.set_offline(True)
        page.goto(f"{live_server.url}/farmstays/{stay.id}?lang=zh")
        assert page.locator("h1").inner_text() == stay.name_zh
        assert page.locator("#offline-notice").is_visible()
        assert page.locator("a.call").get_attribute("href").startswith("tel:+86"), "the call link works offline"
        page.screenshot(path="test-artifacts/tourist-offline-stay-zh.png")
        page.goto(f"{live_server.url}/farmstays?lang=zh")
        saved = page.locator("#saved-stays")
        saved.wait_for(state="visible")
        assert stay.name_zh in saved.inner_text() and saved.locator("a.call").count() == 1
        assert page.locator("#offline-notice").is_visible()
        page.screenshot(path="test-artifacts/tourist-offline-list-zh.png")
        kept = json.loads(page.evaluate("localStorage.getItem('geoapp.savedStays')"))
        assert list(kept) == [stay.id]
    finally:
        context.close()


def test_the_tourist_pages_install_as_an_app(live_server, open_page):
    watched = open_phone(open_page, live_server.url, "/farmstays?lang=zh")
    page = watched.page
    manifest_url = page.locator('link[rel="manifest"]').get_attribute("href")
    manifest = page.evaluate("url => fetch(url).then(r => r.json())", manifest_url)
    assert manifest["name"] == "汉源乡村旅游" and manifest["start_url"].startswith("/farmstays")
    for icon in manifest["icons"]:
        assert page.evaluate("url => fetch(url).then(r => r.ok)", icon["src"])
    page.wait_for_function("() => document.documentElement.dataset.worker === 'registered'")
    assert watched.errors == []
