"""The county's pages: the home page with the county figures, and the coverage map with its
tables (CSV, XLSX) and the committee's report (PDF)."""
from __future__ import annotations

import sys

import numpy as np
from flask import Blueprint, Response, abort, render_template, request, send_file, url_for
from flask_babel import gettext as _

from geoapp import params
from geoapp.data.export import Sheet, csv_text, workbook
from geoapp.formats import beijing_today
from geoapp.indicators import DEFAULT_SHADING
from geoapp.layers import PUBLIC_LAYERS
from geoapp.mercator import lonlat_to_tile
from geoapp.params import ParamError
from geoapp.views import branches as branch_views
from geoapp.views import coverage as coverage_views
from geoapp.views import zones as zone_views
from geoapp.views.documents import report_name
from geoapp.views.shelf import RETRY_AFTER_S, version_key
from geoapp.views.wording import DIVISIONS, data_notice
from geoapp.web.auth import viewer
from geoapp.web.counties import requested_county
from geoapp.web.i18n import current_lang, translate
from geoapp.web.state import served, version
from geoapp.web.tiles import township_tiles_url

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    lang = current_lang()
    return render_template("index.html", **zone_views.home_data(version(), lang, viewer().disclose),
                           words=zone_views.words(), model=article_model())


def article_model() -> dict:
    """The article's words about the model (`geoapp.figures`), for the home page."""
    from geoapp import figures
    return {"service": figures.SERVICE_ORIENTED, "breaks": figures.THREE_BREAKS, "mechanism": figures.MECHANISM,
            "principles": figures.PRINCIPLES, "documents": figures.DOCUMENTS}


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    """A document the article names: its name, the article's sentence, and an illustrative
    outline (the text itself is not public)."""
    from geoapp.figures import DOCUMENTS
    found = DOCUMENTS.get(doc_id)
    if found is None:
        abort(404, _("There is no document “%(id)s”.", id=doc_id[:60]))
    return render_template("document.html", doc=found, doc_id=doc_id, name=_(found.title))


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
    parts = coverage_views.coverage_map_parts(current, served().static, query.metric, lang,
                                              *coverage_urls(query.metric, lang), township_tiles=tiles,
                                              disclose=viewer().disclose)
    data = coverage_views.coverage_page(current, query, lang, viewer().disclose)
    late = branch_views.late_list(current, lang, url_for)
    return render_template("coverage.html", map=parts, error=error, late=late, divisions=DIVISIONS,
                           standing=current.analysis.standing, today=beijing_today().isoformat(), **data), status


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
    sheets = [coverage_views.coverage_sheet(version(), table, title, lang, viewer().disclose)
              for table, title in (("zones", _("Zones")), ("townships", _("Townships")))]
    sheets.append(about_sheet(lang))
    return Response(workbook(sheets), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="hanyuan-coverage.xlsx"'})


def about_sheet(lang: str) -> Sheet:
    """The sheet every workbook ends with: what in it is real and what is illustrative."""
    return Sheet(_("About"), [data_notice(version(), lang) or _("The data as the county keeps it (nothing "
                                                                  "illustrative).")], [])


@bp.get("/coverage/party-statistics.xlsx")
def party_statistics_xlsx():
    """The organisation and member tables as the party's internal statistics (党内统计) have them:
    counts by kind and zone, no personal rows."""
    lang = current_lang()
    sheets = [Sheet(title, headers, rows, caption=coverage_views.sheet_caption(title, lang))
              for title, headers, rows in branch_views.party_statistics(version(), lang, viewer().disclose)]
    sheets.append(about_sheet(lang))
    return Response(workbook(sheets), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="hanyuan-party-statistics.xlsx"'})


@bp.get("/coverage/report.pdf")
def coverage_report():
    """The committee's report: from the shelf, made once per data version by a renderer process
    of its own (`geoapp.views.shelf`); while it is being made, a page that says so and asks
    again (202 with Retry-After), so no number of report requests holds up the site."""
    try:
        import weasyprint  # noqa: F401 (WeasyPrint loads Debian's pango when imported)
    except OSError:
        abort(503, _("The PDF report needs the pango library on the server (Debian: apt install libpango-1.0-0 "
                     "libpangoft2-1.0-0 fonts-noto-cjk)."))
    current = version()
    metric = params.choice(request.args, "metric", current.analysis.metrics) or DEFAULT_SHADING
    lang = params.choice(request.args, "lang", ("zh", "en")) or current_lang()
    county = requested_county(request.environ)
    shelf, key, name = served().shelf, version_key(current, county), report_name(metric, lang)
    found = shelf.find(key, name)
    if found is not None:
        return send_file(found, mimetype="application/pdf", download_name=f"hanyuan-coverage-{metric}-{lang}.pdf",
                         as_attachment=False, conditional=True, max_age=0)
    failed = shelf.failure(key, name)
    if failed is not None:
        abort(503, _("The report could not be made (%(reason)s); the server's log says more.", reason=failed))
    shelf.request(key, name, report_command(metric, lang, county), served().environment)
    page = render_template("preparing.html", retry=RETRY_AFTER_S, what=_("The committee's report"))
    return page, 202, {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}


def prepare_report(served_data, current) -> None:
    """When a version is served, start making its report (the default indicator, in Chinese), so
    the first person who asks finds it made (an `on_serving` hook; GEOAPP_PREPARE_REPORT=0 turns
    it off)."""
    if current.whole:
        served_data.shelf.request(*_prepared_report(current), report_command(DEFAULT_SHADING, "zh", None),
                                  served_data.environment)


def report_ready(served_data, loaded) -> bool:
    """A `ready_before_serving` hook: whether the report `prepare_report` began for `loaded` is
    made (or is not coming: it failed, or no renderer could be started)."""
    return not served_data.shelf.awaited(*_prepared_report(loaded))


def _prepared_report(current) -> tuple[str, str]:
    """(data key, name) on the shelf of the report made ahead: the default indicator, in Chinese."""
    return version_key(current), report_name(DEFAULT_SHADING, "zh")


def warm_pages(app):
    """A `warm_ahead` hook for `app`: in the thread that loaded a new version, before it is
    served, ask the app for the pages a county office and a tourist open first — home, the
    coverage map, every zone page and its map, the farm stays, their map's first view and list,
    a tile and a page of features of every public layer — in both languages, and cut the
    township tiles of the map's first views, so that what those pages make once per version
    is made before the first visitor comes (issue 23: the first visitor after an import waits
    no longer than the next)."""
    from geoapp.views.tiles import cut_township_tiles

    def warm(served_data, loaded) -> None:
        cut_township_tiles(served_data, loaded)
        client = app.test_client()
        west, south, east, north = loaded.dataset["county"].total_bounds
        centre = lonlat_to_tile(np.array([(west + east) / 2]), np.array([(south + north) / 2]), 10)
        tile = f"10/{int(centre[0][0])}/{int(centre[1][0])}.mvt"
        for layer_id in PUBLIC_LAYERS:  # what a map client and a GIS ask first of every layer
            client.get(f"/tiles/{layer_id}/{tile}")
            client.get(f"/ogc/collections/{layer_id}/items?limit=10")
        for lang in ("zh", "en"):
            client.get(f"/api/farmstays/map?bbox={west},{south},{east},{north}&zoom=10&lang={lang}")
            client.get(f"/api/farmstays?limit=50&lang={lang}")
            paths = [f"/?lang={lang}", f"/coverage?lang={lang}", f"/farmstays?lang={lang}"]
            paths += [f"/zones/{zone_id}?lang={lang}" for zone_id in zone_views.zone_ids(loaded)]
            paths += [f"/zones/{zone_id}/map.png?lang={lang}" for zone_id in loaded.analysis.zones.id]
            for path in paths:
                client.get(path)
    return warm


def report_command(metric: str, lang: str, county: str | None) -> list[str]:
    """The renderer of one report: `geoapp report --to-shelf` in a process of its own."""
    command = [sys.executable, "-m", "geoapp.cli", "report", "--to-shelf", "--metric", metric, "--lang", lang]
    return command + (["--county", county] if county else [])
