"""Planning new industry bases: the page, the public analysis, candidate sites, and the
proposals a logged-in planner keeps (BRIEF §7: /api/plan/analyse, /api/proposals)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from geoapp import params
from geoapp.analysis.planning import (
    analyse_site,
    candidate_sites,
    parse_site,
    site_geometry,
    site_industry,
)
from geoapp.data.validate import unstorable
from geoapp.layers import INDUSTRIES
from geoapp.maps.planning import planning_map
from geoapp.messages import N_, message
from geoapp.params import ParamError, json_document
from geoapp.store.proposals import STATUSES
from geoapp.web.api import coverage_urls
from geoapp.web.auth import csrf, roles_required
from geoapp.web.i18n import current_lang
from geoapp.web.state import control_words, county, render_parts

bp = Blueprint("planning", __name__)

MAX_SITE_BYTES = 1024 * 1024   # a proposed site (or an uploaded file) is at most 1 MiB
MAX_NAME = 200
MAX_NOTES = 5000
PLANNER_STATUSES = ("draft", "submitted")  # approving and rejecting is for admins


def json_body():
    """The request's JSON, refusing what is not JSON, nested too deep or holding huge numbers
    (bodies over MAX_SITE_BYTES are refused with a 413 before this: see
    `geoapp.web.apply_upload_limit`)."""
    if not request.is_json:
        raise ParamError(N_("send JSON (Content-Type: application/json)"), status=415)
    return json_document(request.get_data(as_text=True))


@bp.get("/planning")
def page():
    lang = current_lang()
    state = county()
    layer_url, identify_url = coverage_urls("industry_branches", lang)
    figure = planning_map(state.coverage_layers("industry_branches", lang), state.tiles, state.static_root,
                          layer_url, identify_url, control_words(lang)).get_root()
    industries = {key: zh if lang == "zh" else en for key, (zh, en) in INDUSTRIES.items()}
    return render_template("planning.html", map=render_parts(figure), industries=industries,
                           statuses=STATUSES, has_dem=state.planning.dem_path is not None,
                           max_site_bytes=MAX_SITE_BYTES, words=script_words(lang, industries))


def script_words(lang: str, industries: dict) -> dict:
    """Every label static/js/planning.js shows, in the page's language."""
    statuses = {"draft": _("draft"), "submitted": _("submitted"), "approved": _("approved"), "rejected": _("rejected")}
    return {
        "lang": lang, "industries": industries, "statuses": statuses,
        "click_map": _("Click the map where the base would be."),
        "analysing": _("Analysing…"), "failed": _("The analysis failed"),
        "place": _("Where it is"), "townships": _("Townships"), "zone": _("Linkage zone"),
        "outside": _("Outside every zone; the nearest is %(zone)s, %(distance)s m away", zone="{zone}",
                     distance="{distance}"),
        "area": _("Area"), "mu": _("mu"), "ha": _("ha"), "point": _("a point (no area)"),
        "overlaps": _("Overlaps with existing bases"), "none": _("none"),
        "same_industry": _("Nearest bases of the same industry"), "branch": _("Nearest party branch"),
        "training": _("Nearest training base"), "m": _("m"),
        "service": _("Within %(radius)s m (estimated by area share)", radius="{radius}"),
        "households": _("households benefiting"), "population": _("people"), "villages": _("villages"),
        "missing": _("no population or village count for: %(townships)s", townships="{townships}"),
        "coverage": _("What it changes"),
        "statements": {
            "outside_zone": _("It would be a base outside every zone (a new coverage gap) unless %(zone)s, "
                              "%(distance)s m away, is extended.", zone="{zone}", distance="{distance}"),
            "adds_to_zone": _("Adds %(area)s mu of bases to %(zone)s.", area="{area}", zone="{zone}"),
            "in_zone": _("It lies in %(zone)s.", zone="{zone}"),
            "lead_industry": _("This is the zone's lead industry."),
            "closes_township_gap": _("%(township)s has no zone branch: a branch for this base would close that "
                                     "gap.", township="{township}"),
            "new_area_for_industry": _("No base of this industry within 10 km: a new area for it."),
            "overlaps": _("It overlaps existing bases: %(bases)s.", bases="{bases}"),
        },
        "candidates": _("Suggested sites"), "score": _("score"), "use": _("Use this site"),
        "factors": {"near_industry_bases": _("near the industry's bases"),
                    "near_industry_cooperatives": _("near its cooperatives"),
                    "zone_coverage": _("zone coverage"), "near_branch": _("near a party branch"),
                    "elevation_fit": _("elevation band")},
        "weight": _("weight"), "value": _("value"),
        "no_elevation": _("No elevation raster is configured (GEOAPP_DEM): the elevation band and the "
                          "reservoir exclusion are skipped."),
        "elevation": _("Elevation band %(low)s–%(high)s m; land below %(reservoir)s m (the reservoir) is "
                       "excluded.", low="{low}", high="{high}", reservoir="{reservoir}"),
        "saved": _("Saved."), "deleted": _("Deleted."), "delete": _("Delete"), "confirm_delete":
            _("Delete this proposal?"), "show": _("Show"), "no_site": _("Propose a site first."),
        "too_big": _("The file is larger than 1 MiB."), "not_json": _("The file is not GeoJSON"),
        "no_proposals": _("No proposals yet."), "by": _("by"),
    }


