"""Farm stays for tourists: the search page, one page per farm stay, their photos, and their
JSON twins. One `stay_card` describes a stay wherever it is shown (the list, the map's popup,
the API): in the visitor's language, with its photos, its flags for the travel dates, and the
way there in the datum each map app expects."""
from __future__ import annotations

import datetime as dt

import numpy as np
import shapely
from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext

from geoapp import params
from geoapp.analysis.directions import directions, phone_link
from geoapp.analysis.farmstays import (
    FarmStayQuery,
    distances_m,
    festivals_on,
    map_groups,
    matching,
    next_dates,
    parse_query,
    search_farm_stays,
)
from geoapp.layers import INDUSTRIES
from geoapp.maps.farmstays import (
    farm_stay_map,
    farm_stay_page_map,
    festival_dates_text,
    stars_text,
)
from geoapp.params import ParamError
from geoapp.web.i18n import current_lang, translate
from geoapp.web.state import county, render_parts

bp = Blueprint("farmstays", __name__)

LIST_PAGE = 50          # farm stays listed per page
API_LIMIT = 1000        # features per API response unless `limit` says otherwise
API_MAX_LIMIT = 10000
MAX_OFFSET = 10_000_000


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


def _bbox(problems: list):
    try:
        return params.bbox(request.args)
    except ParamError as err:
        problems.append(err)
        return None


def in_language(row, field: str, lang: str):
    """A text field in the visitor's language: `<field>_en` in English when the data has it."""
    if lang == "en":
        english = row.get(f"{field}_en")
        if isinstance(english, str) and english.strip():
            return english
    value = row.get(field if field != "address" else "address_zh")
    return value if isinstance(value, str) else None


def photos_of(stay_id: str) -> list[dict]:
    photos = county().analysis.dataset["farm_stay_photos"]
    mine = photos[photos.stay == stay_id].sort_values("order")
    lang = current_lang()
    return [{"id": p.id, "small": url_for("farmstays.photo", name=f"{p.file}-small.jpg"),
             "medium": url_for("farmstays.photo", name=f"{p.file}-medium.jpg"),
             "large": url_for("farmstays.photo", name=f"{p.file}-large.jpg"),
             "caption": (p.caption_en if lang == "en" and isinstance(p.caption_en, str) else p.caption_zh) or "",
             "credit": p.credit if isinstance(p.credit, str) else ""} for p in mine.itertuples()]


def stay_card(stay, lang: str, festival_names: dict | None = None) -> dict:
    """What a tourist reads about one farm stay, in `lang` (see the module docstring)."""
    row = stay if isinstance(stay, dict) else stay.to_dict()
    point = row["geometry"]
    name = row["name_en"] if lang == "en" else row["name_zh"]
    address = in_language(row, "address", lang)
    tiles = county().tiles
    shown = tiles.to_display(point) if tiles.to_display else point
    on = row.get("festivals_on") if isinstance(row.get("festivals_on"), list) else []
    distance = row.get("distance_m")
    return {
        "id": row["id"], "name": name, "subtitle": row["name_zh"] if lang == "en" else row["name_en"],
        "stars": int(row["stars"]), "stars_text": stars_text(row["stars"]),
        "stars_label": _("%(n)d stars", n=int(row["stars"])), "price": float(row["price"]),
        "price_text": f"¥{row['price']:g}", "beds": int(row["beds"]),
        "township": row["township_en"] if lang == "en" else row["township_zh"],
        "address": address, "season": in_language(row, "season", lang), "dishes": in_language(row, "dishes", lang),
        "phone": row["phone"], "tel": phone_link(row["phone"]),
        "photos": photos_of(row["id"]),
        "festivals_on": [festival_names.get(f, f) for f in on] if festival_names else on,
        "open_status": row.get("open_status") if isinstance(row.get("open_status"), str) else None,
        "distance_km": None if distance is None or distance != distance else round(float(distance) / 1000, 1),
        "lat": round(shown.y, 6), "lon": round(shown.x, 6),
        "url": url_for("farmstays.detail_page", stay_id=row["id"], lang=lang),
        "directions": directions(point.x, point.y, row["name_zh"], row.get("address_zh") or row["township_zh"]),
    }


def festival_names(lang: str) -> dict[str, str]:
    festivals = county().analysis.dataset["festivals"]
    return dict(zip(festivals.id, festivals.name_en if lang == "en" else festivals.name_zh))


