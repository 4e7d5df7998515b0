"""Proposals that are worked on: saved, edited (never duplicated), reviewed through the
workflow of `geoapp.workflow`, every change kept as a revision, compared side by side, and
printed as a one-page sheet for the approval file (docs/BRIEF.md §7: /api/proposals).

Each function takes the proposal store, the served version, who asks (`Viewer`) and what they
sent, and returns plain data (GeoJSON features); it raises `Forbidden` (403), `NoProposal`
(404) or `ParamError` (400/422) naming what is wrong.
"""
from __future__ import annotations

import json

import shapely

from geoapp import params, workflow
from geoapp.analysis.planning import analyse_site
from geoapp.data.sites import parse_site, site_geometry, site_industry
from geoapp.data.validate import unstorable
from geoapp.messages import N_, Listed, Message, UserError, message
from geoapp.params import ParamError
from geoapp.store.base import Proposal, ProposalStore
from geoapp.views import Viewer
from geoapp.views.planning import to_stored
from geoapp.views.served import ServedVersion

MAX_NAME = 200
MAX_NOTES = 5000
MAX_COMMENT = 2000
EDITABLE = {"name", "notes", "status", "industry", "comment"}


class Forbidden(UserError):
    status = 403


class NoProposal(UserError):
    status = 404


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
    reason = unstorable(value)
    if reason:
        raise ParamError(N_("%(name)s: %(reason)s cannot be stored unchanged; remove it"), status=422,
                         parameter=name, name=name, reason=reason)
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


def proposal_or_404(store: ProposalStore, proposal_id: int, viewer: Viewer) -> Proposal:
    """The proposal, if it exists and the viewer may read it (another planner's draft is not
    theirs to see: 404, as if it did not exist)."""
    proposal = store.get(proposal_id)
    if proposal is None or not readable(proposal, viewer):
        raise NoProposal(N_("There is no proposal %(id)s."), id=proposal_id)
    return proposal


def readable(proposal: Proposal, viewer: Viewer) -> bool:
    return workflow.may_read(proposal.status, viewer.role or "", proposal.owner == viewer.name)


def as_feature(version: ServedVersion, proposal: Proposal, viewer: Viewer) -> dict:
    """A proposal as GeoJSON (in the base map's datum), with what the viewer may do with it."""
    feature = proposal.as_feature()
    role, owner = viewer.role or "", proposal.owner == viewer.name
    feature["properties"].update(
        moves=workflow.moves_from(proposal.status, role, owner), editable=workflow.may_edit(proposal.status, role, owner),
        deletable=workflow.may_delete(proposal.status, role, owner))
    if version.tiles.to_display is not None:  # drawn on a GCJ-02 base map
        feature["geometry"] = json.loads(shapely.to_geojson(version.tiles.to_display(proposal.geometry)))
    return feature


def listing(store: ProposalStore, version: ServedVersion, viewer: Viewer) -> dict:
    return {"type": "FeatureCollection",
            "features": [as_feature(version, p, viewer) for p in store.list() if readable(p, viewer)]}


def detail(store: ProposalStore, version: ServedVersion, proposal_id: int, viewer: Viewer) -> dict:
    feature = as_feature(version, proposal_or_404(store, proposal_id, viewer), viewer)
    feature["revisions"] = [r.as_dict() for r in store.revisions(proposal_id)]
    return feature


def create(store: ProposalStore, version: ServedVersion, payload, viewer: Viewer) -> dict:
    """A new proposal (a draft, or submitted at once) from a GeoJSON Feature."""
    geometry, industry = parse_site(payload)
    geometry = to_stored(version, geometry)
    properties = payload.get("properties") or {}
    analyse_site(version.planning, geometry, industry)  # the same checks as analysing: inside the county
    status = properties.get("status", "draft")
    if status not in ("draft", "submitted"):
        raise ParamError(N_("a new proposal is a draft or submitted"), status=422, parameter="status")
    proposal = store.create(
        name=_text(properties, "name", MAX_NAME, required=True) or "", industry=industry, geometry=geometry,
        owner=viewer.name or "", notes=_text(properties, "notes", MAX_NOTES, required=False) or "",
        status=status, candidate=_candidate(properties))
    return as_feature(version, proposal, viewer)


def _not_yours(proposal: Proposal, locked_message: Message) -> Forbidden:
    if proposal.status in workflow.LOCKED:
        return Forbidden(locked_message)
    return Forbidden(N_("Proposal %(id)s belongs to %(owner)s; only they or an admin may change it."),
                     id=proposal.id, owner=proposal.owner)


