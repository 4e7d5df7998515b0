"""Finding farm stays: filters, text search in Chinese/English/pinyin, distance, festivals.

`parse_query` turns the page's parameters into a `FarmStayQuery`, keeping a `ParamError`
naming each wrong parameter; `search_farm_stays` answers it. Distances are metres in UTM 48N.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pypinyin import lazy_pinyin
from pyproj import Transformer
from shapely.geometry import Point

from geoapp import params
from geoapp.analysis.index import JoinedTexts, grid_cells
from geoapp.analysis.names import fold, initials, pinyin, syllables
from geoapp.crs import METRIC_CRS, STORAGE_CRS
from geoapp.dates import in_year
from geoapp.mercator import world_pixels
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
    start, end = in_year(start_md, year), in_year(end_md, year)
    return start, end if end >= start else in_year(end_md, year + 1)


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

_PARTS = "\x1f"  # between the parts of one stay's source text (stored text never holds it)


def _english_and_search_text(source: str) -> tuple[str, str]:
    """(English name, search text) of one stay from "name_zh␟name_en␟its township's text": the
    English name is `name_en`, or the capitalised pinyin of `name_zh` where there is none; the
    search text is the names in Chinese, English, pinyin and pinyin initials (梨花山庄: lhsz, as
    Chinese apps accept), then the township's, folded."""
    zh, en, town = source.split(_PARTS)
    spoken = lazy_pinyin(zh) if zh else []
    english = en if en.strip() else " ".join(s.capitalize() for s in spoken)
    return english, "|".join((fold(zh), fold(english), "".join(spoken).lower(), initials(spoken), town))