def page_words(lang: str) -> dict:
    """Every word static/js/farmstays.js shows, in the page's language."""
    return {
        "lang": lang, "found": ngettext("%(num)d farm stay", "%(num)d farm stays", 7).replace("7", "{n}", 1),
        "found_one": ngettext("%(num)d farm stay", "%(num)d farm stays", 1).replace("1", "{n}", 1),
        "none": _("No farm stay matches; try fewer filters."),
        "km": _("km"), "details": _("Details →"), "directions": _("Directions"), "copy": _("Copy address"),
        "copied": _("Address copied."), "call": _("Call"), "closed": _("Closed on your dates"),
        "partly": _("Open on part of your dates"), "festival_on": _("During your trip: %(festivals)s", festivals="{f}"),
        "search_area": _("Search this area"), "loading": _("Loading…"), "failed": _("Could not load the farm stays"),
        "apps": {"amap": _("Amap"), "baidu": _("Baidu Maps"), "tencent": _("Tencent Maps"), "apple": _("Apple Maps")},
        "illustrative": _("Illustrative data: these farm stays and their phone numbers are made up."),
        "no_photo": _("No photo yet"), "more": _("More"), "page_size": LIST_PAGE,
    }


def _search(problems: list):
    analysis = county().analysis
    query = current_query()
    problems += list(query.problems)
    bbox = _bbox(problems)
    found = search_farm_stays(analysis.farm_stay_index, query, analysis.dataset["festivals"], bbox=bbox)
    return query, found


@bp.get("/farmstays")
def search_page():
    lang = current_lang()
    state = county()
    analysis = state.analysis
    festivals = analysis.dataset["festivals"]
    errors: list = []
    query, found = _search(errors)
    offset = _whole("offset", 0, MAX_OFFSET, errors)
    problems = [translate(p.message) for p in errors]
    figure = farm_stay_map(festivals, analysis.dataset["county"], lang, state.tiles, state.static_root,
                           near=query.near, today=today()).get_root()
    on = None
    if query.date_from or query.date_to:
        on = set(festivals_on(festivals, query.date_from or query.date_to, query.date_to or query.date_from).id)
    names = festival_names(lang)
    cards = [stay_card(row, lang, names) for _, row in found.rows(offset, offset + LIST_PAGE).iterrows()]
    return render_template(
        "farmstays.html", map=render_parts(figure), query=query, args=query.as_args(), problems=problems,
        cards=cards, total=len(found), offset=offset, page_size=LIST_PAGE,
        townships=analysis.townships.sort_values("code"), festivals=festival_rows(lang, on),
        places=place_choices(lang), words=page_words(lang),
    ), 400 if problems else 200


def festival_rows(lang: str, on: set | None = None) -> list[dict]:
    """Festivals with their next dates and venue; `on` marks those held in the chosen dates."""
    festivals = county().analysis.dataset["festivals"]
    rows = []
    for f in festivals.itertuples():
        start, _end = next_dates(f.start_md, f.end_md, today())
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
    index = county().analysis.farm_stay_index
    position = index.position(stay_id)
    if position is None:
        abort(404, _("There is no farm stay “%(id)s”.", id=stay_id))
    return index.stays.iloc[position]


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
        "farmstay.html", stay=stay, card=stay_card(stay, lang), map=render_parts(figure), nearby=nearby,
        zone_name=zone_names.get(stay.zone) if isinstance(stay.zone, str) else None,
        industry=(industry[0] if lang == "zh" else industry[1]) if industry else None, words=page_words(lang),
        open_season=_open_season(stay, lang))


def _open_season(stay, lang: str) -> str | None:
    start, end = stay.get("open_from_md"), stay.get("open_to_md")
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    def day(md: str) -> str:
        month, date = (int(v) for v in md.split("-"))
        return f"{month}月{date}日" if lang != "en" else dt.date(2001, month, date).strftime("%-d %b")
    return _("Open from %(start)s to %(end)s", start=day(start), end=day(end))


