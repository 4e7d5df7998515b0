"""Farm stays for tourists: the search page, one page per farm stay, and their JSON twins.
One `stay_card` describes a stay wherever it is shown (the list, the map's popup, the API): in
the visitor's language, with its photos, its flags for the travel dates, and the way there in
the datum each map app expects.

Addresses of pages and photos come from `urls` (the web's `url_for`), so nothing here knows
the framework; `today` is passed in (the festival dates depend on it).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp import formats, params
from geoapp.analysis.directions import directions, phone_link
from geoapp.analysis.farmstays import (
    FarmStayQuery,
    FoundStays,
    cell_size,
    distances_m,
    festivals_on,
    filters_nothing,
    map_groups,
    matching,
    next_dates,
    parse_query,
    search_farm_stays,
)
from geoapp.dates import LEAP_YEAR, in_year
from geoapp.layers import INDUSTRIES
from geoapp.maps.elements import render_parts
from geoapp.maps.farmstays import (
    MiniMap,
    farm_stay_map,
    farm_stay_page_map,
    festival_dates_text,
    stars_text,
)
from geoapp.messages import N_, UserError, plural_translator, translator
from geoapp.params import ParamError
from geoapp.static_files import StaticFiles
from geoapp.views.served import ServedVersion
from geoapp.vocabulary import ILLUSTRATIVE_PHONE

LIST_PAGE = 50          # farm stays listed per page
API_LIMIT = 1000        # features per API response unless `limit` says otherwise
API_MAX_LIMIT = 10000
MAX_OFFSET = 10_000_000
Urls = Callable[..., str]


class UnknownStay(UserError):
    status = 404


class BadSearch(UserError):
    """Some parameters of a search are wrong: each is named in `problems`."""

    def __init__(self, problems: list[ParamError]):
        super().__init__(problems[0].message)
        self.problems = problems


def current_query(version: ServedVersion, args: Mapping[str, str]) -> FarmStayQuery:
    analysis = version.analysis
    return parse_query(args, set(analysis.townships.code), set(analysis.dataset["festivals"].id), analysis.places)


def _attempt(parse, default, problems: list):
    """A parameter parsed by `parse`; a wrong one is added to `problems` and `default` used."""
    try:
        return parse()
    except ParamError as err:
        problems.append(err)
        return default


def in_language(row, field: str, lang: str):
    """A text field in the visitor's language: `<field>_en` in English when the data has it."""
    if lang == "en":
        english = row.get(f"{field}_en")
        if isinstance(english, str) and english.strip():
            return english
    value = row.get(field if field != "address" else "address_zh")
    return value if isinstance(value, str) else None


def photos_of(version: ServedVersion, stay_id: str, lang: str, urls: Urls) -> list[dict]:
    """A stay's photos in their order: looked up in the stays' photos grouped once per version
    (a card costs its own photos, not a pass over every photo)."""
    mine = version.made_once(("photos-by-stay",), lambda: _photos_by_stay(version)).get(stay_id, [])
    return [{"id": p.id, "small": urls("farmstays.photo", name=f"{p.file}-small.jpg"),
             "medium": urls("farmstays.photo", name=f"{p.file}-medium.jpg"),
             "large": urls("farmstays.photo", name=f"{p.file}-large.jpg"),
             "caption": (p.caption_en if lang == "en" and isinstance(p.caption_en, str) else p.caption_zh) or "",
             "credit": p.credit if isinstance(p.credit, str) else ""} for p in mine]


def _photos_by_stay(version: ServedVersion) -> dict[str, list]:
    photos = version.dataset["farm_stay_photos"]
    if photos.empty:
        return {}
    return {stay: list(rows.itertuples()) for stay, rows in photos.sort_values(["stay", "order"]).groupby("stay")}


@dataclass(frozen=True)
class NearThings:
    """The festival venues and villages of a version as arrays, to name the nearest of each."""
    festival_lon: np.ndarray
    festival_lat: np.ndarray
    festival_names: dict[str, list[str]]
    village_lon: np.ndarray
    village_lat: np.ndarray
    village_names: dict[str, list[str]]

    @classmethod
    def of(cls, version: ServedVersion) -> NearThings:
        def points(frame):
            venues = frame.geometry.representative_point() if len(frame) else frame.geometry
            return np.asarray(venues.x, dtype=float), np.asarray(venues.y, dtype=float)
        festivals = version.dataset["festivals"]
        villages = version.dataset["villages"] if "villages" in version.dataset else gpd.GeoDataFrame(
            {"name_zh": [], "name_en": []}, geometry=[])
        (festival_lon, festival_lat), (village_lon, village_lat) = points(festivals), points(villages)
        return cls(festival_lon, festival_lat, {"zh": festivals.name_zh.tolist(), "en": festivals.name_en.tolist()},
                   village_lon, village_lat, {"zh": villages.name_zh.tolist(), "en": villages.name_en.tolist()})


