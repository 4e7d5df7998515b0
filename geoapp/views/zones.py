"""The county's home page and one page per linkage zone (/zones/<id>, /zones/outside), with
their JSON twins (/api/zones, /api/zones/<id>): the four linkages — organisation, team,
service, development — in the article's order, each figure with the chart and the table behind it.

Counts about people are shown to the public only when there are at least five of them
(`geoapp.indicators.people_count`); with `disclose` (a logged-in office user) all are.
"""
from __future__ import annotations

from geoapp import formats
from geoapp.analysis.linkages import (
    OUTPUT_INDICATORS,
    OUTSIDE,
    zone_linkages,
    zone_summaries,
)
from geoapp.figures import STRANDS
from geoapp.indicators import BY_ID as INDICATORS
from geoapp.layers import ACTIVITY_KINDS, INDUSTRIES
from geoapp.messages import N_, UserError, translator
from geoapp.views.coverage import figure_rows
from geoapp.views.served import ServedVersion
from geoapp.views.shelf import Shelf, version_key
from geoapp.views.wording import short_zone_name
from geoapp.vocabulary import (
    ACTIVITY_WORDS,
    MODEL_WORDS,
    ORGANISATION_FORM_WORDS,
    ORGANISATION_KIND_WORDS,
    PLAN_WORDS,
    STAGE_WORDS,
    STRAND_WORDS,
)

NETWORK_CHART_MOST = 60    # cooperatives a network chart draws; more is a table only


class UnknownZone(UserError):
    status = 404


def scope_of(version: ServedVersion, zone_id: str) -> str:
    """`zone_id` when it is a zone or OUTSIDE; UnknownZone (404) otherwise."""
    if zone_id != OUTSIDE and zone_id not in _zone_positions(version):
        raise UnknownZone(N_("There is no linkage zone “%(id)s”."), id=zone_id[:60])
    return zone_id


def _zone_positions(version: ServedVersion) -> dict[str, int]:
    zones = version.analysis.zones
    return version.made_once(("zone-positions",), lambda: {z: i for i, z in enumerate(zones.id)})


def linkages_for(version: ServedVersion, zone_id: str | None, lang: str, disclose: bool) -> dict:
    """The four linkages of a scope, made once per data version, language and audience."""
    return version.made_once(("linkages", zone_id, lang, disclose),
                             lambda: zone_linkages(version.analysis, zone_id, lang, disclose))


def summaries_by_zone(version: ServedVersion, disclose: bool) -> dict[str, dict]:
    """The county figures of each zone and of what lies outside them (small counts of people
    hidden from the public)."""
    return version.made_once(("zone-summaries", disclose), lambda: zone_summaries(version.analysis, disclose))


def zone_header(version: ServedVersion, zone_id: str, lang: str) -> dict:
    """The zone's name, lead industry and townships, as the page and the API say them."""
    return version.made_once(("zone-header", zone_id, lang), lambda: _header(version, zone_id, lang))


def _header(version: ServedVersion, zone_id: str, lang: str) -> dict:
    _ = translator(lang)
    if zone_id == OUTSIDE:
        return {"id": OUTSIDE, "name": _("Outside the linkage zones"), "lead_industry": None, "townships": [],
                "area_km2": None, "general_branch": None}
    name = "name_en" if lang == "en" else "name_zh"
    zone = version.analysis.zones.iloc[_zone_positions(version)[zone_id]]
    townships = version.index.layer("townships")
    names = version.dataset["townships"][name].to_numpy()
    organisations = version.index.layer("party_organisations")
    general = organisations.position("id", zone.general_branch)
    return {"id": zone.id, "name": zone[name], "lead_industry": zone.lead_industry,
            "industry": INDUSTRIES[zone.lead_industry][1 if lang == "en" else 0],
            "townships": [{"code": c, "name": names[p] if (p := townships.position("code", c)) is not None else c}
                          for c in (zone.townships or "").split(", ") if c],
            "area_km2": float(zone.area_km2), "general_branch": zone.general_branch,
            "general_branch_name": version.dataset["party_organisations"][name].iat[general]
            if general is not None else None}


def zone_ids(version: ServedVersion) -> list[str]:
    return [*version.analysis.zones.id, OUTSIDE]


def zones_list(version: ServedVersion, lang: str) -> list[dict]:
    return [zone_header(version, z, lang) for z in zone_ids(version)]


def zone_data(version: ServedVersion, zone_id: str, lang: str, disclose: bool) -> dict:
    """A zone's page, and its JSON twin: the zone and its four linkages."""
    scope = scope_of(version, zone_id)
    return {"zone": zone_header(version, zone_id, lang), **linkages_for(version, scope, lang, disclose),
            "people_counts": "exact" if disclose else "five or more"}


def words() -> dict:
    """The catalog words the zone and county pages use for the model's vocabularies."""
    return {"organisations": ORGANISATION_KIND_WORDS, "forms": ORGANISATION_FORM_WORDS, "activities": ACTIVITY_WORDS,
            "stages": STAGE_WORDS, "plans": PLAN_WORDS, "models": MODEL_WORDS,
            "indicators": {key: i.label for key, i in INDICATORS.items()},
            "units": {key: i.unit for key, i in INDICATORS.items()}}


# charts ------------------------------------------------------------------------------------------