def prepare_farm_stays(farm_stays: gpd.GeoDataFrame, townships: gpd.GeoDataFrame,
                       zones: gpd.GeoDataFrame, remembered=None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Farm stays ready for showing — English names filled with pinyin where missing, township
    names, the zone's lead industry — and each one's folded search text.
    pypinyin is the cost of start-up with many stays (a minute for 500,000 names):
    `remembered` (the store's `DerivedTexts`, or None) gives back what an earlier start made
    from the same names."""
    prepared = farm_stays.copy(deep=False)  # copy-on-write: the columns are shared with the layer, not doubled
    township_text = {t.code: "|".join(fold(p) for p in (t.name_zh, t.name_en, pinyin(t.name_zh),
                                                         initials(syllables(t.name_zh))))
                     for t in townships.itertuples()}
    sources = [f"{zh if isinstance(zh, str) else ''}{_PARTS}{en if isinstance(en, str) else ''}{_PARTS}"
               f"{township_text.get(town, '')}"
               for zh, en, town in zip(prepared.name_zh.tolist(), prepared.name_en.tolist(), prepared.township.tolist())]
    made = (remembered.parts("farm-stay-text-initials", sources, _english_and_search_text) if remembered is not None
            else [_english_and_search_text(source) for source in sources])
    prepared["name_en"] = [english for english, _text in made]
    towns = townships.set_index("code")
    prepared["township_zh"] = prepared.township.map(towns.name_zh)
    prepared["township_en"] = prepared.township.map(towns.name_en)
    prepared["zone_industry"] = prepared.zone.map(zones.set_index("id").lead_industry)
    return prepared, [text for _english, text in made]


class FarmStayIndex:
    """The prepared farm stays as arrays (positions, metres in UTM 48N, stars, prices, sort
    ranks), so that a search filters, measures and sorts half a million stays with numpy and
    only the page it shows becomes rows."""

    def __init__(self, stays: gpd.GeoDataFrame, search_texts: list[str]):
        self.stays = stays
        self.search_text = JoinedTexts(search_texts)  # (not a string object per stay)
        coordinates = shapely.get_coordinates(stays.geometry.to_numpy()) if len(stays) else np.empty((0, 2))
        self.lon, self.lat = coordinates[:, 0], coordinates[:, 1]
        self.x_m, self.y_m = _to_metric.transform(self.lon, self.lat)
        self.bounds = ((float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max()))
                       if len(stays) else (np.inf, np.inf, -np.inf, -np.inf))  # (none: any view holds them)
        self.stars = stays.stars.to_numpy(dtype=float)
        self.price = stays.price.to_numpy(dtype=float)
        self.township = stays.township.to_numpy(dtype=object)
        # made here, not on a first request: the process that loads makes them once, and
        # gunicorn's workers forked from it share them instead of each making (and, by
        # touching every name, copying) its own
        self.id_rank = _rank(stays.id)
        self.name_rank = _rank(stays.name_zh)
        self.seasons = _seasons(stays)
        # every stay in each order that needs no query (most stays lists are pages of these):
        # a search keeps its matches in this order instead of sorting them (`in_order`)
        everyone = np.arange(len(stays))
        self.orders = {name: np.lexsort(keys(self, everyone)[::-1]) for name, keys in FIXED_ORDERS.items()}
        self._in_id_order = np.argsort(self.id_rank, kind="stable")
        self._ids_in_order = stays.id.to_numpy(dtype=object)[self._in_id_order]

    def in_order(self, name: str, positions: np.ndarray) -> np.ndarray:
        """`positions` in the order FIXED_ORDERS[`name`]: a mask over every stay walked in that
        order (linear, no sort)."""
        order = self.orders[name]
        kept = np.zeros(len(self), dtype=bool)
        kept[positions] = True
        return order[kept[order]]

    def position(self, stay_id: str) -> int | None:
        """The position of the stay with id `stay_id`, or None: a binary search of the ids in
        order (no scan of every id, which would also copy them into each gunicorn worker)."""
        i = int(np.searchsorted(self._ids_in_order, stay_id))
        if i < len(self._ids_in_order) and self._ids_in_order[i] == stay_id:
            return int(self._in_id_order[i])
        return None

    def __len__(self) -> int:
        return len(self.stays)

    def metres_from(self, lat: float, lon: float, positions: np.ndarray) -> np.ndarray:
        """Metres (UTM 48N) from (lat, lon) to the stays at `positions`."""
        x, y = _to_metric.transform(lon, lat)
        return np.hypot(self.x_m[positions] - x, self.y_m[positions] - y)


_to_metric = Transformer.from_crs(STORAGE_CRS, METRIC_CRS, always_xy=True)


def _seasons(stays: gpd.GeoDataFrame) -> tuple[np.ndarray, list[tuple[str | None, str | None]]]:
    """Each stay's opening season as a code into a short list of distinct (from, to) pairs."""
    def days(column: str) -> list:
        values = stays.get(column, pd.Series(None, index=stays.index, dtype=object))
        return values.astype(object).where(values.notna(), None).tolist()
    pairs = pd.Series(list(zip(days("open_from_md"), days("open_to_md"))), dtype=object)
    codes, distinct = pd.factorize(pairs, use_na_sentinel=False)
    return codes, list(distinct)


def _rank(values: pd.Series) -> np.ndarray:
    """Each value's place among the distinct values in sorted order (equal values share it), for
    sorting by several keys at once. Short texts are sorted as one fixed-width numpy array
    (faster than comparing Python strings: bench/README.md, start-up); a long one would make
    that array huge, so then pandas sorts the strings."""
    texts = values.astype(object).where(values.notna(), "").astype(str).tolist()
    longest = max(map(len, texts), default=0)
    if longest <= 64:
        return np.unique(np.array(texts, dtype=f"<U{max(1, longest)}"), return_inverse=True)[1].reshape(-1)
    codes, _distinct = pd.factorize(pd.Series(texts, dtype=object), sort=True)
    return codes


def distances_m(frame: gpd.GeoDataFrame, lat: float, lon: float) -> pd.Series:
    """Metres from (lat, lon) to each feature, measured in UTM 48N."""
    origin = gpd.GeoSeries([Point(lon, lat)], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
    return frame.geometry.to_crs(METRIC_CRS).distance(origin)


def _near_festival(index: FarmStayIndex, festival, positions: np.ndarray, radius_km: float) -> np.ndarray:
    """Whether each stay at `positions` lies within `radius_km` of the festival's venue."""
    venue = festival.geometry.representative_point()
    return index.metres_from(venue.y, venue.x, positions) <= radius_km * 1000


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


def matching(index: FarmStayIndex, query: FarmStayQuery, festivals: gpd.GeoDataFrame,
             bbox: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Positions (ascending) of the stays the query's filters keep, within `bbox` (lon/lat)
    when given. Travel dates and places never hide a stay; they only order and mark them."""
    mask = np.ones(len(index), dtype=bool)
    if query.stars_min is not None:
        mask &= index.stars >= query.stars_min
    if query.price_max is not None:
        mask &= index.price <= query.price_max
    if query.township:
        mask &= index.township == query.township
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        mask &= (index.lon >= minx) & (index.lon <= maxx) & (index.lat >= miny) & (index.lat <= maxy)
    if query.q:
        mask &= index.search_text.containing(fold(query.q))
    positions = np.flatnonzero(mask)
    if query.festival:
        festival = festivals[festivals.id == query.festival].iloc[0]
        positions = positions[_near_festival(index, festival, positions, query.radius_km)]
    return positions


@dataclass
class FoundStays:
    """The stays a search found, in its order, as positions into `index`; `rows` makes a page
    of them into a GeoDataFrame with `distance_m`, `festivals_on` and `open_status` added."""
    index: FarmStayIndex
    positions: np.ndarray
    distance_m: np.ndarray | None = None        # aligned with positions
    festivals_near: dict[str, np.ndarray] = field(default_factory=dict)   # festival id -> aligned bools
    open_status: np.ndarray | None = None       # aligned with positions
    dated: bool = False

    def __len__(self) -> int:
        return len(self.positions)

    def rows(self, start: int = 0, stop: int | None = None) -> gpd.GeoDataFrame:
        part = slice(start, stop)
        frame = self.index.stays.iloc[self.positions[part]].copy()
        if self.distance_m is not None:
            frame["distance_m"] = self.distance_m[part]
        if self.dated:
            near = {fid: close[part] for fid, close in self.festivals_near.items()}
            frame["festivals_on"] = [[fid for fid, close in near.items() if close[i]] for i in range(len(frame))]
            frame["open_status"] = self.open_status[part]
        return frame

    @property
    def ids(self) -> list[str]:
        return list(self.index.stays.id.to_numpy()[self.positions])

    def bounds(self) -> tuple[float, float, float, float] | None:
        """lon/lat bounds of every stay found, or None when none was."""
        if not len(self.positions):
            return None
        if len(self.positions) == len(self.index):  # every stay (the first list)
            return self.index.bounds
        lon, lat = self.index.lon[self.positions], self.index.lat[self.positions]
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())


def search_farm_stays(index: FarmStayIndex, query: FarmStayQuery, festivals: gpd.GeoDataFrame,
                      bbox: tuple[float, float, float, float] | None = None,
                      positions: np.ndarray | None = None) -> FoundStays:
    """The farm stays that answer `query` (and lie in `bbox`, lon/lat, when given), sorted;
    `positions` limits the search to those stays (one stay's popup with the trip's flags).

    Travel dates never hide a stay: they add `festivals_on` (the festivals held during the trip
    within `query.radius_km` of the stay) and `open_status` (open, partly, closed: the stay's own
    season against the dates), and `sort=festival` puts the stays near those festivals first.
    A chosen festival keeps the stays within `query.radius_km` of its venue. With a place,
    `distance_m` (UTM 48N, whole metres)."""
    found = matching(index, query, festivals, bbox)
    if positions is not None:
        found = np.intersect1d(found, positions)
    result = FoundStays(index, found)
    dated = bool(query.date_from or query.date_to)
    if dated:
        result.dated = True
        on = festivals_on(festivals, query.date_from or query.date_to, query.date_to or query.date_from)
        result.festivals_near = {f.id: _near_festival(index, f, found, query.radius_km) for f in on.itertuples()}
        codes, seasons = index.seasons
        statuses = np.array([open_during(a, b, query.date_from, query.date_to) for a, b in seasons] + [None],
                            dtype=object)
        result.open_status = statuses[codes[found]] if len(seasons) else np.full(len(found), None, dtype=object)
    if query.near:
        result.distance_m = np.round(index.metres_from(*query.near, found), 0)
    sort = query.sort or ("distance" if query.near else "festival" if dated else "stars")
    keys = _sort_keys(index, result, sort)  # most significant first
    if keys is None:  # an order fixed for the version: walk it
        result.positions = index.in_order(sort if sort in FIXED_ORDERS else "stars", found)
        if result.distance_m is None and not dated:
            return result
        order = np.searchsorted(found, result.positions)  # (found is ascending)
    else:
        order = np.lexsort(keys[::-1])
        result.positions = found[order]
    if result.distance_m is not None:
        result.distance_m = result.distance_m[order]
    if dated:
        result.festivals_near = {fid: close[order] for fid, close in result.festivals_near.items()}
        result.open_status = result.open_status[order]
    return result


FIXED_ORDERS: dict[str, Callable[[FarmStayIndex, np.ndarray], list[np.ndarray]]] = {
    # the sort keys of the orders that need no query, most significant first; ties go by id
    "stars": lambda index, p: [-index.stars[p], index.price[p], index.id_rank[p]],
    "price": lambda index, p: [index.price[p], -index.stars[p], index.id_rank[p]],
    "name": lambda index, p: [index.name_rank[p], index.id_rank[p]],
}


def _sort_keys(index: FarmStayIndex, result: FoundStays, sort: str) -> list[np.ndarray] | None:
    """The arrays to sort the found stays by, most significant first, ties by id; None when
    the order is one of FIXED_ORDERS (the stars' order when nothing else applies)."""
    found = result.positions
    ids = index.id_rank[found]
    if sort == "festival" and result.dated:
        closed_last = np.array([status == "closed" for status in result.open_status], dtype=np.int8)
        near_any = np.zeros(len(found), dtype=bool)
        for close in result.festivals_near.values():
            near_any |= close
        distance = [result.distance_m] if result.distance_m is not None else []
        return [closed_last, (~near_any).astype(np.int8), *distance, -index.stars[found], ids]
    if sort == "distance" and result.distance_m is not None:
        return [result.distance_m, ids]
    return None


# The map at any zoom -------------------------------------------------------------------------

ALL_SINGLE = 300     # this many stays in view or fewer: each is drawn (the browser splits overlaps)
CELL_PX = 64         # otherwise, stays are grouped in cells this many pixels wide
MAX_CELLS = 2500     # and the cells grow until the view holds at most this many


@dataclass(frozen=True)
class MapGroups:
    """What the map draws for the stays in view: single stays (positions) and groups."""
    singles: np.ndarray                 # positions of stays drawn one by one
    groups: list[dict]                  # {count, lon, lat, bounds, price_min, stars_max}


def cell_size(zoom: int, view: tuple[float, float, float, float]) -> float:
    """The width in pixels of the map's grouping cells for `view` at `zoom`: CELL_PX, or wider
    so that the view holds at most MAX_CELLS cells."""
    west, south, east, north = view
    (x0, x1), (y1, y0) = world_pixels(np.array([west, east]), np.array([south, north]), zoom)
    return max(CELL_PX, float(np.sqrt(abs((x1 - x0) * (y1 - y0)) / MAX_CELLS)))


def filters_nothing(query: FarmStayQuery) -> bool:
    """Whether the query keeps every stay (`matching`): dates, places and sorting only order
    and mark stays."""
    return all(v is None or v == "" for v in (query.stars_min, query.price_max, query.township, query.q,
                                              query.festival))


def map_groups(index: FarmStayIndex, positions: np.ndarray, zoom: int,
               view: tuple[float, float, float, float]) -> MapGroups:
    """The stays at `positions` (already those in `view`) as the map at `zoom` shows them: all
    of them when few, else grouped in a grid of cells on screen, a cell holding one stay
    showing that stay. The answer is at most MAX_CELLS items, whatever the view or zoom."""
    if len(positions) <= ALL_SINGLE:
        return MapGroups(positions, [])
    cell_px = cell_size(zoom, view)
    lon, lat = index.lon[positions], index.lat[positions]
    cell, counts = grid_cells(lon, lat, zoom, cell_px)
    alone = counts[cell] == 1
    grouped = ~alone
    cell_of, members = cell[grouped], positions[grouped]
    used, cell_of = np.unique(cell_of, return_inverse=True)
    n = np.bincount(cell_of)
    def reduce(values, how, start):
        out = np.full(len(used), start, dtype=float)
        how.at(out, cell_of, values)
        return out
    g_lon, g_lat = lon[grouped], lat[grouped]
    mean_lon, mean_lat = np.bincount(cell_of, g_lon) / n, np.bincount(cell_of, g_lat) / n
    west_, south_ = reduce(g_lon, np.minimum, np.inf), reduce(g_lat, np.minimum, np.inf)
    east_, north_ = reduce(g_lon, np.maximum, -np.inf), reduce(g_lat, np.maximum, -np.inf)
    price = reduce(index.price[members], np.minimum, np.inf)
    stars = reduce(index.stars[members], np.maximum, 0)
    groups = [{"count": int(n[i]), "lon": float(mean_lon[i]), "lat": float(mean_lat[i]),
               "bounds": [float(west_[i]), float(south_[i]), float(east_[i]), float(north_[i])],
               "price_min": float(price[i]), "stars_max": int(stars[i])} for i in range(len(used))]
    return MapGroups(positions[alone], groups)
