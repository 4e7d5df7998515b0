"""Vector tiles of the public layers (issue 13): each tile decodes (with mapbox-vector-tile, a
real MVT reader) to the features that lie in it, at the right place, with ids and names —
cut by the app from its index on the GeoPackage store, and by PostGIS (ST_AsMVT) on it."""
from __future__ import annotations

import math

import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from geoapp.maps.vectortiles import EXTENT, POINT_CELL
from geoapp.mercator import mercator_to_lonlat, tile_bounds_mercator


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture(scope="module", params=["geopackage", "postgis"])
def tile_client(request, tmp_path_factory):
    """The app on the committed data, on either store (tiles cut by the app, or by PostGIS)."""
    from tests.conftest import DATA_DIR, make_app
    extra = {}
    if request.param == "postgis":
        extra["DATABASE_URL"] = request.getfixturevalue("postgis_cluster").new_database()
    return make_app(DATA_DIR, tmp_path_factory.mktemp("tiles") / "instance", **extra).test_client()


def lonlat_box(z, x, y):
    minx, miny, maxx, maxy = tile_bounds_mercator(z, x, y)
    (lon0, lon1), (lat0, lat1) = mercator_to_lonlat(np.array([minx, maxx]), np.array([miny, maxy]))
    return shapely.box(lon0, lat0, lon1, lat1)


@pytest.mark.parametrize("layer,key", [("townships", "code"), ("zones", "id"), ("farm_stays", "id"),
                                       ("party_organisations", "id"), ("industry_bases", "id")])
