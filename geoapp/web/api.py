"""The JSON API (docs/BRIEF.md §7): the twins of the pages, and what the coverage map asks for."""
from __future__ import annotations

import shapely
from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _

from geoapp import params
from geoapp.figures import ARTICLE_FIGURES
from geoapp.indicators import DEFAULT_SHADING
from geoapp.maps.coverage import LAYER_KEYS
from geoapp.messages import N_
from geoapp.views import branches as branch_views
from geoapp.views import coverage as coverage_views
from geoapp.views import openapi as openapi_views
from geoapp.web.auth import viewer
from geoapp.web.i18n import current_lang
from geoapp.web.state import version, with_notice

bp = Blueprint("api", __name__, url_prefix="/api")


def data_source(dataset) -> dict:
    """Where the data served comes from, for anyone: the store's version of each layer (never a
    path on the server)."""
    if dataset.versions:
        return {"store": "versions", "versions": dataset.versions}
    return {"store": "data directory", "versions": None}


def article_figures() -> dict:
    """The article's figure for each summary key, with whether the data agrees with it."""
    summary = version().analysis.summary
    return {f.key: {"value": f.value, "at_least": f.at_least, "words_zh": f.words_zh,
                    "label_zh": f.label_zh, "label_en": f.label_en,
                    "agrees": f.agrees_with(summary[f.key])} for f in ARTICLE_FIGURES}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.0 description of this JSON API (the OGC API's is at /ogc/api)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version
    try:
        served_version = package_version("geoapp")
    except PackageNotFoundError:  # (run from a checkout that was never installed)
        served_version = "0"
    base = f"{request.scheme}://{request.host}{request.root_path}/api"
    answer = jsonify(openapi_views.api_definition(base, list(version().analysis.metrics), served_version))
    answer.mimetype = "application/vnd.oai.openapi+json"
    return answer


@bp.get("/summary")
def summary():
    analysis = version().analysis
    return jsonify(with_notice({
        "county": analysis.summary,
        "article": article_figures(),
        "zones": coverage_views.public_records(analysis.zones, coverage_views.ZONE_COLUMNS, viewer().disclose),
        "source": data_source(analysis.dataset),
    }))


@bp.get("/coverage")
def coverage():
    """The coverage page's data (`geoapp.views.coverage.coverage_page`)."""
    current = version()
    query = coverage_views.parse_query(request.args, current.analysis.metrics)
    return jsonify(with_notice({**coverage_views.coverage_page(current, query, current_lang(), viewer().disclose),
                                "late": branch_views.late_list(current, current_lang(), url_for)}))


def current_metric() -> str:
    return params.choice(request.args, "metric", version().analysis.metrics) or DEFAULT_SHADING


@bp.get("/coverage/layers/<key>")
def coverage_layer(key: str):
    """One layer of the coverage map as lean GeoJSON (ids and style keys)."""
    data = coverage_views.layer_data(version(), current_metric(), current_lang(), key, viewer().disclose)
    if data is None:
        abort(404, _("There is no coverage layer “%(layer)s”; the layers are %(known)s.", layer=key,
                     known=", ".join(LAYER_KEYS)))
    response = jsonify(data)
    response.mimetype = "application/geo+json"
    return response


@bp.get("/coverage/popups/<key>/<feature_id>")
def coverage_popup(key: str, feature_id: str):
    """What the coverage map says about one feature: title, subtitle and rows."""
    details = coverage_views.popup(version(), current_metric(), current_lang(), key, feature_id, viewer().disclose,
                                   url_for)
    if details is None:
        abort(404, _("There is no feature “%(id)s” in the coverage layer “%(layer)s”.", id=feature_id, layer=key))
    return jsonify(details)


@bp.get("/coverage/identify")
def coverage_identify():
    """Everything under a click at `lat`, `lon` and `zoom` (on the layers in `layers`), with
    what was `aimed` at (LAYER:ID) first: what the coverage map's click popup shows."""
    lat = params.number(request.args, "lat", -90, 90)
    lon = params.number(request.args, "lon", -180, 180)
    zoom = params.number(request.args, "zoom", 0, 22, default=12)
    if lat is None or lon is None:
        raise params.ParamError(N_("lat and lon are required"), parameter="lat")
    layers_on = params.names(request.args, "layers", LAYER_KEYS)
    aimed = params.text(request.args, "aimed", 200)
    current = version()
    point = current.tiles.from_display(shapely.points([lon], [lat]))[0]  # the browser's datum to WGS-84
    found = coverage_views.identify(
        current, current_metric(), current_lang(), point.x, point.y, zoom or 12,
        tuple(aimed.split(":", 1)) if aimed and ":" in aimed else None,  # type: ignore[arg-type]
        set(layers_on) if layers_on else None, viewer().disclose, url_for)
    return jsonify({"features": found})


@bp.get("/coverage/search")
def coverage_search():
    """The coverage map's search box: places by name, pinyin or initials, each with where it is."""
    return jsonify(coverage_views.search_places(version(), request.args, current_lang()))


@bp.get("/coverage/view")
def coverage_view():
    """What changes on the coverage page when another indicator is chosen: the townships'
    classes, the legend, the layer's name and the township table, in the page's language."""
    return jsonify(coverage_views.coverage_switch(version(), current_metric(), current_lang(), viewer().disclose))