def _activities_chart(team: dict, _) -> str | None:
    from geoapp.maps import charts
    activities = team["activities"]
    if not activities["months"]:
        return None
    counts = {(row["month"], row["kind"]): row["count"] for row in activities["by_month"]}
    return charts.stacked_bars(
        [m[5:] for m in activities["months"]],
        {_(ACTIVITY_WORDS[k]): [counts.get((m, k), 0) for m in activities["months"]] for k in ACTIVITY_KINDS},
        _("The five days, by month (%(years)s)") % {"years": "、".join(activities["years"])})


def _pipeline_chart(team: dict, _, lang: str = "zh") -> str | None:
    from geoapp.maps import charts
    counts = [v for s in team["pipeline"] for v in s["years"].values()]
    if not team["pipeline_years"] or not any(v is None or v > 0 for v in counts):
        return None   # no one in the pipeline here: no chart of zeros (the table says it)
    return charts.grouped_bars([_(STAGE_WORDS[s["stage"]]) for s in team["pipeline"]],
                               {year: [s["years"][year] for s in team["pipeline"]] for year in team["pipeline_years"]},
                               _("Member pipeline by stage and year"), _("fewer than 5"),
                               lambda value: formats.number(value, lang))


def _plans_chart(development: dict, _) -> str | None:
    from geoapp.maps import charts
    if not development["plans"]:
        return None
    return charts.progress_bars(
        [(_(INDICATORS[p["indicator"]].label), p["progress"], f"{p['progress']}%" if p["progress"] is not None else "")
         for p in development["plans"]], _("Progress towards the plans’ targets"), _("fewer than 5"))


def _change_chart(development: dict, _, lang: str) -> str | None:
    from geoapp.maps import charts
    change = development["change"]
    if len(change["years"]) <= 1:
        return None
    labels = {k: _(INDICATORS[k].label) for k in OUTPUT_INDICATORS}
    return charts.small_multiples([str(y) for y in change["years"]],
                                  {labels[k]: change["indicators"][k]["values"] for k in OUTPUT_INDICATORS},
                                  {labels[k]: [formats.number(v, lang) for v in change["indicators"][k]["values"]]
                                   for k in OUTPUT_INDICATORS}, _("Year over year"))


def _network_chart(service: dict, _) -> str | None:
    from geoapp.maps import charts
    network = service["network"]
    if not network or sum(len(link["cooperatives"]) for link in network) > NETWORK_CHART_MOST:
        return None
    return charts.network([(link["name"], [c["name"] for c in link["cooperatives"]]) for link in network],
                          _("Cooperatives and the leading enterprises they work with"))


def _charts(linkages: dict, lang: str) -> dict[str, str]:
    """Every chart of a zone page, as inline SVG, drawn from the same numbers as its table
    (matplotlib is imported by the first zone page, not by every worker's start)."""
    _ = translator(lang)
    made = {"activities": _activities_chart(linkages["team"], _), "pipeline": _pipeline_chart(linkages["team"], _, lang),
            "plans": _plans_chart(linkages["development"], _),
            "change": _change_chart(linkages["development"], _, lang), "network": _network_chart(linkages["service"], _)}
    return {name: chart for name, chart in made.items() if chart is not None}


def zone_charts(version: ServedVersion, zone_id: str | None, lang: str, disclose: bool) -> dict[str, str]:
    return version.made_once(("zone-charts", zone_id, lang, disclose),
                             lambda: _charts(linkages_for(version, zone_id, lang, disclose), lang))


def zone_map_png(version: ServedVersion, zone_id: str, lang: str, shelf: Shelf, county: str | None = None) -> bytes:
    """The zone on a map, drawn on the server: its townships, bases, organisations and names;
    drawn once per data version for every worker (`geoapp.views.shelf`)."""
    from geoapp.maps.static import coverage_figure
    from geoapp.views.coverage import sheet_layers
    if scope_of(version, zone_id) == OUTSIDE:
        raise UnknownZone(N_("There is no linkage zone “%(id)s”."), id=zone_id)
    return shelf.made(version_key(version, county), f"zone-{zone_id}-{lang}.png", lambda: coverage_figure(
        sheet_layers(version, "industry_branches", lang), zone_id, size=(7.5, 5.2), dpi=110))


# the county's home page ----------------------------------------------------------------------------

def home_data(version: ServedVersion, lang: str, disclose: bool) -> dict:
    """The county in the article's four strands: each figure beside the article's words, with
    each zone's share of it, and the county's organisation tree."""
    _ = translator(lang)
    by_zone = summaries_by_zone(version, disclose)
    analysis = version.analysis
    names = dict(zip(analysis.zones.id, analysis.zones["name_en" if lang == "en" else "name_zh"]))
    names[OUTSIDE] = _("Outside the linkage zones")
    rows = {row["key"]: row for row in figure_rows(version, lang)}
    strands = [{"id": strand, "title": _(STRAND_WORDS[strand][0]), "words": STRAND_WORDS[strand][1],
                "figures": [{**rows[key], "zones": [{"id": z, "name": names[z], "short": short_zone_name(names[z]),
                                                    "value": figures[key]}
                                                   for z, figures in by_zone.items()]}
                            for key in keys]}
               for strand, keys in STRANDS.items()]
    county = linkages_for(version, None, lang, disclose)
    return {"strands": strands, "zones": [{"id": z, "name": n} for z, n in names.items()],
            "tree": county["organisation"]["tree"], "linkages": county,
            "charts": zone_charts(version, None, lang, disclose),
            "gaps": {k: len(v) for k, v in analysis.gaps.as_dict().items()}}
