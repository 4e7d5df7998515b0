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
