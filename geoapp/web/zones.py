"""One page per linkage zone (/zones/<id>, /zones/outside) and its JSON twin (/api/zones/<id>):
the zone's four linkages — organisation, team, service, development — in the article's order,
each figure with the chart and the table behind it.

Counts about people are shown to the public only when there are at least five of them
(`geoapp.analysis.linkages.people_count`); a logged-in office user sees them all.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from geoapp import formats
from geoapp.analysis.coverage import TOWNSHIP_METRICS
from geoapp.analysis.linkages import (
    OUTPUT_INDICATORS,
    OUTSIDE,
    zone_linkages,
    zone_summaries,
)
from geoapp.layers import ACTIVITY_KINDS, INDUSTRIES, PIPELINE_STAGES
from geoapp.messages import N_
from geoapp.web.i18n import current_lang, number
from geoapp.web.state import county

bp = Blueprint("zones", __name__)

ORGANISATION_WORDS = {"general": N_("zone general branch"), "industry": N_("industry party branch"),
                      "association": N_("association party branch"), "sector": N_("sector general branch")}
FORM_WORDS = {"regional": N_("regional organisations"), "industry": N_("industry organisations"),
              "sector": N_("sector organisations")}
ACTIVITY_WORDS = {"petition_day": N_("Petition reception day"), "deliberation_day": N_("Democratic deliberation day"),
                  "open_day": N_("Party-building open day"), "e_learning_day": N_("Remote-education screening day"),
                  "culture_sports_day": N_("Culture and sports day")}
STAGE_WORDS = {"talent_pool": N_("“Good youth” talent pool"), "village_selection": N_("Selected by the village"),
               "township_training": N_("Trained by the township"),
               "county_development": N_("Put forward to the county"), "member": N_("New party members"),
               "leader_candidate": N_("Leader candidates")}
# the cooperative models the article names, as the data records them (in Chinese)
MODEL_WORDS = {"企业+专合组织+基地+农户": N_("enterprise + cooperative + base + farmers"),
               "超市+协会+农户": N_("supermarket + association + farmers")}
PLAN_WORDS = {"industry": N_("Industry development plan"), "party_building": N_("Party-building plan")}
INDICATOR_WORDS = {**{key: metric.label for key, metric in TOWNSHIP_METRICS.items()},
                   "new_members": N_("New party members")}
INDICATOR_UNITS = {**{key: metric.unit for key, metric in TOWNSHIP_METRICS.items()}, "new_members": N_("members")}
assert set(ACTIVITY_WORDS) == set(ACTIVITY_KINDS) and set(STAGE_WORDS) == set(PIPELINE_STAGES)


def _zone_or_404(zone_id: str):
    zones = county().analysis.zones
    match = zones[zones.id == zone_id]
    if match.empty:
        abort(404, _("There is no linkage zone “%(id)s”.", id=zone_id))
    return match.iloc[0]


def _scope(zone_id: str) -> str | None:
    """The zone id, OUTSIDE, or a 404 for anything else."""
    if zone_id != OUTSIDE:
        _zone_or_404(zone_id)
    return zone_id


def _disclose() -> bool:
    """Whether the person asking may see small counts of people: a logged-in office user."""
    return bool(current_user.is_authenticated)


def linkages_for(zone_id: str | None, lang: str) -> dict:
    """The four linkages of a scope, made once per data version, language and audience."""
    disclose = _disclose()
    state = county()
    return state.made_once(("linkages", zone_id, lang, disclose),
                           lambda: zone_linkages(state.analysis, zone_id, lang, disclose))


def summaries_by_zone() -> dict[str, dict]:
    """The county figures of each zone and of what lies outside them (small counts of people
    hidden from the public)."""
    disclose = _disclose()
    state = county()
    return state.made_once(("zone-summaries", disclose), lambda: zone_summaries(state.analysis, disclose))


def _zone_header(zone_id: str, lang: str) -> dict:
    """The zone's name, lead industry and townships, as the page and the API say them."""
    analysis = county().analysis
    name = "name_en" if lang == "en" else "name_zh"
    if zone_id == OUTSIDE:
        return {"id": OUTSIDE, "name": _("Outside the linkage zones"), "lead_industry": None, "townships": [],
                "area_km2": None, "general_branch": None}
    zone = _zone_or_404(zone_id)
    township_names = analysis.townships.set_index("code")[name]
    return {"id": zone.id, "name": zone[name], "lead_industry": zone.lead_industry,
            "industry": INDUSTRIES[zone.lead_industry][1 if lang == "en" else 0],
            "townships": [{"code": c, "name": township_names.get(c, c)}
                          for c in (zone.townships or "").split(", ") if c],
            "area_km2": float(zone.area_km2), "general_branch": zone.general_branch,
            "general_branch_name": county().analysis.dataset["party_organisations"].set_index("id")[name].get(
                zone.general_branch)}


