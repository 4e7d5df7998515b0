"""Planning: the analysis of a proposed base against direct geopandas work, bad sites,
candidate sites, logging in, CSRF on every write, and proposals kept in the GeoPackage."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import Point, mapping

from geoapp.config import ROOT
from tests.conftest import DATA_DIR, PASSWORD, Auth, make_app, zipped_shapefile


def feature(geometry, industry="pear", **properties) -> dict:
    return {"type": "Feature", "geometry": mapping(geometry) if not isinstance(geometry, dict) else geometry,
            "properties": {"industry": industry, **properties}}


def metric(frame):
    return frame.to_crs("EPSG:32648")


@pytest.fixture(scope="module")
def planning_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("planning-instance")
    app = make_app(DATA_DIR, instance)
    users = app.extensions["geoapp"].users
    users.create("ann", PASSWORD, "planner")
    users.create("bob", PASSWORD, "planner")
    users.create("chief", PASSWORD, "admin")
    return app


def csrf_token(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def logged_in(app, name: str):
    return Auth(app).client(name)


@pytest.fixture(scope="module")
def border_site(analysis):
    """A 1 km square around a place where a zone border crosses a township border."""
    zones, townships = metric(analysis.zones), metric(analysis.townships)
    county = metric(analysis.dataset["county"]).geometry.iloc[0]
    crossings = shapely.intersection(zones.boundary.union_all(), townships.boundary.union_all())
    for point in shapely.get_parts(shapely.get_parts(crossings)):
        square = point.buffer(500, cap_style="square")
        if county.buffer(-100).contains(square) and (townships.intersects(square)).sum() >= 2:
            return gpd.GeoSeries([square], crs=32648).to_crs(4326).iloc[0]
    pytest.fail("no zone/township border crossing inside the county")


def test_a_polygon_across_a_zone_and_township_border_matches_geopandas(client, analysis, border_site):
    result = client.post("/api/plan/analyse", json=feature(border_site, "pear")).get_json()
    site = gpd.GeoSeries([border_site], crs=4326).to_crs(32648).iloc[0]
    townships = metric(analysis.townships)
    shares = townships.intersection(site).area / site.area
    expected = {code: round(share, 3) for code, share in zip(townships.code, shares) if share > 0}
    assert {t["code"]: t["share"] for t in result["townships"]} == expected and len(expected) >= 2
    zones = metric(analysis.zones)
    zone_shares = zones.intersection(site).area / site.area
    assert {z["id"]: z["share"] for z in result["zones"]} == {
        zid: round(s, 3) for zid, s in zip(zones.id, zone_shares) if s > 0}
    assert 0 < sum(z["share"] for z in result["zones"]) < 1, "the site crosses the zone's border"
    assert result["area_mu"] == round(site.area / (10_000 / 15), 1)
    assert result["area_ha"] == round(site.area / 10_000, 2)
    bases = metric(analysis.dataset["industry_bases"])
    same = bases[(bases.industry == "pear") & bases.kind.isin(["production", "cooperative"])]
    nearest = same.assign(d=same.distance(site)).sort_values("d").head(3)
    assert [(b["id"], b["distance_m"]) for b in result["nearest_same_industry"]] == \
        [(i, round(d)) for i, d in zip(nearest.id, nearest.d)]
    overlapping = bases[bases.intersects(site)]
    assert sorted(o["id"] for o in result["overlaps"]) == sorted(overlapping.id)
    orgs = metric(analysis.dataset["party_organisations"])
    serving = orgs[orgs.kind.isin(["general", "industry", "association"])]
    assert result["nearest_branch"]["distance_m"] == round(serving.distance(site).min())
    training = bases[bases.kind == "training"]
    assert result["nearest_training_base"]["id"] == training.id.iloc[int(np.argmin(training.distance(site)))]


def test_the_service_area_estimate_agrees_with_an_exact_buffer(client, analysis, border_site):
    """The 3 km service area is counted on a 200 m grid (bounded cost); it must agree with the
    exact area shares of a buffer within a few per cent of each township."""
    result = client.post("/api/plan/analyse", json=feature(border_site, "pear")).get_json()["service_area"]
    site = gpd.GeoSeries([border_site], crs=4326).to_crs(32648).iloc[0]
    townships = metric(analysis.townships)
    reach = site.buffer(3_000).intersection(metric(analysis.dataset["county"]).geometry.iloc[0])
    exact = townships.intersection(reach).area / townships.area
    estimated = {t["code"]: t["share"] for t in result["townships"]}
    for code, share in zip(townships.code, exact):
        assert abs(estimated.get(code, 0) - share) < 0.02, code
    households = float((exact * analysis.townships.households_benefiting.to_numpy()).sum())
    assert abs(result["households_benefiting"] - households) <= 0.03 * households


def test_a_point_outside_every_zone_names_the_nearest_zone_and_the_gap(client, analysis):
    township = analysis.townships.set_index("code").geometry["nimei"]
    point = township.representative_point()
    result = client.post("/api/plan/analyse", json=feature(point, "walnut")).get_json()
    assert result["zones"] == [] and result["area_mu"] is None
    zones = metric(analysis.zones)
    site = gpd.GeoSeries([point], crs=4326).to_crs(32648).iloc[0]
    distances = zones.distance(site)
    assert result["nearest_zone"]["id"] == zones.id.iloc[int(np.argmin(distances))]
    assert result["nearest_zone"]["distance_m"] == round(distances.min())
    assert result["coverage"]["bases_outside_zones"] == 1
    assert "nimei" in result["coverage"]["closable_township_gaps"]


def test_a_point_outside_the_county_is_a_clear_422(client):
    response = client.post("/api/plan/analyse", json=feature(Point(104.06, 30.67)))  # Chengdu
    assert response.status_code == 422
    assert "选址位于汉源县外" in response.get_json()["message"]  # Chinese first, from the catalog
    english = client.post("/api/plan/analyse?lang=en", json=feature(Point(104.06, 30.67)))
    assert "outside Hanyuan County" in english.get_json()["message"]


BAD_SITES = [
    (feature({"type": "Polygon", "coordinates": [[[102.60, 29.50], [102.62, 29.52], [102.62, 29.50],
                                                  [102.60, 29.52], [102.60, 29.50]]]}), 422, "Self-intersection"),
    (feature({"type": "Point", "coordinates": [500000, 3265000]}), 422, "not longitude/latitude degrees"),
    (feature(Point(102.62, 29.50), "durian"), 422, "choose the industry of the base"),
    (feature({"type": "LineString", "coordinates": [[102.6, 29.5], [102.7, 29.5]]}), 422, "not 'LineString'"),
    (feature({"type": "Point", "coordinates": ["a", "b"]}), 422, "cannot be read"),
    ({"type": "FeatureCollection", "features": []}, 422, "exactly one feature"),
    ([1, 2, 3], 422, "send a GeoJSON Feature"),
    ({"type": "Feature", "properties": "pear", "geometry": {"type": "Point", "coordinates": [102.6, 29.4]}}, 422,
     "properties must be an object, not a string"),
    ({"type": "Feature", "properties": {"industry": ["pear"]}, "geometry": {"type": "Point", "coordinates": [102.6, 29.4]}},
     422, "choose the industry of the base"),
    ({"type": "FeatureCollection", "features": [1]}, 422, "send a GeoJSON Feature"),
]


@pytest.mark.parametrize("payload,status,message", BAD_SITES)
def test_bad_sites_get_a_clear_4xx_and_nothing_is_saved(planning_app, payload, status, message):
    client = logged_in(planning_app, "ann")
    before = len(planning_app.extensions["geoapp"].proposals.list())
    analysed = client.post("/api/plan/analyse?lang=en", json=payload)
    assert analysed.status_code == status and message in analysed.get_json()["message"]
    if isinstance(payload, dict) and isinstance(payload.get("properties"), dict):
        payload["properties"]["name"] = "bad"
    saved = client.post("/api/proposals?lang=en", json=payload)
    assert saved.status_code == status and message in saved.get_json()["message"]
    assert len(planning_app.extensions["geoapp"].proposals.list()) == before


def test_oversized_and_non_json_bodies_are_refused(client):
    big = json.dumps(feature(Point(102.62, 29.5), notes="x" * (1024 * 1024 + 10)))
    response = client.post("/api/plan/analyse", data=big, content_type="application/json")
    assert response.status_code == 413 and response.is_json
    broken = client.post("/api/plan/analyse?lang=en", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["message"]


def test_candidate_sites_are_ranked_spread_out_and_clear_of_bases(client, analysis):
    body = client.get("/api/plan/candidates?industry=sichuan_pepper&n=6").get_json()
    candidates = body["candidates"]
    assert len(candidates) == 6 and [c["rank"] for c in candidates] == list(range(1, 7))
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores, reverse=True)
    points = gpd.GeoSeries([Point(c["lon"], c["lat"]) for c in candidates], crs=4326).to_crs(32648)
    assert all(points.iloc[i].distance(points.iloc[j]) >= 1999 for i in range(6) for j in range(i))
    bases = metric(analysis.dataset["industry_bases"])
    assert all(bases.distance(p).min() >= 299 for p in points)
    assert points.within(metric(analysis.dataset["county"]).geometry.iloc[0]).all()
    for c in candidates:
        assert sum(f["weight"] for f in c["factors"].values()) == pytest.approx(1, abs=0.01)
        assert c["score"] == pytest.approx(sum(f["weight"] * f["score"] for f in c["factors"].values()), abs=0.01)
    assert body["notes"] == [{"code": "no_elevation"}]
    pepper_zone = metric(analysis.zones.set_index("id").loc[["qingxi-pepper"]]).geometry.iloc[0]
    assert points.iloc[0].within(pepper_zone), "the best pepper site lies in the pepper zone"


def test_candidates_refuse_unknown_industries_and_counts(client):
    assert client.get("/api/plan/candidates?industry=durian").status_code == 400
    assert client.get("/api/plan/candidates?industry=pear&n=0").status_code == 400


def test_with_an_elevation_raster_the_reservoir_is_excluded_and_the_band_scores(tmp_path, analysis):
    rasterio = pytest.importorskip("rasterio")
    from affine import Affine
    minx, miny, maxx, maxy = analysis.dataset["county"].total_bounds
    width, height = 200, 200
    rows = np.linspace(2600, 600, height)  # high in the north, 600 m in the south
    elevation = np.repeat(rows[:, None], width, axis=1).astype("float32")
    path = tmp_path / "dem.tif"
    transform = Affine((maxx - minx + 0.02) / width, 0, minx - 0.01, 0, -(maxy - miny + 0.02) / height, maxy + 0.01)
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
                       crs="EPSG:4326", transform=transform) as dem:
        dem.write(elevation, 1)
    from geoapp.analysis.planning import PlanningContext, candidate_sites, elevation_at
    result = candidate_sites(PlanningContext(analysis, path), "citrus", 8)
    points = gpd.GeoSeries([Point(c["lon"], c["lat"]) for c in result["candidates"]], crs=4326)
    heights = elevation_at(path, points)
    assert (heights >= 850).all(), "nothing below the reservoir's level"
    assert all("elevation_fit" in c["factors"] for c in result["candidates"])
    assert result["notes"][0]["band_m"] == [850, 1300]


# Logging in, CSRF, and proposals ------------------------------------------------------------

def test_create_user_stores_a_hash_and_login_checks_it(tmp_path):
    instance = tmp_path / "instance"
    env = {**os.environ, "GEOAPP_INSTANCE": str(instance)}
    made = subprocess.run([sys.executable, "-m", "geoapp.cli", "create-user", "dora", "--role", "admin"],
                          input=PASSWORD + "\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert made.returncode == 0 and "dora can now log in as admin" in made.stdout
    assert PASSWORD.encode() not in (instance / "geoapp.gpkg").read_bytes()
    short = subprocess.run([sys.executable, "-m", "geoapp.cli", "create-user", "eve"], input="short\n",
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert short.returncode == 2 and "a password has 8 to 200 characters" in short.stderr
    app = make_app(DATA_DIR, instance)
    client = app.test_client()
    token = csrf_token(client)
    wrong = client.post("/login", data={"name": "dora", "password": "nope-nope", "csrf_token": token})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.get_data(as_text=True)
    assert client.post("/login", data={"name": "dora", "password": PASSWORD, "csrf_token": token}).status_code == 302


WRITES = {"POST", "PUT", "PATCH", "DELETE"}
READ_ONLY_POSTS = {"planning.analyse", "planning.upload"}  # POSTs that change nothing: public, no token needed
SESSION_ROUTES = {"auth.login", "auth.logout"}  # how one logs in and out: token, but no login


def write_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & WRITES):
            url = rule.build({arg: 1 for arg in rule.arguments}, append_unknown=False)[1]
            yield rule.endpoint, method, url


def test_every_write_route_refuses_anonymous_and_token_less_requests(planning_app):
    routes = list(write_routes(planning_app))
    assert {"proposals.create_proposal", "proposals.update_proposal", "proposals.delete_proposal", "admin.check",
            "admin.start_import", "admin.rollback"} <= {endpoint for endpoint, _, _ in routes}
    for endpoint, method, url in routes:
        if endpoint in READ_ONLY_POSTS:
            continue
        body = json.dumps(feature(Point(102.62, 29.50), name="x"))
        anonymous = planning_app.test_client()
        anonymous.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(anonymous)
        if endpoint not in SESSION_ROUTES:
            refused = anonymous.open(url, method=method, data=body, content_type="application/json")
            sent_to_login = refused.status_code == 302 and refused.headers["Location"].startswith("/login")
            assert refused.status_code in (401, 403) or sent_to_login, (endpoint, method, refused.status_code)
        tokenless = logged_in(planning_app, "chief")
        del tokenless.environ_base["HTTP_X_CSRFTOKEN"]
        refused = tokenless.open(url, method=method, data=body, content_type="application/json")
        assert refused.status_code == 400, (endpoint, method, refused.status_code)
    assert planning_app.extensions["geoapp"].proposals.list() == [], "no refused write saved anything"


def test_a_planner_saves_lists_edits_and_exports_a_proposal(planning_app, border_site, tmp_path):
    store = planning_app.extensions["geoapp"].proposals
    ann = logged_in(planning_app, "ann")
    made = ann.post("/api/proposals", json=feature(border_site, "pear", name="九襄梨扩展 <b>", notes="试点"))
    assert made.status_code == 201
    proposal = made.get_json()
    assert proposal["properties"]["owner"] == "ann" and proposal["properties"]["status"] == "draft"
    assert proposal["properties"]["moves"] == ["submitted", "withdrawn"], "a planner's moves, in workflow order"
    pid = proposal["id"]
    assert ann.patch(f"/api/proposals/{pid}", json={"properties": {"status": "submitted"}}).status_code == 200
    refused = ann.patch(f"/api/proposals/{pid}", json={"properties": {"status": "approved"}})
    assert refused.status_code == 403 and "不能把这个建议" in refused.get_json()["message"]  # in the planner's language
    bob = logged_in(planning_app, "bob")
    assert bob.patch(f"/api/proposals/{pid}", json={"properties": {"notes": "mine now"}}).status_code == 403
    chief = logged_in(planning_app, "chief")
    assert chief.get(f"/api/proposals/{pid}").get_json()["properties"]["moves"] == ["draft", "approved", "rejected",
                                                                                    "withdrawn"]
    assert chief.patch(f"/api/proposals/{pid}", json={"properties": {"status": "approved",
                                                                     "comment": "同意，注意水源"}}).status_code == 200
    export = ann.get("/api/proposals?download=1")
    assert export.headers["Content-Disposition"].startswith("attachment")
    exported = json.loads(export.get_data(as_text=True))
    saved = next(f for f in exported["features"] if f["id"] == pid)
    assert saved["properties"]["status"] == "approved" and saved["properties"]["name"] == "九襄梨扩展 <b>"
    assert saved["properties"]["reviewer"] == "chief" and saved["properties"]["review_comment"] == "同意，注意水源"
    assert shapely.geometry.shape(saved["geometry"]).equals_exact(border_site, 1e-9)
    frame = pyogrio.read_dataframe(store.path, layer="proposals")  # a real GeoPackage others can read
    assert "九襄梨扩展 <b>" in set(frame.name) and frame.crs.to_epsg() == 4326
    # approved: locked for the planner
    assert saved["properties"]["editable"] is False and saved["properties"]["deletable"] is False
    locked = ann.patch(f"/api/proposals/{pid}", json={"properties": {"name": "改名"}})
    assert locked.status_code == 403 and "该建议已批准，已锁定" in locked.get_json()["message"], "said once, not 已已"
    sheet = ann.get(f"/api/proposals/{pid}.pdf?lang=zh")
    sheet_path = planning_app.instance_path + "/reviewed.pdf"
    with open(sheet_path, "wb") as handle:
        handle.write(sheet.data)
    text = subprocess.run(["pdftotext", sheet_path, "-"], capture_output=True, text=True, check=True).stdout
    assert "审核意见" in text and "review_comment" not in text, "the sheet names fields in words"
    assert re.search(r"20\d\d年\d{1,2}月\d{1,2}日\s+\d\d:\d\d", text), "dated in Beijing time, year first"
    assert not re.search(r"20\d\d-\d\d-\d\d", text), "no ISO dates"
    assert ann.patch(f"/api/proposals/{pid}", json={"geometry": mapping(border_site.centroid)}).status_code == 403
    assert ann.delete(f"/api/proposals/{pid}").status_code == 403
    assert store.get(pid).name == "九襄梨扩展 <b>" and store.get(pid).status == "approved"
    # an admin reopens it (recorded), and then its planner may work on it again
    assert chief.patch(f"/api/proposals/{pid}", json={"properties": {"status": "draft"}}).status_code == 200
    assert ann.delete(f"/api/proposals/{pid}").status_code == 200
    assert ann.get(f"/api/proposals/{pid}").status_code == 404
    actions = [(r.action, r.who, r.changes.get("status")) for r in store.revisions(pid)]
    assert actions == [("created", "ann", [None, "draft"]), ("moved", "ann", ["draft", "submitted"]),
                       ("moved", "chief", ["submitted", "approved"]), ("moved", "chief", ["approved", "draft"]),
                       ("deleted", "ann", None)]


def test_renaming_a_proposal_updates_it_and_its_history_lists_the_rename(planning_app, border_site):
    ann = logged_in(planning_app, "ann")
    store = planning_app.extensions["geoapp"].proposals
    pid = ann.post("/api/proposals", json=feature(border_site, "pear", name="旧名")).get_json()["id"]
    count = len(store.list())
    moved = border_site.buffer(0.001)
    renamed = ann.patch(f"/api/proposals/{pid}", json={"geometry": mapping(moved),
                                                        "properties": {"name": "新名", "notes": "改了范围"}})
    assert renamed.status_code == 200 and len(store.list()) == count, "an edit never makes a second proposal"
    history = ann.get(f"/api/proposals/{pid}").get_json()["revisions"]
    assert history[-1]["action"] == "edited" and history[-1]["changes"]["name"] == ["旧名", "新名"]
    before, after = history[-1]["changes"]["geometry"]
    assert shapely.geometry.shape(before).equals_exact(border_site, 1e-9)
    assert shapely.geometry.shape(after).equals_exact(moved, 1e-9)
    assert ann.patch(f"/api/proposals/{pid}", json={"properties": {"name": "新名"}}).status_code == 200
    assert len(ann.get(f"/api/proposals/{pid}").get_json()["revisions"]) == len(history), "no change, no revision"


def test_two_proposals_compare_side_by_side_and_print_as_a_sheet(planning_app, border_site, analysis):
    ann = logged_in(planning_app, "ann")
    first = ann.post("/api/proposals", json=feature(border_site, "pear", name="甲方案")).get_json()["id"]
    second = ann.post("/api/proposals", json=feature(border_site.centroid, "peach", name="乙方案")).get_json()["id"]
    compared = ann.get(f"/api/proposals/compare?ids={first},{second}").get_json()["proposals"]
    assert [c["proposal"]["properties"]["name"] for c in compared] == ["甲方案", "乙方案"]
    assert compared[0]["analysis"]["area_mu"] > 0 and compared[1]["analysis"]["area_mu"] is None
    assert ann.get(f"/api/proposals/compare?ids={first}").status_code == 400
    sheet = ann.get(f"/api/proposals/{first}.pdf?lang=zh")
    assert sheet.status_code == 200 and sheet.data.startswith(b"%PDF")
    path = planning_app.instance_path + "/sheet.pdf"
    with open(path, "wb") as handle:
        handle.write(sheet.data)
    text = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
    township = analysis.townships.set_index("code").name_zh
    result = compared[0]["analysis"]
    assert "甲方案" in text and township[result["townships"][0]["code"]] in text
    assert "修改记录" in text and "ann" in text and "草稿" in text
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    faces = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
    assert all("CJK-SC" in face for face in faces), f"every word in the simplified-Chinese face: {faces}"


def test_anonymous_visitors_analyse_but_cannot_list_proposals(client):
    assert client.get("/api/proposals").status_code == 401
    assert client.post("/api/plan/analyse", json=feature(Point(102.62, 29.50))).status_code == 200


def test_a_zipped_shapefile_in_epsg_4547_with_two_polygons_is_analysed(client, tmp_path, analysis):
    """Upload through the importer: any format and coordinate system it reads."""
    zones = analysis.zones.to_crs(32648)
    inside = zones.geometry.iloc[0].representative_point()
    squares = [inside.buffer(300, cap_style="square"),
               shapely.affinity.translate(inside.buffer(200, cap_style="square"), 900, 0)]
    frame = gpd.GeoDataFrame({"name": ["东块", "西块"]}, geometry=squares, crs=32648).to_crs(4547)
    path = zipped_shapefile(frame, tmp_path, "site")
    with open(path, "rb") as handle:
        found = client.post("/api/plan/upload?lang=zh", data={"file": (handle, "site.zip")},
                            content_type="multipart/form-data")
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert [f["properties"]["label"] for f in body["features"]] == ["东块", "西块"]
    union = shapely.geometry.shape(body["union"])
    expected = gpd.GeoSeries(squares, crs=32648).to_crs(4326).union_all()
    assert union.symmetric_difference(expected).area < 1e-4 * expected.area, "converted from EPSG:4547"
    result = client.post("/api/plan/analyse", json={"type": "Feature", "properties": {"industry": "pear"},
                                                    "geometry": body["union"]}).get_json()
    assert result["zones"][0]["id"] == analysis.zones.id.iloc[0]
    assert abs(result["area_mu"] - 780) < 3, "both polygons: 0.36 + 0.16 km² = 780 mu"
    bad = client.post("/api/plan/upload?lang=zh", data={"file": (io.BytesIO(b"not a zip"), "site.zip")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "不是 zip 压缩文件" in bad.get_json()["message"], "the importer's words, in Chinese"


def test_candidates_name_their_township_zone_and_reasons(client, analysis):
    body = client.get("/api/plan/candidates?industry=pear&n=4").get_json()
    for candidate in body["candidates"]:
        assert candidate["township_name"]["zh"] in set(analysis.townships.name_zh)
        assert candidate["zone"]["id"] in set(analysis.zones.id)
        assert {r["factor"] for r in candidate["reasons"]} >= {"zone_coverage", "near_industry_bases", "near_branch"}
        zone_reason = next(r for r in candidate["reasons"] if r["factor"] == "zone_coverage")
        score = candidate["factors"]["zone_coverage"]["score"]
        if zone_reason["code"] == "in_lead_zone":
            assert score == 1.0
        elif zone_reason["code"] == "in_other_zone":
            assert score == 0.7, "equal values, equal scores: inside another industry's zone is always 0.7"
    exported = client.get("/api/plan/candidates.csv?industry=pear&n=4&lang=zh").get_data(as_text=True)
    assert exported.lstrip("\ufeff").startswith("排名,得分,乡镇") and len(exported.strip().splitlines()) == 5
    geojson = client.get("/api/plan/candidates.geojson?industry=pear&n=4&lang=en").get_json()
    assert len(geojson["features"]) == 4 and "Township" in geojson["features"][0]["properties"]


def test_a_draft_is_read_by_its_planner_and_the_admins_only(planning_app):
    """README, security: a draft is its planner's own work; from submitted on the office sees it."""
    ann, bob, chief = (logged_in(planning_app, name) for name in ("ann", "bob", "chief"))
    site = feature(Point(102.65, 29.35), name="ann's idea", notes="not for the office yet")
    draft = ann.post("/api/proposals", json=site).get_json()["id"]
    other = bob.post("/api/proposals", json=feature(Point(102.66, 29.36), name="bob's", status="submitted")).get_json()
    listed = lambda client: {f["id"] for f in client.get("/api/proposals").get_json()["features"]}  # noqa: E731
    assert draft in listed(ann) and draft in listed(chief) and draft not in listed(bob)
    for path in (f"/api/proposals/{draft}", f"/api/proposals/{draft}.pdf", f"/api/proposals/compare?ids={draft},{other['id']}"):
        response = bob.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "not for the office" not in response.get_data(as_text=True)
    assert bob.patch(f"/api/proposals/{draft}", json={"properties": {"name": "mine now"}}).status_code == 404
    assert bob.delete(f"/api/proposals/{draft}").status_code == 404
    assert chief.get(f"/api/proposals/{draft}").status_code == 200
    assert ann.patch(f"/api/proposals/{draft}", json={"properties": {"status": "submitted"}}).status_code == 200
    assert draft in listed(bob), "submitted: the office sees it"
    assert bob.get(f"/api/proposals/{draft}").get_json()["properties"]["notes"] == "not for the office yet"


def test_a_base_of_one_industry_in_another_industrys_zone_is_told_so(client, analysis):
    zones = analysis.zones
    pepper = zones[zones.lead_industry == "sichuan_pepper"].iloc[0]
    inside = pepper.geometry.representative_point()
    for chosen, told in (("pear", True), ("sichuan_pepper", False)):
        result = client.post("/api/plan/analyse?lang=en", json={"type": "Feature", "properties": {"industry": chosen},
                                                                "geometry": mapping(inside)}).get_json()
        [said] = [s for s in result["coverage"]["statements"] if s["code"] == "in_zone"]
        assert said["lead_industry"] is (not told) and said["zone_industry"] == "sichuan_pepper"
