"""Farm stays for tourists: search, distance, festivals and pages, checked against direct
geopandas computations in EPSG:32648."""
from __future__ import annotations

import datetime as dt
import html
import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geoapp.analysis.farmstays import festival_is_on
from tests.conftest import DATA_DIR, make_app


def ids(client, query: str) -> list[str]:
    response = client.get(f"/api/farmstays?{query}")
    assert response.status_code == 200, response.get_json()
    return [f["id"] for f in response.get_json()["features"]]


@pytest.fixture(scope="module")
def stays(dataset):
    return dataset["farm_stays"]


def metric(frame):
    return frame.to_crs("EPSG:32648")


def test_every_farm_stay_is_listed_by_default(client, stays):
    assert sorted(ids(client, "")) == sorted(stays.id)


def test_stars_and_price_filters_match_pandas(client, stays):
    expected = stays[(stays.stars >= 4) & (stays.price <= 150)].id
    assert sorted(ids(client, "stars_min=4&price_max=150")) == sorted(expected)
    assert sorted(ids(client, "township=qianyu")) == sorted(stays[stays.township == "qianyu"].id)


def test_distance_sort_matches_metres_in_utm(client, stays):
    lat, lon = 29.52, 102.63
    origin = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(32648).iloc[0]
    distances = metric(stays).distance(origin)
    expected = stays.assign(d=distances.round(0)).sort_values(["d", "id"])
    body = client.get(f"/api/farmstays?near={lat},{lon}").get_json()
    assert [f["id"] for f in body["features"]] == list(expected.id)
    assert [f["properties"]["distance_m"] for f in body["features"]] == list(expected.d)


def test_a_festival_keeps_stays_within_the_radius_of_its_venue(client, dataset, stays):
    venue = dataset["festivals"].set_index("id").geometry["pear-blossom-month"]
    venue_m = gpd.GeoSeries([venue], crs=4326).to_crs(32648).iloc[0]
    for radius in (5, 10, 25):
        expected = stays[metric(stays).distance(venue_m) <= radius * 1000].id
        assert sorted(ids(client, f"festival=pear-blossom-month&radius_km={radius}")) == sorted(expected)


def test_travel_dates_never_hide_a_stay_but_mark_festivals_and_closed_seasons(client, dataset, stays):
    """1-5 December: no festival is on, and every stay is still found (16 on the sample)."""
    december = client.get("/api/farmstays?from=2027-12-01&to=2027-12-05").get_json()
    assert december["numberMatched"] == len(stays) == 16
    assert all(f["properties"]["festivals_on"] == [] for f in december["features"])
    festivals = dataset["festivals"]
    july = dt.date(2027, 7, 20), dt.date(2027, 7, 28)
    on = festivals[[festival_is_on(f.start_md, f.end_md, *july) for f in festivals.itertuples()]]
    assert set(on.id) == {"pepper-festival", "peach-fair"}
    body = client.get("/api/farmstays?from=2027-07-20&to=2027-07-28&lang=zh").get_json()
    assert body["numberMatched"] == len(stays), "July hides nothing either"
    for feature in body["features"]:
        stay = metric(stays.set_index("id").loc[[feature["id"]]]).geometry.iloc[0]
        near = sorted(f.id for f in on.itertuples() if metric(on.set_index("id").loc[[f.id]]).geometry.iloc[0]
                      .distance(stay) <= 10_000)
        assert sorted(feature["properties"]["festival_ids"]) == near
        assert feature["properties"]["festivals_on"] == [on.set_index("id").name_zh[f]
                                                         for f in feature["properties"]["festival_ids"]]
    marked = [bool(f["properties"]["festival_ids"]) for f in body["features"]]
    assert marked == sorted(marked, reverse=True), "stays near a festival on the trip come first"
    # a stay's own season: closed in winter, open in summer, partly across its opening day
    seasonal = stays[stays.open_from_md.notna()].iloc[0]
    def status(start, end):
        found = client.get(f"/api/farmstays?from={start}&to={end}&q={seasonal.name_en}").get_json()["features"]
        return next(f["properties"]["open_status"] for f in found if f["id"] == seasonal.id)
    assert status("2027-12-20", "2027-12-24") == "closed"
    assert status("2027-07-01", "2027-07-05") == "open"
    start = dt.date.fromisoformat(f"2027-{seasonal.open_from_md}")
    assert status((start - dt.timedelta(days=2)).isoformat(), (start + dt.timedelta(days=2)).isoformat()) == "partly"
    always = stays[stays.open_from_md.isna()].iloc[0]
    found = client.get("/api/farmstays?from=2027-12-20&to=2027-12-24").get_json()["features"]
    assert next(f for f in found if f["id"] == always.id)["properties"]["open_status"] is None