def _edits(version: ServedVersion, proposal: Proposal, payload: dict, properties: dict) -> dict:
    """The fields a change sends (site, industry, name, notes), checked."""
    changes: dict = {}
    if payload.get("geometry") is not None:
        changes["geometry"] = to_stored(version, site_geometry(payload["geometry"]))
    if "industry" in properties:
        changes["industry"] = site_industry(properties["industry"])
    for name, limit in (("name", MAX_NAME), ("notes", MAX_NOTES)):
        if name in properties:
            changes[name] = _text(properties, name, limit, required=name == "name")
    if "geometry" in changes:
        analyse_site(version.planning, changes["geometry"], changes.get("industry", proposal.industry))
    return changes


def _move(proposal: Proposal, status, viewer: Viewer) -> None:
    """Refuse a status the workflow does not allow this viewer to move the proposal to."""
    if status not in workflow.STATUSES:
        raise ParamError(N_("status must be one of %(statuses)s"), status=422, parameter="status",
                         statuses=", ".join(workflow.STATUSES))
    owner = proposal.owner == viewer.name
    if not workflow.may_move(proposal.status, status, viewer.role or "", owner):
        allowed = workflow.moves_from(proposal.status, viewer.role or "", owner)
        raise Forbidden(message(
            N_("You may not move this proposal from %(from)s to %(to)s; you may move it to: %(allowed)s."),
            **{"from": message(proposal.status), "to": message(status),
               "allowed": Listed(tuple(allowed)) if allowed else message(N_("nothing"))}))


def update(store: ProposalStore, version: ServedVersion, proposal_id: int, payload, viewer: Viewer) -> dict:
    """Edit name, notes, industry or site (while not locked), and/or move the status as the
    workflow allows, with a review comment. One revision records it all."""
    proposal = proposal_or_404(store, proposal_id, viewer)
    properties = params.field_of(payload, "properties", dict, message(N_("an object")), required=False) or {}
    unknown = set(properties) - EDITABLE
    if unknown:
        raise ParamError(N_("cannot change %(fields)s"), status=422, fields=", ".join(sorted(unknown)))
    changes = _edits(version, proposal, payload, properties)
    edits = {k: v for k, v in changes.items() if getattr(proposal, k) != v or k == "geometry"}
    if edits and not workflow.may_edit(proposal.status, viewer.role or "", proposal.owner == viewer.name):
        raise _not_yours(proposal, message(N_("This proposal is %(status)s and locked; an admin must reopen it "
                                              "before it is changed."), status=message(proposal.status)))
    comment = _text(properties, "comment", MAX_COMMENT, required=False) or ""
    status = properties.get("status")
    if status is not None and status != proposal.status:
        _move(proposal, status, viewer)
        changes["status"] = status
        if status in workflow.LOCKED:
            changes.update(reviewer=viewer.name, review_comment=comment)
    updated = store.update(proposal_id, viewer.name or "", comment, **changes)
    if updated is None:  # deleted meanwhile
        raise NoProposal(N_("There is no proposal %(id)s."), id=proposal_id)
    return as_feature(version, updated, viewer)


def delete(store: ProposalStore, proposal_id: int, viewer: Viewer) -> dict:
    proposal = proposal_or_404(store, proposal_id, viewer)
    if not workflow.may_delete(proposal.status, viewer.role or "", proposal.owner == viewer.name):
        raise _not_yours(proposal, message(N_("This proposal is %(status)s and locked; only an admin may delete it."),
                                           status=message(proposal.status)))
    store.delete(proposal_id, viewer.name or "")
    return {"deleted": proposal_id}


def compare(store: ProposalStore, version: ServedVersion, ids_text: str | None, viewer: Viewer) -> dict:
    """Two to four proposals side by side: each with its analysis."""
    try:
        ids = [int(i) for i in (ids_text or "").split(",") if i.strip()]
    except ValueError:
        ids = []
    if not 2 <= len(ids) <= 4:
        raise ParamError(N_("ids must be two to four proposal numbers, e.g. 3,5"), parameter="ids")
    columns = []
    for proposal_id in ids:
        proposal = proposal_or_404(store, proposal_id, viewer)
        columns.append({"proposal": as_feature(version, proposal, viewer),
                        "analysis": analyse_site(version.planning, proposal.geometry, proposal.industry)})
    return {"proposals": columns}