def _km(lon: np.ndarray, lat: np.ndarray, x: float, y: float) -> np.ndarray:
    """Kilometres from (x, y) to each point, near enough within a county (equirectangular)."""
    return np.hypot((lon - x) * 111.32 * math.cos(math.radians(y)), (lat - y) * 110.57)


def whereabouts(version: ServedVersion, point, lang: str) -> dict:
    """Where a stay is, for a card without a photo: its place on the county's small map, the
    nearest festival venue (name, km, place) and the nearest village (name, km)."""
    mini = version.made_once(("mini-map",), lambda: MiniMap.of(version.dataset["county"]))
    near = version.made_once(("near-things",), lambda: NearThings.of(version))
    x, y = mini.place(point.x, point.y)
    where: dict = {"x": x, "y": y, "height": mini.height, "festival": None, "village": None}
    if len(near.festival_lon):
        km = _km(near.festival_lon, near.festival_lat, point.x, point.y)
        i = int(np.argmin(km))
        fx, fy = mini.place(near.festival_lon[i], near.festival_lat[i])
        where["festival"] = {"name": near.festival_names[lang][i], "km": round(float(km[i]), 1), "x": fx, "y": fy}
    if len(near.village_lon):
        km = _km(near.village_lon, near.village_lat, point.x, point.y)
        i = int(np.argmin(km))
        where["village"] = {"name": near.village_names[lang][i], "km": round(float(km[i]), 1)}
    return where


def where_text(where: dict, lang: str) -> str:
    """The small map in words: 'Near 梨园村 (1.2 km) · 3.4 km from 梨花节'."""
    _ = translator(lang)
    parts = []
    if where["village"]:
        parts.append(_("Near %(village)s (%(km)s km)") % {"village": where["village"]["name"],
                                                          "km": where["village"]["km"]})
    if where["festival"]:
        parts.append(_("%(km)s km from %(festival)s") % {"km": where["festival"]["km"],
                                                         "festival": where["festival"]["name"]})
    return " · ".join(parts)


def county_outline(version: ServedVersion) -> dict:
    """The county's outline for the cards' small maps (drawn once per page, used by each card)."""
    mini = version.made_once(("mini-map",), lambda: MiniMap.of(version.dataset["county"]))
    return {"path": mini.path, "width": mini.WIDTH, "height": mini.height}


def stay_card(version: ServedVersion, stay, lang: str, urls: Urls, festival_names: dict | None = None) -> dict:
    """What a tourist reads about one farm stay, in `lang` (see the module docstring)."""
    _ = translator(lang)
    row = stay if isinstance(stay, dict) else stay.to_dict()
    point = row["geometry"]
    shown = version.tiles.to_display(point) if version.tiles.to_display else point
    on = row.get("festivals_on") if isinstance(row.get("festivals_on"), list) else []
    distance = row.get("distance_m")
    return {
        "id": row["id"], "name": row["name_en"] if lang == "en" else row["name_zh"],
        "subtitle": row["name_zh"] if lang == "en" else row["name_en"],
        "stars": int(row["stars"]), "stars_text": stars_text(row["stars"]),
        "stars_label": _("%(n)d stars") % {"n": int(row["stars"])}, "price": float(row["price"]),
        "price_text": f"¥{row['price']:g}", "beds": int(row["beds"]),
        "township": row["township_en"] if lang == "en" else row["township_zh"],
        "address": in_language(row, "address", lang), "season": in_language(row, "season", lang),
        "dishes": in_language(row, "dishes", lang), "phone": row["phone"], "tel": phone_link(row["phone"]),
        "phone_note": _(ILLUSTRATIVE_PHONE) if str(row.get("source", "")).startswith("illustrative") else None,
        "photos": (photos := photos_of(version, row["id"], lang, urls)),
        "photo_count": len(photos), "where": (where := whereabouts(version, point, lang)),
        "where_text": where_text(where, lang),
        "festivals_on": [festival_names.get(f, f) for f in on or []] if festival_names else on,
        "open_status": row.get("open_status") if isinstance(row.get("open_status"), str) else None,
        "distance_km": None if distance is None or distance != distance else round(float(distance) / 1000, 1),
        "lat": round(shown.y, 6), "lon": round(shown.x, 6),
        "url": urls("farmstays.detail_page", stay_id=row["id"], lang=lang),
        "directions": directions(point.x, point.y, row["name_zh"], row.get("address_zh") or row["township_zh"]),
    }