def test_reversed_dates_are_read_as_the_trip_they_mean(client):
    forwards = client.get("/api/farmstays?from=2027-07-20&to=2027-07-28").get_json()
    backwards = client.get("/api/farmstays?from=2027-07-28&to=2027-07-20").get_json()
    assert backwards["features"] == forwards["features"] and backwards["query"]["from"] == "2027-07-20"


@pytest.mark.parametrize("text,must_find", [("qingxi", "清溪驿站"), ("QingXi", "清溪驿站"), ("清溪", "清溪驿站"),
                                            ("pear blossom", "梨花山庄"), ("lihua", "梨花山庄"),
                                            ("jiuxiang", "九襄梨园人家")])
def test_text_finds_names_in_chinese_english_and_pinyin(client, stays, text, must_find):
    found = ids(client, f"q={text}")
    assert stays.set_index("id").name_zh[found].tolist().count(must_find) == 1


def test_text_search_also_finds_stays_by_their_township(client, stays, dataset):
    qingxi_town = set(stays[stays.township == "qingxi"].id)
    assert qingxi_town and qingxi_town <= set(ids(client, "q=qingxi"))
    assert ids(client, "q=nothing-like-this") == []


def test_a_missing_english_name_is_given_in_pinyin(data_copy, tmp_path):
    path = data_copy / "farm_stays.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    collection["features"][1]["properties"]["name_en"] = None
    zh = collection["features"][1]["properties"]["name_zh"]
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    client = make_app(data_copy, tmp_path / "instance").test_client()
    stay = next(f for f in client.get("/api/farmstays").get_json()["features"] if f["properties"]["name_zh"] == zh)
    assert stay["properties"]["name_en"] == "Qing Xi Yi Zhan"
    assert "Qing Xi Yi Zhan" in client.get(f"/farmstays/{stay['id']}?lang=en").get_data(as_text=True)


BAD = [("stars_min=9", "stars_min must be a whole number from 1 to 5, not “9”"),
       ("near=abc", "near must be LAT,LON in degrees"),
       ("price_max=-1", "price_max must be a number from 0 to 1000000, not “-1”"),
       ("township=atlantis", "township: there is no “atlantis”"),
       ("from=2026-13-01", "from must be a date from 1900 to 2199 written like 2027-03-20"),
       ("from=0001-01-01", "from must be a date from 1900 to 2199"),
       ("stars_min=%C2%B2", "stars_min must be a whole number from 1 to 5, not “²”"),
       ("stars_min=%D9%A3", "stars_min must be a whole number from 1 to 5, not “٣”"),
       ("sort=distance", "sorting by distance needs a place"),
       ("near=95,102", "latitude -90 to 90"),
       ("radius_km=0", "radius_km must be a number from 0.1 to 200"),
       ("q=" + "x" * 101, "q is 101 characters long"),
       ("q=a%00b", "q contains control characters"),
       ("limit=lots", "limit must be a whole number")]


@pytest.mark.parametrize("query,message", BAD)
def test_bad_parameters_get_a_400_naming_the_problem(client, query, message):
    api = client.get(f"/api/farmstays?{query}&lang=en")
    assert api.status_code == 400 and message in api.get_json()["message"]
    if not query.startswith("limit"):
        page = client.get(f"/farmstays?{query}&lang=en")
        assert page.status_code == 400
        assert message.replace("'", "&#39;") in page.get_data(as_text=True)


