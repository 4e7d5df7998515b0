"""The article's model zone by zone (issue 12): the four linkages per zone add up to the county,
the model's rows exist in the sample, the coverage map shades change, and nothing public
reveals a person."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import DATA_DIR, PASSWORD, Auth, make_app

from geoapp.analysis.linkages import OUTSIDE
from geoapp.indicators import MIN_PUBLIC_COUNT
from geoapp.layers import ACTIVITY_KINDS

SECTIONS = ("organisation", "team", "service", "development")


@pytest.fixture(scope="module")
def linkage_app(tmp_path_factory):
    app = make_app(DATA_DIR, tmp_path_factory.mktemp("linkages"))
    app.extensions["geoapp"].users.create("officer", PASSWORD, "planner")
    return app


def office_client(app):
    return Auth(app).client("officer")


def zone_ids(app) -> list[str]:
    return [*app.extensions["geoapp"].newest.analysis.zones.id, OUTSIDE]


def test_each_zone_has_the_four_linkages_and_they_add_up_to_the_county(linkage_app):
    client = office_client(linkage_app)  # exact counts: the sums must not lose the small ones
    county = client.get("/api/summary").get_json()["county"]
    zones = {z: client.get(f"/api/zones/{z}").get_json() for z in zone_ids(linkage_app)}
    assert len(zones) == 6
    for zone_id, body in zones.items():
        assert set(SECTIONS) <= set(body), zone_id

    def total(path):
        values = []
        for body in zones.values():
            value = body
            for key in path.split("."):
                value = value[key]
            values.append(value)
        return sum(values)

    assert total("organisation.industry_branches") == county["industry_branches"]
    assert total("organisation.party_groups") == county["party_groups"]
    assert total("organisation.association_branches") == county["association_branches"]
    assert total("service.credit_scheme.loans") == county["loans"]
    assert total("service.credit_scheme.amount_yuan") == county["loan_amount_yuan"]
    assert total("service.training.trainees") == county["trainees"]
    assert total("service.cooperatives") == county["cooperatives"]
    assert total("service.study_tour_households") == county["study_tour_households"]
    assert total("development.farm_stays") == county["farm_stays"]
    assert total("development.tourist_visits") == county["tourist_visits"]
    assert total("team.new_members_since_2014") == county["new_members_since_2014"]
    assert total("team.leader_candidates") == county["leader_candidates"]


def test_the_sample_holds_the_model_behind_the_totals(dataset, analysis):
    activities = dataset["branch_activities"]
    assert set(activities.kind) == set(ACTIVITY_KINDS)
    assert all((activities.kind == kind).sum() >= 20 for kind in ACTIVITY_KINDS)
    pipeline = dataset["members_pipeline"]
    assert ((pipeline.stage == "member") & (pipeline.year >= 2014)).sum() >= 20
    assert (pipeline.stage == "leader_candidate").sum() == 5
    assert analysis.summary["new_members_since_2014"] == ((pipeline.stage == "member") & (pipeline.year >= 2014)).sum()
    # the pipeline narrows stage by stage, as the article's 好青年 → 村选拔 → 乡培训 → 县发展 does
    counts = pipeline.stage.value_counts()
    assert counts["talent_pool"] > counts["village_selection"] > counts["township_training"] > \
        counts["county_development"]
    orgs = dataset["party_organisations"]
    associations = orgs[orgs.kind == "association"]
    cooperatives = dataset["cooperatives"].set_index("id")
    assert associations.cooperative.notna().all()
    assert (cooperatives.loc[associations.cooperative, "kind"] == "cooperative").all()
    assert set(orgs.form) == {"regional", "industry", "sector"}
    # every zone's plans set targets above their baselines, for both kinds of plan
    plans = dataset["zone_plans"]
    assert set(plans.zone) == set(dataset["zones"].id) and set(plans.kind) == {"industry", "party_building"}
    assert (plans.target > plans.baseline).all()
    festivals = dataset["festivals"]
    assert festivals.partners.notna().all() and festivals.visits.sum() <= analysis.summary["tourist_visits"]
    tours = dataset["training_sessions"]
    assert tours[tours.kind == "study_tour"].visited_zh.notna().all()


def test_every_zone_page_shows_the_four_strands_its_tree_and_charts(linkage_app):
    client = linkage_app.test_client()
    analysis = linkage_app.extensions["geoapp"].newest.analysis
    for zone in analysis.zones.itertuples():
        page = client.get(f"/zones/{zone.id}?lang=zh").get_data(as_text=True)
        for strand in SECTIONS:
            assert f'id="{strand}"' in page
        assert zone.name_zh in page and f'data-org="{zone.general_branch}"' in page
        assert page.count("<svg") >= 3  # pipeline, activities, plans (and change, network)
        branches = analysis.dataset["party_organisations"]
        under = branches[(branches.parent == zone.general_branch)]
        assert all(f'data-org="{b}"' in page for b in under.id)
    assert client.get("/zones/outside").status_code == 200
    assert client.get("/zones/nowhere").status_code == 404
    assert client.get("/api/zones/nowhere?lang=en").get_json()["message"]


def test_the_zone_tree_names_the_cooperative_each_association_branch_is_built_in(linkage_app):
    client = linkage_app.test_client()
    data = linkage_app.extensions["geoapp"].newest.analysis.dataset
    orgs = data["party_organisations"]
    names = data["cooperatives"].set_index("id").name_zh
    for branch in orgs[orgs.kind == "association"].itertuples():
        body = client.get(f"/api/zones/{branch.zone}?lang=zh").get_json()
        [root] = body["organisation"]["tree"]
        [node] = [n for n in root["children"] if n["id"] == branch.id]
        assert node["cooperative_name"] == names[branch.cooperative]


def test_plan_progress_follows_the_data(linkage_app, data_copy, tmp_path):
    """Progress is computed from today's rows: one more industry branch in a zone moves its
    party-building plan's branch figure by one."""
    client = office_client(linkage_app)
    zone = "qingxi-pepper"
    before = {p["indicator"]: p for p in client.get(f"/api/zones/{zone}").get_json()["development"]["plans"]}
    import json
    path = data_copy / "party_organisations.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    branch = next(f for f in collection["features"] if f["properties"]["kind"] == "industry"
                  and f["properties"]["zone"] == zone)
    copy = json.loads(json.dumps(branch))
    copy["properties"]["id"] = "PO-I999"
    collection["features"].append(copy)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    other = make_app(data_copy, tmp_path / "instance").test_client()
    after = {p["indicator"]: p for p in other.get(f"/api/zones/{zone}").get_json()["development"]["plans"]}
    assert after["industry_branches"]["actual"] == before["industry_branches"]["actual"] + 1
    assert after["industry_branches"]["progress"] > before["industry_branches"]["progress"]


