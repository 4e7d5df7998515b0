"""Farm stays for tourists: the search page, one page per farm stay, and their JSON twins."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from geoapp import params
from geoapp.analysis.farmstays import (
    FarmStayQuery,
    distances_m,
    festivals_on,
    next_dates,
    parse_query,
    search_farm_stays,
)
from geoapp.layers import INDUSTRIES
from geoapp.maps.farmstays import (
    farm_stay_details,
    farm_stay_map,
    farm_stay_page_map,
    festival_dates_text,
    stars_text,
)
from geoapp.params import ParamError
from geoapp.records import plain
from geoapp.web.i18n import current_lang, translate
from geoapp.web.state import county, render_parts

bp = Blueprint("farmstays", __name__)

LIST_PAGE = 50          # farm stays listed per page; the map shows every one found
API_LIMIT = 1000        # features per API response unless `limit` says otherwise
API_MAX_LIMIT = 10000
MAX_OFFSET = 10_000_000
PUBLIC_COLUMNS = ["id", "name_zh", "name_en", "stars", "price", "beds", "phone", "township", "township_zh",
                  "township_en", "zone", "zone_industry", "season", "dishes", "address_zh"]


def today() -> dt.date:
    return dt.date.today()


def current_query() -> FarmStayQuery:
    analysis = county().analysis
    return parse_query(request.args, set(analysis.townships.code), set(analysis.dataset["festivals"].id),
                       analysis.places)


def _whole(name: str, default: int, high: int, problems: list) -> int:
    """A paging parameter; a wrong one is added to `problems` and the default used."""
    try:
        return params.whole(request.args, name, 0, high, default=default)
    except ParamError as err:
        problems.append(err)
        return default


@bp.get("/farmstays")
def search_page():
    lang = current_lang()
    state = county()
    analysis = state.analysis
    festivals = analysis.dataset["festivals"]
    query = current_query()
    errors = list(query.problems)
    offset = _whole("offset", 0, MAX_OFFSET, errors)
    problems = [translate(p.message) for p in errors]
    found = search_farm_stays(analysis.farm_stays, query, festivals)
    detail = url_for("farmstays.detail_page", stay_id="ID", lang=lang).replace("ID", "{id}", 1)
    popup = url_for("farmstays.popup", stay_id="ID", lang=lang).replace("ID", "{id}", 1)
    figure = farm_stay_map(found, festivals, analysis.dataset["county"], lang, state.tiles, state.static_root,
                           detail, popup, near=query.near, today=today()).get_root()
    on = None
    if query.date_from or query.date_to:
        on = set(festivals_on(festivals, query.date_from or query.date_to, query.date_to or query.date_from).id)
    shown = found.iloc[offset:offset + LIST_PAGE]
    return render_template(
        "farmstays.html", map=render_parts(figure), query=query, args=query.as_args(), problems=problems,
        found=shown, total=len(found), offset=offset, page_size=LIST_PAGE,
        townships=analysis.townships.sort_values("code"), festivals=festival_rows(lang, query, on),
        places=place_choices(lang), stars_text=stars_text, has_distance="distance_m" in found,
    ), 400 if problems else 200


def festival_rows(lang: str, query: FarmStayQuery | None = None, on: set | None = None) -> list[dict]:
    """Festivals with their next dates and venue; `on` marks those held in the chosen dates."""
    festivals = county().analysis.dataset["festivals"]
    rows = []
    for f in festivals.itertuples():
        start, _ = next_dates(f.start_md, f.end_md, today())
        rows.append({"id": f.id, "name": f.name_zh if lang == "zh" else f.name_en,
                     "dates": festival_dates_text(f.start_md, f.end_md, lang, today()),
                     "venue": f.venue_zh if lang == "zh" else f.venue_en, "start": start,
                     "on": None if on is None else f.id in on})
    return sorted(rows, key=lambda r: r["start"])


def place_choices(lang: str) -> list[tuple[str, str]]:
    """(value, label) of the places a search can be measured from: venues, then township seats."""
    analysis = county().analysis
    festivals = analysis.dataset["festivals"]
    venues = [(f.id, (f.venue_zh if lang == "zh" else f.venue_en)) for f in festivals.itertuples()]
    seats = [(t.code, t.name_zh if lang == "zh" else t.name_en) for t in analysis.townships.itertuples()]
    return venues + seats


def _stay_or_404(stay_id: str):
    stays = county().analysis.farm_stays
    match = stays[stays.id == stay_id]
    if match.empty:
        abort(404, _("There is no farm stay “%(id)s”.", id=stay_id))
    return match.iloc[0]


@bp.get("/farmstays/<stay_id>")
def detail_page(stay_id: str):
    lang = current_lang()
    state = county()
    stay = _stay_or_404(stay_id)
    festivals = state.analysis.dataset["festivals"]
    distances = distances_m(festivals, stay.geometry.y, stay.geometry.x)
    rows = {r["id"]: r for r in festival_rows(lang)}
    nearby = sorted(({**rows[f.id], "distance_km": round(float(d) / 1000, 1)}
                     for f, d in zip(festivals.itertuples(), distances)), key=lambda r: r["distance_km"])
    zone_names = state.analysis.zones.set_index("id")[f"name_{lang}"]
    industry = INDUSTRIES.get(stay.zone_industry) if isinstance(stay.zone_industry, str) else None
    figure = farm_stay_page_map(stay, festivals, lang, state.tiles, state.static_root, today()).get_root()
    return render_template(
        "farmstay.html", stay=stay, map=render_parts(figure), stars=stars_text(stay.stars), nearby=nearby,
        zone_name=zone_names.get(stay.zone) if isinstance(stay.zone, str) else None,
        industry=(industry[0] if lang == "zh" else industry[1]) if industry else None)


# JSON twins --------------------------------------------------------------------------------

@bp.get("/api/farmstays")
def api_search():
    query = current_query()
    errors = list(query.problems)
    limit = _whole("limit", API_LIMIT, API_MAX_LIMIT, errors)
    offset = _whole("offset", 0, MAX_OFFSET, errors)
    problems = [{"parameter": p.parameter, "message": translate(p.message)} for p in errors]
    if problems:
        return jsonify({"error": "Bad Request", "status": 400, "message": problems[0]["message"],
                        "problems": problems}), 400
    found = search_farm_stays(county().analysis.farm_stays, query, county().analysis.dataset["festivals"])
    page = found.iloc[offset:offset + limit]
    columns = PUBLIC_COLUMNS + (["distance_m"] if "distance_m" in found else [])
    features = [{"type": "Feature", "id": row["id"],
                 "properties": {c: plain(row[c]) for c in columns},
                 "geometry": {"type": "Point", "coordinates": [round(row.geometry.x, 6), round(row.geometry.y, 6)]}}
                for _, row in page.iterrows()]
    response = jsonify({"type": "FeatureCollection", "features": features, "numberMatched": len(found),
                        "numberReturned": len(features), "query": query.as_args()})
    response.mimetype = "application/geo+json"
    return response


@bp.get("/api/farmstays/<stay_id>/popup")
def popup(stay_id: str):
    lang = current_lang()
    stay = _stay_or_404(stay_id)
    return jsonify(farm_stay_details(stay, lang, url_for("farmstays.detail_page", stay_id=stay.id, lang=lang)))