@bp.get("/api/zones")
def zones_api():
    """The zones, with a link to each one's four linkages."""
    lang = current_lang()
    return jsonify({"zones": [{**_zone_header(z, lang), "href": url_for("zones.zone_api", zone_id=z)}
                              for z in [*county().analysis.zones.id, OUTSIDE]]})


@bp.get("/api/zones/<zone_id>")
def zone_api(zone_id: str):
    lang = current_lang()
    scope = _scope(zone_id)
    return jsonify({"zone": _zone_header(zone_id, lang), **linkages_for(scope, lang),
                    "people_counts": "exact" if _disclose() else "five or more"})


# the page ---------------------------------------------------------------------------------------

def _charts(linkages: dict, lang: str) -> dict[str, str]:
    """Every chart of a zone page, as inline SVG, drawn from the same numbers as its table."""
    from geoapp.maps import (
        charts,  # matplotlib: imported by the first zone page, not by every worker's start
    )
    fewer = _("fewer than 5")
    team, service, development = linkages["team"], linkages["service"], linkages["development"]
    activities = team["activities"]
    made = {}
    if activities["months"]:
        counts = {(row["month"], row["kind"]): row["count"] for row in activities["by_month"]}
        made["activities"] = charts.stacked_bars(
            [m[5:] for m in activities["months"]],
            {_(ACTIVITY_WORDS[k]): [counts.get((m, k), 0) for m in activities["months"]] for k in ACTIVITY_KINDS},
            _("The five days, by month (%(years)s)", years="、".join(activities["years"])))
    if team["pipeline_years"]:
        made["pipeline"] = charts.grouped_bars(
            [_(STAGE_WORDS[s["stage"]]) for s in team["pipeline"]],
            {year: [s["years"][year] for s in team["pipeline"]] for year in team["pipeline_years"]},
            _("Member pipeline by stage and year"), fewer)
    if development["plans"]:
        made["plans"] = charts.progress_bars(
            [(f"{_(INDICATOR_WORDS[p['indicator']])}", p["progress"],
              f"{p['progress']}%" if p["progress"] is not None else "") for p in development["plans"]],
            _("Progress towards the plans’ targets"), fewer)
    change = development["change"]
    if len(change["years"]) > 1:
        panels = {_(INDICATOR_WORDS[k]): change["indicators"][k]["values"] for k in OUTPUT_INDICATORS}
        words = {_(INDICATOR_WORDS[k]): [formats.number(v, lang) for v in change["indicators"][k]["values"]]
                 for k in OUTPUT_INDICATORS}
        made["change"] = charts.small_multiples([str(y) for y in change["years"]], panels, words,
                                                _("Year over year"))
    if service["network"] and sum(len(link["cooperatives"]) for link in service["network"]) <= 60:
        made["network"] = charts.network(
            [(link["name"], [c["name"] for c in link["cooperatives"]]) for link in service["network"]],
            _("Cooperatives and the leading enterprises they work with"))
    return made


def zone_charts(zone_id: str | None, lang: str) -> dict[str, str]:
    state = county()
    return state.made_once(("zone-charts", zone_id, lang, _disclose()),
                           lambda: _charts(linkages_for(zone_id, lang), lang))


def words() -> dict:
    """The catalog words the zone and county pages use for the model's vocabularies."""
    return {"organisations": ORGANISATION_WORDS, "forms": FORM_WORDS, "activities": ACTIVITY_WORDS,
            "stages": STAGE_WORDS, "plans": PLAN_WORDS, "models": MODEL_WORDS, "indicators": INDICATOR_WORDS, "units": INDICATOR_UNITS}


def plan_value(indicator: str, value) -> str:
    return number(value, INDICATOR_UNITS.get(indicator, ""))


@bp.get("/zones/<zone_id>")
def zone_page(zone_id: str):
    lang = current_lang()
    scope = _scope(zone_id)
    zone = _zone_header(zone_id, lang)
    others = [_zone_header(z, lang) for z in [*county().analysis.zones.id, OUTSIDE]]
    return render_template("zone.html", zone=zone, linkages=linkages_for(scope, lang), charts=zone_charts(scope, lang),
                           words=words(), others=others, plan_value=plan_value, disclosed=_disclose(),
                           name=zone["name"])


@bp.get("/zones/<zone_id>/map.png")
def zone_map(zone_id: str):
    """The zone on a map, drawn on the server: its townships, bases, organisations and names."""
    from geoapp.maps.static import coverage_figure
    lang = current_lang()
    _zone_or_404(zone_id)
    state = county()
    png = state.made_once(("zone-map", zone_id, lang), lambda: coverage_figure(
        state.coverage_layers("industry_branches", lang), zone_id, size=(7.5, 5.2), dpi=110))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "public, max-age=300"})
