"""Days of the year (month-day, "03-15"): the check at both doors accepts exactly the real ones
(02-29 included), and every date a page computes from an accepted one exists, in leap years and
in others."""
from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoapp import formats
from geoapp.analysis.farmstays import festival_is_on, next_dates, open_during
from geoapp.dates import in_year, month_day
from geoapp.layers import LAYERS
from tests.conftest import DATA_DIR, make_app, run_cli

EVERY_MONTH_DAY = [f"{m:02d}-{d:02d}" for m in range(0, 14) for d in range(0, 33)]
REAL = {md for md in EVERY_MONTH_DAY if 1 <= int(md[:2]) <= 12
        and 1 <= int(md[3:]) <= [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][int(md[:2]) - 1]}


def festivals_with(start_md: str, end_md: str = "12-31") -> gpd.GeoDataFrame:
    festivals = gpd.read_file(DATA_DIR / "festivals.geojson").iloc[:1].copy()
    festivals["start_md"], festivals["end_md"] = start_md, end_md
    return festivals


def test_the_check_accepts_exactly_the_real_days_of_a_leap_year():
    from geoapp.data.validate import check_frame
    assert len(REAL) == 366
    for md in EVERY_MONTH_DAY:
        _frame, problems = check_frame(LAYERS["festivals"], festivals_with(md))
        assert (problems == []) == (md in REAL), (md, problems[:1])
        assert (month_day(md) is not None) == (md in REAL)


@given(start=st.sampled_from(sorted(REAL)), end=st.sampled_from(sorted(REAL)),
       today=st.dates(dt.date(1999, 1, 1), dt.date(2101, 12, 31)), length=st.integers(0, 400))
def test_every_accepted_day_gives_real_dates_in_any_year(start, end, today, length):
    first, last = next_dates(start, end, today)
    assert first <= last and last >= today
    trip_end = today + dt.timedelta(days=length)
    festival_is_on(start, end, today, trip_end)
    assert open_during(start, end, today, trip_end) in ("open", "partly", "closed")
    assert in_year(start, today.year).year == today.year


def test_29_february_is_the_28th_in_other_years():
    assert in_year("02-29", 2028) == dt.date(2028, 2, 29)
    assert in_year("02-29", 2027) == dt.date(2027, 2, 28)
    assert in_year("02-29", 2100) == dt.date(2100, 2, 28)
    with pytest.raises(ValueError):
        in_year("02-30", 2028)


@pytest.mark.parametrize("start,accepted", [("02-29", True), ("02-30", False), ("04-31", False), ("13-01", False)])
def test_a_festival_on_any_day_is_imported_or_refused_and_the_pages_answer(start, accepted, tmp_path):
    path = tmp_path / "festivals.geojson"
    collection = json.loads((DATA_DIR / "festivals.geojson").read_text(encoding="utf-8"))
    collection["features"][0]["properties"]["start_md"] = start
    collection["features"][0]["properties"]["end_md"] = "03-02"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_DATA_DIR": str(DATA_DIR)}
    imported = run_cli(env, "import", "festivals", str(path))
    assert (imported.returncode == 0) == accepted, imported.stderr
    if not accepted:
        assert "start_md" in imported.stderr and "not a day of the year" in imported.stderr
        return
    client = make_app(DATA_DIR, tmp_path / "instance").test_client()
    for query in ("", "?from=2027-02-27&to=2027-03-01", "?from=2028-02-28&to=2028-03-01&sort=festival"):
        assert client.get(f"/farmstays{query}").status_code == 200, query
        assert client.get(f"/api/farmstays{query}").status_code == 200, query
    marked = client.get("/api/farmstays?from=2027-02-28&to=2027-02-28").get_json()["festivalsOn"]
    assert collection["features"][0]["properties"]["id"] in marked, "on 28 February in a year without the 29th"


@given(st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)), st.integers(0, 400))
def test_a_span_of_days_reads_year_first_in_chinese_with_each_year_written_once(start, length):
    """2027年7月25日–8月20日; 2026年12月20日–2027年1月10日 across a new year; 25 Jul – 20 Aug 2027."""
    end = start + dt.timedelta(days=length)
    chinese, english = formats.day_range(start, end, "zh"), formats.day_range(start, end, "en")
    first, _, last = chinese.partition("–")
    assert first == f"{start.year}年{start.month}月{start.day}日"
    assert last == (f"{end.month}月{end.day}日" if end.year == start.year else f"{end.year}年{end.month}月{end.day}日")
    assert english.endswith(f"{end.day} {end:%b} {end.year}") and english.count(str(end.year)) == 1
    assert (str(start.year) in english.partition(" – ")[0]) == (start.year != end.year)


@pytest.mark.parametrize("start_md, end_md, zh, en", [("03-15", "04-15", "3月15日–4月15日", "15 Mar – 15 Apr"),
                                                      ("12-20", "01-10", "12月20日–1月10日", "20 Dec – 10 Jan"),
                                                      ("02-29", "03-01", "2月29日–3月1日", "29 Feb – 1 Mar")])
def test_a_yearly_season_is_written_as_people_read_it(start_md, end_md, zh, en):
    assert formats.season(start_md, end_md, "zh") == zh and formats.season(start_md, end_md, "en") == en


def test_the_zone_page_gives_its_festivals_dates_in_words(tmp_path):
    client = make_app(DATA_DIR, tmp_path / "instance").test_client()
    festivals = gpd.read_file(DATA_DIR / "festivals.geojson")
    pages = [client.get(f"/zones/{z}").get_data(as_text=True) for z in gpd.read_file(DATA_DIR / "zones.geojson").id]
    page = next(p for p in pages if any(name in p for name in festivals.name_zh))
    shown = [f for f in festivals.itertuples() if f.name_zh in page]
    assert shown and all(formats.season(f.start_md, f.end_md) in page and f.start_md not in page for f in shown)