def test_the_search_lives_in_the_address_and_lists_by_distance(client, dataset, stays):
    page = client.get("/farmstays?stars_min=4&place=pear-blossom-month&lang=en").get_data(as_text=True)
    assert '<option value="4" selected>' in page and '<option value="pear-blossom-month" selected>' in page
    venue = metric(dataset["festivals"].set_index("id").loc[["pear-blossom-month"]]).geometry.iloc[0]
    candidates = stays[stays.stars >= 4]
    distances = metric(candidates).distance(venue)
    nearest = candidates.loc[distances.idxmin()]
    first_item = page[page.index('<li class="stay-card" data-id="'):]
    assert first_item.startswith(f'<li class="stay-card" data-id="{nearest.id}"')
    assert f"{distances.min() / 1000:.1f} km" in first_item[:first_item.index("</li>")]


def test_a_farm_stays_page_has_its_facts(client, dataset, stays):
    stay = stays.iloc[0]
    page = client.get(f"/farmstays/{stay.id}?lang=zh").get_data(as_text=True)
    assert stay.name_zh in page and stay.name_en in page
    assert "★" * int(stay.stars) + "☆" * (5 - int(stay.stars)) in page
    assert f'href="tel:+86{stay.phone.replace("-", "")[1:]}"' in page, "a number any phone can call"
    venue = dataset["festivals"]
    distances = metric(venue).distance(metric(stays.iloc[[0]]).geometry.iloc[0]) / 1000
    nearest = venue.name_zh[distances.idxmin()]
    assert page.index(nearest) < min(page.index(n) for n in venue.name_zh if n != nearest)
    assert f"{distances.min():.1f} 千米" in page


def test_an_unknown_farm_stay_is_a_clear_404(client):
    response = client.get("/farmstays/FS99?lang=en")
    assert response.status_code == 404 and "There is no farm stay “FS99”." in response.get_data(as_text=True)


def test_festivals_are_listed_with_dates_and_venues(client):
    page = client.get("/farmstays?lang=zh&from=2026-03-20&to=2026-03-25").get_data(as_text=True)
    assert "赏花旅游文化月" in page and "九襄镇梨花沟" in page
    assert re.search(r"20\d\d年3月15日–4月15日", page), "the year first, written once"
    assert page.count("所选日期内举办") == 1


def test_festival_dates_recur_every_year():
    assert festival_is_on("03-15", "04-15", dt.date(2031, 4, 1), dt.date(2031, 4, 2))
    assert not festival_is_on("03-15", "04-15", dt.date(2031, 5, 1), dt.date(2031, 6, 1))
    assert festival_is_on("12-20", "01-10", dt.date(2030, 1, 5), dt.date(2030, 1, 6))


def test_text_from_data_is_escaped_in_lists_popups_and_pages(hostile_stay_app):
    client = hostile_stay_app.test_client()
    for path in ("/farmstays?lang=zh", "/farmstays?lang=en", "/farmstays/FS01?lang=zh", "/farmstays/FS01?lang=en"):
        page = client.get(path).get_data(as_text=True)
        for raw in ('<img src=x onerror="alert(1)">', "</script><script>alert(3)", "<script>alert(4)", "<b>bold</b>"):
            assert raw not in page, (path, raw)


def test_the_way_there_lands_on_the_stay_in_each_apps_datum(client, stays):
    """Amap and Tencent take GCJ-02, Baidu BD-09: each link carries the stored WGS-84 point
    converted, so the pin lands on the stay and not 300-400 m (or ~800 m) off."""
    from urllib.parse import parse_qs, urlsplit

    from geoapp.crs import wgs84_to_bd09, wgs84_to_gcj02
    stay = stays.iloc[2]
    page = client.get(f"/farmstays/{stay.id}?lang=zh").get_data(as_text=True)
    amap = html.unescape(re.search(r'href="(https://uri\.amap\.com/marker\?[^"]+)"', page).group(1))
    lon, lat = (float(v) for v in parse_qs(urlsplit(amap).query)["position"][0].split(","))
    expected = wgs84_to_gcj02(stay.geometry.x, stay.geometry.y)
    assert abs(lon - expected[0]) < 2e-6 and abs(lat - expected[1]) < 2e-6
    shift = gpd.GeoSeries([Point(lon, lat), stay.geometry], crs=4326).to_crs(32648)
    assert 250 < shift.iloc[0].distance(shift.iloc[1]) < 450
    assert "coordinate=gaode" in amap and "callnative=1" in amap
    baidu = html.unescape(re.search(r'href="(https://api\.map\.baidu\.com/marker\?[^"]+)"', page).group(1))
    query = parse_qs(urlsplit(baidu).query)
    b_lat, b_lon = (float(v) for v in query["location"][0].split(","))
    bd = wgs84_to_bd09(stay.geometry.x, stay.geometry.y)
    assert abs(b_lon - bd[0]) < 2e-6 and abs(b_lat - bd[1]) < 2e-6 and query["coord_type"] == ["bd09ll"]
    assert re.search(r'href="https://apis\.map\.qq\.com/uri/v1/marker\?marker=coord:', page)
    assert re.search(r'href="https://maps\.apple\.com/\?ll=', page)


