"""The JSON API (BRIEF §7): the twins of the pages."""
from __future__ import annotations

from flask import Blueprint, jsonify

from geoapp.analysis.coverage import TOWNSHIP_METRICS
from geoapp.figures import ARTICLE_FIGURES
from geoapp.records import records
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