@bp.get("/photos/<name>")
def photo(name: str):
    """A photo file: named by its content, so it is cached for a year and never revalidated."""
    path = county().photos.path(name)
    if path is None:
        abort(404, _("There is no photo “%(id)s”.", id=name))
    response = send_file(path, mimetype="image/jpeg", max_age=365 * 24 * 3600, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# JSON twins --------------------------------------------------------------------------------

@bp.get("/api/farmstays")
def api_search():
    """The page's search as GeoJSON: `bbox` for "search this area", `limit`/`offset` to page;
    travel dates (`from`, `to`) mark festivals and closed seasons, and never hide a stay."""
    errors: list = []
    query, found = _search(errors)
    limit = _whole("limit", API_LIMIT, API_MAX_LIMIT, errors)
    offset = _whole("offset", 0, MAX_OFFSET, errors)
    if errors:
        return _bad_request(errors)
    lang = current_lang()
    names = festival_names(lang)
    page = found.rows(offset, offset + limit)
    features = []
    for _index, row in page.iterrows():
        card = stay_card(row, lang, names)
        features.append({"type": "Feature", "id": card["id"], "properties": {
            **card, "name_zh": row["name_zh"], "name_en": row["name_en"], "township_code": row["township"],
            "zone": row["zone"] if isinstance(row["zone"], str) else None,
            "distance_m": float(row["distance_m"]) if "distance_m" in row and row["distance_m"] == row["distance_m"] else None,
            "festival_ids": row["festivals_on"] if "festivals_on" in row and isinstance(row["festivals_on"], list) else []},
            "geometry": {"type": "Point", "coordinates": [card["lon"], card["lat"]]}})
    bounds = found.bounds()
    if bounds and county().tiles.to_display:
        bounds = tuple(county().tiles.to_display(shapely.box(*bounds)).bounds)
    response = jsonify({"type": "FeatureCollection", "features": features, "numberMatched": len(found),
                        "numberReturned": len(features), "query": query.as_args(), "bbox": bounds,
                        "festivalsOn": sorted({f for feature in features for f in feature["properties"]["festival_ids"]})})
    response.mimetype = "application/geo+json"
    return response


@bp.get("/api/farmstays/map")
def api_map():
    """What the map shows of the search in the visitor's view: `bbox` (the view, lon/lat) and
    `zoom`; the search's own parameters filter as on the list. Few stays in view: each one
    (id, name, price, stars); many: groups on a screen grid (count, centre, bounds, lowest price),
    so the answer stays small whether 16 or 500,000 stays match."""
    analysis = county().analysis
    errors: list = []
    query = current_query()
    errors += list(query.problems)
    view = _bbox(errors) or tuple(analysis.dataset["county"].total_bounds)
    zoom = _whole("zoom", 10, 22, errors)
    if errors:
        return _bad_request(errors)
    index = analysis.farm_stay_index
    in_view = matching(index, query, analysis.dataset["festivals"], _widened(view))
    drawn = map_groups(index, in_view, zoom, view)
    shift = county().tiles.to_display
    lang = current_lang()
    stays = index.stays
    names = (stays.name_en if lang == "en" else stays.name_zh).to_numpy()
    features = []
    lon, lat = _shown(index.lon[drawn.singles], index.lat[drawn.singles], shift)
    for position, x, y in zip(drawn.singles, lon, lat):
        features.append({"type": "Feature", "id": str(stays.id.iat[position]),
                         "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                         "properties": {"name": names[position], "stars": int(index.stars[position]),
                                        "price_text": f"¥{index.price[position]:g}"}})
    g_lon, g_lat = _shown(np.array([g["lon"] for g in drawn.groups]), np.array([g["lat"] for g in drawn.groups]), shift)
    for group, x, y in zip(drawn.groups, g_lon, g_lat):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                         "properties": {"count": group["count"], "bounds": group["bounds"],
                                        "price_text": f"¥{group['price_min']:g}", "stars_max": group["stars_max"]}})
    response = jsonify({"type": "FeatureCollection", "features": features, "numberMatched": int(len(in_view)),
                        "grouped": bool(drawn.groups)})
    response.mimetype = "application/geo+json"
    return response


def _bad_request(errors: list):
    """A 400 naming every wrong parameter, in the visitor's language."""
    problems = [{"parameter": p.parameter, "message": translate(p.message)} for p in errors]
    return jsonify({"error": "Bad Request", "status": 400, "message": problems[0]["message"],
                    "problems": problems}), 400


def _widened(view: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The view and a margin around it (a stay's pin half outside the view still shows)."""
    west, south, east, north = view
    dx, dy = (east - west) * 0.05, (north - south) * 0.05
    return west - dx, south - dy, east + dx, north + dy


def _shown(lon: np.ndarray, lat: np.ndarray, shift) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat shifted to the base map's datum when it is not WGS-84."""
    if shift is None or not len(lon):
        return lon, lat
    points = shift(shapely.points(lon, lat))
    coordinates = shapely.get_coordinates(points)
    return coordinates[:, 0], coordinates[:, 1]


@bp.get("/api/farmstays/<stay_id>")
def api_stay(stay_id: str):
    """One stay's card; with the search's travel dates (`from`, `to`) it carries their flags."""
    stay = _stay_or_404(stay_id)
    analysis = county().analysis
    query = current_query()
    if query.date_from or query.date_to:
        position = analysis.farm_stay_index.position(stay_id)
        flagged = search_farm_stays(analysis.farm_stay_index, FarmStayQuery(
            date_from=query.date_from, date_to=query.date_to, radius_km=query.radius_km),
            analysis.dataset["festivals"], positions=np.array([position]))
        stay = flagged.rows().iloc[0]
    return jsonify(stay_card(stay, current_lang(), festival_names(current_lang())))


@bp.get("/api/farmstays/<stay_id>/popup")
def popup(stay_id: str):
    return api_stay(stay_id)


@bp.get("/farmstays/<stay_id>/directions")
def directions_page(stay_id: str):
    """The way there without JavaScript: a redirect into the chosen map app."""
    app = params.choice(request.args, "app", ("amap", "baidu", "tencent", "apple")) or "amap"
    stay = _stay_or_404(stay_id)
    card = stay_card(stay, current_lang())
    return Response(status=302, headers={"Location": card["directions"][app]})
