"""Maps and popups for tourists: farm stays (clustered when there are many) and festivals."""
from __future__ import annotations

import datetime as dt

import folium
import geopandas as gpd

from geoapp.analysis.farmstays import next_dates
from geoapp.layers import INDUSTRIES
from geoapp.maps.assets import Tiles, base_map
from geoapp.maps.display import feature_collection, simplified
from geoapp.maps.elements import DataLayer, MapHooks
from geoapp.records import plain

STAR_COLOURS = {1: "#fdd49e", 2: "#fdbb84", 3: "#fc8d59", 4: "#e34a33", 5: "#b30000"}
FESTIVAL_COLOUR = "#6a3d9a"
INLINE_POPUPS_UP_TO = 300  # more farm stays than this: popups are fetched when opened
CLUSTER_FROM = 100         # at least this many farm stays are clustered

WORDS = {
    "stars": ("星级", "Stars"), "price": ("人均价格", "Price per person"), "yuan": ("元", "yuan"),
    "beds": ("床位", "Beds"), "phone": ("电话", "Phone"), "township": ("乡镇", "Township"),
    "season": ("最佳季节", "Best season"), "dishes": ("特色菜", "Dishes"), "industry": ("当地产业", "Local industry"),
    "distance": ("距离", "Distance"), "km": ("千米", "km"), "details": ("查看详情 →", "Details →"),
    "dates": ("日期", "Dates"), "venue": ("地点", "Venue"), "farm_stays": ("星级农家乐", "Farm stays"),
    "festivals": ("节会", "Festivals"), "here": ("搜索位置", "Search location"),
    "loading": ("加载中…", "Loading…"), "failed": ("无法加载详情", "Could not load the details"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang != "en" else pair[1]


def stars_text(stars: int) -> str:
    """★★★★☆ for 4 stars."""
    return "★" * int(stars) + "☆" * (5 - int(stars))


def day_text(day: dt.date, lang: str) -> str:
    return f"{day.month}月{day.day}日" if lang != "en" else day.strftime("%-d %b")


def festival_dates_text(start_md: str, end_md: str, lang: str, today: dt.date) -> str:
    """'3月15日–4月15日' / '15 Mar – 15 Apr' for the festival's next (or current) dates."""
    start, end = next_dates(start_md, end_md, today)
    joint = "–" if lang != "en" else " – "
    return f"{day_text(start, lang)}{joint}{day_text(end, lang)} {start.year}"


def farm_stay_details(stay, lang: str, detail_href: str, distance_m: float | None = None) -> dict:
    """The popup of one farm stay: title, subtitle, rows, and a link to its page."""
    word = lambda key: pick(WORDS[key], lang)  # noqa: E731
    industry = INDUSTRIES.get(stay.zone_industry) if isinstance(stay.zone_industry, str) else None
    rows = [[word("stars"), stars_text(stay.stars), ""], [word("price"), plain(stay.price), word("yuan")],
            [word("beds"), plain(stay.beds), ""], [word("phone"), stay.phone, ""],
            [word("township"), stay.township_zh if lang != "en" else stay.township_en, ""],
            [word("season"), stay.season, ""]]
    if industry:
        rows.append([word("industry"), pick(industry, lang), ""])
    if distance_m is not None:
        rows.insert(0, [word("distance"), round(distance_m / 1000, 1), word("km")])
    return {"title": stay.name_zh if lang != "en" else stay.name_en,
            "subtitle": stay.name_en if lang != "en" else stay.name_zh, "lang": lang, "rows": rows,
            "link": {"href": detail_href, "text": word("details")}}


def festival_details(festival, lang: str, today: dt.date) -> dict:
    word = lambda key: pick(WORDS[key], lang)  # noqa: E731
    return {"title": festival.name_zh if lang != "en" else festival.name_en,
            "subtitle": festival.name_en if lang != "en" else festival.name_zh, "lang": lang,
            "rows": [[word("dates"), festival_dates_text(festival.start_md, festival.end_md, lang, today), ""],
                     [word("venue"), festival.venue_zh if lang != "en" else festival.venue_en, ""]]}


def festival_layer(festivals: gpd.GeoDataFrame, lang: str, today: dt.date) -> DataLayer:
    """The festival venues, named on hover, with their dates in the popup."""
    named = festivals.assign(name=festivals.name_zh if lang != "en" else festivals.name_en)
    options = {"key": "festivals", "tooltip": "name",
               "popups": {f.id: festival_details(f, lang, today) for f in festivals.itertuples()},
               "style": {"base": {"radius": 11, "weight": 3, "color": FESTIVAL_COLOUR, "fillColor": "#fff",
                                  "fillOpacity": 0.8}}}
    return DataLayer(pick(WORDS["festivals"], lang), options,
                     feature_collection(simplified(named), ["name"], festivals.id))


def farm_stay_map(found: gpd.GeoDataFrame, festivals: gpd.GeoDataFrame, county: gpd.GeoDataFrame, lang: str,
                  tiles: Tiles, static_root: str, detail_href: str, popup_url: str,
                  near: tuple[float, float] | None = None, today: dt.date | None = None) -> folium.Map:
    """The farm stays found, clustered, with the festivals and the search location.

    `detail_href` and `popup_url` are URL templates with {id}. Popups are inline for up to
    INLINE_POPUPS_UP_TO farm stays and fetched from `popup_url` beyond that."""
    today = today or dt.date.today()
    cluster = len(found) >= CLUSTER_FROM
    bounds = tuple(county.total_bounds)
    if 0 < len(found) < CLUSTER_FROM:  # a few results: show them, not the whole county
        minx, miny, maxx, maxy = found.total_bounds
        bounds = (minx - 0.01, miny - 0.01, maxx + 0.01, maxy + 0.01)
    m = base_map(bounds, tiles, static_root, cluster=cluster)
    folium.GeoJson(feature_collection(simplified(county), []), control=False,
                   style_function=lambda f: {"color": "#7f1d1d", "weight": 2, "fill": False}).add_to(m)
    inline = len(found) <= INLINE_POPUPS_UP_TO
    distance = found["distance_m"] if "distance_m" in found else None
    popups = {row.id: farm_stay_details(row, lang, detail_href.replace("{id}", row.id),
                                        None if distance is None else distance[i])
              for i, row in zip(found.index, found.itertuples())} if inline else None
    options = {"key": "farm_stays", "cluster": cluster, "popups": popups, "popup": None if inline else popup_url,
               "messages": {"loading": pick(WORDS["loading"], lang), "failed": pick(WORDS["failed"], lang)},
               "style": {"base": {"radius": 8, "weight": 2, "color": "#fff", "fillOpacity": 0.95}, "by": "stars",
                         "values": {s: {"fillColor": c} for s, c in STAR_COLOURS.items()}}}
    DataLayer(pick(WORDS["farm_stays"], lang), options,
              feature_collection(simplified(found), ["stars"], found.id)).add_to(m)
    festival_layer(festivals, lang, today).add_to(m)
    if near:
        folium.CircleMarker(near, radius=6, color="#1f78b4", fill=True, fill_opacity=1,
                            tooltip=pick(WORDS["here"], lang)).add_to(m)  # our own words only
    folium.LayerControl(collapsed=True).add_to(m)
    MapHooks().add_to(m)
    return m


def farm_stay_page_map(stay, festivals: gpd.GeoDataFrame, lang: str, tiles: Tiles, static_root: str,
                       today: dt.date | None = None) -> folium.Map:
    """The small map on a farm stay's own page: the stay and the festivals around it."""
    today = today or dt.date.today()
    point = stay.geometry
    m = base_map((point.x - 0.05, point.y - 0.04, point.x + 0.05, point.y + 0.04), tiles, static_root)
    one = gpd.GeoDataFrame({"id": [stay.id], "stars": [stay.stars]}, geometry=[point], crs=festivals.crs)
    DataLayer(pick(WORDS["farm_stays"], lang),
              {"key": "farm_stays", "style": {"base": {"radius": 9, "weight": 2, "color": "#fff", "fillOpacity": 1,
                                                      "fillColor": STAR_COLOURS[int(stay.stars)]}}},
              feature_collection(one, ["stars"], one.id)).add_to(m)
    festival_layer(festivals, lang, today).add_to(m)
    MapHooks().add_to(m)
    return m