def festival_names(version: ServedVersion, lang: str) -> dict[str, str]:
    festivals = version.dataset["festivals"]
    return dict(zip(festivals.id, festivals.name_en if lang == "en" else festivals.name_zh))


def page_words(lang: str) -> dict:
    """Every word static/js/farmstays.js shows, in the page's language."""
    _, ngettext = translator(lang), plural_translator(lang)
    return {
        "lang": lang, "found": ngettext("%(num)d farm stay", "%(num)d farm stays", 7).replace("%(num)d", "{n}", 1),
        "found_one": ngettext("%(num)d farm stay", "%(num)d farm stays", 1).replace("%(num)d", "{n}", 1),
        "none": _("No farm stay matches; try fewer filters."),
        "km": _("km"), "details": _("Details →"), "directions": _("Directions"), "copy": _("Copy address"),
        "copied": _("Address copied."), "call": _("Call"), "closed": _("Closed on your dates"),
        "partly": _("Open on part of your dates"), "festival_on": _("During your trip: %(festivals)s") % {"festivals": "{f}"},
        "search_area": _("Search this area"), "loading": _("Loading…"), "failed": _("Could not load the farm stays"),
        "apps": {"amap": _("Amap"), "baidu": _("Baidu Maps"), "tencent": _("Tencent Maps"), "apple": _("Apple Maps")},
        "illustrative": _("Illustrative data: these farm stays and their phone numbers are made up."),
        "no_photo": _("No photo yet"), "more": _("More"), "page_size": LIST_PAGE,
        "offline": _("No signal: the farm stays could not be loaded."),
        "stale": _("The list below is from before and may be out of date."),
        "photos": ngettext("%(num)d photo", "%(num)d photos", 7).replace("%(num)d", "{n}", 1),
        "photo_one": ngettext("%(num)d photo", "%(num)d photos", 1).replace("%(num)d", "{n}", 1),
    }


def search(version: ServedVersion, args: Mapping[str, str], problems: list) -> tuple[FarmStayQuery, FoundStays]:
    """The stays a search asks for; each wrong parameter is added to `problems`."""
    analysis = version.analysis
    query = current_query(version, args)
    problems += list(query.problems)
    bbox = _attempt(lambda: params.bbox(args), None, problems)
    return query, search_farm_stays(analysis.farm_stay_index, query, analysis.dataset["festivals"], bbox=bbox)


def festival_rows(version: ServedVersion, lang: str, today: dt.date, on: set | None = None) -> list[dict]:
    """Festivals with their next dates and venue; `on` marks those held in the chosen dates."""
    rows = []
    for f in version.dataset["festivals"].itertuples():
        start, _end = next_dates(f.start_md, f.end_md, today)
        rows.append({"id": f.id, "name": f.name_zh if lang == "zh" else f.name_en,
                     "dates": festival_dates_text(f.start_md, f.end_md, lang, today),
                     "venue": f.venue_zh if lang == "zh" else f.venue_en, "start": start,
                     "on": None if on is None else f.id in on})
    return sorted(rows, key=lambda r: r["start"])


def place_choices(version: ServedVersion, lang: str) -> list[tuple[str, str]]:
    """(value, label) of the places a search can be measured from: venues, then township seats."""
    festivals = version.dataset["festivals"]
    venues = [(f.id, (f.venue_zh if lang == "zh" else f.venue_en)) for f in festivals.itertuples()]
    seats = [(t.code, t.name_zh if lang == "zh" else t.name_en) for t in version.analysis.townships.itertuples()]
    return venues + seats


