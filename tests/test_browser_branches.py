"""The branch as the unit of work in headless chromium (issue 20): the office finds a late branch
from the coverage map and sees who to call; a branch secretary reports from a phone, with and
without a signal, and sees the branch turn from red to amber; an admin corrects a report."""
from __future__ import annotations

import re

import pytest

from tests.conftest import DATA_DIR, NO_ANIMATION, PASSWORD, LiveServer, WatchedPage, log_in_page, make_app

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: these tests report activities."""
    app = make_app(DATA_DIR, tmp_path_factory.mktemp("branch-browser") / "instance")
    users = app.extensions["geoapp"].users
    users.create("office", PASSWORD, "admin")
    live = LiveServer(app)
    live.app = app
    yield live
    live.stop()


@pytest.fixture
def new_page(browser):
    contexts = []

    def opener(base: str, locale: str = "zh-CN", **options) -> WatchedPage:
        context = browser.new_context(locale=locale, **({"viewport": {"width": 1280, "height": 800}} | options))
        context.add_init_script(NO_ANIMATION)
        contexts.append(context)
        return WatchedPage(context.new_page(), base)

    yield opener
    for context in contexts:
        context.close()


def red_one_short(server) -> dict:
    """A red industry branch that missed exactly three of its days (the list's own data)."""
    from geoapp.views.branches import branches_list
    served = server.app.extensions["geoapp"]
    listed = branches_list(served.newest, "zh", lambda *a, **k: "", status="red")["branches"]
    return next(b for b in listed if b["missed"] == 3 and not b["silent"] and b["kind"] == "industry")


def test_the_office_finds_a_late_branch_from_the_coverage_map_and_whom_to_call(server, new_page):
    watched = new_page(server.url)
    page = watched.page
    page.goto(server.url + "/coverage")
    first = page.locator("#late .late-list li.red a").first
    name = first.inner_text()
    assert page.locator("#late .late-list li.red").first.locator(".missing").inner_text()
    first.click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == name
    assert page.locator("#standing.red").count() == 1
    call = page.locator(".responsible a.call")
    assert re.fullmatch(r"tel:\+86835\d{7}", call.get_attribute("href"))
    page.locator(".responsible .directions summary").click()
    assert page.locator(".responsible .directions a.amap").is_visible()
    assert page.locator(".chain li").first.inner_text().startswith("县委")
    assert page.locator("#five-days .missing li").count() >= 3 or page.locator(".calendar .missed-mark").count() >= 3
    watched.screenshot("branch-office-late-branch")
    assert watched.errors == [] and watched.foreign_requests == []


def test_a_secretary_reports_from_a_phone_and_the_branch_turns_amber_even_without_signal(server, new_page):
    branch = red_one_short(server)
    server.app.extensions["geoapp"].users.create("secretary", PASSWORD, "branch", branch["id"])
    watched = new_page(server.url, **PHONE)
    page = watched.page
    page.goto(server.url + "/login")
    page.fill("input[name=name]", "secretary")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.login-form button").click()
    page.wait_for_url(f"**/branches/{branch['id']}**")
    assert page.locator("#standing.red").count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page fits the phone"
    form = page.locator("form.activity-form")
    first, second = branch["missing"][0], branch["missing"][1]

    def fill(missing: dict, topic: str) -> None:
        form.locator("select[name=kind]").select_option(missing["kind"])
        form.locator("input[name=date]").fill(f"{missing['month']}-16")
        form.locator("input[name=topic_zh]").fill(topic)
        form.locator("input[name=attendance]").fill("12")

    fill(first, "补开：接待群众来访")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#standing.amber")
    assert "已发送" in page.locator(".report-status").inner_text()
    watched.screenshot("branch-phone-reported")

    page.context.set_offline(True)  # in the orchard, no signal
    fill(second, "补开：远程教育播放")
    form.locator("button[type=submit]").click()
    page.wait_for_function("() => document.querySelector('.report-status').textContent.includes('等待网络')")
    assert page.locator("#standing.amber").count() == 1
    watched.screenshot("branch-phone-waiting")
    page.context.set_offline(False)  # back in the village: it goes by itself
    page.wait_for_function("() => document.querySelector('.report-status').textContent.includes('已发送')")
    assert page.locator(".calendar .activity", has_text="补开：远程教育播放").count() == 1
    assert page.locator("#standing .status-dot").count() == 1
    store = server.app.extensions["geoapp"].stores.reports
    assert sorted(r.topic_zh for r in store.list() if r.branch == branch["id"]) == ["补开：接待群众来访", "补开：远程教育播放"]
    watched.screenshot("branch-phone-sent-after-signal")
    offline = [e for e in watched.errors if "ERR_INTERNET_DISCONNECTED" in e]  # the try without signal
    assert len(offline) <= 2 and [e for e in watched.errors if e not in offline] == []
    assert watched.foreign_requests == []


def test_an_admin_corrects_a_reported_attendance_on_the_branch_page(server, new_page):
    store = server.app.extensions["geoapp"].stores.reports
    report, _ = store.add("someone", branch="PO-I010", date="2015-12-03", kind="open_day", topic_zh="开放日",
                          attendance=120)
    watched = new_page(server.url, locale="en-GB")
    page = watched.page
    log_in_page(page, server.url, "office", "/branches/PO-I010?lang=en")
    activity = page.locator(f"#activity-{report.activity_id}")
    activity.locator("details.correct summary").click()
    activity.locator("input[name=attendance]").fill("12")
    activity.locator("button[value=correct]").click()
    page.wait_for_selector(".flash")
    assert "corrected" in page.locator(".flash").inner_text()
    assert "12 present" in page.locator(f"#activity-{report.activity_id}").inner_text()
    watched.screenshot("branch-admin-corrected")
    assert store.get(report.id).attendance == 12
    assert watched.errors == []
