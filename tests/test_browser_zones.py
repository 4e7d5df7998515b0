"""The zone pages and the county page in headless chromium: four panels, each with its chart
and table, the organisation tree opening and closing, readable on a phone, in both languages."""
from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang,width,height", [("zh", 1280, 800), ("en", 390, 844)])
def test_every_zone_page_shows_four_panels_a_chart_and_its_tree(live_server, open_page, analysis, lang, width, height):
    for zone in analysis.zones.itertuples():
        watched = open_page(live_server.url, f"/zones/{zone.id}?lang={lang}", width, height)
        page = watched.page
        for strand in ("organisation", "team", "service", "development"):
            panel = page.locator(f"section#{strand}")
            assert panel.is_visible()
            assert panel.locator("h2").inner_text().strip()
        assert page.locator("section#team .chart-svg svg").count() >= 2      # pipeline, the five days
        assert page.locator("section#development .chart-svg svg").count() >= 1  # plans
        # the charts are drawn from the data: the five days' bars carry the table's counts
        assert page.locator("section#team table.chart-table tbody tr").count() >= 5
        # the tree: the general branch open with its branches; a click closes it
        root = page.locator(f'li[data-org="{zone.general_branch}"] > details')
        assert root.get_attribute("open") is not None
        first_branch = page.locator(f'li[data-org="{zone.general_branch}"] li').first
        assert first_branch.is_visible()
        root.locator("summary").first.click()
        assert not first_branch.is_visible()
        # the map image loads (a real PNG from the server) and nothing is wider than the screen
        assert page.evaluate("document.querySelector('.zone-map img').naturalWidth") > 300
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        page.screenshot(path=str(ARTIFACTS / f"zone-{zone.id}-{lang}-{width}.png"), full_page=True)
        assert watched.errors == [] and watched.foreign_requests == []


def test_the_county_page_links_each_figure_to_the_zone_pages(live_server, open_page):
    watched = open_page(live_server.url, "/?lang=zh")
    page = watched.page
    assert page.locator("section.strand").count() == 4
    page.locator('tr[data-key="industry_branches"] td.by-zone a').first.click()
    page.wait_for_load_state("networkidle")
    assert "/zones/" in page.url and page.locator("section#organisation").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    watched.page.go_back()
    page.screenshot(path=str(ARTIFACTS / "county-four-strands-zh.png"), full_page=True)
    assert watched.errors == []
