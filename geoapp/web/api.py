"""The JSON API (BRIEF §7): the twins of the pages."""
from __future__ import annotations

import shapely
from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _

from geoapp import formats, params
from geoapp.analysis.coverage import DEFAULT_METRIC
from geoapp.figures import ARTICLE_FIGURES
from geoapp.maps.coverage import LAYER_KEYS
from geoapp.messages import N_, translator
from geoapp.records import records
from geoapp.web.i18n import current_lang
from geoapp.web.state import county

bp = Blueprint("api", __name__, url_prefix="/api")

ZONE_COLUMNS = ["id", "name_zh", "name_en", "lead_industry", "general_branch", "general_branch_name", "secretary",
                "area_km2", "townships", "township_count", "industry_branches", "association_branches",
                "party_groups", "party_members", "bases", "base_area_mu", "cooperatives", "loans",
                "loan_amount_yuan", "trainees", "households_benefiting", "income_gain_yuan_per_capita",
                "tourist_visits", "tourism_income_yuan", "labour_transfer", "farm_stays"]


def article_figures() -> dict:
    """The article's figure for each summary key, with whether the data agrees with it."""
    summary = county().analysis.summary
    return {f.key: {"value": f.value, "at_least": f.at_least, "words_zh": f.words_zh,
                    "label_zh": f.label_zh, "label_en": f.label_en,
                    "agrees": f.agrees_with(summary[f.key])} for f in ARTICLE_FIGURES}


@bp.get("/summary")
def summary():
    analysis = county().analysis
    return jsonify({
        "county": analysis.summary,
        "article": article_figures(),
        "zones": records(analysis.zones, ZONE_COLUMNS),
        "source": analysis.dataset.source,
    })


@bp.get("/coverage")
def coverage():
    analysis = county().analysis
    zh, en = translator("zh"), translator("en")
    return jsonify({
        "metrics": [{"id": m.id, "label_zh": m.title(zh), "label_en": m.title(en), "unit_zh": zh(m.unit) if m.unit else "",
                     "unit_en": m.unit, "since": m.since} for m in analysis.metrics.values()],
        "townships": records(analysis.townships),
        "zones": records(analysis.zones, ZONE_COLUMNS),
        "gaps": {kind: records(frame) for kind, frame in analysis.gaps.as_dict().items()},
        "location_mismatches": records(analysis.mismatches),
    })


def current_metric() -> str:
    return params.choice(request.args, "metric", county().analysis.metrics) or DEFAULT_METRIC


def coverage_layers_for_request():
    """The coverage layers for the request's `metric` and language; 400 for an unknown metric."""
    return county().coverage_layers(current_metric(), current_lang())


def coverage_urls(metric: str, lang: str) -> tuple[str, str]:
    """Where the coverage map fetches a hidden layer ({layer}) and asks what lies under a click."""
    query = {"metric": metric, "lang": lang}
    layer = url_for("api.coverage_layer", key="LAYER", **query).replace("LAYER", "{layer}", 1)
    return layer, url_for("api.coverage_identify", **query)


SIDE_LIST_LIMIT = 200  # rows a side table or gap list shows; the CSV and the report hold them all


@bp.get("/coverage/layers/<key>")
def coverage_layer(key: str):
    """One layer of the coverage map as lean GeoJSON (ids and style keys)."""
    if key not in LAYER_KEYS:
        abort(404, _("There is no coverage layer “%(layer)s”; the layers are %(known)s.", layer=key,
                     known=", ".join(LAYER_KEYS)))
    response = jsonify(coverage_layers_for_request().data(key))
    response.mimetype = "application/geo+json"
    return response


@bp.get("/coverage/popups/<key>/<feature_id>")
def coverage_popup(key: str, feature_id: str):
    """What the coverage map says about one feature: title, subtitle and rows."""
    details = coverage_layers_for_request().popup(key, feature_id)
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
    layers_on = params.text(request.args, "layers", 500)
    aimed = params.text(request.args, "aimed", 200)
    tiles = county().tiles
    point = tiles.from_display(shapely.points([lon], [lat]))[0]  # the browser's datum to WGS-84
    found = coverage_layers_for_request().identify(
        point.x, point.y, zoom, tuple(aimed.split(":", 1)) if aimed and ":" in aimed else None,
        set(layers_on.split(",")) if layers_on else None)
    return jsonify({"features": found})


@bp.get("/coverage/view")
def coverage_view():
    """What changes on the coverage page when another indicator is chosen: the townships'
    classes, the legend, the layer's name and the township table, in the page's language."""
    layers = coverage_layers_for_request()
    townships = layers.listed_townships(SIDE_LIST_LIMIT)
    return jsonify({"shown": len(townships), "total": len(layers.analysis.townships),
        "metric": layers.metric.id, "title": layers.metric_title(), "layer_name": layers.layer_name("townships"),
        "classes": layers.township_classes(), "legend": layers.legend(),
        "style": layers.options("townships", "", None)["style"],
        "townships": [{"code": t.code, "at": layers.township_points[t.code], "name": t[layers.name_column], "value": layers.metric_value(t[layers.metric.id]),
                       "branches": formats.number(t.industry_branches, layers.lang), "served": bool(t.served),
                       "share": f"{formats.significant(t.zone_share, 3)}%", "zones": layers.names_of(t.zones)}
                      for _, t in townships.iterrows()],
    })
