"""Farm stays for tourists: the search page, one page per farm stay, their photos, and their
JSON twins, over `geoapp.views.farmstays`."""
from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from geoapp import params
from geoapp.formats import beijing_today
from geoapp.views import farmstays as stay_views
from geoapp.web.i18n import current_lang, translate
from geoapp.web.state import served, version, with_notice

bp = Blueprint("farmstays", __name__)


def today() -> dt.date:
    return beijing_today()   # the county's day, whatever the server's time zone


@bp.get("/farmstays/manifest.webmanifest")
def manifest():
    answer = jsonify(stay_views.web_manifest(current_lang(), url_for,
                                             lambda name: url_for("static", filename=name)))
    answer.mimetype = "application/manifest+json"
    return answer


@bp.get("/farmstays")
def search_page():
    data = stay_views.search_page(version(), served().static, request.args, current_lang(), url_for, today())
    problems = [translate(p.message) for p in data.pop("errors")]
    return render_template("farmstays.html", problems=problems, **data), 400 if problems else 200


@bp.get("/farmstays/<stay_id>")
def detail_page(stay_id: str):
    data = stay_views.detail_page(version(), served().static, stay_id, current_lang(), url_for, today())
    return render_template("farmstay.html", **data)


@bp.get("/photos/<name>")
def photo(name: str):
    """A photo file: named by its content, so it is cached for a year and never revalidated."""
    path = served().photos.path(name)
    if path is None:
        abort(404, _("There is no photo “%(id)s”.", id=name))
    response = send_file(path, mimetype="image/jpeg", max_age=365 * 24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def _geojson(data: dict):
    response = jsonify(data)
    response.mimetype = "application/geo+json"
    return response


def _bad_request(err: stay_views.BadSearch):
    """A 400 naming every wrong parameter, in the visitor's language."""
    problems = [{"parameter": p.parameter, "message": translate(p.message)} for p in err.problems]
    return jsonify({"error": "Bad Request", "status": 400, "message": problems[0]["message"],
                    "problems": problems}), 400


@bp.get("/api/farmstays")
def api_search():
    """The page's search as GeoJSON (`geoapp.views.farmstays.search_geojson`)."""
    try:
        return _geojson(with_notice(stay_views.search_geojson(version(), request.args, current_lang(), url_for)))
    except stay_views.BadSearch as err:
        return _bad_request(err)


@bp.get("/api/farmstays/map")
def api_map():
    """What the map shows of the search in the visitor's view (`geoapp.views.farmstays.map_geojson`)."""
    try:
        return _geojson(with_notice(stay_views.map_geojson(version(), request.args, current_lang())))
    except stay_views.BadSearch as err:
        return _bad_request(err)


@bp.get("/api/farmstays/<stay_id>")
def api_stay(stay_id: str):
    """One stay's card; with the search's travel dates (`from`, `to`) it carries their flags."""
    return jsonify(with_notice(stay_views.stay_json(version(), stay_id, request.args, current_lang(), url_for)))


@bp.get("/api/farmstays/<stay_id>/popup")
def popup(stay_id: str):
    return api_stay(stay_id)


@bp.get("/farmstays/<stay_id>/directions")
def directions_page(stay_id: str):
    """The way there without JavaScript: a redirect into the chosen map app."""
    app = params.choice(request.args, "app", ("amap", "baidu", "tencent", "apple")) or "amap"
    card = stay_views.stay_card(version(), stay_views.stay_or_404(version(), stay_id), current_lang(), url_for)
    return Response(status=302, headers={"Location": card["directions"][app]})