def test_the_coverage_map_shades_change_since_an_earlier_year(linkage_app, dataset):
    client = linkage_app.test_client()
    page = client.get("/coverage?metric=tourist_visits&compare=2014&lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<option value="tourist_visits_change_2014" selected>' in text
    assert "Tourist visits: change since 2014" in text
    townships = linkage_app.extensions["geoapp"].newest.analysis.townships.set_index("code")
    output = dataset["yearly_output"]
    by_year = output.groupby(["township", "year"]).tourist_visits.sum().unstack(fill_value=0)
    changed = by_year[2015] - by_year[2014]
    assert (townships.loc[changed.index, "tourist_visits_change_2014"] == changed).all()
    refused = client.get("/coverage?metric=loans&compare=2014&lang=en")
    assert refused.status_code == 400 and "cannot be compared with 2014" in refused.get_data(as_text=True)


def test_the_county_page_lays_out_the_four_strands_with_each_zone_linked(linkage_app):
    client = linkage_app.test_client()
    page = client.get("/?lang=zh").get_data(as_text=True)
    for strand in SECTIONS:
        assert f'id="{strand}"' in page
    for zone in zone_ids(linkage_app):
        assert f'href="/zones/{zone}#organisation"' in page
    assert "全覆盖" in page and "data-org=\"PO-S1\"" in page


# privacy --------------------------------------------------------------------------------------

def public_urls(app) -> list[str]:
    """Every public GET route, filled with every zone, public collection and one of each id."""
    data = app.extensions["geoapp"].newest.analysis.dataset
    fills = {"zone_id": zone_ids(app), "collection_id": list(data.keys()), "stay_id": list(data["farm_stays"].id[:2]),
             "feature_id": ["PO-I001", "FS01", "L001", "C001"], "key": ["townships", "party_organisations"]}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "tiles.tile") or \
                rule.endpoint.startswith(("admin.", "proposals.")) or rule.rule.endswith((".pdf", ".png", ".xlsx")):
            continue
        variables = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        if any(v not in fills for v in variables):
            continue
        paths = [rule.rule]
        for variable in variables:
            paths = [re.sub(rf"<(?:\w+:)?{variable}>", value, p, count=1) for p in paths for value in fills[variable]]
        urls += paths
    return sorted(set(urls))


