"""Joins, the county summary and the coverage gaps, checked against direct geopandas work."""
from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoapp.analysis import analyse
from geoapp.analysis.joins import locate
from geoapp.data.load import load_dataset
from geoapp.figures import ARTICLE_FIGURES
from tests.conftest import make_app


def test_locate_puts_points_and_polygons_in_the_township_and_zone_that_hold_them():
    townships = gpd.GeoDataFrame({"code": ["west", "east"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
                                 crs="EPSG:4326")
    zones = gpd.GeoDataFrame({"id": ["z"]}, geometry=[box(0.5, 0, 1.5, 0.5)], crs="EPSG:4326")
    features = gpd.GeoDataFrame({"id": ["a", "b", "c", "d"]}, geometry=[
        Point(0.2, 0.2), Point(1.2, 0.2), Point(1.8, 0.9), box(0.6, 0.1, 0.8, 0.3)], crs="EPSG:4326")
    located = locate(features, townships, zones)
    assert located.township_at.tolist() == ["west", "east", "east", "west"]
    assert located.zone_at.tolist() == [None, "z", None, "z"]


def test_the_summary_reproduces_every_figure_of_the_article(analysis):
    for figure in ARTICLE_FIGURES:
        computed = analysis.summary[figure.key]
        if figure.at_least:
            assert computed >= figure.value, f"{figure.key}: {computed} < {figure.words_zh}"
        else:
            assert computed == figure.value, f"{figure.key}: {computed} != {figure.words_zh}"


def test_the_summary_is_counted_from_the_rows(dataset, analysis):
    organisations = dataset["party_organisations"]
    assert analysis.summary["industry_branches"] == (organisations.kind == "industry").sum()
    assert analysis.summary["party_groups"] == organisations.party_groups.sum()
    assert analysis.summary["loan_amount_yuan"] == dataset["loans"].amount_yuan.sum()
    latest = dataset["yearly_output"][dataset["yearly_output"].year == dataset["yearly_output"].year.max()]
    weighted = (latest.income_gain_yuan_per_capita * latest.households_benefiting).sum() / \
        latest.households_benefiting.sum()
    assert analysis.summary["income_gain_yuan_per_capita"] == round(weighted)


def test_removing_one_industry_branch_makes_92(data_copy, tmp_path):
    path = data_copy / "party_organisations.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    first_industry = next(i for i, f in enumerate(collection["features"]) if f["properties"]["kind"] == "industry")
    removed = collection["features"].pop(first_industry)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    for table in ("branch_activities", "members_pipeline", "member_structure"):  # as a data keeper would: its rows go
        rows = pd.read_csv(data_copy / f"{table}.csv", dtype=str, keep_default_na=False)
        rows[rows.branch != removed["properties"]["id"]].to_csv(data_copy / f"{table}.csv", index=False)
    villages = json.loads((data_copy / "villages.geojson").read_text(encoding="utf-8"))
    for village in villages["features"]:  # and the villages it served have none now
        if village["properties"]["branch"] == removed["properties"]["id"]:
            village["properties"]["branch"] = None
    (data_copy / "villages.geojson").write_text(json.dumps(villages, ensure_ascii=False), encoding="utf-8")
    client = make_app(data_copy, tmp_path / "instance").test_client()
    county = client.get("/api/summary").get_json()["county"]
    assert county["industry_branches"] == 92
    assert county["party_groups"] == 195 - removed["properties"]["party_groups"]


def test_dropping_a_loan_row_changes_loans_amount_and_beneficiaries(data_copy):
    loans = pd.read_csv(data_copy / "loans.csv")
    dropped = loans.iloc[0]
    loans.iloc[1:].to_csv(data_copy / "loans.csv", index=False)
    summary = analyse(load_dataset(data_copy)).summary
    assert summary["loans"] == 136 and summary["loan_beneficiaries"] == 136
    assert summary["loan_amount_yuan"] == loans.amount_yuan.sum() - dropped.amount_yuan


def test_bases_outside_zones_match_a_direct_spatial_join(dataset, analysis):
    bases = dataset["industry_bases"]
    bases = bases[bases.kind.isin(["production", "cooperative"])]
    points = bases.set_geometry(bases.representative_point())
    inside = gpd.sjoin(points, dataset["zones"][["geometry"]], predicate="within").id
    expected = sorted(set(bases.id) - set(inside))
    assert expected, "the sample data has bases outside every zone"
    assert sorted(analysis.gaps.bases_outside_zones.id) == expected


def test_bases_without_a_branch_match_the_organisations_table(dataset, analysis):
    bases = dataset["industry_bases"]
    served = set(dataset["party_organisations"].base.dropna())
    expected = sorted(bases[bases.kind.isin(["production", "cooperative"]) & ~bases.id.isin(served)].id)
    assert expected
    assert sorted(analysis.gaps.bases_without_branch.id) == expected


def test_townships_without_a_branch_match_a_direct_spatial_join(dataset, analysis):
    organisations = dataset["party_organisations"]
    serving = organisations[organisations.kind.isin(["general", "industry", "association"])]
    hit = gpd.sjoin(dataset["townships"], serving[["geometry"]], predicate="contains").code
    expected = sorted(set(dataset["townships"].code) - set(hit))
    assert expected
    assert sorted(analysis.gaps.townships_without_branch.code) == expected


def test_giving_an_unserved_base_a_branch_closes_that_gap(data_copy, analysis):
    base_id = analysis.gaps.bases_without_branch.id.iloc[0]
    path = data_copy / "party_organisations.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    branch = next(f for f in collection["features"] if f["properties"]["kind"] == "industry")
    branch["properties"]["base"] = base_id
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    after = analyse(load_dataset(data_copy))
    assert base_id not in set(after.gaps.bases_without_branch.id)


def test_township_and_zone_tables_add_up_to_the_county(analysis):
    summary = analysis.summary
    assert analysis.townships.industry_branches.sum() == summary["industry_branches"]
    assert analysis.zones.industry_branches.sum() == summary["industry_branches"]
    assert analysis.townships.households_benefiting.sum() == summary["households_benefiting"]
    assert analysis.zones.tourist_visits.sum() == summary["tourist_visits"]
    assert analysis.townships.loan_amount_yuan.sum() == summary["loan_amount_yuan"]
    assert (analysis.zones.township_count >= 2).all()


def test_zone_areas_are_measured_in_metres(dataset, analysis):
    expected = dataset["zones"].to_crs("EPSG:32648").area / 1e6
    assert analysis.zones.area_km2.tolist() == pytest.approx(expected.round(1).tolist())