def search_page(version: ServedVersion, static: StaticFiles, args: Mapping[str, str], lang: str, urls: Urls,
                today: dt.date) -> dict:
    """The search page: its map, the first page of the list, the filters; `problems` names each
    wrong parameter (the page is shown with the others)."""
    analysis = version.analysis
    festivals = analysis.dataset["festivals"]
    errors: list = []
    query, found = search(version, args, errors)
    offset = _attempt(lambda: params.whole(args, "offset", 0, MAX_OFFSET, default=0), 0, errors)
    figure = farm_stay_map(festivals, analysis.dataset["county"], lang, version.tiles, static,
                           near=query.near, today=today).get_root()
    on = None
    first, last = query.date_from or query.date_to, query.date_to or query.date_from
    if first is not None and last is not None:
        on = set(festivals_on(festivals, first, last).id)
    names = festival_names(version, lang)
    cards = [stay_card(version, row, lang, urls, names) for _, row in found.rows(offset, offset + LIST_PAGE).iterrows()]
    return {"map": render_parts(figure), "query": query, "args": query.as_args(), "errors": errors, "cards": cards,
            "total": len(found), "offset": offset, "page_size": LIST_PAGE,
            "townships": analysis.townships.sort_values("code"), "festivals": festival_rows(version, lang, today, on),
            "places": place_choices(version, lang), "words": page_words(lang), "outline": county_outline(version)}


def stay_or_404(version: ServedVersion, stay_id: str) -> pd.Series:
    index = version.analysis.farm_stay_index
    position = index.position(stay_id)
    if position is None:
        raise UnknownStay(N_("There is no farm stay “%(id)s”."), id=stay_id[:60])
    return index.stays.iloc[position]


def detail_page(version: ServedVersion, static: StaticFiles, stay_id: str, lang: str, urls: Urls,
                today: dt.date) -> dict:
    """One farm stay's page: its card, its map, the festivals around it."""
    stay = stay_or_404(version, stay_id)
    festivals = version.dataset["festivals"]
    distances = distances_m(festivals, stay.geometry.y, stay.geometry.x)
    rows = {r["id"]: r for r in festival_rows(version, lang, today)}
    nearby = sorted(({**rows[f.id], "distance_km": round(float(d) / 1000, 1)}
                     for f, d in zip(festivals.itertuples(), distances)), key=lambda r: r["distance_km"])
    zone_names = version.analysis.zones.set_index("id")[f"name_{lang}"]
    industry = INDUSTRIES.get(stay.zone_industry) if isinstance(stay.zone_industry, str) else None
    figure = farm_stay_page_map(stay, festivals, lang, version.tiles, static, today).get_root()
    return {"stay": stay, "card": stay_card(version, stay, lang, urls), "map": render_parts(figure), "nearby": nearby,
            "zone_name": zone_names.get(stay.zone) if isinstance(stay.zone, str) else None,
            "industry": (industry[0] if lang == "zh" else industry[1]) if industry else None,
            "words": page_words(lang), "open_season": open_season(stay, lang), "outline": county_outline(version)}


def open_season(stay, lang: str) -> str | None:
    start, end = stay.get("open_from_md"), stay.get("open_to_md")
    if not isinstance(start, str) or not isinstance(end, str):
        return None

    def day(md: str) -> str:
        return formats.day_of_year(in_year(md, LEAP_YEAR), lang)
    _ = translator(lang)
    return _("Open from %(start)s to %(end)s") % {"start": day(start), "end": day(end)}