@bp.post("/api/plan/analyse")
@csrf.exempt  # reads only: anyone, and any script, may analyse a site
def analyse():
    geometry, industry = parse_site(json_body())
    return jsonify(analyse_site(county().planning, geometry, industry))


@bp.get("/api/plan/candidates")
def candidates():
    n = params.whole(request.args, "n", 1, 50, default=10)
    industry = params.choice(request.args, "industry", INDUSTRIES)
    if industry is None:
        raise ParamError(N_("choose the industry of the base: one of %(industries)s"), parameter="industry",
                         industries=", ".join(INDUSTRIES))
    return jsonify(candidate_sites(county().planning, industry, n))


# Proposals -----------------------------------------------------------------------------------

def _text(properties: dict, name: str, limit: int, required: bool) -> str | None:
    value = properties.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ParamError(N_("%(name)s must be text and cannot be empty") if required else N_("%(name)s must be text"),
                         status=422, parameter=name, name=name)
    if len(value) > limit:
        raise ParamError(N_("%(name)s is %(length)s characters long; at most %(most)s"), status=422, parameter=name,
                         name=name, length=len(value), most=limit)
    if unstorable(value):
        raise ParamError(N_("%(name)s: %(reason)s cannot be stored unchanged; remove it"), status=422,
                         parameter=name, name=name, reason=unstorable(value))
    return value.strip()


def _status(properties: dict, default: str | None) -> str | None:
    status = properties.get("status", default)
    if status is None:
        return None
    if status not in STATUSES:
        raise ParamError(N_("status must be one of %(statuses)s"), status=422, parameter="status",
                         statuses=", ".join(STATUSES))
    if current_user.role != "admin" and status not in PLANNER_STATUSES:
        raise ParamError(N_("only an admin may approve or reject a proposal"), status=403, parameter="status")
    return status


def _may_change(proposal) -> None:
    if current_user.role != "admin" and proposal.owner != current_user.name:
        abort(403, _("Proposal %(id)s belongs to %(owner)s; only they or an admin may change it.", id=proposal.id,
                     owner=proposal.owner))


def _proposal_or_404(proposal_id: int):
    proposal = county().proposals.get(proposal_id)
    if proposal is None:
        abort(404, _("There is no proposal %(id)s.", id=proposal_id))
    return proposal


@bp.get("/api/proposals")
@roles_required("planner", "admin")
def list_proposals():
    collection = {"type": "FeatureCollection", "features": [p.as_feature() for p in county().proposals.list()]}
    body = json.dumps(collection, ensure_ascii=False)
    headers = {"Content-Disposition": 'attachment; filename="proposals.geojson"'} if request.args.get("download") else {}
    return Response(body, mimetype="application/geo+json", headers=headers)


@bp.post("/api/proposals")
@roles_required("planner", "admin")
def create_proposal():
    payload = json_body()
    geometry, industry = parse_site(payload)
    properties = payload.get("properties") or {}
    analyse_site(county().planning, geometry, industry)  # the same checks as analysing: inside the county
    proposal = county().proposals.create(
        name=_text(properties, "name", MAX_NAME, required=True), industry=industry, geometry=geometry,
        owner=current_user.name, notes=_text(properties, "notes", MAX_NOTES, required=False) or "",
        status=_status(properties, "draft"))
    return jsonify(proposal.as_feature()), 201


@bp.get("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def get_proposal(proposal_id: int):
    return jsonify(_proposal_or_404(proposal_id).as_feature())


@bp.patch("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def update_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    _may_change(proposal)
    payload = json_body()
    properties = params.field_of(payload, "properties", dict, message(N_("an object")), required=False) or {}
    changes = {}
    if payload.get("geometry") is not None:
        changes["geometry"] = site_geometry(payload["geometry"])
        analyse_site(county().planning, changes["geometry"], proposal.industry)
    if "industry" in properties:
        changes["industry"] = site_industry(properties["industry"])
    for name, limit in (("name", MAX_NAME), ("notes", MAX_NOTES)):
        if name in properties:
            changes[name] = _text(properties, name, limit, required=name == "name")
    if "status" in properties:
        changes["status"] = _status(properties, None)
    unknown = set(properties) - {"name", "notes", "status", "industry"}
    if unknown:
        raise ParamError(N_("cannot change %(fields)s"), status=422, fields=", ".join(sorted(unknown)))
    return jsonify(county().proposals.update(proposal_id, **changes).as_feature())


@bp.delete("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def delete_proposal(proposal_id: int):
    _may_change(_proposal_or_404(proposal_id))
    county().proposals.delete(proposal_id)
    return jsonify({"deleted": proposal_id, "message": _("Proposal deleted.")})
