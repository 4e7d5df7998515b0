"""One page per linkage zone (/zones/<id>, /zones/outside), its JSON twin (/api/zones/<id>),
the list (/api/zones) and its server-drawn map (`geoapp.views.zones`)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request, url_for

from geoapp.analysis.linkages import OUTSIDE
from geoapp.views import branches as branch_views
from geoapp.views import zones as zone_views
from geoapp.views.wording import DIVISIONS
from geoapp.web.auth import viewer
from geoapp.web.counties import requested_county
from geoapp.web.i18n import current_lang, number
from geoapp.web.state import served, version, with_notice

bp = Blueprint("zones", __name__)


@bp.get("/api/zones")
def zones_api():
    """The zones, with a link to each one's four linkages."""
    return jsonify(with_notice({"zones": [{**zone, "href": url_for("zones.zone_api", zone_id=zone["id"])}
                                          for zone in zone_views.zones_list(version(), current_lang())]}))


def _ranking(zone_id: str, lang: str) -> dict | None:
    """The zone's branches ranked (none for what lies outside the zones)."""
    current = version()
    if zone_views.scope_of(current, zone_id) == OUTSIDE:
        return None
    return branch_views.zone_ranking(current, zone_id, lang, url_for, request.args.get("as_of") or None)


@bp.get("/api/zones/<zone_id>")
def zone_api(zone_id: str):
    lang = current_lang()
    return jsonify(with_notice({**zone_views.zone_data(version(), zone_id, lang, viewer().disclose),
                                "ranking": _ranking(zone_id, lang)}))


@bp.get("/zones/<zone_id>")
def zone_page(zone_id: str):
    lang = current_lang()
    current = version()
    disclose = viewer().disclose
    data = zone_views.zone_data(current, zone_id, lang, disclose)
    zone = data.pop("zone")
    return render_template("zone.html", zone=zone, linkages=data,
                           charts=zone_views.zone_charts(current, zone_views.scope_of(current, zone_id), lang, disclose),
                           words=zone_views.words(), others=zone_views.zones_list(current, lang),
                           plan_value=plan_value, disclosed=disclose, name=zone["name"],
                           ranking=_ranking(zone_id, lang), divisions=DIVISIONS,
                           pipeline=branch_views.pipeline_view(current, zone_views.scope_of(current, zone_id)
                                                               if zone_id != OUTSIDE else None, lang, viewer(), url_for)
                           if disclose and zone_id != OUTSIDE else None)


def plan_value(indicator: str, value) -> str:
    return number(value, zone_views.words()["units"].get(indicator, ""))


@bp.get("/zones/<zone_id>/map.png")
def zone_map(zone_id: str):
    """The zone on a map, drawn on the server: its townships, bases, organisations and names."""
    png = zone_views.zone_map_png(version(), zone_id, current_lang(), served().shelf,
                                  requested_county(request.environ))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "public, max-age=300"})
