"""The HTML pages: the home page with the county figures, and the coverage map."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from geoapp import params
from geoapp.analysis.coverage import DEFAULT_METRIC, change_metric_id
from geoapp.analysis.linkages import OUTSIDE
from geoapp.figures import ARTICLE_FIGURES, STRANDS
from geoapp.layers import INDUSTRIES
from geoapp.messages import N_
from geoapp.records import plain, records
from geoapp.web.api import SIDE_LIST_LIMIT, coverage_urls
from geoapp.web.i18n import current_lang
from geoapp.web.state import county
from geoapp.web.tiles import township_tiles_url
from geoapp.web.zones import linkages_for, summaries_by_zone, words, zone_charts

bp = Blueprint("pages", __name__)


def figure_rows() -> list[dict]:
    """The county figures beside the article's words, for the home and coverage pages."""
    summary = county().analysis.summary
    lang = current_lang()
    return [{"key": f.key, "label": f.label_zh if lang == "zh" else f.label_en, "value": summary[f.key],
             "unit": "yuan" if f.unit_en == "yuan" else "", "words": f.words_zh,
             "agrees": f.agrees_with(summary[f.key])} for f in ARTICLE_FIGURES]


STRAND_WORDS = {"organisation": (N_("1. Organisation linkage"), "一是组织联动"),
                "team": (N_("2. Team linkage"), "二是队伍联动"),
                "service": (N_("3. Service linkage"), "三是服务联动"),
                "development": (N_("4. Development linkage"), "四是发展联动")}


@bp.get("/")
def index():
    """The county in the article's four strands: each figure beside the article's words, with
    each zone's share of it linking to the zone's page, and the county's organisation tree."""
    analysis = county().analysis
    lang = current_lang()
    by_zone = summaries_by_zone()
    names = {z: n for z, n in zip(analysis.zones.id, analysis.zones["name_en" if lang == "en" else "name_zh"])}
    names[OUTSIDE] = _("Outside the linkage zones")
    rows = {row["key"]: row for row in figure_rows()}
    strands = [{"id": strand, "title": _(STRAND_WORDS[strand][0]), "words": STRAND_WORDS[strand][1],
                "figures": [{**rows[key], "zones": [{"id": z, "name": names[z], "value": figures[key]}
                                                   for z, figures in by_zone.items()]}
                            for key in keys]}
               for strand, keys in STRANDS.items()]
    county_linkages = linkages_for(None, lang)
    return render_template("index.html", strands=strands, zones=[{"id": z, "name": n} for z, n in names.items()],
                           tree=county_linkages["organisation"]["tree"], linkages=county_linkages,
                           charts=zone_charts(None, lang), words=words(),
                           gaps={k: len(v) for k, v in analysis.gaps.as_dict().items()})


@bp.get("/coverage")
def coverage():
    lang = current_lang()
    state = county()
    analysis = state.analysis
    metric = request.args.get("metric") or DEFAULT_METRIC
    error, status = None, 200
    if metric not in analysis.metrics:
        error = _("Unknown indicator “%(metric)s”; showing the default. Choose one from the list.", metric=metric)
        metric, status = DEFAULT_METRIC, 400
    compare = request.args.get("compare")
    if compare and not error:
        changed = change_metric_id(metric, int(compare)) if compare.isdigit() and len(compare) == 4 else None
        if changed in analysis.metrics:
            metric = changed
        else:
            years = sorted({str(m.since) for m in analysis.metrics.values() if m.since is not None})
            error = _("“%(metric)s” cannot be compared with %(year)s: the yearly figures (households, tourist "
                      "visits, tourism income, labour transferred) can be compared with %(years)s.",
                      metric=_(analysis.metrics[metric].label), year=compare[:8], years=", ".join(years) or "—")
            status = 400
    layers = state.coverage_layers(metric, lang)
    parts = state.coverage_map(metric, lang, *coverage_urls(metric, lang),
                               township_tiles=township_tiles_url(state) if state.townships_tiled() else None)
    townships = layers.listed_townships(SIDE_LIST_LIMIT)
    return render_template(
        "coverage.html", map=parts, metric=analysis.metrics[metric], layers=layers,
        metric_title=layers.metric_title(), metrics=[(m.id, m.title(_)) for m in analysis.metrics.values()],
        error=error, figures=figure_rows(),
        townships=records(townships), township_total=len(analysis.townships), list_limit=SIDE_LIST_LIMIT,
        zones=records(analysis.zones),
        gaps={k: records(v) for k, v in analysis.gaps.as_dict().items()},
        names=layers.names, industries={k: v[0] if lang == "zh" else v[1] for k, v in INDUSTRIES.items()},
    ), status


# The coverage tables, for the committee's own spreadsheets ------------------------------------

