"""Maps for tourists: the search page's map (the county, the festivals, the search place; the
farm stays themselves are drawn by static/js/farmstays.js from /api/farmstays, as price labels
that split on tap), and the small map on a farm stay's page."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import folium
import geopandas as gpd
import shapely

from geoapp import formats
from geoapp.analysis.farmstays import next_dates
from geoapp.maps.assets import Tiles, base_map
from geoapp.maps.display import feature_collection, simplified
from geoapp.maps.elements import DataLayer, MapHooks, control_words
from geoapp.messages import N_, translator
from geoapp.static_files import StaticFiles

STAR_COLOURS = {1: "#fdd49e", 2: "#fdbb84", 3: "#fc8d59", 4: "#e34a33", 5: "#b30000"}
FESTIVAL_COLOUR = "#6a3d9a"


def stars_text(stars: int) -> str:
    """★★★★☆ for 4 stars."""
    return "★" * int(stars) + "☆" * (5 - int(stars))


def festival_dates_text(start_md: str, end_md: str, lang: str, today: dt.date) -> str:
    """'2027年3月15日–4月15日' / '15 Mar – 15 Apr 2027' for the festival's next (or current) dates."""
    return formats.day_range(*next_dates(start_md, end_md, today), lang)


def festival_details(festival, lang: str, today: dt.date) -> dict:
    _ = translator(lang)
    return {"title": festival.name_zh if lang != "en" else festival.name_en,
            "subtitle": festival.name_en if lang != "en" else festival.name_zh, "lang": lang,
            "rows": [[_(N_("Dates")), festival_dates_text(festival.start_md, festival.end_md, lang, today)],
                     [_(N_("Venue")), festival.venue_zh if lang != "en" else festival.venue_en]]}


def festival_layer(festivals: gpd.GeoDataFrame, lang: str, today: dt.date, to_display=None) -> DataLayer:
    """The festival venues, named on hover, with their dates in the popup."""
    named = festivals.assign(name=festivals.name_zh if lang != "en" else festivals.name_en)
    shown = simplified(named)
    if to_display is not None:
        shown = shown.set_geometry(to_display(shown.geometry))
    options = {"key": "festivals", "tooltip": "name",
               "popups": {f.id: festival_details(f, lang, today) for f in festivals.itertuples()},
               "style": {"base": {"radius": 11, "weight": 3, "color": FESTIVAL_COLOUR, "fillColor": "#fff",
                                  "fillOpacity": 0.8}}}
    return DataLayer(translator(lang)(N_("Festivals")), options, feature_collection(shown, ["name"], festivals.id))


def farm_stay_map(festivals: gpd.GeoDataFrame, county: gpd.GeoDataFrame, lang: str, tiles: Tiles, static: StaticFiles,
                  near: tuple[float, float] | None = None, today: dt.date | None = None) -> folium.Map:
    """The search page's map: the county, the festivals and the search place; the page's script
    adds the farm stays found (clustered price labels)."""
    today = today or dt.date.today()
    m = base_map(tuple(county.total_bounds), tiles, static, cluster=True)
    outline = simplified(county)
    if tiles.to_display is not None:
        outline = outline.set_geometry(tiles.to_display(outline.geometry))
    folium.GeoJson(feature_collection(outline, []), control=False,
                   style_function=lambda f: {"color": "#7f1d1d", "weight": 2, "fill": False}).add_to(m)
    festival_layer(festivals, lang, today, tiles.to_display).add_to(m)
    if near:
        folium.CircleMarker(near, radius=6, color="#1f78b4", fill=True, fill_opacity=1,
                            tooltip=translator(lang)(N_("Search location"))).add_to(m)  # our own words only
    MapHooks(words=control_words(lang)).add_to(m)
    return m


def farm_stay_page_map(stay, festivals: gpd.GeoDataFrame, lang: str, tiles: Tiles, static: StaticFiles,
                       today: dt.date | None = None) -> folium.Map:
    """The small map on a farm stay's own page: the stay and the festivals around it."""
    today = today or dt.date.today()
    point = stay.geometry
    m = base_map((point.x - 0.05, point.y - 0.04, point.x + 0.05, point.y + 0.04), tiles, static)
    one = gpd.GeoDataFrame({"id": [stay.id], "stars": [stay.stars]}, geometry=[point], crs=festivals.crs)
    if tiles.to_display is not None:
        one = one.set_geometry(tiles.to_display(one.geometry))
    DataLayer(translator(lang)(N_("Farm stays")),
              {"key": "farm_stays", "style": {"base": {"radius": 10, "weight": 2, "color": "#fff", "fillOpacity": 1,
                                                      "fillColor": STAR_COLOURS[int(stay.stars)]}}},
              feature_collection(one, ["stars"], one.id)).add_to(m)
    festival_layer(festivals, lang, today, tiles.to_display).add_to(m)
    MapHooks(words=control_words(lang)).add_to(m)
    return m


@dataclass(frozen=True)
class MiniMap:
    """Where a point is in the county, drawn small (a farm stay's card that has no photo): the
    county's outline as an SVG path in a box WIDTH wide and `height` high (north up; a degree of
    longitude shortened by the cosine of the latitude, as on the map), and a point's place in it."""
    minx: float
    maxy: float
    scale: float       # box units per degree of latitude
    shrink: float      # cos(latitude): a degree of longitude is this much shorter
    height: float
    path: str

    WIDTH = 100.0

    @classmethod
    def of(cls, county: gpd.GeoDataFrame) -> MiniMap:
        minx, miny, maxx, maxy = county.total_bounds
        shrink = math.cos(math.radians((miny + maxy) / 2))
        scale = cls.WIDTH / max((maxx - minx) * shrink, 1e-9)
        outline = shapely.simplify(county.geometry.union_all(), (maxx - minx) / 150)
        box = cls(float(minx), float(maxy), scale, shrink, round((maxy - miny) * scale, 1), "")
        rings = [polygon.exterior for polygon in getattr(outline, "geoms", [outline])]
        path = " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in (box.place(lon, lat) for lon, lat in ring.coords))
                        + " Z" for ring in rings)
        return cls(box.minx, box.maxy, box.scale, box.shrink, box.height, path)

    def place(self, lon: float, lat: float) -> tuple[float, float]:
        """(x, y) of a point in the box, to a tenth of a unit."""
        return (round((lon - self.minx) * self.shrink * self.scale, 1), round((self.maxy - lat) * self.scale, 1))
