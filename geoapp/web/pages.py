"""The HTML pages: the home page with the county figures, and the coverage map."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from geoapp.analysis.coverage import DEFAULT_METRIC, TOWNSHIP_METRICS
from geoapp.figures import ARTICLE_FIGURES
from geoapp.layers import INDUSTRIES
from geoapp.records import records
from geoapp.web.api import coverage_urls
from geoapp.web.i18n import current_lang
from geoapp.web.state import county

bp = Blueprint("pages", __name__)


def figure_rows() -> list[dict]:
    """The county figures beside the article's words, for the home and coverage pages."""
    summary = county().analysis.summary
    lang = current_lang()
    return [{"key": f.key, "label": f.label_zh if lang == "zh" else f.label_en, "value": summary[f.key],
             "words": f.words_zh, "agrees": f.agrees_with(summary[f.key])} for f in ARTICLE_FIGURES]


@bp.get("/")
def index():
    analysis = county().analysis
    return render_template("index.html", figures=figure_rows(), zones=records(analysis.zones),
                           gaps={k: len(v) for k, v in analysis.gaps.as_dict().items()})


@bp.get("/coverage")
def coverage():
    lang = current_lang()
    metric = request.args.get("metric") or DEFAULT_METRIC
    error, status = None, 200
    if metric not in TOWNSHIP_METRICS:
        error = _("Unknown indicator “%(metric)s”; showing the default. Choose one from the list.", metric=metric)
        metric, status = DEFAULT_METRIC, 400
    state = county()
    analysis = state.analysis
    names = {**dict(zip(analysis.townships.code, analysis.townships[f"name_{lang}"])),
             **dict(zip(analysis.zones.id, analysis.zones[f"name_{lang}"]))}
    parts = state.coverage_map(metric, lang, *coverage_urls(metric, lang))
    return render_template(
        "coverage.html", map=parts, metric=TOWNSHIP_METRICS[metric],
        metrics=TOWNSHIP_METRICS.values(), error=error, figures=figure_rows(),
        townships=records(analysis.townships.sort_values(metric, ascending=False)),
        zones=records(analysis.zones), gaps={k: records(v) for k, v in analysis.gaps.as_dict().items()},
        names=names, industries={k: v[0] if lang == "zh" else v[1] for k, v in INDUSTRIES.items()},
    ), status
