"""Finding farm stays: filters, text search in Chinese/English/pinyin, distance, festivals.

`parse_query` turns the page's parameters into a `FarmStayQuery`, keeping a `ParamError`
naming each wrong parameter; `search_farm_stays` answers it. Distances are metres in UTM 48N.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
from pypinyin import lazy_pinyin
from shapely.geometry import Point

from geoapp import params
from geoapp.crs import METRIC_CRS, STORAGE_CRS
from geoapp.messages import N_
from geoapp.params import ParamError, plain_number

DEFAULT_RADIUS_KM = 10.0
MAX_RADIUS_KM = 200.0
MAX_TEXT = 100
SORTS = ("distance", "stars", "price", "name", "festival")


@dataclass(frozen=True)
class FarmStayQuery:
    stars_min: int | None = None
    price_max: float | None = None
    township: str | None = None
    festival: str | None = None
    near: tuple[float, float] | None = None   # (lat, lon) in WGS-84
    near_place: str | None = None             # a festival id or township code the `near` came from
    q: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    sort: str | None = None
    problems: tuple[ParamError, ...] = field(default=(), compare=False)

    def as_args(self) -> dict[str, str]:
        """The query as URL parameters, so a search can be shared."""
        args = {"stars_min": self.stars_min, "price_max": _number(self.price_max), "township": self.township,
                "festival": self.festival, "q": self.q, "sort": self.sort,
                "near": f"{self.near[0]:.5f},{self.near[1]:.5f}" if self.near and not self.near_place else None,
                "place": self.near_place,
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None,
                "radius_km": _number(self.radius_km) if self.radius_km != DEFAULT_RADIUS_KM else None}
        return {k: str(v) for k, v in args.items() if v not in (None, "")}


def _number(value: float | None) -> str | None:
    return None if value is None else plain_number(value)


# Places a search can be measured from ------------------------------------------------------

def places(festivals: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
    """Festival venues (by festival id) and township seats (by code) as (lat, lon)."""
    venues = {f.id: (f.geometry.y, f.geometry.x) for f in festivals.itertuples()}
    seats = {t.code: (t.seat_lat, t.seat_lon) for t in townships.itertuples()}
    return {**venues, **seats}


# Parsing ----------------------------------------------------------------------------------

def parse_query(args: Mapping[str, str], townships: set[str], festivals: set[str],
                known_places: Mapping[str, tuple[float, float]]) -> FarmStayQuery:
    """The search the parameters ask for. Every parameter is checked (by `geoapp.params`, as
    every route's are); all problems are kept in `problems`, and the good parameters still apply."""
    problems: list[ParamError] = []
    values: dict = {}

    def attempt(name, parse):
        try:
            values[name] = parse()
        except ParamError as err:
            problems.append(err)

    attempt("stars_min", lambda: params.whole(args, "stars_min", 1, 5))
    attempt("price_max", lambda: params.number(args, "price_max", 0, 1_000_000))
    attempt("radius_km", lambda: params.number(args, "radius_km", 0.1, MAX_RADIUS_KM))
    attempt("date_from", lambda: params.iso_date(args, "from"))
    attempt("date_to", lambda: params.iso_date(args, "to"))
    attempt("township", lambda: params.choice(args, "township", townships))
    attempt("festival", lambda: params.choice(args, "festival", festivals))
    attempt("near_place", lambda: params.choice(args, "place", known_places))
    attempt("near", lambda: params.lat_lon(args, "near"))
    attempt("q", lambda: params.text(args, "q", MAX_TEXT))
    attempt("sort", lambda: params.choice(args, "sort", SORTS))
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        values["date_from"], values["date_to"] = values["date_to"], values["date_from"]  # a trip read backwards
    if values.get("near_place"):  # a chosen place wins over an old location in the address
        values["near"] = known_places[values["near_place"]]
    if values.get("sort") == "distance" and not values.get("near"):
        problems.append(ParamError(N_("sorting by distance needs a place: choose one under “Distance from”, or use "
                                      "your location"), parameter="sort"))
    good = {k: v for k, v in values.items() if v is not None and k not in {p.parameter for p in problems}}
    return FarmStayQuery(**good, problems=tuple(problems))


# Festivals ---------------------------------------------------------------------------------

def festival_dates(start_md: str, end_md: str, year: int) -> tuple[dt.date, dt.date]:
    """The festival's first and last day in `year` (an end before the start runs into the next year)."""
    start = dt.date.fromisoformat(f"{year}-{start_md}")
    end = dt.date.fromisoformat(f"{year}-{end_md}")
    return start, end if end >= start else end.replace(year=year + 1)


def festival_is_on(start_md: str, end_md: str, date_from: dt.date, date_to: dt.date) -> bool:
    """Whether the annual festival overlaps the days from `date_from` to `date_to`."""
    for year in range(date_from.year - 1, date_to.year + 1):
        start, end = festival_dates(start_md, end_md, year)
        if start <= date_to and end >= date_from:
            return True
    return False


def festivals_on(festivals: gpd.GeoDataFrame, date_from: dt.date, date_to: dt.date) -> gpd.GeoDataFrame:
    """The festivals held on at least one day from `date_from` to `date_to`."""
    on = [festival_is_on(f.start_md, f.end_md, date_from, date_to) for f in festivals.itertuples()]
    return festivals[np.array(on, dtype=bool)]


def next_dates(start_md: str, end_md: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """This year's dates if the festival has not ended yet, otherwise next year's."""
    start, end = festival_dates(start_md, end_md, today.year)
    return (start, end) if end >= today else festival_dates(start_md, end_md, today.year + 1)


# Searching -------------------------------------------------------------------------------

def _fold(text: str) -> str:
    """Lower case, accents and spaces removed: 'Qīng Xī' and 'qingxi' fold alike."""
    text = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[\s\-–·'’]+", "", "".join(c for c in text if not unicodedata.combining(c)))


@lru_cache(maxsize=200_000)
def _syllables(text: str) -> tuple[str, ...]:
    """pypinyin's toneless syllables of `text`; each distinct text is converted once."""
    return tuple(lazy_pinyin(text or ""))


def pinyin(text: str) -> str:
    """Toneless pinyin of the Chinese in `text`, syllables run together ('清溪驿站' -> 'qingxiyizhan')."""
    return "".join(_syllables(text)).lower()


def english_name(name_en: str | None, name_zh: str) -> str:
    """`name_en`, or the pinyin of `name_zh` (capitalised) where there is no English name."""
    if isinstance(name_en, str) and name_en.strip():
        return name_en
    return " ".join(s.capitalize() for s in _syllables(name_zh)) if name_zh else ""


_FOLDED_AWAY = r"[\u0300-\u036f\s\-–·'’]+"  # tone marks (after NFKD) and separators


def _fold_all(texts: pd.Series) -> pd.Series:
    """`_fold` over a column, done by pandas' string methods (a column of 500,000 names in
    about a second rather than ten)."""
    return texts.fillna("").astype(str).str.lower().str.normalize("NFKD").str.replace(_FOLDED_AWAY, "", regex=True)


def search_text(farm_stays: gpd.GeoDataFrame, townships: gpd.GeoDataFrame,
                pinyins: list[str] | None = None) -> pd.Series:
    """What free text is matched against: the names in Chinese, English and pinyin, of the
    farm stay and of its township, folded. Computed once when the data is loaded; `name_en`
    is already filled (pinyin where the data has no English name)."""
    township_text = {t.code: "|".join(_fold(p) for p in (t.name_zh, t.name_en, pinyin(t.name_zh)))
                     for t in townships.itertuples()}
    pinyins = pd.Series(pinyins if pinyins is not None else [pinyin(zh) for zh in farm_stays.name_zh],
                        index=farm_stays.index)
    return (_fold_all(farm_stays.name_zh) + "|" + _fold_all(farm_stays.name_en) + "|" + pinyins + "|"
            + farm_stays.township.map(township_text).fillna(""))


def prepare_farm_stays(farm_stays: gpd.GeoDataFrame, townships: gpd.GeoDataFrame,
                       zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Farm stays ready for searching and showing: English names filled with pinyin where
    missing, township names, the zone's lead industry, and the folded `search_text`."""
    prepared = farm_stays.copy()
    # each name converted to pinyin once (pypinyin is the cost of start-up with many stays)
    syllables = [tuple(lazy_pinyin(zh)) if isinstance(zh, str) else () for zh in prepared.name_zh]
    prepared["name_en"] = [en if isinstance(en, str) and en.strip() else " ".join(s.capitalize() for s in syl)
                           for en, syl in zip(prepared.name_en, syllables)]
    towns = townships.set_index("code")
    prepared["township_zh"] = prepared.township.map(towns.name_zh)
    prepared["township_en"] = prepared.township.map(towns.name_en)
    prepared["zone_industry"] = prepared.zone.map(zones.set_index("id").lead_industry)
    prepared["search_text"] = search_text(prepared, townships, ["".join(syl).lower() for syl in syllables])
    return prepared


def distances_m(frame: gpd.GeoDataFrame, lat: float, lon: float) -> pd.Series:
    """Metres from (lat, lon) to each feature, measured in UTM 48N."""
    origin = gpd.GeoSeries([Point(lon, lat)], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
    return frame.geometry.to_crs(METRIC_CRS).distance(origin)


def within_km_of_any(frame: gpd.GeoDataFrame, points: gpd.GeoDataFrame, radius_km: float) -> pd.Series:
    """Whether each feature of `frame` lies within `radius_km` of any of `points`."""
    if points.empty:
        return pd.Series(False, index=frame.index)
    targets = points.geometry.to_crs(METRIC_CRS).union_all()
    return frame.geometry.to_crs(METRIC_CRS).distance(targets) <= radius_km * 1000


def open_during(open_from: str | None, open_to: str | None, date_from: dt.date | None,
                date_to: dt.date | None) -> str | None:
    """Whether a stay with an opening season (month-days, possibly across the new year) is open
    on the trip: "open" (every day), "partly", "closed" (no day) — or None when it has no season
    or no dates were given."""
    if not open_from or not open_to or not (date_from or date_to):
        return None
    first, last = date_from or date_to, date_to or date_from
    days = (last - first).days + 1
    open_days = sum(festival_is_on(open_from, open_to, day, day)
                    for day in (first + dt.timedelta(days=i) for i in range(min(days, 366))))
    if open_days == 0:
        return "closed"
    return "open" if open_days == min(days, 366) else "partly"


def search_farm_stays(farm_stays: gpd.GeoDataFrame, query: FarmStayQuery, festivals: gpd.GeoDataFrame,
                      texts: pd.Series | None = None,
                      bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """The farm stays that answer `query` (and lie in `bbox`, lon/lat, when given), sorted.

    Travel dates never hide a stay: they add `festivals_on` (the festivals held during the trip
    within `query.radius_km` of the stay) and `open_status` (open, partly, closed: the stay's own
    season against the dates), and `sort=festival` puts the stays near those festivals first.
    A chosen festival keeps the stays within `query.radius_km` of its venue. With a place,
    `distance_m` (UTM 48N). `farm_stays` needs `search_text` (or pass `texts`)."""
    found = farm_stays
    mask = pd.Series(True, index=found.index)
    if query.stars_min is not None:
        mask &= found.stars >= query.stars_min
    if query.price_max is not None:
        mask &= found.price <= query.price_max
    if query.township:
        mask &= found.township == query.township
    if query.q:
        texts = texts if texts is not None else found["search_text"]
        mask &= texts.str.contains(_fold(query.q), regex=False)
    if query.festival:
        mask &= within_km_of_any(found, festivals[festivals.id == query.festival], query.radius_km)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        xs, ys = found.geometry.x, found.geometry.y
        mask &= (xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy)
    found = found[mask].copy()
    dated = bool(query.date_from or query.date_to)
    if dated:
        on = festivals_on(festivals, query.date_from or query.date_to, query.date_to or query.date_from)
        near = {f.id: within_km_of_any(found, festivals[festivals.id == f.id], query.radius_km) for f in on.itertuples()}
        found["festivals_on"] = [[fid for fid, close in near.items() if close.loc[i]] for i in found.index]
        found["open_status"] = [open_during(a, b, query.date_from, query.date_to)
                                for a, b in zip(found.get("open_from_md", [None] * len(found)),
                                                found.get("open_to_md", [None] * len(found)))]
    if query.near:
        found["distance_m"] = distances_m(found, *query.near).round(0)
    sort = query.sort or ("distance" if query.near else "festival" if dated else "stars")
    if sort == "festival" and dated:
        found["_festival_first"] = [0 if ids else 1 for ids in found.festivals_on]
        found["_closed_last"] = [1 if status == "closed" else 0 for status in found.open_status]
        keys = ["_closed_last", "_festival_first"] + (["distance_m"] if "distance_m" in found else []) + ["stars", "id"]
        found = found.sort_values(keys, ascending=[True, True] + ([True] if "distance_m" in found else [])
                                  + [False, True], kind="stable").drop(columns=["_festival_first", "_closed_last"])
    elif sort == "distance" and "distance_m" in found:
        found = found.sort_values(["distance_m", "id"], kind="stable")
    elif sort == "price":
        found = found.sort_values(["price", "stars", "id"], ascending=[True, False, True], kind="stable")
    elif sort == "name":
        found = found.sort_values(["name_zh", "id"], kind="stable")
    else:
        found = found.sort_values(["stars", "price", "id"], ascending=[False, True, True], kind="stable")
    return found
