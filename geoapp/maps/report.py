"""The county committee's report: an A4 landscape PDF of the coverage, for a meeting.

A title page with the county figures beside the article's words; the coverage map for the
chosen indicator, drawn on the server with names and a legend; one page per zone (its map,
townships, branches, bases, cooperatives, loans, training, farm stays, visits); the three
gap lists; the data's provenance at the foot of every page. HTML from a Jinja template made
into PDF by WeasyPrint, which embeds the CJK font it draws with (a subset of Noto Sans CJK).
No browser runs.
"""
from __future__ import annotations

import base64
import datetime as dt

import jinja2

from geoapp import formats
from geoapp.analysis import CountyAnalysis
from geoapp.config import ROOT
from geoapp.figures import ARTICLE_FIGURES
from geoapp.maps.coverage import CoverageLayers
from geoapp.maps.static import cjk_family, coverage_figure
from geoapp.messages import translator


def _environment(lang: str) -> jinja2.Environment:
    gettext = translator(lang)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT / "templates"), autoescape=True,
                                     extensions=["jinja2.ext.i18n"])
    environment.install_gettext_callables(gettext, lambda s, p, n: gettext(s if n == 1 else p), newstyle=True)
    environment.filters["num"] = lambda value, unit="": formats.number(value, lang, gettext(unit) if unit else "")
    return environment


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def report_html(analysis: CountyAnalysis, metric: str, lang: str) -> str:
    """The report as HTML (what `coverage_report_pdf` makes into a PDF)."""
    _ = translator(lang)
    layers = CoverageLayers(analysis, metric, lang, _)
    summary = analysis.summary
    figures = [{"label": f.label_zh if lang == "zh" else f.label_en, "value": summary[f.key],
                "unit": "yuan" if f.unit_en == "yuan" else "", "words": f.words_zh,
                "agrees": f.agrees_with(summary[f.key])} for f in ARTICLE_FIGURES]
    zones = []
    for _index, zone in analysis.zones.iterrows():
        farm_stays = analysis.farm_stays[analysis.farm_stays.zone_at == zone.id]
        organisations = analysis.dataset["party_organisations"]
        zones.append({
            "row": zone, "name": zone[layers.name_column], "map": _png(coverage_figure(layers, zone.id, size=(10.6, 5.4))),
            "townships": layers.names_of(zone.townships), "industry": layers.industry(zone.lead_industry),
            "branches": organisations[(organisations.zone_at == zone.id) & (organisations.kind == "industry")][
                layers.name_column].tolist(),
            "farm_stays": farm_stays[layers.name_column].tolist()})
    gaps = analysis.gaps
    return _environment(lang).get_template("report.html").render(
        lang=lang, layers=layers, metric_title=layers.metric_title(), figures=figures,
        county_map=_png(coverage_figure(layers)), zones=zones, summary=summary,
        outside=gaps.bases_outside_zones, unserved_bases=gaps.bases_without_branch,
        unserved_townships=gaps.townships_without_branch, name=layers.name_column,
        source=", ".join(f"{k} v{v}" for k, v in analysis.dataset.versions.items()) or _("the data directory"),
        today=dt.date.today().isoformat(),
        font=cjk_family() or "sans-serif")


def coverage_report_pdf(analysis: CountyAnalysis, metric: str, lang: str) -> bytes:
    """The committee's report as PDF bytes (A4 landscape)."""
    import weasyprint
    return weasyprint.HTML(string=report_html(analysis, metric, lang), base_url=str(ROOT)).write_pdf()
