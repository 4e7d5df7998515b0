"""Proposals (docs/BRIEF.md §7: /api/proposals): a few lines per route over `geoapp.views.proposals`,
where the review workflow lives."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, jsonify, request
from flask_babel import gettext as _

from geoapp import params
from geoapp.views import proposals as proposal_views
from geoapp.web.auth import roles_required, viewer
from geoapp.web.i18n import current_lang
from geoapp.web.planning import json_body
from geoapp.web.state import served, version

bp = Blueprint("proposals", __name__)


@bp.get("/api/proposals")
@roles_required("planner", "admin")
def list_proposals():
    body = json.dumps(proposal_views.listing(served().proposals, version(), viewer()), ensure_ascii=False)
    headers = {"Content-Disposition": 'attachment; filename="proposals.geojson"'} if request.args.get("download") else {}
    return Response(body, mimetype="application/geo+json", headers=headers)


@bp.post("/api/proposals")
@roles_required("planner", "admin")
def create_proposal():
    return jsonify(proposal_views.create(served().proposals, version(), json_body(), viewer())), 201


@bp.get("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def get_proposal(proposal_id: int):
    return jsonify(proposal_views.detail(served().proposals, version(), proposal_id, viewer()))


@bp.patch("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def update_proposal(proposal_id: int):
    return jsonify(proposal_views.update(served().proposals, version(), proposal_id, json_body(), viewer()))


@bp.delete("/api/proposals/<int:proposal_id>")
@roles_required("planner", "admin")
def delete_proposal(proposal_id: int):
    deleted = proposal_views.delete(served().proposals, proposal_id, viewer())
    return jsonify({**deleted, "message": _("Proposal deleted.")})


@bp.get("/api/proposals/compare")
@roles_required("planner", "admin")
def compare():
    """Two (or more) proposals side by side: each with its analysis."""
    ids = params.text(request.args, "ids", 100)
    return jsonify(proposal_views.compare(served().proposals, version(), ids, viewer()))


@bp.get("/api/proposals/<int:proposal_id>.pdf")
@roles_required("planner", "admin")
def proposal_sheet(proposal_id: int):
    try:
        from geoapp.views.documents import proposal_sheet_pdf
    except OSError:
        abort(503, _("The PDF report needs the pango library on the server (Debian: apt install libpango-1.0-0 "
                     "libpangoft2-1.0-0 fonts-noto-cjk)."))
    proposal = proposal_views.proposal_or_404(served().proposals, proposal_id, viewer())
    pdf = proposal_sheet_pdf(version(), proposal, served().proposals.revisions(proposal_id), current_lang())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="proposal-{proposal_id}.pdf"'})
