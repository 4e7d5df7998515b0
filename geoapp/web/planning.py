"""Planning new industry bases: the page, the public analysis, candidate sites, and a site read
from a file (docs/BRIEF.md §7: /api/plan/analyse, /api/plan/candidates), over `geoapp.views.planning`."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from geoapp import params
from geoapp.data.export import csv_text
from geoapp.messages import N_
from geoapp.params import ParamError, json_document
from geoapp.views import planning as planning_views
from geoapp.web.auth import csrf
from geoapp.web.i18n import current_lang, translate
from geoapp.web.pages import coverage_urls
from geoapp.web.state import served, version

bp = Blueprint("planning", __name__)

MAX_SITE_BYTES = planning_views.MAX_SITE_BYTES
MAX_SITE_FILE_BYTES = planning_views.MAX_SITE_FILE_BYTES


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
    data = planning_views.planning_page(version(), served().static, lang,
                                        *coverage_urls("industry_branches", lang))
    return render_template("planning.html", **data)


@bp.post("/api/plan/analyse")
@csrf.exempt  # reads only: anyone, and any script, may analyse a site
def analyse():
    return jsonify(planning_views.analysis(version(), json_body()))


@bp.get("/api/plan/point")
def typed_point():
    """A point typed or pasted ("102.68, 29.35", in WGS-84 or copied from Amap): its readings."""
    return jsonify(planning_views.typed_point(version(), request.args, current_lang()))


@bp.get("/api/plan/candidates")
def candidates():
    return jsonify(planning_views.candidates(version(), request.args))


@bp.get("/api/plan/candidates.<fmt>")
def candidates_export(fmt: str):
    """The suggested sites as CSV (for a spreadsheet) or GeoJSON (for QGIS), in the page's language."""
    if fmt not in ("csv", "geojson"):
        abort(404, _("There is no export of the suggested sites as %(format)s; use csv or geojson.", format=fmt))
    found = planning_views.candidates(version(), request.args)
    rows = planning_views.candidate_rows(found, current_lang())
    name = f"candidates-{found['industry']}"
    if fmt == "csv":
        headers = list(rows[0]) if rows else [_("Rank")]
        return Response(csv_text(headers, [list(row.values()) for row in rows]), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
                 "properties": row} for c, row in zip(found["candidates"], rows)]
    return Response(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    mimetype="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.geojson"'})


@bp.post("/api/plan/upload")
@csrf.exempt  # reads only: like the analysis, it stores nothing
def upload():
    """A site from a file (`geoapp.views.planning.site_from_file`)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ParamError(N_("choose a file"), parameter="file")
    suffix = Path(upload.filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="geoapp-site-") as folder:
        path = Path(folder) / f"site{suffix}"
        upload.save(path)
        try:
            found = planning_views.site_from_file(version(), path, params.text(request.form, "crs", 40),
                                                  params.text(request.form, "encoding", 20), translate)
        except planning_views.UnreadableSite as err:
            return jsonify({"error": "Unprocessable Entity", "status": 422,
                            "message": translate(err.problems[0].message),
                            "problems": [(translate(p.row) + ": " if p.row else "") + translate(p.message)
                                         for p in err.problems]}), 422
    return jsonify(found)