TABLE_COLUMNS = {
    "zones": [("name", N_("Zone")), ("lead_industry", N_("Lead industry")), ("general_branch_name", N_("General branch")),
              ("township_count", N_("Townships")), ("area_km2", N_("Area (km²)")),
              ("industry_branches", N_("Industry party branches")), ("association_branches", N_("Association branches")),
              ("party_groups", N_("Industry party groups")), ("party_members", N_("Party members")),
              ("bases", N_("Industry bases")), ("base_area_mu", N_("Base area (mu)")),
              ("cooperatives", N_("Cooperatives")), ("loans", N_("Micro-loans")),
              ("loan_amount_yuan", N_("Loan amount (yuan)")), ("trainees", N_("Trainees")),
              ("households_benefiting", N_("Households benefiting")),
              ("income_gain_yuan_per_capita", N_("Income gain per person (yuan)")),
              ("tourist_visits", N_("Tourist visits")), ("tourism_income_yuan", N_("Tourism income (yuan)")),
              ("labour_transfer", N_("Labour transferred")), ("farm_stays", N_("Star-rated farm stays"))],
    "townships": [("name", N_("Township")), ("kind", N_("Kind")), ("zones", N_("Zones")),
                  ("served", N_("Has a zone branch")), ("zone_share", N_("Share of area in a zone (%)")),
                  ("area_km2", N_("Area (km²)")), ("population", N_("Population")), ("villages", N_("Villages")),
                  ("industry_branches", N_("Industry party branches")), ("party_groups", N_("Industry party groups")),
                  ("party_members", N_("Party members")), ("bases", N_("Industry bases")),
                  ("base_area_mu", N_("Base area (mu)")), ("cooperatives", N_("Cooperatives")),
                  ("loans", N_("Micro-loans")), ("loan_amount_yuan", N_("Loan amount (yuan)")),
                  ("trainees", N_("Trainees")), ("households_benefiting", N_("Households benefiting")),
                  ("tourist_visits", N_("Tourist visits")), ("tourism_income_yuan", N_("Tourism income (yuan)")),
                  ("labour_transfer", N_("Labour transferred")), ("farm_stays", N_("Star-rated farm stays"))],
}


def coverage_table(table: str, lang: str) -> tuple[list[str], list[list]]:
    """(headers, rows) of the per-zone or per-township table, in `lang`; numbers stay numbers."""
    analysis = county().analysis
    layers = county().coverage_layers(DEFAULT_METRIC, lang)
    frame = analysis.zones if table == "zones" else analysis.townships
    rows = []
    for _index, row in frame.iterrows():
        values = []
        for column, _label in TABLE_COLUMNS[table]:
            if column == "name":
                values.append(row[layers.name_column])
            elif column == "lead_industry":
                values.append(layers.industry(row.lead_industry))
            elif column == "zones":
                values.append(layers.names_of(row.zones))
            elif column == "served":
                values.append(_("yes") if row.served else _("no"))
            elif column == "kind":
                values.append(_(TOWNSHIP_KIND_WORDS[row.kind]))
            else:
                values.append(plain(row[column]))
        rows.append(values)
    return [_(label) for _column, label in TABLE_COLUMNS[table]], rows


TOWNSHIP_KIND_WORDS = {"town": N_("town"), "township": N_("township"), "ethnic township": N_("ethnic township")}


@bp.get("/coverage/tables.csv")
def coverage_tables_csv():
    table = params.choice(request.args, "table", TABLE_COLUMNS) or "townships"
    headers, rows = coverage_table(table, current_lang())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    name = f"hanyuan-{table}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",  # the BOM tells Excel it is UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/coverage/tables.xlsx")
def coverage_tables_xlsx():
    from openpyxl import Workbook
    from openpyxl.styles import Font
    lang = current_lang()
    book = Workbook()
    book.remove(book.active)
    for table, title in (("zones", _("Zones")), ("townships", _("Townships"))):
        sheet = book.create_sheet(title)
        headers, rows = coverage_table(table, lang)
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "B2"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(40, max(8, width * 1.6))
    note = book.create_sheet(_("About"))
    note.append([_("Illustrative data: only the county boundary and the township seats are real.")])
    data = io.BytesIO()
    book.save(data)
    return Response(data.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="hanyuan-coverage.xlsx"'})


@bp.get("/coverage/report.pdf")
def coverage_report():
    try:
        from geoapp.maps.report import coverage_report_pdf
    except OSError:  # WeasyPrint loads Debian's pango when imported
        abort(503, _("The PDF report needs the pango library on the server (Debian: apt install libpango-1.0-0 "
                     "libpangoft2-1.0-0 fonts-noto-cjk)."))
    metric = params.choice(request.args, "metric", county().analysis.metrics) or DEFAULT_METRIC
    lang = params.choice(request.args, "lang", ("zh", "en")) or current_lang()
    pdf = county().report(metric, lang, coverage_report_pdf)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="hanyuan-coverage-{metric}-{lang}.pdf"'})
