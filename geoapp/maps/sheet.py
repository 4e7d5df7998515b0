"""The one-page proposal sheet for the approval file (`/api/proposals/<id>.pdf`): the site on a
map with township and zone boundaries and the nearest bases, the analysis, the candidate score
if it came from the suggested sites, and the revision and review history. Made like the
committee's report (`geoapp.maps.report`): a Jinja template and WeasyPrint, CJK font embedded."""
from __future__ import annotations

import datetime as dt

from geoapp import workflow
from geoapp.analysis import CountyAnalysis
from geoapp.analysis.planning import PlanningContext, analyse_site
from geoapp.config import ROOT
from geoapp.layers import INDUSTRIES
from geoapp.maps.coverage import CoverageLayers
from geoapp.maps.report import _environment, _png
from geoapp.maps.static import cjk_family, site_figure
from geoapp.messages import translator


def proposal_sheet_html(analysis: CountyAnalysis, planning: PlanningContext, proposal, revisions, lang: str) -> str:
    _ = translator(lang)
    layers = CoverageLayers(analysis, "industry_branches", lang, _)
    result = analyse_site(planning, proposal.geometry, proposal.industry)
    nearest = [b["id"] for b in result["nearest_same_industry"]]
    name = "name_en" if lang == "en" else "name_zh"
    return _environment(lang).get_template("proposal_sheet.html").render(
        lang=lang, proposal=proposal, r=result, name=name, layers=layers,
        industry=INDUSTRIES[proposal.industry][1 if lang == "en" else 0],
        site_map=_png(site_figure(layers, proposal.geometry, nearest)), revisions=revisions,
        statuses=workflow.STATUSES, today=dt.date.today().isoformat(), font=cjk_family() or "sans-serif")


def proposal_sheet_pdf(analysis: CountyAnalysis, planning: PlanningContext, proposal, revisions, lang: str) -> bytes:
    import weasyprint
    html = proposal_sheet_html(analysis, planning, proposal, revisions, lang)
    return weasyprint.HTML(string=html, base_url=str(ROOT)).write_pdf()
