"""The data keeper's page in headless chromium: check a file, import it, watch the progress."""
from __future__ import annotations

import json

import pytest

from geoapp.crs import wgs84_to_gcj02
from tests.conftest import ARTIFACTS, DATA_DIR, PASSWORD, LiveServer, log_in_page, make_app

pytestmark = pytest.mark.browser


def test_check_import_and_watch_progress(tmp_path, browser):
    app = make_app(DATA_DIR, tmp_path / "instance")
    app.extensions["geoapp"].users.create("keeper", PASSWORD, "admin")
    collection = json.loads((DATA_DIR / "farm_stays.geojson").read_text(encoding="utf-8"))
    for feature in collection["features"]:  # collected on Amap: GCJ-02
        lon, lat = feature["geometry"]["coordinates"]
        feature["geometry"]["coordinates"] = [float(v) for v in wgs84_to_gcj02(lon, lat)]
    collection["features"][3]["properties"]["price"] += 7   # and one price changed since
    upload = tmp_path / "amap_stays.geojson"
    upload.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    server = LiveServer(app)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        log_in_page(page, server.url, "keeper", "/admin/data/?lang=en")
        page.select_option("select[name=layer]", "farm_stays")
        page.set_input_files("input[name=file]", str(upload))
        page.locator(".upload-form button[type=submit]").click()
        page.wait_for_selector(".hint")
        assert "GCJ-02" in page.locator(".hint").inner_text()  # the report says what it looks like
        page.go_back()
        page.select_option("select[name=layer]", "farm_stays")
        page.select_option("select[name=crs]", "gcj02")
        page.set_input_files("input[name=file]", str(upload))
        page.locator(".upload-form button[type=submit]").click()
        changes = page.locator(".changes").inner_text()
        assert "What it changes against version 1" in changes and "0 added, 0 removed, 1 changed" in changes
        stay = collection["features"][3]["properties"]
        assert f"{stay['id']}\tprice\t{stay['price'] - 7:g}\t{stay['price']:g}" in changes
        page.screenshot(path=str(ARTIFACTS / "admin-check-changes-en.png"), full_page=True)
        import_button = page.get_by_role("button", name="Import as version 2")
        page.get_by_label("import it as version 2 of Star-rated farm stays (farm_stays)").check()
        import_button.click()
        page.wait_for_function("() => document.getElementById('stage').textContent.startsWith('Done')")
        assert page.locator("#progress").evaluate("bar => bar.value") == 1
        assert "version 2, 16 rows" in page.locator("#stage").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "admin-import-done.png"))
        page.goto(server.url + "/admin/data/?lang=en")
        row = page.locator("tr.current", has_text="amap_stays.geojson")
        assert row.count() == 1 and "keeper" in row.inner_text()
        assert errors == []
    finally:
        server.stop()
        context.close()
