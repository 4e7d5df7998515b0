"""The county's pages: the home page with the county figures, and the coverage map with its
tables (CSV, XLSX) and the committee's report (PDF)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from geoapp import params
from geoapp.data.export import Sheet, csv_text, workbook
from geoapp.indicators import DEFAULT_SHADING
from geoapp.params import ParamError
from geoapp.views import coverage as coverage_views
from geoapp.views import zones as zone_views
from geoapp.web.auth import viewer
from geoapp.web.i18n import current_lang, translate
from geoapp.web.state import served, version
from geoapp.web.tiles import township_tiles_url

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    lang = current_lang()
    return render_template("index.html", **zone_views.home_data(version(), lang, viewer().disclose),
                           words=zone_views.words())


def coverage_urls(metric: str, lang: str) -> tuple[str, str]:
    """Where the coverage map fetches a hidden layer ({layer}) and asks what lies under a click."""
    from flask import url_for
    query = {"metric": metric, "lang": lang}
    layer = url_for("api.coverage_layer", key="LAYER", **query).replace("LAYER", "{layer}", 1)
    return layer, url_for("api.coverage_identify", **query)


@bp.get("/coverage")
def coverage():
    """The coverage map: a wrong indicator shows the default map with the reason (and a 400)."""
    lang = current_lang()
    current = version()
    error, status = None, 200
    try:
        query = coverage_views.parse_query(request.args, current.analysis.metrics)
    except ParamError as err:
        error, status = translate(err.message), 400
        query = coverage_views.CoverageQuery(DEFAULT_SHADING)
    tiles = township_tiles_url(current) if served().townships_tiled(current) else None
    parts = coverage_views.coverage_map_parts(current, served().static_root, query.metric, lang,
                                              *coverage_urls(query.metric, lang), township_tiles=tiles)
    data = coverage_views.coverage_page(current, query, lang, viewer().disclose)
    return render_template("coverage.html", map=parts, error=error, **data), status


# The coverage tables, for the committee's own spreadsheets ------------------------------------

@bp.get("/coverage/tables.csv")
def coverage_tables_csv():
    table = params.choice(request.args, "table", coverage_views.TABLES) or "townships"
    headers, rows = coverage_views.coverage_table(version(), table, current_lang(), viewer().disclose)
    return Response(csv_text(headers, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="hanyuan-{table}.csv"'})


@bp.get("/coverage/tables.xlsx")
def coverage_tables_xlsx():
    lang = current_lang()
    sheets = [Sheet(title, *coverage_views.coverage_table(version(), table, lang, viewer().disclose))
              for table, title in (("zones", _("Zones")), ("townships", _("Townships")))]
    sheets.append(Sheet(_("About"), [_("Illustrative data: only the county boundary and the township seats are "
                                       "real.")], []))
    return Response(workbook(sheets), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="hanyuan-coverage.xlsx"'})


@bp.get("/coverage/report.pdf")
def coverage_report():
    try:
        from geoapp.views.documents import coverage_report_pdf
    except OSError:  # WeasyPrint loads Debian's pango when imported
        abort(503, _("The PDF report needs the pango library on the server (Debian: apt install libpango-1.0-0 "
                     "libpangoft2-1.0-0 fonts-noto-cjk)."))
    current = version()
    metric = params.choice(request.args, "metric", current.analysis.metrics) or DEFAULT_SHADING
    lang = params.choice(request.args, "lang", ("zh", "en")) or current_lang()
    pdf = current.made_once(("report", metric, lang), lambda: coverage_report_pdf(current, metric, lang))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="hanyuan-coverage-{metric}-{lang}.pdf"'})
