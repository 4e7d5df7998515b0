"""GCJ-02 and BD-09: known points from a public implementation and round trips within 1 mm."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geoapp.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_storage_from,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# wandergis/coordtransform's own test (test/app.js), all at (116.404, 39.915)
KNOWN = {"wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
         "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
         "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),   # their one-step approximation
         "gcj02_to_wgs84": (116.39775550083061, 39.91359571849836)}  # likewise


def metres_between(lon1, lat1, lon2, lat2) -> float:
    a = gpd.GeoSeries([Point(lon1, lat1), Point(lon2, lat2)], crs=4326).to_crs(32648)
    return float(a.iloc[0].distance(a.iloc[1]))


def test_the_forward_formulas_match_the_published_values():
    assert np.allclose(wgs84_to_gcj02(116.404, 39.915), KNOWN["wgs84_to_gcj02"], atol=1e-12, rtol=0)
    assert np.allclose(gcj02_to_bd09(116.404, 39.915), KNOWN["gcj02_to_bd09"], atol=1e-12, rtol=0)


def test_the_exact_inverses_sit_within_a_metre_of_the_one_step_approximations():
    # the published inverses are single approximations (metres off); ours iterate to exact
    for ours, name in ((bd09_to_gcj02, "bd09_to_gcj02"), (gcj02_to_wgs84, "gcj02_to_wgs84")):
        lon, lat = ours(116.404, 39.915)
        assert metres_between(float(lon), float(lat), *KNOWN[name]) < 1.0


def test_around_hanyuan_gcj02_is_330_to_380_m_off_and_bd09_about_850_m():
    lon, lat = 102.65, 29.40
    assert 300 < metres_between(lon, lat, *map(float, wgs84_to_gcj02(lon, lat))) < 400
    assert 700 < metres_between(lon, lat, *map(float, wgs84_to_bd09(lon, lat))) < 1000


china = dict(lon=st.floats(73.5, 135.0), lat=st.floats(18.0, 53.5))


@settings(max_examples=300, deadline=None)
@given(**china)
def test_gcj02_round_trip_within_a_millimetre(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert abs(back[0] - lon) < 1e-8 and abs(back[1] - lat) < 1e-8  # 1e-8° is about 1 mm


@settings(max_examples=300, deadline=None)
@given(**china)
def test_bd09_round_trip_within_a_millimetre(lon, lat):
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert abs(back[0] - lon) < 1e-8 and abs(back[1] - lat) < 1e-8


def test_the_transforms_are_vectorised():
    lon = np.linspace(102.3, 103.0, 10_000)
    lat = np.linspace(29.1, 29.7, 10_000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert back_lon.shape == (10_000,) and np.max(np.abs(back_lon - lon)) < 1e-8
    assert np.max(np.abs(back_lat - lat)) < 1e-8


def test_declared_systems_convert_a_frame_to_wgs84():
    wgs = gpd.GeoDataFrame(geometry=[Point(102.65, 29.40)], crs=4326)
    shifted = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*wgs84_to_gcj02([102.65], [29.40])))
    back = to_storage_from(shifted, "gcj02")
    assert back.geometry.iloc[0].distance(wgs.geometry.iloc[0]) < 1e-8
    projected = wgs.to_crs(32648)
    assert to_storage_from(projected, "EPSG:32648").geometry.iloc[0].distance(wgs.geometry.iloc[0]) < 1e-8
    with pytest.raises(ValueError, match="unknown coordinate system 'mars'"):
        to_storage_from(wgs, "mars")


@pytest.mark.parametrize("place, lon, lat", [("Paris", 2.3522, 48.8566), ("New York", -74.006, 40.7128),
                                             ("Sydney", 151.2093, -33.8688), ("Ulaanbaatar, north", 106.9, 56.0),
                                             ("Almaty, west", 71.9, 43.2)])
def test_gcj02_leaves_points_outside_china_where_they_are(place, lon, lat):
    """coord-convert's and coordtransform's out-of-China rule: a box around China, no offset outside."""
    assert tuple(map(float, wgs84_to_gcj02(lon, lat))) == (lon, lat), place
    assert tuple(map(float, gcj02_to_wgs84(lon, lat))) == pytest.approx((lon, lat), abs=1e-12)


def test_gcj02_still_shifts_just_inside_the_box():
    lon, lat = 72.1, 39.5   # Kashgar prefecture's west
    shifted = wgs84_to_gcj02(lon, lat)
    assert abs(float(shifted[0]) - lon) > 1e-4 or abs(float(shifted[1]) - lat) > 1e-4