def web_manifest(lang: str, urls: Urls, icon: Callable[[str], str]) -> dict:
    """The tourist pages as an app a phone installs (name, start page, colours, icons)."""
    _ = translator(lang)
    return {"name": _("Hanyuan farm stays"), "short_name": _("Farm stays"), "lang": "zh-Hans" if lang == "zh" else "en",
            "start_url": urls("farmstays.search_page", lang=lang), "scope": "/", "display": "standalone",
            "background_color": "#ffffff", "theme_color": "#17694a",
            "description": _("Star-rated farm stays and festivals of Hanyuan County (illustrative data)."),
            "icons": [{"src": icon("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
                      {"src": icon("icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
                       "purpose": "any maskable"}]}


# JSON twins -------------------------------------------------------------------------------------

def search_geojson(version: ServedVersion, args: Mapping[str, str], lang: str, urls: Urls) -> dict:
    """The page's search as GeoJSON: `bbox` for "search this area", `limit`/`offset` to page;
    travel dates (`from`, `to`) mark festivals and closed seasons, and never hide a stay.
    BadSearch names every wrong parameter."""
    errors: list = []
    query, found = search(version, args, errors)
    limit = _attempt(lambda: params.whole(args, "limit", 0, API_MAX_LIMIT, default=API_LIMIT), API_LIMIT, errors)
    offset = _attempt(lambda: params.whole(args, "offset", 0, MAX_OFFSET, default=0), 0, errors)
    if errors:
        raise BadSearch(errors)
    names = festival_names(version, lang)
    features = []
    for _index, row in found.rows(offset, offset + limit).iterrows():
        card = stay_card(version, row, lang, urls, names)
        distance = row.get("distance_m")
        features.append({"type": "Feature", "id": card["id"], "properties": {
            **card, "name_zh": row["name_zh"], "name_en": row["name_en"], "township_code": row["township"],
            "zone": row["zone"] if isinstance(row["zone"], str) else None,
            "distance_m": float(distance) if distance is not None and distance == distance else None,
            "festival_ids": row["festivals_on"] if "festivals_on" in row and isinstance(row["festivals_on"], list) else []},
            "geometry": {"type": "Point", "coordinates": [card["lon"], card["lat"]]}})
    bounds = found.bounds()
    if bounds and version.tiles.to_display:
        bounds = tuple(version.tiles.to_display(shapely.box(*bounds)).bounds)
    return {"type": "FeatureCollection", "features": features, "numberMatched": len(found),
            "numberReturned": len(features), "query": query.as_args(), "bbox": bounds,
            "festivalsOn": sorted({f for feature in features for f in feature["properties"]["festival_ids"]})}


def _widened(view: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The view and a margin around it (a stay's pin half outside the view still shows)."""
    west, south, east, north = view
    dx, dy = (east - west) * 0.05, (north - south) * 0.05
    return west - dx, south - dy, east + dx, north + dy


def _shown(lon: np.ndarray, lat: np.ndarray, shift) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat shifted to the base map's datum when it is not WGS-84."""
    if shift is None or not len(lon):
        return lon, lat
    coordinates = shapely.get_coordinates(shift(shapely.points(lon, lat)))
    return coordinates[:, 0], coordinates[:, 1]


def map_geojson(version: ServedVersion, args: Mapping[str, str], lang: str) -> dict:
    """What the map shows of the search in the visitor's view: `bbox` (the view, lon/lat) and
    `zoom`; the search's own parameters filter as on the list. Few stays in view: each one
    (id, name, price, stars); many: groups on a screen grid (count, centre, bounds, lowest price),
    so the answer stays small whether 16 or 500,000 stays match."""
    analysis = version.analysis
    errors: list = []
    query = current_query(version, args)
    errors += list(query.problems)
    view = _attempt(lambda: params.bbox(args), None, errors) or tuple(analysis.dataset["county"].total_bounds)
    zoom = _attempt(lambda: params.whole(args, "zoom", 0, 22, default=10), 10, errors)
    if errors:
        raise BadSearch(errors)
    index = analysis.farm_stay_index
    widened = _widened(view)
    if filters_nothing(query) and _holds(widened, index.bounds):
        # the first view of the map (every stay in it, nothing filtered): the same for every
        # visitor at this zoom and cell size, so grouped once per data version (the most
        # recent few: a view larger than the screen widens the cells)
        return version.made_once(("stays-map-everything", zoom, cell_size(zoom, view), lang),
                                 lambda: _map_answer(version, query, widened, view, zoom, lang), keep=EVERYTHING_KEPT)
    return _map_answer(version, query, widened, view, zoom, lang)


EVERYTHING_KEPT = 48  # whole-set map answers kept per version (two languages × the zooms a county is seen at)


def _holds(outer: tuple, inner: tuple) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def _map_answer(version: ServedVersion, query, widened: tuple, view: tuple, zoom: int, lang: str) -> dict:
    index = version.analysis.farm_stay_index
    in_view = matching(index, query, version.dataset["festivals"], widened)
    drawn = map_groups(index, in_view, zoom, view)
    shift = version.tiles.to_display
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
    return {"type": "FeatureCollection", "features": features, "numberMatched": len(in_view),
            "grouped": bool(drawn.groups)}


def stay_json(version: ServedVersion, stay_id: str, args: Mapping[str, str], lang: str, urls: Urls) -> dict:
    """One stay's card; with the search's travel dates (`from`, `to`) it carries their flags."""
    stay = stay_or_404(version, stay_id)
    analysis = version.analysis
    query = current_query(version, args)
    if query.date_from or query.date_to:
        position = analysis.farm_stay_index.position(stay_id)
        flagged = search_farm_stays(analysis.farm_stay_index, FarmStayQuery(
            date_from=query.date_from, date_to=query.date_to, radius_km=query.radius_km),
            analysis.dataset["festivals"], positions=np.array([position]))
        stay = flagged.rows().iloc[0]
    return stay_card(version, stay, lang, urls, festival_names(version, lang))