def test_the_links_agree_with_published_reference_pairs():
    """wandergis/coordtransform's examples: WGS-84 (116.404, 39.915) is GCJ-02 (116.41024449916938,
    39.91640428150164), and GCJ-02 (116.404, 39.915) is BD-09 (116.41036949371029, 39.92133699351021)."""
    from urllib.parse import parse_qs, urlsplit

    from geoapp.analysis.directions import directions
    from geoapp.crs import gcj02_to_wgs84
    links = directions(116.404, 39.915, "天安门")
    lon, lat = (float(v) for v in parse_qs(urlsplit(links["amap"]).query)["position"][0].split(","))
    assert abs(lon - 116.41024449916938) < 1e-6 and abs(lat - 39.91640428150164) < 1e-6
    wgs_lon, wgs_lat = (float(v) for v in gcj02_to_wgs84(116.404, 39.915))
    b_lat, b_lon = (float(v) for v in parse_qs(urlsplit(directions(wgs_lon, wgs_lat, "x")["baidu"]).query)
                    ["location"][0].split(","))
    assert abs(b_lon - 116.41036949371029) < 1e-6 and abs(b_lat - 39.92133699351021) < 1e-6


def test_photos_that_are_not_safe_photos_are_refused(tmp_path):
    import io

    from tests.test_browser_farmstays import PASSWORD, jpeg_with_gps
    app = make_app(DATA_DIR, tmp_path / "instance")
    app.extensions["geoapp"].users.create("keeper", PASSWORD, "admin")
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"name": "keeper", "password": PASSWORD, "csrf_token": token})

    def upload(data: bytes, name: str, stay: str = "FS01"):
        return client.post("/admin/data/photos?lang=en", data={"csrf_token": token, "stay": stay,
                                                               "photo": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert "not a photo" in upload(b"<svg onload=alert(1)>", "x.jpg").get_data(as_text=True)
    gif = io.BytesIO()
    from PIL import Image
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    assert "JPEG, PNG or WebP" in upload(gif.getvalue(), "x.gif").get_data(as_text=True)
    assert upload(jpeg_with_gps(), "x.jpg", stay="FS99").status_code == 400
    assert upload(b"x" * (12 * 1024 * 1024), "big.jpg").status_code == 413
    assert upload(jpeg_with_gps(), "ok.jpg").status_code == 302
    photos = app.extensions["geoapp"].layers.read("farm_stay_photos")
    assert list(photos.stay) == ["FS01"] and len(app.extensions["geoapp"].layers.history("farm_stay_photos")) == 2
    card = client.get("/api/farmstays/FS01").get_json()
    assert len(card["photos"]) == 1 and client.get(card["photos"][0]["large"]).status_code == 200


# Many farm stays: the map draws what is in view, grouped; the list pages ---------------------

CROWD = 6000


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """An app on 6,000 random farm stays, and those stays as geopandas reads them."""
    from tests.conftest import copy_of_data
    root = tmp_path_factory.mktemp("crowded")
    data = copy_of_data(root, farm_stays=CROWD, seed=7)
    app = make_app(data, root / "instance")
    return app.test_client(), gpd.read_file(data / "farm_stays.geojson")


def in_box(stays, box):
    west, south, east, north = box
    return stays[(stays.geometry.x >= west) & (stays.geometry.x <= east)
                 & (stays.geometry.y >= south) & (stays.geometry.y <= north)]


def widened(box):
    west, south, east, north = box
    dx, dy = (east - west) * 0.05, (north - south) * 0.05
    return west - dx, south - dy, east + dx, north + dy


@pytest.mark.parametrize("zoom, box, filters", [
    (9, (102.2, 29.1, 102.9, 29.9), ""),
    (11, (102.2, 29.1, 102.9, 29.9), "&stars_min=4"),
    (13, (102.55, 29.3, 102.7, 29.45), "&price_max=150"),
    (16, (102.62, 29.36, 102.64, 29.38), ""),
])
def test_the_map_shows_every_stay_in_view_once_alone_or_in_a_group(crowded, zoom, box, filters):
    client, stays = crowded
    body = client.get(f"/api/farmstays/map?bbox={','.join(map(str, box))}&zoom={zoom}{filters}").get_json()
    expected = in_box(stays, widened(box))
    if "stars_min" in filters:
        expected = expected[expected.stars >= 4]
    if "price_max" in filters:
        expected = expected[expected.price <= 150]
    singles = [f["id"] for f in body["features"] if "count" not in f["properties"]]
    groups = [f["properties"] for f in body["features"] if "count" in f["properties"]]
    assert body["numberMatched"] == len(expected)
    assert len(singles) + sum(g["count"] for g in groups) == len(expected), "every stay once"
    assert set(singles) <= set(expected.id)
    assert all(g["count"] >= 2 for g in groups), "a group of one is shown as the stay"
    for group in groups:  # a group's bounds hold its centre, inside the view, and its lowest price is a real one
        west, south, east, north = group["bounds"]
        assert west <= east and south <= north
        assert float(group["price_text"][1:]) in set(expected.price)
    if len(expected) > 300:
        assert groups and len(body["features"]) < len(expected) / 2, "many stays are grouped"
    else:
        assert not groups and sorted(singles) == sorted(expected.id)


@pytest.mark.parametrize("zoom", [9, 10, 11, 15])  # (at 15 the county view widens the cells)
def test_the_first_view_grouped_once_per_version_is_the_view_grouped_now(crowded, zoom):
    """The map's first view (every stay in it, nothing filtered) is grouped once per data
    version; it must be what grouping the stays of that view now gives — asked with a filter
    that keeps every stay, which is grouped per request."""
    client, stays = crowded
    west, south, east, north = stays.total_bounds
    for box in [(west - 0.01, south - 0.01, east + 0.01, north + 0.01), (west - 0.05, south - 0.02, east + 0.03, north + 0.04)]:
        address = f"/api/farmstays/map?bbox={','.join(map(str, box))}&zoom={zoom}"
        kept_once = client.get(address).get_json()
        grouped_now = client.get(address + f"&price_max={stays.price.max() + 1}").get_json()
        assert kept_once["numberMatched"] == len(stays)
        assert kept_once["features"] == grouped_now["features"]


def test_whatever_the_view_the_map_answer_is_bounded(crowded):
    client, stays = crowded
    for zoom in (0, 5, 12, 22):
        body = client.get(f"/api/farmstays/map?bbox=-180,-90,180,90&zoom={zoom}").get_json()
        assert body["numberMatched"] == len(stays)
        assert len(body["features"]) <= 2500
        singles = sum(1 for f in body["features"] if "count" not in f["properties"])
        assert singles + sum(f["properties"].get("count", 0) for f in body["features"]) == len(stays)
    assert client.get("/api/farmstays/map?zoom=23").status_code == 400
    assert "zoom" in client.get("/api/farmstays/map?zoom=x").get_json()["message"]


def test_the_list_pages_through_every_stay_in_order_without_repeats(crowded):
    client, stays = crowded
    expected = stays.sort_values(["stars", "price", "id"], ascending=[False, True, True]).id.tolist()
    paged = []
    for offset in range(0, CROWD, 1000):
        body = client.get(f"/api/farmstays?limit=1000&offset={offset}").get_json()
        assert body["numberMatched"] == CROWD
        paged += [f["id"] for f in body["features"]]
    assert paged == expected
    west, south, east, north = client.get("/api/farmstays?limit=1").get_json()["bbox"]
    assert (west, south, east, north) == pytest.approx(tuple(stays.total_bounds))


def test_sorting_by_name_and_price_matches_pandas(crowded):
    client, stays = crowded
    by_name = stays.sort_values(["name_zh", "id"]).id.tolist()[:200]
    assert ids(client, "sort=name&limit=200") == by_name
    by_price = stays.sort_values(["price", "stars", "id"], ascending=[True, False, True]).id.tolist()[:200]
    assert ids(client, "sort=price&limit=200") == by_price


def test_a_stays_popup_carries_the_trips_flags(client):
    trip = "from=2027-07-20&to=2027-07-28"
    listed = {f["id"]: f["properties"] for f in client.get(f"/api/farmstays?{trip}").get_json()["features"]}
    flagged = [i for i, p in listed.items() if p["festivals_on"]]
    assert flagged, "the sample has stays near a summer festival"
    for stay_id in flagged[:3] + [i for i in listed if i not in flagged][:2]:
        card = client.get(f"/api/farmstays/{stay_id}?{trip}").get_json()
        assert card["festivals_on"] == listed[stay_id]["festivals_on"]
        assert card["open_status"] == listed[stay_id]["open_status"]
    assert client.get(f"/api/farmstays/{flagged[0]}").get_json()["festivals_on"] == [], "no trip, no flags"


def test_the_pinyin_of_names_is_made_once_read_back_and_never_stale(tmp_path):
    from pypinyin import lazy_pinyin

    from geoapp.store.derived import DerivedTexts
    folder = tmp_path / "derived"
    names = ["清溪驿站", "", "汉源 Pear 农家乐"]
    first = DerivedTexts(folder).parts("pinyin", names, lazy_pinyin)
    assert first == [tuple(lazy_pinyin(n)) for n in names]

    def never(_name):
        raise AssertionError("made again though remembered")
    assert DerivedTexts(folder).parts("pinyin", names, never) == first, "another worker reads it back"
    changed = ["清溪客栈", "", "汉源 Pear 农家乐"]
    assert DerivedTexts(folder).parts("pinyin", changed, lazy_pinyin)[0] == ("qing", "xi", "ke", "zhan")
    for path in folder.glob("pinyin-*.txt"):  # a damaged file is made again, not believed
        path.write_text(path.read_text(encoding="utf-8").replace("qing", "ming"), encoding="utf-8")
    assert DerivedTexts(folder).parts("pinyin", names, lazy_pinyin) == first
    assert DerivedTexts(None).parts("pinyin", names, lazy_pinyin) == first


def test_a_restarted_app_gives_the_same_english_names_from_remembered_pinyin(data_copy, tmp_path):
    path = data_copy / "farm_stays.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    for feature in collection["features"]:
        feature["properties"]["name_en"] = None
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    names = [make_app(data_copy, tmp_path / "instance").test_client().get("/api/farmstays").get_json()
             for _start in range(2)]
    assert list((tmp_path / "instance" / "derived").glob("farm-stay-text-*.txt")), "kept in the instance folder"
    assert names[0] == names[1]
    assert all(f["properties"]["name_en"] for f in names[1]["features"])


def test_text_search_finds_exactly_the_rows_containing_the_text():
    """The joined search text (one string for all stays) answers as a test of each row would,
    whatever the texts and the needle: separators, empty texts, a needle spanning two rows."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from geoapp.analysis.index import JoinedTexts
    alphabet = st.sampled_from(list("ab清溪\n |"))

    @settings(max_examples=300, deadline=None)
    @given(texts=st.lists(st.text(alphabet, max_size=6), max_size=12), needle=st.text(alphabet, max_size=3))
    def check(texts, needle):
        # (a line break in a stay's text is a space; no needle holds one: `_fold` takes them out)
        expected = [needle in text.replace("\n", " ") if "\n" not in needle else False for text in texts]
        assert JoinedTexts(texts).containing(needle).tolist() == expected
    check()
