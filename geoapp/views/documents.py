"""Documents made on the server for print: the committee's report (an A4 landscape PDF of the
coverage, for a meeting) and the one-page proposal sheet for the approval file.

HTML from a Jinja template, made into PDF by WeasyPrint, which embeds the CJK font it draws
with (a subset of Noto Sans CJK); maps drawn by `geoapp.maps.static` (matplotlib). No browser
runs. Importing this module loads WeasyPrint, which needs Debian's pango: the web answers 503
with how to install it when it is missing.
"""
from __future__ import annotations

import base64

import jinja2

from geoapp import formats, workflow
from geoapp.analysis.planning import analyse_site
from geoapp.config import PACKAGE
from geoapp.figures import ARTICLE_FIGURES
from geoapp.indicators import public_values
from geoapp.layers import INDUSTRIES
from geoapp.maps.static import cjk_family, coverage_figure, site_figure
from geoapp.messages import translator
from geoapp.store.base import Proposal, Revision
from geoapp.views.branches import late_list, stage_words, zone_five_days
from geoapp.views.coverage import sheet_layers
from geoapp.views.served import ServedVersion
from geoapp.views.wording import DIVISIONS, data_notice, ids_of, wording
from geoapp.views.zones import linkages_for
from geoapp.views.zones import words as zone_words
from geoapp.vocabulary import PROPOSAL_FIELD_WORDS


def _environment(lang: str) -> jinja2.Environment:
    gettext = translator(lang)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(PACKAGE / "templates"), autoescape=True,
                                     extensions=["jinja2.ext.i18n"])
    environment.install_gettext_callables(gettext, lambda s, p, n: gettext(s if n == 1 else p),  # type: ignore[attr-defined]
                                          newstyle=True)
    environment.filters["num"] = lambda value, unit="": formats.number(value, lang, gettext(unit) if unit else "")
    environment.filters["beijing"] = lambda moment: formats.beijing_time(moment, lang)
    environment.filters["day"] = lambda text: formats.day(text, lang)
    return environment


def _png(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _pdf(html: str) -> bytes:
    import weasyprint
    return weasyprint.HTML(string=html, base_url=str(PACKAGE)).write_pdf()


def report_name(metric: str, lang: str) -> str:
    """The shelf's name of a report (`geoapp.views.shelf`)."""
    return f"report-{metric}-{lang}.pdf"


NAMES_LISTED = 30  # a zone's farm stays and townships named in the report; all are counted
GAPS_LISTED = 100  # the rows of each gap list in the report; the rest are counted (all are in the tables)


def _names_by_zone(frame, name_column: str) -> dict[str, list[str]]:
    """The names of each zone's rows (by `zone_at`), at most NAMES_LISTED each: one pass over
    the layer for every zone, and a cell of the report that stays readable (and quick to lay
    out) when a zone holds thousands of farm stays; the count is printed beside them."""
    located = frame[frame.zone_at.notna()]
    return {zone: names.head(NAMES_LISTED).tolist() for zone, names in located.groupby("zone_at")[name_column]}


def report_html(version: ServedVersion, metric: str, lang: str, disclose: bool = False) -> str:
    """The committee's report as HTML (what `coverage_report_pdf` makes into a PDF): the county
    figures beside the article's words, the coverage map, a page per zone, the gap lists."""
    _ = translator(lang)
    analysis = version.analysis
    words = wording(version, lang)
    summary = analysis.summary
    figures = [{"label": f.label_zh if lang == "zh" else f.label_en, "value": summary[f.key],
                "unit": "yuan" if f.unit_en == "yuan" else "", "words": f.words_zh,
                "agrees": f.agrees_with(summary[f.key])} for f in ARTICLE_FIGURES]
    sheet = sheet_layers(version, metric, lang, disclose)
    farm_stays = _names_by_zone(analysis.farm_stays, words.name_column)
    zones = []
    for _index, zone in analysis.zones.iterrows():
        zones.append({
            "row": public_values(zone.to_dict(), disclose), "name": zone[words.name_column],
            "map": _png(coverage_figure(sheet, zone.id, size=(10.6, 5.4))),
            "townships": words.names_of(zone.townships, most=NAMES_LISTED), "townships_count": len(ids_of(zone.townships)),
            "industry": words.industry(zone.lead_industry),
            "farm_stays": farm_stays.get(zone.id, []),
            "linkages": linkages_for(version, zone.id, lang, disclose),
            "five_days": zone_five_days(version, zone.id, lang)})
    gaps = analysis.gaps
    late = late_list(version, lang, lambda *args, **kwargs: "")
    return _environment(lang).get_template("report.html").render(
        lang=lang, words=words, metric_title=sheet.layers.metric_title(), figures=figures,
        county_map=_png(coverage_figure(sheet)), zones=zones, summary=summary,
        outside=gaps.bases_outside_zones, unserved_bases=gaps.bases_without_branch,
        unserved_townships=gaps.townships_without_branch, name=words.name_column, late=late,
        villages_without_branch=gaps.villages_without_branch, stage_words=stage_words(lang), zone_words=zone_words(),
        standing_months=[formats.month(m, lang) for m in analysis.standing.months],
        source=", ".join(f"{k} v{v}" for k, v in analysis.dataset.versions.items()) or _("the data directory"),
        today=formats.day(formats.beijing_today().isoformat(), lang), font=cjk_family() or "sans-serif",
        notice=data_notice(version, lang), divisions=DIVISIONS, listed=GAPS_LISTED, named=NAMES_LISTED)


def coverage_report_pdf(version: ServedVersion, metric: str, lang: str, disclose: bool = False) -> bytes:
    """The committee's report as PDF bytes (A4 landscape); counts of fewer than 5 people as the
    public sees them unless `disclose`."""
    return _pdf(report_html(version, metric, lang, disclose))


def proposal_sheet_html(version: ServedVersion, proposal: Proposal, revisions: list[Revision], lang: str) -> str:
    """The one-page sheet of a proposal: the site on a map with the township and zone borders
    and the nearest bases, the analysis, the candidate score if it came from the suggested
    sites, and the revision and review history."""
    sheet = sheet_layers(version, "industry_branches", lang)
    result = analyse_site(version.planning, proposal.geometry, proposal.industry)
    nearest = [b["id"] for b in result["nearest_same_industry"]]
    name = "name_en" if lang == "en" else "name_zh"
    return _environment(lang).get_template("proposal_sheet.html").render(
        lang=lang, proposal=proposal, r=result, name=name, words=wording(version, lang),
        industry=INDUSTRIES[proposal.industry][1 if lang == "en" else 0],
        site_map=_png(site_figure(sheet, proposal.geometry, nearest)), revisions=revisions,
        statuses=workflow.STATUSES, today=formats.day(formats.beijing_today().isoformat(), lang),
        font=cjk_family() or "sans-serif", notice=data_notice(version, lang), field_words=PROPOSAL_FIELD_WORDS)


def proposal_sheet_pdf(version: ServedVersion, proposal: Proposal, revisions: list[Revision], lang: str) -> bytes:
    return _pdf(proposal_sheet_html(version, proposal, revisions, lang))
