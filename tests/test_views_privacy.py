"""Counts of people under five are not public, at any scope and through any door: a township or
zone with 1–4 loans shows neither the count nor the amount (one loan's amount is a person's) in
the JSON, the tables and their CSV and XLSX, the popups and identify, the side list, the map's
shading and the report. A logged-in office user sees them exactly. One rule decides
(`geoapp.indicators.hidden`); this walks every door with every township and zone it hides."""
from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from geoapp.indicators import MIN_PUBLIC_COUNT
from tests.conftest import Auth, copy_of_data, make_app

FEWER_ZH, FEWER_EN = "不足5", "fewer than 5"


@pytest.fixture(scope="module")
def privacy_app(tmp_path_factory):
    """The sample, with the Shuangxi zone's loans cut to 3 (so a zone, not only townships, has few)."""
    folder = tmp_path_factory.mktemp("privacy")
    data = copy_of_data(folder)
    loans = pd.read_csv(data / "loans.csv", dtype=str, keep_default_na=False)
    shuangxi = loans[loans.zone == "shuangxi-peach"]
    loans.drop(shuangxi.index[3:]).to_csv(data / "loans.csv", index=False)
    return make_app(data, folder / "instance")


def small(app) -> tuple[list[str], list[str]]:
    """The townships and zones whose loans are 1 to 4."""
    analysis = app.extensions["geoapp"].newest.analysis
    few = lambda frame: frame[(frame.loans > 0) & (frame.loans < MIN_PUBLIC_COUNT)]  # noqa: E731
    townships, zones = list(few(analysis.townships).code), list(few(analysis.zones).id)
    assert townships and zones == ["shuangxi-peach"], "the data holds what this test is about"
    return townships, zones


def test_the_json_withholds_both_count_and_amount(privacy_app):
    townships, zones = small(privacy_app)
    public = privacy_app.test_client()
    coverage = public.get("/api/coverage").get_json()
    for row in coverage["townships"] + coverage["zones"]:
        key = row.get("code") or row.get("id")
        if key in townships + zones:
            assert row["loans"] is None and row["loan_amount_yuan"] is None, key
        else:
            assert row["loans"] is not None, "figures about five or more people stay public"
    summary_zones = {z["id"]: z for z in public.get("/api/summary").get_json()["zones"]}
    assert summary_zones[zones[0]]["loans"] is None and summary_zones[zones[0]]["loan_amount_yuan"] is None
    office = Auth(privacy_app).client("officer", "planner")
    exact = {t["code"]: t for t in office.get("/api/coverage").get_json()["townships"]}
    assert all(0 < exact[code]["loans"] < MIN_PUBLIC_COUNT for code in townships), "the office sees them exactly"


def test_tables_csv_and_xlsx_withhold_them(privacy_app):
    townships, zones = small(privacy_app)
    public = privacy_app.test_client()
    names = privacy_app.extensions["geoapp"].newest.analysis
    withheld = set(names.townships.set_index("code").name_en[townships]) | set(
        names.zones.set_index("id").name_en[zones])
    for table in ("townships", "zones"):
        text = public.get(f"/coverage/tables.csv?table={table}&lang=en").get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        header = rows[0]
        loans, amount = header.index("Micro-loans"), header.index("Loan amount (yuan)")
        for row in rows[1:]:
            if row[0] in withheld:
                assert row[loans] == row[amount] == FEWER_EN, row
    book = load_workbook(io.BytesIO(public.get("/coverage/tables.xlsx?lang=zh").data))
    cells = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert cells.count(FEWER_ZH) == 2 * (len(townships) + len(zones))


@pytest.mark.parametrize("metric", ["loans", "loan_amount_yuan", "industry_branches"])
def test_popups_identify_side_list_and_shading_withhold_them(privacy_app, metric):
    townships, _zones = small(privacy_app)
    public = privacy_app.test_client()
    analysis = privacy_app.extensions["geoapp"].newest.analysis
    for code in townships:
        popup = public.get(f"/api/coverage/popups/townships/{code}?metric={metric}&lang=zh").get_json()
        rows = dict(popup["rows"])
        assert rows.get("小额扶持贷款", FEWER_ZH) == FEWER_ZH, (code, rows)
        if metric != "industry_branches":
            title = next(m["title"] for m in public.get("/api/coverage?lang=zh").get_json()["metrics"]
                         if m["id"] == metric)
            assert rows[title] == FEWER_ZH, (code, rows)
        seat = analysis.townships.set_index("code").geometry[code].representative_point()
        found = public.get(f"/api/coverage/identify?lat={seat.y}&lon={seat.x}&zoom=12&metric={metric}&lang=zh")
        township = next(f for f in found.get_json()["features"] if f["layer"] == "townships")
        assert dict(township["rows"]).get("小额扶持贷款", FEWER_ZH) == FEWER_ZH
    view = public.get(f"/api/coverage/view?metric={metric}&lang=zh").get_json()
    listed = {row["code"]: row for row in view["townships"]}
    for code in townships:
        if metric != "industry_branches":
            assert listed[code]["value"] == FEWER_ZH
            assert view["classes"][code] == -1, "not shaded by the count it would give away"
    shading = public.get(f"/api/coverage/layers/townships?metric={metric}").get_json()
    classes = {f["id"]: f["properties"]["cls"] for f in shading["features"]}
    assert all((classes[code] == -1) == (metric != "industry_branches") for code in townships)
    office = Auth(privacy_app).client(f"officer-{metric}", "planner")
    exact = office.get(f"/api/coverage/popups/townships/{townships[0]}?metric={metric}&lang=zh").get_json()
    assert FEWER_ZH not in str(exact["rows"])


def test_the_report_withholds_them(privacy_app):
    from tests.test_views_documents import report_pdf_text
    _townships, zones = small(privacy_app)
    text = report_pdf_text(privacy_app.test_client(), "loans", "zh")
    zone_name = privacy_app.extensions["geoapp"].newest.analysis.zones.set_index("id").name_zh[zones[0]]
    page = next(p for p in text.split("\f") if zone_name in p and FEWER_ZH in p)
    assert page, "the zone's page says fewer than 5"
