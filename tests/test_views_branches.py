"""The branch pages, the list of branches by their five days, and the branches' own reports
(issue 20), through their routes: what the office, a branch secretary, an admin and the public
each get."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.conftest import DATA_DIR, Auth, make_app, run_cli


@pytest.fixture(scope="module")
def writable(tmp_path_factory):
    """An app of its own for the tests that report activities (the session's app stays as the
    data has it)."""
    return make_app(DATA_DIR, tmp_path_factory.mktemp("branches") / "instance")


@pytest.fixture(scope="module")
def people(writable):
    auth = Auth(writable)
    auth.user("admin1", "admin")
    auth.user("planner1", "planner")
    return auth


def red_one_short(client) -> dict:
    """A red branch that missed exactly three days (one report short of amber)."""
    listed = client.get("/api/branches?status=red").get_json()["branches"]
    return next(b for b in listed if b["missed"] == 3 and not b["silent"] and b["kind"] == "industry")


# the pages ---------------------------------------------------------------------------------------

def test_every_organisation_has_a_page_and_a_json_twin_with_its_chain_up_to_the_county(client, dataset):
    for org in dataset["party_organisations"].itertuples():
        data = client.get(f"/api/branches/{org.id}").get_json()
        assert data["id"] == org.id and data["parents"][-1]["kind"] == "county", org.id
        assert data["responsible"]["secretary"] == org.secretary
        assert data["responsible"]["tel"] == "tel:+86" + org.phone.replace("-", "")[1:]
        assert set(data["directions"]) == {"amap", "baidu", "tencent", "apple"}
    page = client.get("/branches/PO-I001?lang=en").get_data(as_text=True)
    assert "tel:+86" in page and "uri.amap.com" in page and "CPC Hanyuan County Committee" in page


def test_an_unknown_branch_is_a_404_naming_it_and_a_wrong_month_a_400(client):
    answer = client.get("/api/branches/PO-NOPE")
    assert answer.status_code == 404 and "PO-NOPE" in answer.get_json()["message"]
    assert client.get("/branches/PO-NOPE").status_code == 404
    for month in ("2015-13", "yesterday", "2015-12-01"):
        answer = client.get(f"/api/branches?as_of={month}&lang=en")
        assert answer.status_code == 400 and "year-month" in answer.get_json()["message"]
    answer = client.get("/api/branches?status=purple&lang=en")
    assert answer.status_code == 400 and "green, amber, red" in answer.get_json()["message"]


def test_the_list_filters_by_status_and_counts_each_and_an_earlier_month_stands_differently(client, dataset):
    everyone = client.get("/api/branches").get_json()
    assert len(everyone["branches"]) == len(dataset["party_organisations"])
    assert sum(everyone["counts"].values()) == len(everyone["branches"])
    for status in ("green", "amber", "red"):
        listed = client.get(f"/api/branches?status={status}").get_json()["branches"]
        assert len(listed) == everyone["counts"][status] and {b["status"] for b in listed} <= {status}
    assert everyone["as_of"] == "2015-12"
    earlier = client.get("/api/branches?as_of=2015-09").get_json()
    assert earlier["months"] == ["2015-07", "2015-08", "2015-09"] and earlier["counts"] != everyone["counts"]
    assert everyone["notice"], "illustrative data says so"


def test_counts_on_the_branch_pages_add_up_to_the_zones_and_the_county(client, dataset):
    pages = [client.get(f"/api/branches/{o}").get_json() for o in dataset["party_organisations"].id]
    zones = client.get("/api/zones").get_json()["zones"]
    for zone in zones:
        linkages = client.get(f"/api/zones/{zone['id']}").get_json()
        mine = [p for p in pages if p["zone"] == zone["id"]]
        assert sum(p["members"] for p in mine) == linkages["organisation"]["party_members"], zone["id"]
        assert sum(p["party_groups"] for p in mine) == linkages["organisation"]["party_groups"], zone["id"]
        held = sum(len(a) for p in mine for month in p["calendar"] for a in month["days"].values())
        assert held == linkages["team"]["activities"]["total"], zone["id"]
    county = client.get("/api/summary").get_json()["county"]
    assert sum(p["party_groups"] for p in pages if p["kind"] == "industry") == county["party_groups"]
    assert sum(1 for p in pages if p["kind"] == "industry") == county["industry_branches"]
    served = sum(len(p["villages"]) for p in pages)
    unserved = client.get("/api/coverage").get_json()["gaps"]["villages_without_branch"]
    assert served + len(unserved) == len(dataset["villages"])


def test_the_public_never_sees_a_members_row_and_small_counts_only_when_logged_in(client, app, dataset):
    collections = {c["id"] for c in client.get("/ogc/collections").get_json()["collections"]}
    assert {"villages", "committees"} <= collections
    assert not collections & {"members_pipeline", "member_structure", "loans"}
    text = client.get("/api/branches/PO-I001").get_data(as_text=True)
    assert "M0" not in text, "no pipeline row's id"
    public = client.get("/api/branches/PO-I001").get_json()["people"]
    hidden = [v for v in [*public["candidates"].values(), *(n for d in public["structure"].values() for n in d.values())]
              if v is None]
    assert hidden, "some counts of fewer than five are hidden from the public"
    assert all(v is None or v == 0 or v >= 5 for v in public["candidates"].values())
    office = Auth(app).client("office1", "planner")
    seen = office.get("/api/branches/PO-I001").get_json()["people"]
    assert all(v is not None for v in seen["candidates"].values())
    structure = dataset["member_structure"]
    mine = structure[structure.branch == "PO-I001"]
    assert {d: sum(values.values()) for d, values in seen["structure"].items()} == \
        mine.groupby("dimension")["count"].sum().to_dict()


# reporting ----------------------------------------------------------------------------------------

def test_a_secretary_reports_for_their_own_branch_and_it_counts_at_once(writable, people):
    client = writable.test_client()
    branch = red_one_short(client)
    missing = branch["missing"][0]
    report = {"kind": missing["kind"], "date": f"{missing['month']}-18", "topic_zh": "补开：党员承诺公开",
              "attendance": 11}
    assert client.post(f"/api/branches/{branch['id']}/activities", json=report).status_code == 401
    secretary = people.client("sec-own", "branch", branch=branch["id"])
    other = next(b for b in client.get("/api/branches").get_json()["branches"] if b["id"] != branch["id"])
    refused = secretary.post(f"/api/branches/{other['id']}/activities", json=report)
    assert refused.status_code == 403 and branch["id"] in refused.get_json()["message"]
    planner_client = writable.test_client()
    people.login(planner_client, "planner1")
    assert planner_client.post(f"/api/branches/{branch['id']}/activities", json=report).status_code == 403
    made = secretary.post(f"/api/branches/{branch['id']}/activities", json={**report, "client_key": "key-0000001"})
    assert made.status_code == 201, made.get_json()
    record = made.get_json()
    assert record["reported_by"] == "sec-own" and record["id"].startswith("R")
    again = secretary.post(f"/api/branches/{branch['id']}/activities", json={**report, "client_key": "key-0000001"})
    assert again.status_code == 200 and again.get_json()["id"] == record["id"], "a resend is not stored twice"
    page = secretary.get(f"/api/branches/{branch['id']}").get_json()
    assert page["standing"]["status"] == "amber" and page["standing"]["missed"] == 2
    shown = [a for m in page["calendar"] for a in m["days"][missing["kind"]] if a["id"] == record["id"]]
    assert shown and shown[0]["reported_by"] == "sec-own"
    # the public sees it too, on the list and the coverage page's late list
    listed = {b["id"]: b for b in client.get("/api/branches").get_json()["branches"]}
    assert listed[branch["id"]]["status"] == "amber"


def test_an_admin_corrects_or_removes_a_report_and_the_store_keeps_what_was_there(writable, people):
    client = writable.test_client()
    branch = red_one_short(client)
    missing = branch["missing"][0]
    secretary = people.client("sec-fix", "branch", branch=branch["id"])
    record = secretary.post(f"/api/branches/{branch['id']}/activities", json={
        "kind": missing["kind"], "date": f"{missing['month']}-05", "topic_zh": "议事", "attendance": 900}).get_json()
    assert secretary.patch(f"/api/activities/{record['id']}", json={"attendance": 9}).status_code == 403
    admin = writable.test_client()
    people.login(admin, "admin1")
    fixed = admin.patch(f"/api/activities/{record['id']}", json={"attendance": 9})
    assert fixed.status_code == 200 and fixed.get_json()["attendance"] == 9
    assert admin.patch("/api/activities/A00001", json={"attendance": 9}).status_code == 404, "imported rows: by import"
    assert admin.delete(f"/api/activities/{record['id']}").status_code == 200
    assert admin.get(f"/api/branches/{branch['id']}").get_json()["standing"]["status"] == "red"
    store = writable.extensions["geoapp"].stores.reports
    number = int(record["id"][1:])
    assert [r.action for r in store.revisions(number)] == ["created", "edited", "removed"]
    assert store.get(number).removed


@pytest.mark.parametrize("payload, words", [
    ({"kind": "tea_day"}, "kind"),
    ({"date": "2015-02-30"}, "date"),
    ({"date": "2099-01-01"}, "future"),
    ({"topic_zh": "   "}, "topic"),
    ({"attendance": -1}, "attendance"),
    ({"attendance": "many"}, "attendance"),
    ({"attendance": 10_001}, "attendance"),
    ({"minutes": "记" * 2001}, "minutes"),
    ({"client_key": "<script>"}, "client_key"),
])
def test_a_bad_report_is_a_400_naming_the_field_and_nothing_is_stored(writable, people, payload, words):
    secretary = people.client("sec-bad", "branch", branch="PO-I002")
    store = writable.extensions["geoapp"].stores.reports
    before = store.latest()
    good = {"kind": "open_day", "date": "2015-12-01", "topic_zh": "开放日", "attendance": 10}
    answer = secretary.post("/api/branches/PO-I002/activities", json={**good, **payload}, headers={"Accept-Language": "en"})
    assert answer.status_code == 400 and words in answer.get_json()["message"].lower()
    assert store.latest() == before


def test_any_body_sent_as_a_report_is_refused_or_stored_never_a_500(writable, people):
    secretary = people.client("sec-fuzz", "branch", branch="PO-I003")
    store = writable.extensions["geoapp"].stores.reports
    values = st.one_of(st.none(), st.booleans(), st.integers(-10, 20_000), st.text(max_size=30),
                       st.sampled_from(["open_day", "2015-12-01", "2015-02-29", "0", "1e3"]))
    bodies = st.one_of(st.dictionaries(st.sampled_from(["kind", "date", "topic_zh", "attendance", "minutes",
                                                        "client_key", "branch", "id"]), values, max_size=8),
                       st.lists(values, max_size=3), values)

    @settings(max_examples=150, deadline=None)
    @given(body=bodies)
    def check(body):
        before = store.latest()
        answer = secretary.post("/api/branches/PO-I003/activities", data=json.dumps(body),
                                content_type="application/json")
        assert answer.status_code in (201, 400), (body, answer.get_data(as_text=True))
        assert answer.is_json and answer.get_json().get("message" if answer.status_code == 400 else "id")
        assert (store.latest() > before) == (answer.status_code == 201)
    check()


def test_photos_sent_with_a_report_are_made_safe_and_shown(writable, people):
    secretary = people.client("sec-photo", "branch", branch="PO-I004")
    image = Image.new("RGB", (640, 480), "green")
    exif = Image.Exif()
    exif[0x8825] = {2: (29.0, 30.0, 0.0)}  # a GPS position, as a phone writes it
    upload = io.BytesIO()
    image.save(upload, "JPEG", exif=exif)
    answer = secretary.post("/api/branches/PO-I004/activities", data={
        "kind": "culture_sports_day", "date": "2015-12-12", "topic_zh": "篮球赛", "attendance": "20",
        "photo": (io.BytesIO(upload.getvalue()), "IMG_0001.jpg")}, content_type="multipart/form-data",
        headers={"Accept": "application/json"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    digest = answer.get_json()["photos"][0]
    stored = writable.extensions["geoapp"].photos.path(f"{digest}-large.jpg")
    assert stored is not None and not Image.open(stored).getexif(), "no EXIF, no GPS"
    page = secretary.get("/branches/PO-I004").get_data(as_text=True)
    assert f"{digest}-small.jpg" in page


# accounts -------------------------------------------------------------------------------------------

def test_the_command_line_makes_a_branch_account_only_for_a_branch_the_data_holds(tmp_path):
    env = {"GEOAPP_INSTANCE": str(tmp_path / "instance"), "GEOAPP_DATA_DIR": str(DATA_DIR)}
    made = run_cli(env, "create-user", "wang", "--role", "branch", "--branch", "PO-I005", input_text="secret-password\n")
    assert made.returncode == 0 and "PO-I005" in made.stdout
    unknown = run_cli(env, "create-user", "li", "--role", "branch", "--branch", "PO-X", input_text="secret-password\n")
    assert unknown.returncode != 0 and "PO-X" in unknown.stderr
    missing = run_cli(env, "create-user", "zhao", "--role", "branch", input_text="secret-password\n")
    assert missing.returncode != 0 and "branch" in missing.stderr


def test_an_admin_makes_a_branch_account_on_the_data_page_and_the_secretary_lands_on_their_branch(writable, people):
    admin = writable.test_client()
    people.login(admin, "admin1")
    page = admin.get("/admin/data/").get_data(as_text=True)
    assert 'name="branch"' in page and "PO-I006" in page
    made = admin.post("/admin/data/users", data={"name": "sec-new", "password": "long enough pw", "role": "branch",
                                                 "branch": "PO-I006", "csrf_token": admin.csrf})
    assert made.status_code == 302
    bad = admin.post("/admin/data/users", data={"name": "sec-bad2", "password": "long enough pw", "role": "branch",
                                                "branch": "", "csrf_token": admin.csrf})
    assert bad.status_code == 400
    secretary = writable.test_client()
    landed = people.login(secretary, "sec-new", "long enough pw")
    assert landed.status_code == 302 and landed.headers["Location"].endswith("/branches/PO-I006#report")
    assert 'class="activity-form"' in secretary.get("/branches/PO-I006").get_data(as_text=True)
    assert 'class="activity-form"' not in secretary.get("/branches/PO-I007").get_data(as_text=True)


# the coverage map and the zone pages ---------------------------------------------------------------

def test_the_coverage_page_lists_the_late_branches_red_first_with_what_is_missing(client):
    data = client.get("/api/coverage").get_json()
    late = data["late"]
    assert late and late[0]["status"] == "red" and {b["status"] for b in late} == {"red", "amber"}
    assert all(b["missing"] or b["silent"] for b in late)
    statuses = [b["status"] for b in late]
    assert statuses == sorted(statuses, key=lambda s: s != "red")
    page = client.get("/coverage").get_data(as_text=True)
    assert 'id="late"' in page and late[0]["url"] in page
    popup = client.get(f"/api/coverage/popups/party_organisations/{late[0]['id']}").get_json()
    assert popup["link"]["href"].startswith(f"/branches/{late[0]['id']}")
    layer = client.get("/api/coverage/layers/branch_status").get_json()
    assert {f["properties"]["status"] for f in layer["features"]} == {"green", "amber", "red"}


def test_a_zone_ranks_its_branches_with_the_parts_of_each_score(client):
    data = client.get("/api/zones/jiuxiang-pear?lang=en").get_json()["ranking"]
    assert "five days held 40" in data["rule"]
    assert data["branches"][0]["rank"] == 1
    assert client.get("/api/zones/outside").get_json()["ranking"] is None
    page = client.get("/zones/jiuxiang-pear").get_data(as_text=True)
    assert 'id="ranking"' in page