@pytest.mark.parametrize("z", [8, 11, 13])
def test_a_tile_holds_the_features_in_it(tile_client, dataset, layer, key, z):
    frame = dataset[layer]
    anchor = frame.geometry.iloc[len(frame) // 2].representative_point()
    x, y = tile_of(anchor.x, anchor.y, z)
    response = tile_client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
    assert response.status_code == 200 and response.mimetype == "application/vnd.mapbox-vector-tile"
    decoded = mapbox_vector_tile.decode(response.data)[layer]
    assert decoded["extent"] == EXTENT
    ids = {f["properties"][key] for f in decoded["features"]}
    box = lonlat_box(z, x, y)
    inside = set(frame[frame.intersects(box)][key])
    assert inside <= ids                       # everything in the tile is drawn ...
    near = set(frame[frame.intersects(box.buffer((box.bounds[2] - box.bounds[0]) * 0.05))][key])
    assert ids <= near                         # ... and nothing far outside it
    names = dict(zip(frame[key], frame.name_zh))
    assert all(f["properties"]["name_zh"] == names[f["properties"][key]] for f in decoded["features"])


def test_a_point_lands_where_it_is(tile_client, dataset):
    stay = dataset["farm_stays"].iloc[0]
    z = 14
    x, y = tile_of(stay.geometry.x, stay.geometry.y, z)
    decoded = mapbox_vector_tile.decode(tile_client.get(f"/tiles/farm_stays/{z}/{x}/{y}.mvt").data)["farm_stays"]
    [feature] = [f for f in decoded["features"] if f["properties"]["id"] == stay.id]
    px, py = feature["geometry"]["coordinates"]
    minx, miny, maxx, maxy = tile_bounds_mercator(z, x, y)
    lon, lat = mercator_to_lonlat(np.array([minx + px / EXTENT * (maxx - minx)]),
                                  np.array([miny + py / EXTENT * (maxy - miny)]))
    metres_per_degree = 111_320
    assert abs(lon[0] - stay.geometry.x) * metres_per_degree * math.cos(math.radians(lat[0])) < 5
    assert abs(lat[0] - stay.geometry.y) * metres_per_degree < 5


def test_tiles_of_private_tables_and_impossible_tiles_are_404(client):
    assert client.get("/tiles/loans/8/0/0.mvt").status_code == 404
    assert client.get("/tiles/farm_stays/3/9/0.mvt").status_code == 404
    assert client.get("/tiles/farm_stays/40/0/0.mvt").status_code == 404


def test_a_tile_is_revalidated_by_etag(client):
    first = client.get("/tiles/townships/9/401/212.mvt")
    again = client.get("/tiles/townships/9/401/212.mvt", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_tiles_for_a_gcj02_base_map_are_shifted_as_its_overlays_are(tmp_path, dataset):
    """With Amap (GCJ-02) underneath, `display=1` tiles carry the shapes moved as every other
    overlay is, so tile-drawn townships sit on the base map's roads; plain tiles stay WGS-84."""
    import mapbox_vector_tile
    import numpy as np

    from geoapp.crs import wgs84_to_gcj02
    from tests.conftest import DATA_DIR, make_app
    client = make_app(DATA_DIR, tmp_path / "instance", GEOAPP_TILES="amap").test_client()
    z = 9
    for township in dataset["townships"].itertuples():  # one whole inside a z9 tile, clear of its edges
        lon, lat = township.geometry.centroid.x, township.geometry.centroid.y
        x = int((lon + 180) / 360 * 2 ** z)
        y = int((1 - np.log(np.tan(np.radians(lat)) + 1 / np.cos(np.radians(lat))) / np.pi) / 2 * 2 ** z)
        minx, miny, maxx, maxy = tile_bounds_mercator(z, x, y)
        (west, east), (south, north) = mercator_to_lonlat(np.array([minx, maxx]), np.array([miny, maxy]))
        w, s_, e, n = township.geometry.bounds
        if west + 0.01 < w and e < east - 0.01 and south + 0.01 < s_ and n < north - 0.01:
            break
    else:
        pytest.fail("no township lies whole inside a z9 tile")

    def extent(query: str) -> np.ndarray:
        response = client.get(f"/tiles/townships/{z}/{x}/{y}.mvt{query}")
        assert response.status_code == 200
        feature = next(f for f in mapbox_vector_tile.decode(response.data)["townships"]["features"]
                       if f["properties"]["code"] == township.code)
        rings = (feature["geometry"]["coordinates"] if feature["geometry"]["type"] == "Polygon"
                 else [r for polygon in feature["geometry"]["coordinates"] for r in polygon])
        points = np.concatenate([np.array(ring, dtype=float) for ring in rings])
        return np.concatenate([points.min(axis=0), points.max(axis=0)])
    moved = extent("?display=1") - extent("")
    shifted_lon, shifted_lat = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    units_per_degree = 4096 / (360 / 2 ** z)
    expected_x = (shifted_lon[0] - lon) * units_per_degree
    expected_y = (shifted_lat[0] - lat) * units_per_degree / np.cos(np.radians(lat))  # mercator stretch
    assert abs(expected_x) > 5, "the shift is several tile units at z9"
    assert np.allclose(moved[[0, 2]], expected_x, atol=2) and np.allclose(moved[[1, 3]], expected_y, atol=2)
    assert client.get(f"/tiles/townships/{z}/{x}/{y}.mvt").headers["ETag"] != \
        client.get(f"/tiles/townships/{z}/{x}/{y}.mvt?display=1").headers["ETag"]


def test_a_tile_carries_only_the_properties_asked_for(tile_client):
    response = tile_client.get("/tiles/townships/6/50/26.mvt?properties=code")
    features = mapbox_vector_tile.decode(response.data)["townships"]["features"]
    assert len(features) == 30 and all(set(f["properties"]) == {"code"} for f in features)
    full = tile_client.get("/tiles/townships/6/50/26.mvt")
    assert len(response.data) < len(full.data) and response.headers["ETag"] != full.headers["ETag"]
    refused = tile_client.get("/tiles/townships/6/50/26.mvt?properties=code,population&lang=en")
    assert refused.status_code == 400 and "population" in refused.get_data(as_text=True)


def test_postgis_cuts_the_same_townships_as_the_app(tile_client, dataset):
    """Whoever cuts it, a township's shape in a tile is its shape: its area in the tile is
    within a few percent of the stored shape's clipped to the tile (simplified, not changed)."""
    z, x, y = 10, *tile_of(102.65, 29.4, 10)
    decoded = mapbox_vector_tile.decode(tile_client.get(f"/tiles/townships/{z}/{x}/{y}.mvt").data)["townships"]
    minx, miny, maxx, maxy = tile_bounds_mercator(z, x, y)
    box = shapely.box(minx, miny, maxx, maxy)
    stored = dataset["townships"].to_crs(3857).set_index("code").geometry
    assert len(decoded["features"]) >= 3
    for feature in decoded["features"]:
        drawn = shapely.geometry.shape(feature["geometry"])
        drawn = shapely.affinity.affine_transform(drawn, [(maxx - minx) / EXTENT, 0, 0, (maxy - miny) / EXTENT, minx, miny])
        expected = stored[feature["properties"]["code"]].intersection(box)
        assert abs(drawn.intersection(box).area - expected.area) <= 0.03 * expected.area + 1e5, feature["properties"]


def test_a_crowded_tile_of_points_is_thinned_on_both_stores(tmp_path, request):
    """Thousands of farm stays in one tile: each cutter keeps about one per POINT_CELL cell, so the
    tile stays small and still shows where stays are (the cells drawn are the cells with stays)."""
    import geopandas as gpd

    from tests.conftest import copy_of_data, make_app
    data = copy_of_data(tmp_path, farm_stays=20_000, seed=3)
    z, x, y = 8, *tile_of(102.65, 29.4, 8)
    minx, miny, maxx, maxy = tile_bounds_mercator(z, x, y)
    every_stay = gpd.read_file(data / "farm_stays.geojson").to_crs(3857)
    stays = every_stay[every_stay.intersects(shapely.box(minx, miny, maxx, maxy))]
    unit = (maxx - minx) / EXTENT
    occupied = set(zip((np.floor((stays.geometry.x - minx) / unit / POINT_CELL)).astype(int),
                       (np.floor((stays.geometry.y - miny) / unit / POINT_CELL)).astype(int)))
    assert len(stays) > 4000, "a crowded tile"
    pad = 64 * unit  # (the tile's margin: the stays there are kept or counted too)
    in_wide_tile = every_stay.cx[minx - pad:maxx + pad, miny - pad:maxy + pad]
    for store in ("geopackage", "postgis"):
        extra = {"DATABASE_URL": request.getfixturevalue("database_url")} if store == "postgis" else {}
        client = make_app(data, tmp_path / f"instance-{store}", **extra).test_client()
        response = client.get(f"/tiles/farm_stays/{z}/{x}/{y}.mvt")
        features = mapbox_vector_tile.decode(response.data)["farm_stays"]["features"]
        points = np.array([f["geometry"]["coordinates"] for f in features], dtype=float)
        points = points[((points >= 0) & (points < EXTENT)).all(axis=1)]  # not the margin beyond the edges
        drawn = {tuple(c) for c in np.floor(points / POINT_CELL).astype(int)}
        assert len(features) < len(stays) / 2, store
        near_drawn = {(cx + dx, cy + dy) for cx, cy in drawn for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
        near_occupied = {(cx + dx, cy + dy) for cx, cy in occupied for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
        assert occupied <= near_drawn and drawn <= near_occupied, store  # (rounding moves a point by half a unit)
        assert len(drawn) > 0.9 * len(occupied), store
        counted = sum(f["properties"]["point_count"] for f in features)
        # (PostGIS selects in the margin's lon/lat box, rounded: a stay on its edge may fall either side)
        assert abs(counted - len(in_wide_tile)) <= 2, f"{store}: each point kept counts the stays it stands for"


def test_a_browser_gets_the_tile_gzipped(tile_client):
    """Tiles of many townships are large (half a megabyte at z10 for 40,000): a browser, which
    accepts gzip, gets them compressed; a client that does not gets the same tile plain."""
    import gzip
    plain = tile_client.get("/tiles/townships/9/401/212.mvt")
    packed = tile_client.get("/tiles/townships/9/401/212.mvt", headers={"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data)
    assert "Accept-Encoding" in packed.headers["Vary"]


def test_web_mercator_agrees_with_pyproj_and_the_tile_scheme():
    """The one Web-Mercator module: metres as pyproj's EPSG:3857, tiles as the XYZ scheme
    (`tile_of` above, written independently), pixels round-trip, the ground resolution of
    zoom 0 at the equator is the well-known 156,543.03 m."""
    from pyproj import Transformer

    from geoapp import mercator
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(-179.9, 179.9, 500), rng.uniform(-85, 85, 500)
    x, y = mercator.lonlat_to_mercator(lon, lat)
    px, py = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(lon, lat)
    assert np.allclose(x, px, atol=1e-3) and np.allclose(y, py, atol=1e-3)
    back = mercator.mercator_to_lonlat(x, y)
    assert np.allclose(back[0], lon) and np.allclose(back[1], lat)
    for z in (0, 5, 10, 14):
        tx, ty = mercator.lonlat_to_tile(lon, lat, z)
        assert [(a, b) for a, b in zip(tx.tolist(), ty.tolist())] == [tile_of(a, b, z) for a, b in zip(lon, lat)]
    wx, wy = mercator.world_pixels(lon, lat, 12)
    assert np.allclose(np.column_stack(mercator.pixels_to_lonlat(wx, wy, 12)), np.column_stack([lon, lat]))
    assert round(mercator.metres_per_pixel(0, 0), 2) == 156543.03
    (x0, y0), (x1, y1) = tile_of(102.3, 29.6, 10), tile_of(102.9, 29.1, 10)
    assert mercator.tile_range((102.3, 29.1, 102.9, 29.6), 10) == [(x, y) for x in range(x0, x1 + 1)
                                                                  for y in range(y0, y1 + 1)]


def test_points_written_from_arrays_decode_as_the_reference_encoder_writes_them():
    """`geoapp.maps.mvt` writes point tiles without mapbox-vector-tile: a decoder must read the
    same features from both — ids, positions (in the margin too), texts in Chinese, whole and
    fractional numbers, negative ones, flags and missing values."""
    from geoapp.maps.mvt import point_tile
    rng = np.random.default_rng(11)
    n = 500
    x, y = rng.integers(-64, 4160, n), rng.integers(-64, 4160, n)
    ids = rng.integers(0, 2**40, n)
    properties = {
        "name": np.array([f"农家乐{i}号" if i % 7 else None for i in range(n)], dtype=object),
        "stars": rng.integers(1, 6, n),
        "price": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 500),
        "change": rng.integers(-1000, 1000, n),
        "open": rng.random(n) < 0.5,
    }
    ours = mapbox_vector_tile.decode(point_tile("stays", x, y, ids, properties))
    features = [{"geometry": shapely.Point(float(x[i]), float(EXTENT - y[i])), "id": int(ids[i]),
                 "properties": {k: v[i].item() if isinstance(v[i], np.generic) else v[i] for k, v in properties.items()
                                if v[i] is not None and not (isinstance(v[i], float) and np.isnan(v[i]))}}
                for i in range(n)]
    reference = mapbox_vector_tile.decode(mapbox_vector_tile.encode([{"name": "stays", "features": features}],
                                                                    default_options={"extents": EXTENT}))
    assert ours["stays"]["features"] == reference["stays"]["features"]
    assert ours["stays"]["extent"] == EXTENT
    empty = mapbox_vector_tile.decode(point_tile("stays", np.array([]), np.array([]), np.array([]), {"name": np.array([])}))
    assert empty.get("stays", {"features": []})["features"] == []


def test_a_tile_one_worker_cut_is_read_by_the_others_and_only_the_countys_are_kept(tmp_path):
    """Workers share the tiles they cut: a file in the instance's shelf, named by the data
    version, read by every worker (here: two apps on one instance folder, as gunicorn's workers
    are). Only tiles over the data's extent at z0–z14 are kept in files, so no address a
    client asks fills the disk."""
    from tests.conftest import DATA_DIR, make_app
    first = make_app(DATA_DIR, tmp_path / "instance").test_client()
    second = make_app(DATA_DIR, tmp_path / "instance").test_client()
    shelf = tmp_path / "instance" / "documents"
    z, (x, y) = 12, tile_of(102.65, 29.4, 12)
    cut = first.get(f"/tiles/farm_stays/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    files = list(shelf.glob(f"*/tiles/farm_stays/{z}/{x}/{y}*.mvt.gz"))
    assert cut.status_code == 200 and len(files) == 1 and files[0].read_bytes() == cut.data
    other = first.get(f"/tiles/party_organisations/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"}).data
    files[0].write_bytes(other)  # what the second reads is the file, not a tile of its own cutting
    assert second.get(f"/tiles/farm_stays/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"}).data == other
    for address in ("/tiles/farm_stays/12/100/100.mvt", "/tiles/farm_stays/16/{}/{}.mvt".format(*tile_of(102.65, 29.4, 16)),
                    f"/tiles/farm_stays/{z}/{x}/{y}.mvt?properties=name_en"):
        assert first.get(address).status_code == 200
    kept = {p.relative_to(next(shelf.iterdir())).as_posix() for p in shelf.glob("*/tiles/**/*.mvt.gz")}
    assert kept == {f"tiles/farm_stays/{z}/{x}/{y}-.mvt.gz", f"tiles/party_organisations/{z}/{x}/{y}-.mvt.gz"}


def test_tiles_cut_ahead_are_the_tiles_a_worker_would_cut_and_every_worker_reads_them(tmp_path, dataset):
    """Before a version is served (gunicorn's loading process, before the fork), every public
    layer's tiles at z0–z14 over the county are cut into one file a layer: a worker on the same
    instance answers from it — the very tiles it would have cut, empty ones too — without cutting
    or shelving a tile of its own; a tile asked another way (other properties, beyond z14, outside
    the county) is cut as before."""
    import gzip
    import random

    from geoapp.layers import PUBLIC_LAYERS
    from geoapp.mercator import tile_range
    from geoapp.web import warm_before_fork
    from tests.conftest import DATA_DIR, make_app
    loading = make_app(DATA_DIR, tmp_path / "instance")
    warm_before_fork(loading)
    shelf = tmp_path / "instance" / "documents"
    assert {p.name for p in shelf.glob("*/tiles/*.pack")} == {f"{layer}.pack" for layer in PUBLIC_LAYERS}
    worker = make_app(DATA_DIR, tmp_path / "instance").test_client()
    cutting = make_app(DATA_DIR, tmp_path / "elsewhere").test_client()   # no tile cut ahead
    bounds = tuple(dataset["county"].total_bounds)
    addresses = [(layer, z, x, y) for layer in PUBLIC_LAYERS for z in range(15) for x, y in tile_range(bounds, z)]
    asked = random.Random(23).sample(addresses, 300)
    shelved_before = set(shelf.glob("*/tiles/*/**/*.mvt.gz"))
    for layer, z, x, y in asked:
        packed = worker.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
        cut = cutting.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
        assert packed.status_code == cut.status_code == 200
        assert packed.headers["Content-Encoding"] == "gzip" and gzip.decompress(packed.data) == cut.data, (layer, z, x, y)
        assert worker.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt").data == cut.data   # (plain, for a client without gzip)
    assert any(len(mapbox_vector_tile.decode(cutting.get("/tiles/{}/{}/{}/{}.mvt".format(*a)).data)
                   .get(a[0], {"features": []})["features"]) > 0 for a in asked), "some tiles hold features"
    assert set(shelf.glob("*/tiles/*/**/*.mvt.gz")) == shelved_before, "nothing was cut by the worker"
    z, (x, y) = 12, tile_of(102.65, 29.4, 12)
    for address in (f"/tiles/farm_stays/{z}/{x}/{y}.mvt?properties=name_en",
                    "/tiles/farm_stays/16/{}/{}.mvt".format(*tile_of(102.65, 29.4, 16)), "/tiles/farm_stays/12/100/100.mvt"):
        assert worker.get(address).data == cutting.get(address).data
