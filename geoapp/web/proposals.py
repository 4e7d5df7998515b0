"""Proposals that are worked on: saved, edited (never duplicated), reviewed through the
workflow of `geoapp.workflow`, every change kept as a revision, compared side by side, and
printed as a one-page sheet for the approval file (BRIEF §7: /api/proposals)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from geoapp import params, workflow
from geoapp.analysis.planning import (
    analyse_site,
    parse_site,
    site_geometry,
    site_industry,
)
from geoapp.data.validate import unstorable
from geoapp.messages import N_, message
from geoapp.params import ParamError
from geoapp.web.auth import roles_required
from geoapp.web.i18n import current_lang
from geoapp.web.planning import json_body, to_stored
from geoapp.web.state import county

bp = Blueprint("proposals", __name__)

MAX_NAME = 200
MAX_NOTES = 5000
MAX_COMMENT = 2000


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


def _candidate(properties: dict) -> dict | None:
    """The ranked site a proposal came from (rank, score, factors), if the page says so."""
    value = properties.get("candidate")
    if value is None:
        return None
    if (not isinstance(value, dict) or not isinstance(value.get("score"), (int, float))
            or not isinstance(value.get("rank"), int) or len(json.dumps(value)) > 20_000):
        raise ParamError(N_("candidate must be a suggested site (rank, score, factors)"), status=422,
                         parameter="candidate")
    return {"rank": value["rank"], "score": value["score"], "factors": value.get("factors") or {},
            "reasons": value.get("reasons") or []}


def _is_owner(proposal) -> bool:
    return proposal.owner == current_user.name


def _proposal_or_404(proposal_id: int):
    proposal = county().proposals.get(proposal_id)
    if proposal is None:
        abort(404, _("There is no proposal %(id)s.", id=proposal_id))
    return proposal


def as_feature(proposal) -> dict:
    """A proposal as GeoJSON, with what the person asking may do with it."""
    feature = proposal.as_feature()
    role, owner = current_user.role, _is_owner(proposal)
    feature["properties"].update(
        moves=workflow.moves_from(proposal.status, role, owner), editable=workflow.may_edit(proposal.status, role, owner),
        deletable=workflow.may_delete(proposal.status, role, owner))
    tiles = county().tiles
    if tiles.to_display is not None:  # drawn on a GCJ-02 base map
        import shapely
        feature["geometry"] = json.loads(shapely.to_geojson(tiles.to_display(proposal.geometry)))
    return feature


@bp.get("/api/proposals")
@roles_required("planner", "admin")
def list_proposals():
    collection = {"type": "FeatureCollection", "features": [as_feature(p) for p in county().proposals.list()]}
    body = json.dumps(collection, ensure_ascii=False)
    headers = {"Content-Disposition": 'attachment; filename="proposals.geojson"'} if request.args.get("download") else {}
    return Response(body, mimetype="application/geo+json", headers=headers)


@bp.post("/api/proposals")
@roles_required("planner", "admin")
def create_proposal():
    payload = json_body()
    geometry, industry = parse_site(payload)
    geometry = to_stored(geometry)
    properties = payload.get("properties") or {}
    analyse_site(county().planning, geometry, industry)  # the same checks as analysing: inside the county
    status = properties.get("status", "draft")
    if status not in ("draft", "submitted"):
        raise ParamError(N_("a new proposal is a draft or submitted"), status=422, parameter="status")
    proposal = county().proposals.create(
        name=_text(properties, "name", MAX_NAME, required=True), industry=industry, geometry=geometry,
        owner=current_user.name, notes=_text(properties, "notes", MAX_NOTES, required=False) or "",
        status=status, candidate=_candidate(properties))
    return jsonify(as_feature(proposal)), 201


@bp.get("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def get_proposal(proposal_id: int):
    feature = as_feature(_proposal_or_404(proposal_id))
    feature["revisions"] = [r.as_dict() for r in county().proposals.revisions(proposal_id)]
    return jsonify(feature)


@bp.patch("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def update_proposal(proposal_id: int):
    """Edit name, notes, industry or site (while not locked), and/or move the status as the
    workflow allows, with a review comment. One revision records it all."""
    proposal = _proposal_or_404(proposal_id)
    role, owner = current_user.role, _is_owner(proposal)
    payload = json_body()
    properties = params.field_of(payload, "properties", dict, message(N_("an object")), required=False) or {}
    unknown = set(properties) - {"name", "notes", "status", "industry", "comment"}
    if unknown:
        raise ParamError(N_("cannot change %(fields)s"), status=422, fields=", ".join(sorted(unknown)))
    changes = {}
    if payload.get("geometry") is not None:
        changes["geometry"] = to_stored(site_geometry(payload["geometry"]))
    if "industry" in properties:
        changes["industry"] = site_industry(properties["industry"])
    for name, limit in (("name", MAX_NAME), ("notes", MAX_NOTES)):
        if name in properties:
            changes[name] = _text(properties, name, limit, required=name == "name")
    edits = {k: v for k, v in changes.items() if getattr(proposal, k) != v or k == "geometry"}
    if edits and not workflow.may_edit(proposal.status, role, owner):
        abort(403, _("This proposal is %(status)s and locked; an admin must reopen it before it is changed.",
                     status=_(proposal.status)) if proposal.status in workflow.LOCKED else
              _("Proposal %(id)s belongs to %(owner)s; only they or an admin may change it.", id=proposal.id,
                owner=proposal.owner))
    if "geometry" in changes:
        analyse_site(county().planning, changes["geometry"], changes.get("industry", proposal.industry))
    comment = _text(properties, "comment", MAX_COMMENT, required=False) or ""
    status = properties.get("status")
    if status is not None and status != proposal.status:
        if status not in workflow.STATUSES:
            raise ParamError(N_("status must be one of %(statuses)s"), status=422, parameter="status",
                             statuses=", ".join(workflow.STATUSES))
        if not workflow.may_move(proposal.status, status, role, owner):
            allowed = workflow.moves_from(proposal.status, role, owner)
            abort(403, _("You may not move this proposal from %(from)s to %(to)s; you may move it to: %(allowed)s.",
                         **{"from": _(proposal.status), "to": _(status),
                            "allowed": "、".join(_(s) for s in allowed) or _("nothing")}))
        changes["status"] = status
        if status in workflow.LOCKED:
            changes.update(reviewer=current_user.name, review_comment=comment)
    updated = county().proposals.update(proposal_id, current_user.name, comment, **changes)
    return jsonify(as_feature(updated))


@bp.delete("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def delete_proposal(proposal_id: int):
    proposal = _proposal_or_404(proposal_id)
    if not workflow.may_delete(proposal.status, current_user.role, _is_owner(proposal)):
        abort(403, _("This proposal is %(status)s and locked; only an admin may delete it.", status=_(proposal.status))
              if proposal.status in workflow.LOCKED else
              _("Proposal %(id)s belongs to %(owner)s; only they or an admin may change it.", id=proposal.id,
                owner=proposal.owner))
    county().proposals.delete(proposal_id, current_user.name)
    return jsonify({"deleted": proposal_id, "message": _("Proposal deleted.")})


@bp.get("/api/proposals/compare")
@roles_required("planner", "admin")
def compare():
    """Two (or more) proposals side by side: each with its analysis."""
    raw = params.text(request.args, "ids", 100) or ""
    try:
        ids = [int(i) for i in raw.split(",") if i.strip()]
    except ValueError:
        ids = []
    if not 2 <= len(ids) <= 4:
        raise ParamError(N_("ids must be two to four proposal numbers, e.g. 3,5"), parameter="ids")
    columns = []
    for proposal_id in ids:
        proposal = _proposal_or_404(proposal_id)
        columns.append({"proposal": as_feature(proposal),
                        "analysis": analyse_site(county().planning, proposal.geometry, proposal.industry)})
    return jsonify({"proposals": columns})


@bp.get("/api/proposals/<int:proposal_id>.pdf")
@roles_required("planner", "admin")
def proposal_sheet(proposal_id: int):
    try:
        from geoapp.maps.sheet import proposal_sheet_pdf
    except OSError:
        abort(503, _("The PDF report needs the pango library on the server (Debian: apt install libpango-1.0-0 "
                     "libpangoft2-1.0-0 fonts-noto-cjk)."))
    proposal = _proposal_or_404(proposal_id)
    state = county()
    pdf = proposal_sheet_pdf(state.analysis, state.planning, proposal, state.proposals.revisions(proposal_id),
                             current_lang())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="proposal-{proposal_id}.pdf"'})
