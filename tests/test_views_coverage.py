"""Pages and JSON: what a user and a script see over HTTP."""
from __future__ import annotations

import gzip
import re

import pytest

from geoapp.figures import ARTICLE_FIGURES
from geoapp.indicators import SHADING
from tests.conftest import HOSTILE_ZH


def test_summary_api_gives_every_figure_with_the_articles_words(client):
    body = client.get("/api/summary").get_json()
    assert set(body["county"]) == {f.key for f in ARTICLE_FIGURES}
    assert all(isinstance(v, int) for v in body["county"].values())
    assert body["county"]["industry_branches"] == 93
    assert all(item["agrees"] for item in body["article"].values())
    assert len(body["zones"]) == 5 and sum(z["industry_branches"] for z in body["zones"]) == 93


def test_coverage_api_lists_townships_zones_and_gaps(client, analysis):
    body = client.get("/api/coverage").get_json()
    assert len(body["townships"]) == 30 and len(body["zones"]) == 5
    assert {m["id"] for m in body["metrics"]} == set(analysis.metrics) > set(SHADING)
    changes = [m for m in body["metrics"] if m["since"] is not None]
    assert changes and all("2014" in m["label_zh"] and "2014" in m["label_en"] for m in changes)
    assert [b["id"] for b in body["gaps"]["bases_outside_zones"]] == list(analysis.gaps.bases_outside_zones.id)
    assert [t["code"] for t in body["gaps"]["townships_without_branch"]] == \
        list(analysis.gaps.townships_without_branch.code)
    assert "geometry" not in body["townships"][0]


@pytest.mark.parametrize("metric", list(SHADING))
def test_the_coverage_page_draws_every_indicator(client, metric):
    response = client.get(f"/coverage?metric={metric}&lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<option value="{metric}" selected>' in page
    assert "geoapp.addLegend" in page


def test_an_unknown_indicator_gets_a_clear_400_and_the_default_map(client):
    response = client.get("/coverage?metric=<b>nope</b>&lang=en")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "metric: there is no “&lt;b&gt;nope&lt;/b&gt;”" in page, "the same message as /api/coverage gives"
    assert "<b>nope</b>" not in page
    assert client.get("/api/coverage?metric=<b>nope</b>&lang=en").status_code == 400


def test_unknown_api_paths_answer_json_404(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_pages_load_scripts_and_styles_only_from_static(client):
    for path in ("/", "/coverage"):
        page = client.get(path).get_data(as_text=True)
        assets = re.findall(r'<script[^>]+src="([^"]+)"', page) + re.findall(r'<link[^>]+href="([^"]+)"', page)
        assert assets, path
        assert all(a.startswith("/static/") for a in assets), [a for a in assets if not a.startswith("/static/")]


def test_the_language_switch_changes_the_labels(app):
    client = app.test_client()
    zh = client.get("/coverage?lang=zh").get_data(as_text=True)
    assert "覆盖检查" in zh and "联动区" in zh and 'lang="zh-Hans"' in zh
    en = client.get("/coverage?lang=en").get_data(as_text=True)
    assert "Coverage check" in en and "覆盖检查" not in en
    remembered = client.get("/").get_data(as_text=True)  # the cookie keeps English
    assert "1. Organisation linkage" in remembered


def test_chinese_is_the_default_for_a_browser_without_preference(app):
    page = app.test_client().get("/", headers={"Accept-Language": ""}).get_data(as_text=True)
    assert "一、组织联动" in page and "联动区以外" in page


def test_responses_are_gzipped_for_browsers_that_ask(client):
    response = client.get("/coverage", headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"leaflet" in gzip.decompress(response.data)


def test_hostile_names_are_escaped_in_the_page(hostile_app):
    client = hostile_app.test_client()
    for lang in ("zh", "en"):
        page = client.get(f"/coverage?lang={lang}").get_data(as_text=True)
        assert '<img src=x onerror="alert(1)">' not in page
        assert "</script><script>alert(3)" not in page
    assert client.get("/api/coverage").get_json()["townships"][0]["name_zh"] == HOSTILE_ZH


@pytest.mark.parametrize("key", ["townships", "zones", "industry_bases", "services", "party_organisations",
                                 "cooperatives", "links", "gap_bases"])
def test_each_coverage_layer_is_served_as_lean_geojson(client, key):
    response = client.get(f"/api/coverage/layers/{key}?metric=loans&lang=en")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = response.get_json()
    assert collection["type"] == "FeatureCollection" and collection["features"]
    assert "name_zh" not in collection["features"][0]["properties"], "popups carry the details, not the layer"


def test_a_popup_says_what_the_feature_is(client, analysis):
    base = analysis.gaps.bases_outside_zones.iloc[0]
    details = client.get(f"/api/coverage/popups/gap_bases/{base.id}?lang=en").get_json()
    assert details["title"] == base.name_en and details["subtitle"] == base.name_zh
    gap = next(value for label, value in details["rows"] if label == "Gap")
    assert "outside every linkage zone" in gap
    township = client.get("/api/coverage/popups/townships/qingxi?lang=zh&metric=loans").get_json()
    loans = int(analysis.townships.set_index("code").loans["qingxi"])
    assert township["title"] == "清溪镇" and ["小额扶持贷款", f"{loans}笔"] in township["rows"]
    labels = [label for label, _value in township["rows"]]
    assert labels.count("小额扶持贷款") == 1, "the shaded indicator is not listed twice"
    established = client.get(f"/api/coverage/popups/industry_bases/{base.id}?lang=zh").get_json()
    year = next((value for label, value in established["rows"] if label == "建立年份"), None)
    assert year is None or (len(year) == 4 and "," not in year), "a year is written as a year"


def test_unknown_layers_features_and_metrics_get_clear_json_errors(client):
    assert client.get("/api/coverage/layers/rivers").status_code == 404
    missing = client.get("/api/coverage/popups/townships/atlantis")
    assert missing.status_code == 404 and "atlantis" in missing.get_json()["message"]
    bad = client.get("/api/coverage/layers/townships?metric=nope&lang=en")
    assert bad.status_code == 400 and "metric: there is no “nope”" in bad.get_json()["message"]
