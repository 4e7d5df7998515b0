"""Planning new industry bases: the page, the public analysis, candidate sites, and the
proposals a logged-in planner keeps (BRIEF §7: /api/plan/analyse, /api/proposals)."""
from __future__ import annotations

import json

import shapely
from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from geoapp import params
from geoapp.analysis.planning import (
    analyse_site,
    candidate_sites,
    parse_site,
)
from geoapp.data.imports import SUPPORTED
from geoapp.layers import INDUSTRIES
from geoapp.maps.planning import planning_map
from geoapp.messages import N_
from geoapp.params import ParamError, json_document
from geoapp.web.api import coverage_urls
from geoapp.web.auth import csrf
from geoapp.web.i18n import current_lang, translate
from geoapp.web.state import control_words, county, render_parts
from geoapp.workflow import STATUSES

bp = Blueprint("planning", __name__)

MAX_SITE_BYTES = 1024 * 1024             # a proposed site sent as JSON is at most 1 MiB
MAX_SITE_FILE_BYTES = 20 * 1024 * 1024   # a site uploaded as a file (a zipped Shapefile, a GeoPackage)


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
                           has_dem=state.planning.dem_path is not None, supported=SUPPORTED,
                           max_site_bytes=MAX_SITE_FILE_BYTES, words=script_words(lang, industries))


def script_words(lang: str, industries: dict) -> dict:
    """Every label static/js/planning.js shows, in the page's language."""
    statuses = {status: _(status) for status in STATUSES}
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
        "choose_industry": _("Choose the industry of the base first: the analysis depends on it."),
        "about": _("about"), "edit": _("Edit"), "editing": _("Editing proposal %(id)s", id="{id}"),
        "new_proposal": _("New proposal"), "history": _("History"), "sheet": _("Sheet (PDF)"),
        "compare": _("Compare the two ticked"), "tick_two": _("Tick two proposals to compare them."),
        "move_to": _("Move to"), "comment": _("Review comment"), "locked": _("Locked: an admin may reopen it."),
        "actions": {"created": _("created"), "edited": _("edited"), "moved": _("moved"), "deleted": _("deleted")},
        "fields": {"name": _("name"), "notes": _("notes"), "industry": _("industry"), "status": _("status"),
                   "geometry": _("site"), "review_comment": _("review comment"), "reviewer": _("reviewer"),
                   "candidate": _("suggested site")},
        "edit_site": _("Drag the site's corners on the map, then save."),
        "where": _("%(township)s · %(zone)s · %(lat)s, %(lon)s", township="{township}", zone="{zone}", lat="{lat}",
                   lon="{lon}"),
        "reasons": {
            "in_lead_zone": _("inside %(zone)s, led by this industry", zone="{zone}"),
            "in_other_zone": _("inside %(zone)s, led by another industry", zone="{zone}"),
            "near_zone": _("%(distance)s from %(zone)s", distance="{distance}", zone="{zone}"),
            "near_base": _("%(distance)s from %(target)s", distance="{distance}", target="{target}"),
            "near_cooperative": _("%(distance)s from %(target)s", distance="{distance}", target="{target}"),
            "near_branch": _("%(distance)s from %(target)s", distance="{distance}", target="{target}"),
            "none_of_industry": _("none of this industry in the county"),
        },
        "km": _("km"), "export_csv": _("CSV"), "export_geojson": _("GeoJSON"),
        "features_found": _("The file holds %(count)s features: choose one, or analyse them together.", count="{count}"),
        "all_together": _("All together"), "uploading": _("Reading the file…"),
        "from_candidate": _("From suggested site %(rank)s (score %(score)s)", rank="{rank}", score="{score}"),
    }


def to_stored(geometry):
    """A geometry the browser sent, in WGS-84 as stored (shifted back from a GCJ-02 base map)."""
    return county().tiles.from_display(geometry)


@bp.post("/api/plan/analyse")
@csrf.exempt  # reads only: anyone, and any script, may analyse a site
def analyse():
    geometry, industry = parse_site(json_body())
    return jsonify(analyse_site(county().planning, to_stored(geometry), industry))


def _candidates() -> dict:
    n = params.whole(request.args, "n", 1, 50, default=10)
    industry = params.choice(request.args, "industry", INDUSTRIES)
    if industry is None:
        raise ParamError(N_("choose the industry of the base: one of %(industries)s"), parameter="industry",
                         industries=", ".join(INDUSTRIES))
    return candidate_sites(county().planning, industry, n)


@bp.get("/api/plan/candidates")
def candidates():
    return jsonify(_candidates())


@bp.get("/api/plan/candidates.<fmt>")
def candidates_export(fmt: str):
    """The suggested sites as CSV (for a spreadsheet) or GeoJSON (for QGIS), in the page's language."""
    if fmt not in ("csv", "geojson"):
        abort(404, _("There is no export of the suggested sites as %(format)s; use csv or geojson.", format=fmt))
    found = _candidates()
    lang = current_lang()
    rows = []
    for c in found["candidates"]:
        row = {_("Rank"): c["rank"], _("Score"): c["score"], _("Township"): c["township_name"][lang],
               _("Linkage zone"): c["zone"][f"name_{lang}"], _("Distance to the zone (m)"): c["zone"]["distance_m"],
               _("Longitude"): c["lon"], _("Latitude"): c["lat"]}
        for key, factor in c["factors"].items():
            row[f"{_(FACTOR_WORDS[key])} ({_('score')})"] = factor["score"]
        rows.append(row)
    name = f"candidates-{found['industry']}"
    if fmt == "csv":
        import csv
        import io
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else [_("Rank")], lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [c["lon"], c["lat"]]},
                 "properties": row} for c, row in zip(found["candidates"], rows)]
    return Response(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    mimetype="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}.geojson"'})


FACTOR_WORDS = {"near_industry_bases": N_("near the industry's bases"),
                "near_industry_cooperatives": N_("near its cooperatives"), "zone_coverage": N_("zone coverage"),
                "near_branch": N_("near a party branch"), "elevation_fit": N_("elevation band")}


@bp.post("/api/plan/upload")
@csrf.exempt  # reads only: like the analysis, it stores nothing
def upload():
    """A site from a file the importer reads (GeoJSON, GeoPackage, zipped Shapefile, CSV/XLSX), in
    any coordinate system it converts (declared, or the file's own): its features, and their
    union, in WGS-84 (or the base map's datum), simplified to the site bounds when needed."""
    import tempfile
    from pathlib import Path

    from geoapp.data.imports import read_site_file
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ParamError(N_("choose a file"), parameter="file")
    suffix = Path(upload.filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="geoapp-site-") as folder:
        path = Path(folder) / f"site{suffix}"
        upload.save(path)
        found = read_site_file(path, params.text(request.form, "crs", 40), params.text(request.form, "encoding", 20))
    if found.problems:
        return jsonify({"error": "Unprocessable Entity", "status": 422,
                        "message": translate(found.problems[0].message),
                        "problems": [(translate(p.row) + ": " if p.row else "") + translate(p.message)
                                     for p in found.problems]}), 422
    shown = county().tiles.to_display
    def display(geometry):
        return json.loads(shapely.to_geojson(shown(geometry) if shown else geometry))
    return jsonify({"features": [{"type": "Feature", "geometry": display(g), "properties": {"label": label}}
                                 for g, label in zip(found.geometries, found.labels)],
                    "union": display(found.union), "notes": [translate(n) for n in found.notes]})