def test_no_public_route_shows_a_person(linkage_app):
    client = linkage_app.test_client()
    data = linkage_app.extensions["geoapp"].newest.analysis.dataset
    recipients = set(data["loans"].recipient)
    pipeline_ids = set(data["members_pipeline"].id)
    urls = public_urls(linkage_app)
    assert any(u.startswith("/zones/") for u in urls) and any(u.startswith("/ogc/collections/") for u in urls)
    for url in urls:
        for lang in ("zh", "en"):
            response = client.get(url, query_string={"lang": lang, "limit": 1000})
            text = response.get_data(as_text=True)
            assert not any(name in text for name in recipients), url
            assert not any(re.search(rf"\b{i}\b", text) for i in pipeline_ids), url
    for table in ("loans", "members_pipeline", "training_sessions"):
        assert client.get(f"/ogc/collections/{table}/items").status_code == 404


def test_small_counts_of_people_are_hidden_from_the_public_and_shown_to_the_office(linkage_app):
    public, office = linkage_app.test_client(), office_client(linkage_app)
    for zone in zone_ids(linkage_app):
        seen = public.get(f"/api/zones/{zone}").get_json()
        exact = office.get(f"/api/zones/{zone}").get_json()
        pairs = [(seen["team"]["leader_candidates"], exact["team"]["leader_candidates"]),
                 (seen["team"]["new_members_since_2014"], exact["team"]["new_members_since_2014"]),
                 (seen["service"]["credit_scheme"]["loans"], exact["service"]["credit_scheme"]["loans"])]
        pairs += [(s["total"], e["total"]) for s, e in zip(seen["team"]["pipeline"], exact["team"]["pipeline"])]
        pairs += [(s["years"][y], e["years"][y]) for s, e in zip(seen["team"]["pipeline"], exact["team"]["pipeline"])
                  for y in e["years"]]
        for shown, true in pairs:
            assert shown == true if (true == 0 or true >= MIN_PUBLIC_COUNT) else shown is None, zone
    # the zones' one leader candidate each: hidden from the public, shown to the office
    page = public.get("/zones/qingxi-pepper?lang=en").get_data(as_text=True)
    assert "fewer than 5" in page
    assert "fewer than 5" not in office.get("/zones/qingxi-pepper?lang=en").get_data(as_text=True).split(
        'id="team"')[1].split('id="service"')[0]


def test_removing_a_branch_that_has_activities_is_refused_naming_the_table(data_copy, tmp_path):
    """A branch's five-days rows point at it: dropping the branch alone would orphan them."""
    import json
    path = data_copy / "party_organisations.geojson"
    collection = json.loads(path.read_text(encoding="utf-8"))
    activities = pd.read_csv(data_copy / "branch_activities.csv")
    held = set(activities.branch)
    index = next(i for i, f in enumerate(collection["features"]) if f["properties"]["id"] in held
                 and f["properties"]["kind"] == "industry")
    collection["features"].pop(index)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    from geoapp.data.load import load_dataset
    from geoapp.data.validate import DataError
    with pytest.raises(DataError, match="branch_activities"):
        load_dataset(data_copy)


def test_the_office_reads_names_not_ids_and_whole_zone_names(client, analysis):
    """/zones/outside names the bases and townships in its gaps (ids stay in the JSON); the home page
    names each zone in full words, not cut to a few characters; no chart of zeros is drawn."""
    import re
    page = client.get("/zones/outside?lang=zh").get_data(as_text=True)
    gaps = client.get("/api/zones/outside?lang=zh").get_json()["organisation"]["gaps"]
    bases = analysis.dataset["industry_bases"].set_index("id").name_zh
    townships = analysis.townships.set_index("code").name_zh
    assert gaps["bases_without_branch"] and gaps["townships_without_branch"]
    start = page.index("覆盖缺口")
    section = page[start:page.index("二、队伍联动", start)]
    for base in gaps["bases_without_branch"]:
        assert bases[base] in section and f">{base}<" not in section
    for code in gaps["townships_without_branch"]:
        assert townships[code] in section and f">{code}<" not in section
    from geoapp.views.zones import zone_charts
    served = client.application.extensions["geoapp"].newest
    assert zone_charts(served, "outside", "zh", False).get("pipeline") is None, "nobody in its pipeline: no chart"
    assert zone_charts(served, analysis.zones.id.iloc[0], "zh", False).get("pipeline"), "a zone with members has one"
    home = client.get("/?lang=zh").get_data(as_text=True)
    for name in analysis.zones.name_zh:
        short = name.removesuffix("产业党建联动区")
        assert f">{short}</a>" in home and "…</a>" not in home
    english = client.get("/?lang=en").get_data(as_text=True)
    assert ">Qingxi Sichuan Pepper</a>" in english and not re.search(r">[A-Z][a-z]{0,4}…</a>", english)
