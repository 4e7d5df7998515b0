"""The JSON API (BRIEF §7): the twins of the pages."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _

from geoapp import params
from geoapp.analysis.coverage import DEFAULT_METRIC, TOWNSHIP_METRICS
from geoapp.figures import ARTICLE_FIGURES
from geoapp.maps.coverage import LAYER_KEYS
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
    return jsonify({
        "metrics": [{"id": m.id, "label_zh": m.label_zh, "label_en": m.label_en, "unit_zh": m.unit_zh,
                     "unit_en": m.unit_en} for m in TOWNSHIP_METRICS.values()],
        "townships": records(analysis.townships),
        "zones": records(analysis.zones, ZONE_COLUMNS),
        "gaps": {kind: records(frame) for kind, frame in analysis.gaps.as_dict().items()},
        "location_mismatches": records(analysis.mismatches),
    })


def coverage_layers_for_request():
    """The coverage layers for the request's `metric` and language; 400 for an unknown metric."""
    metric = params.choice(request.args, "metric", TOWNSHIP_METRICS) or DEFAULT_METRIC
    return county().coverage_layers(metric, current_lang())


def coverage_urls(metric: str, lang: str) -> tuple[str, str]:
    """The URL templates the coverage map fetches hidden layers ({layer}) and popups ({id}) from."""
    query = {"metric": metric, "lang": lang}
    layer = url_for("api.coverage_layer", key="LAYER", **query).replace("LAYER", "{layer}", 1)
    popup = url_for("api.coverage_popup", key="LAYER", feature_id="FID", **query)
    return layer, popup.replace("LAYER", "{layer}", 1).replace("FID", "{id}", 1)


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
    """What the coverage map's popup says about one feature: title, subtitle and rows."""
    details = coverage_layers_for_request().popup(key, feature_id)
    if details is None:
        abort(404, _("There is no feature “%(id)s” in the coverage layer “%(layer)s”.", id=feature_id, layer=key))
    return jsonify(details)
