"""The branch as the unit of work (issue 20): where each branch stands on its five days (the
rule written on the page), the chain of committees above it, the ranking of a zone's branches,
and the data fixes that came with them."""
from __future__ import annotations

import pandas as pd
import pytest

from geoapp.analysis import branches
from geoapp.layers import ACTIVITY_KINDS


def organisations(*ids: str, members: int = 10) -> pd.DataFrame:
    return pd.DataFrame({"id": list(ids), "members": members})


def held(branch: str, months: list[str], kinds=ACTIVITY_KINDS, attendance: int = 8) -> list[dict]:
    return [{"id": f"{branch}-{m}-{k}", "branch": branch, "date": f"{m}-10", "kind": k, "attendance": attendance}
            for m in months for k in kinds]


def activities(*rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([r for part in rows for r in part], columns=["id", "branch", "date", "kind", "attendance"])


LAST_THREE = ["2015-10", "2015-11", "2015-12"]


@pytest.mark.parametrize("missed, expected", [(0, "green"), (1, "amber"), (2, "amber"), (3, "red"), (9, "red")])
def test_a_branch_is_green_amber_or_red_by_the_days_it_missed_in_the_last_three_months(missed, expected):
    slots = [(m, k) for m in LAST_THREE for k in ACTIVITY_KINDS]
    kept = [{"id": f"x{i}", "branch": "B", "date": f"{m}-05", "kind": k, "attendance": 5}
            for i, (m, k) in enumerate(slots[missed:])]
    # a day in December keeps it from being "silent" whatever it missed
    table = branches.standing(organisations("B", "other"), activities(kept, held("other", ["2015-12"]))).table
    assert table.at["B", "status"] == expected
    assert table.at["B", "missed"] == missed and len(table.at["B", "missing"]) == missed


def test_nothing_held_in_the_last_two_months_is_red_even_with_a_full_month_before():
    table = branches.standing(organisations("quiet", "busy"),
                              activities(held("quiet", ["2015-10"]), held("busy", LAST_THREE))).table
    assert table.at["quiet", "status"] == "red" and table.at["quiet", "silent"]
    assert table.at["busy", "status"] == "green"


def test_the_standing_is_for_the_latest_month_with_records_unless_another_is_asked_for():
    rows = activities(held("B", ["2015-07", "2015-08", "2015-09"]), held("C", ["2015-12"], kinds=["open_day"]))
    latest = branches.standing(organisations("B", "C"), rows)
    assert latest.as_of == "2015-12" and latest.months == tuple(LAST_THREE)
    assert latest.table.at["B", "status"] == "red"
    september = branches.standing(organisations("B", "C"), rows, pd.Period("2015-09", "M"))
    assert september.table.at["B", "status"] == "green"
    assert [m["month"] for m in september.table.at["C", "missing"]][:1] == ["2015-07"]


def test_the_attendance_rate_is_attendance_over_members_at_the_days_held():
    table = branches.standing(organisations("B", members=20), activities(held("B", LAST_THREE, attendance=15))).table
    assert table.at["B", "attendance_rate"] == pytest.approx(0.75)


@pytest.mark.parametrize("text", ["2015-13", "15-12", "2015-1", "december", "2015-12-01", "' OR 1=1"])
def test_a_month_that_is_not_one_is_refused_with_its_form(text):
    with pytest.raises(branches.BadMonth) as refused:
        branches.parse_month(text)
    assert "2015-12" in str(refused.value.message)


def test_the_chain_above_an_industry_branch_ends_with_the_county_committee(dataset):
    organisations = dataset["party_organisations"]
    for org in organisations[organisations.kind == "industry"].itertuples():
        chain = branches.parents(dataset, org.id)
        assert [link["kind"] for link in chain] == ["general", "township", "county"], org.id
        assert chain[0]["id"] == org.parent


def test_every_organisation_without_a_parent_has_a_committee_above_it(dataset):
    organisations = dataset["party_organisations"]
    for org in organisations[organisations.parent.isna()].itertuples():
        assert branches.parents(dataset, org.id)[-1]["kind"] == "county", org.id


def test_a_loop_in_the_parents_ends_the_chain_instead_of_running_forever(dataset):
    organisations = dataset["party_organisations"].copy()
    general = organisations.index[organisations.id == "PO-G1"][0]
    organisations.loc[general, "parent"] = "PO-I001"   # PO-I001's parent is PO-G1: a loop
    chain = [link["id"] for link in branches.parents(dataset.replace("party_organisations", organisations), "PO-I001")]
    assert chain[0] == "PO-G1" and "PO-I001" not in chain and len(chain) == len(set(chain))


def test_a_ranking_score_is_the_sum_of_its_parts_and_the_order_follows_it(analysis):
    dataset = analysis.dataset
    located = dataset["party_organisations"].assign(zone=dataset["party_organisations"].zone_at)
    for zone in analysis.zones.id:
        ranked = branches.ranking(located, analysis.standing.table, dataset["zone_plans"], zone)
        assert ranked, zone
        for row in ranked:
            assert row["score"] == pytest.approx(sum(row["parts"].values()), abs=0.11)
            assert 0 <= row["score"] <= 100
        assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)


def test_the_sample_has_branches_of_every_standing_and_one_a_report_short_of_amber(analysis):
    table = analysis.standing.table
    assert set(table.status) == {"green", "amber", "red"}
    assert ((table.status == "red") & (table.missed == 3) & ~table.silent).any()


def test_the_data_errors_found_are_fixed(dataset):
    organisations = dataset["party_organisations"]
    industry = organisations[organisations.kind == "industry"]
    assert (industry.party_groups * 3 <= industry.members.clip(lower=3)).all(), "a group has at least 3 members"
    assert industry.party_groups.sum() >= 190
    names = organisations.name_zh
    assert not names.duplicated().any()
    festivals = dataset["festivals"].set_index("id")
    assert festivals.at["peach-fair", "zone"] == "shuangxi-peach"
