"""One page per linkage zone (/zones/<id>) and its JSON twin (/api/zones/<id>): the zone's
four linkages — organisation, team, service, development — as the article describes them."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template
from flask_babel import gettext as _

from geoapp.records import records
from geoapp.web.i18n import current_lang
from geoapp.web.state import county

bp = Blueprint("zones", __name__)


def _zone_or_404(zone_id: str):
    zones = county().analysis.zones
    match = zones[zones.id == zone_id]
    if match.empty:
        abort(404, _("There is no linkage zone “%(id)s”.", id=zone_id))
    return match.iloc[0]


@bp.get("/zones/<zone_id>")
def zone_page(zone_id: str):
    zone = _zone_or_404(zone_id)
    return render_template("zone.html", zone=zone, name=zone[f"name_{current_lang()}"])


@bp.get("/api/zones/<zone_id>")
def zone_api(zone_id: str):
    zone = _zone_or_404(zone_id)
    return jsonify(records(county().analysis.zones[county().analysis.zones.id == zone.id])[0])
