"""Planning a new industry base: what a proposed site falls in, overlaps, serves and changes,
and a ranked list of candidate sites for an industry.

All measuring is done in UTM 48N (metres); sites come in and results go out in WGS-84.
`PlanningContext` holds the projected layers and their spatial indexes, built once.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geoapp.analysis import CountyAnalysis
from geoapp.analysis.coverage import SERVED_BASE_KINDS, SERVING_ORGANISATION_KINDS
from geoapp.crs import (
    METRIC_CRS,
    SQUARE_METRES_PER_HECTARE,
    SQUARE_METRES_PER_MU,
    STORAGE_CRS,
    geometry_to_metric,
)
from geoapp.data.sites import SiteError, site_industry
from geoapp.layers import INDUSTRIES
from geoapp.messages import N_

SERVICE_RADIUS_M = 3_000
NEAREST_SAME_INDUSTRY = 3
REACH_CELL_M = 200   # the service area is measured on a grid of this spacing (see `service_area`)
CANDIDATE_SPACING_M = 1_000
CANDIDATE_MIN_SEPARATION_M = 2_000
CLEARANCE_FROM_BASES_M = 300
RESERVOIR_BELOW_M = 850  # Pubugou reservoir's full level: land below it is under water

# Where each industry grows in Hanyuan (metres above sea level). Planning assumptions from
# public descriptions of the county's crops; the agriculture office should confirm them.
ELEVATION_BANDS_M = {
    "sichuan_pepper": (1_100, 2_200), "peach": (900, 1_600), "pear": (1_000, 1_800), "apple": (1_500, 2_600),
    "cherry": (900, 1_800), "citrus": (850, 1_300), "vegetables": (850, 1_500), "walnut": (1_200, 2_400),
}
WEIGHTS = {"near_industry_bases": 0.35, "near_industry_cooperatives": 0.15, "zone_coverage": 0.25,
           "near_branch": 0.25, "elevation_fit": 0.25}
DECAY_M = {"near_industry_bases": 5_000, "near_industry_cooperatives": 5_000, "zone_coverage": 3_000,
           "near_branch": 3_000, "elevation_fit": 200}


# The context: layers projected once --------------------------------------------------------

@dataclass(frozen=True)
class Indexed:
    """A layer ready for one-site queries: metric geometries, attribute rows, an STRtree.
    (Row access through pandas costs more than the geometry work at this size.)"""
    geometries: np.ndarray
    rows: list[dict]
    tree: shapely.STRtree

    @classmethod
    def of(cls, frame: gpd.GeoDataFrame) -> Indexed:
        geometries = frame.geometry.to_numpy()
        return cls(geometries, frame.drop(columns="geometry").to_dict("records"), shapely.STRtree(geometries))

    def intersecting(self, site: BaseGeometry) -> np.ndarray:
        return np.sort(self.tree.query(site, predicate="intersects"))

    def nearest(self, site: BaseGeometry, k: int = 1) -> list[tuple[dict, float]]:
        """The k rows nearest `site` with their distance in metres, nearest first."""
        if not self.rows:
            return []
        distances = shapely.distance(self.geometries, site)
        return [(self.rows[i], float(distances[i])) for i in np.argsort(distances, kind="stable")[:k]]


@dataclass(frozen=True)
class Lattice:
    """Square cells `spacing` metres wide from `origin`, `columns` to a row; a cell's key is
    row × columns + column."""
    origin: tuple[float, float]
    spacing: float
    columns: int

    def cells(self, bounds: tuple) -> tuple[np.ndarray, np.ndarray]:
        """The column and row of every cell whose centre may lie within `bounds`."""
        minx, miny, maxx, maxy = bounds
        (x0, y0), s = self.origin, self.spacing
        columns = np.arange(max(int(np.floor((minx - x0) / s)), 0), min(int(np.ceil((maxx - x0) / s)) + 1, self.columns))
        rows = np.arange(max(int(np.floor((miny - y0) / s)), 0), int(np.ceil((maxy - y0) / s)) + 1)
        column_grid, row_grid = np.meshgrid(columns, rows)
        return column_grid.ravel().astype(np.int64), row_grid.ravel().astype(np.int64)

    def centres(self, columns: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        (x0, y0), s = self.origin, self.spacing
        return x0 + (columns + 0.5) * s, y0 + (rows + 0.5) * s


@dataclass(frozen=True)
class ReachGrid:
    """Cell centres on one lattice over the townships, each cell kept by the first township
    whose interior holds its centre, for measuring what share of each township lies near a
    site. Only the cells' lattice keys are held, not shapes: the grid is made township by
    township (`contains_xy` over each township's own bounds), so its cost follows the
    townships' area, not the extent of all of them (thirty counties side by side span a box
    four times their land)."""
    lattice: Lattice
    keys: np.ndarray                # lattice keys of the cells, sorted
    township: np.ndarray            # township row of each cell
    cells_per_township: np.ndarray  # how many cells each township has (at least 1)

    @classmethod
    def of(cls, townships: gpd.GeoDataFrame, spacing_m: float) -> ReachGrid:
        minx, miny, maxx, _maxy = townships.total_bounds
        lattice = Lattice((minx, miny), spacing_m, int(np.ceil((maxx - minx) / spacing_m)) + 1)
        keys, owners = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for row, geometry in enumerate(townships.geometry.to_numpy()):
            columns, rows = lattice.cells(geometry.bounds)
            inside = shapely.contains_xy(geometry, *lattice.centres(columns, rows))
            keys.append(rows[inside] * lattice.columns + columns[inside])
            owners.append(np.full(int(inside.sum()), row))
        every, owner = np.concatenate(keys), np.concatenate(owners)
        order = np.argsort(every, kind="stable")  # on a shared border the first township keeps the cell
        every, owner = every[order], owner[order]
        first = np.r_[True, every[1:] != every[:-1]][:len(every)]
        counts = np.maximum(np.bincount(owner[first], minlength=len(townships)), 1)
        return cls(lattice, every[first], owner[first], counts)

    def townships_near(self, site: BaseGeometry, radius_m: float) -> np.ndarray:
        """The township row of each cell whose centre lies within `radius_m` of `site` (only the
        cells in the site's bounds grown by the radius are looked at)."""
        minx, miny, maxx, maxy = site.bounds
        columns, rows = self.lattice.cells((minx - radius_m, miny - radius_m, maxx + radius_m, maxy + radius_m))
        wanted = rows * self.lattice.columns + columns
        at = np.minimum(np.searchsorted(self.keys, wanted), max(len(self.keys) - 1, 0))
        held = (self.keys[at] == wanted) if len(self.keys) else np.zeros(len(wanted), bool)
        shapely.prepare(site)
        near = shapely.dwithin(site, shapely.points(*self.lattice.centres(columns[held], rows[held])), radius_m)
        return self.township[at[held][near]]


@dataclass
class PlanningContext:
    analysis: CountyAnalysis
    dem_path: Path | None = None

    def _metric(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return frame.to_crs(METRIC_CRS)

    @cached_property
    def county(self) -> BaseGeometry:
        return self._metric(self.analysis.dataset["county"]).geometry.union_all()

    @cached_property
    def townships(self) -> gpd.GeoDataFrame:
        return self._metric(self.analysis.townships)

    @cached_property
    def zones(self) -> gpd.GeoDataFrame:
        return self._metric(self.analysis.zones)

    @cached_property
    def bases(self) -> gpd.GeoDataFrame:
        return self._metric(self.analysis.dataset["industry_bases"])

    @cached_property
    def branches(self) -> gpd.GeoDataFrame:
        orgs = self.analysis.dataset["party_organisations"]
        return self._metric(orgs[orgs.kind.isin(SERVING_ORGANISATION_KINDS)])

    @cached_property
    def training_bases(self) -> gpd.GeoDataFrame:
        return self.bases[self.bases.kind == "training"]

    @cached_property
    def cooperatives(self) -> gpd.GeoDataFrame:
        coops = self.analysis.dataset["cooperatives"]
        return self._metric(coops[coops.kind == "cooperative"])

    @cached_property
    def reach_grid(self) -> ReachGrid:
        return ReachGrid.of(self.townships, REACH_CELL_M)

    @cached_property
    def indexed(self) -> dict[str, Indexed]:
        return {"townships": Indexed.of(self.townships), "zones": Indexed.of(self.zones),
                "bases": Indexed.of(self.bases), "branches": Indexed.of(self.branches),
                "training_bases": Indexed.of(self.training_bases)}

    def same_industry(self, industry: str) -> Indexed:
        """The production and cooperative bases of `industry`, indexed (kept per industry)."""
        if industry not in self._same_industry:
            bases = self.bases
            self._same_industry[industry] = Indexed.of(
                bases[(bases.industry == industry) & bases.kind.isin(SERVED_BASE_KINDS)])
        return self._same_industry[industry]

    def __post_init__(self):
        self._same_industry: dict[str, Indexed] = {}

    def warm(self) -> PlanningContext:
        """Project every layer and build the spatial indexes now rather than on a request."""
        for frame in (self.townships, self.zones, self.bases, self.branches, self.training_bases, self.cooperatives):
            frame.sindex  # noqa: B018 - builds the index
        self.county  # noqa: B018
        for industry in INDUSTRIES:
            self.same_industry(industry)
        self.indexed  # noqa: B018
        self.reach_grid  # noqa: B018
        return self


def _named(row: dict, **extra) -> dict:
    return {"id": row["id"], "name_zh": row["name_zh"], "name_en": row["name_en"], **extra}


# Analysing one site -------------------------------------------------------------------------

def analyse_site(context: PlanningContext, site_wgs84: BaseGeometry, industry: str,
                 service_radius_m: float = SERVICE_RADIUS_M) -> dict:
    """Everything the planning office asks of a proposed base (see the module docstring).
    Raises SiteError(422) when the site is not inside the county."""
    site = geometry_to_metric(site_wgs84)
    if not context.county.contains(site):
        if context.county.intersects(site):
            raise SiteError(N_("the site lies partly outside Hanyuan County; propose a site inside the county"),
                            status=422)
        raise SiteError(N_("the site lies outside Hanyuan County; propose a site inside the county"), status=422)
    index = context.indexed
    is_area = site.geom_type != "Point"
    site_area = site.area if is_area else 0.0

    def shares(layer: Indexed, hits: np.ndarray) -> np.ndarray:
        if not is_area:
            return np.ones(len(hits))
        return shapely.area(shapely.intersection(layer.geometries[hits], site)) / site_area

    result: dict = {"industry": industry, "geometry_type": site.geom_type,
                    "area_mu": round(site_area / SQUARE_METRES_PER_MU, 1) if is_area else None,
                    "area_ha": round(site_area / SQUARE_METRES_PER_HECTARE, 2) if is_area else None}
    hits = index["townships"].intersecting(site)
    result["townships"] = [
        {"code": t["code"], "name_zh": t["name_zh"], "name_en": t["name_en"], "served": bool(t["served"]),
         "share": round(float(share), 3)}
        for t, share in zip((index["townships"].rows[i] for i in hits), shares(index["townships"], hits))]
    hits = index["zones"].intersecting(site)
    result["zones"] = [_named(z, lead_industry=z["lead_industry"], share=round(float(share), 3))
                       for z, share in zip((index["zones"].rows[i] for i in hits), shares(index["zones"], hits))]
    if not result["zones"]:
        (zone, metres), = index["zones"].nearest(site)
        result["nearest_zone"] = _named(zone, distance_m=round(metres))
    hits = index["bases"].intersecting(site)
    overlap = shapely.area(shapely.intersection(index["bases"].geometries[hits], site))
    result["overlaps"] = [
        _named(b, industry=b["industry"], kind=b["kind"], overlap_mu=round(float(a) / SQUARE_METRES_PER_MU, 1),
               share_of_site=round(float(a) / site_area, 3) if is_area else 1.0)
        for b, a in zip((index["bases"].rows[i] for i in hits), overlap)]
    result["nearest_same_industry"] = [_named(b, kind=b["kind"], distance_m=round(m)) for b, m in
                                       context.same_industry(industry).nearest(site, NEAREST_SAME_INDUSTRY)]
    (branch, metres), = index["branches"].nearest(site)
    result["nearest_branch"] = _named(branch, kind=branch["kind"], distance_m=round(metres))
    training = index["training_bases"].nearest(site)
    result["nearest_training_base"] = _named(training[0][0], distance_m=round(training[0][1])) if training else None
    result["service_area"] = service_area(context, site, service_radius_m)
    result["coverage"] = coverage_change(context, result, industry)
    return result


def service_area(context: PlanningContext, site: BaseGeometry, radius_m: float) -> dict:
    """Households benefiting, population and villages within `radius_m` of the site, estimated
    by the share of each township's area inside the radius (the data has no village points).

    The share is counted on a grid of REACH_CELL_M cells over the county (the cells whose centre
    lies within the radius), not by buffering the site: a buffer's cost grows with the square of
    a many-part or comb-shaped site's vertices (minutes for 2,400 tiny triangles), the grid's
    stays bounded by the county's size (under 0.1 s) whatever the site's shape."""
    grid = context.reach_grid
    inside = np.bincount(grid.townships_near(site, radius_m), minlength=len(grid.cells_per_township))
    townships = context.indexed["townships"]
    rows, missing = [], []
    households = population = villages = 0.0
    for i in np.flatnonzero(inside):
        t = townships.rows[i]
        share = float(inside[i]) / float(grid.cells_per_township[i])
        households += share * t["households_benefiting"]
        if pd.notna(t["population"]):
            population += share * t["population"]
        if pd.notna(t["villages"]):
            villages += share * t["villages"]
        if pd.isna(t["population"]) or pd.isna(t["villages"]):
            missing.append(t["code"])
        rows.append({"code": t["code"], "name_zh": t["name_zh"], "name_en": t["name_en"], "share": round(share, 3)})
    return {"radius_m": radius_m, "townships": rows, "households_benefiting": round(households),
            "population": round(population), "villages": round(villages),
            "villages_about": 0 < villages < 1.5,  # "about 1": never "1.2 villages"
            "townships_without_population_or_villages": missing,
            "method": f"share of each township's {REACH_CELL_M} m grid cells within the radius"}


def coverage_change(context: PlanningContext, result: dict, industry: str) -> dict:
    """What the base would change in the coverage figures, as numbers and as sentences."""
    changes: dict = {"bases_outside_zones": 0, "zone_base_area_mu": {}, "closable_township_gaps": [],
                     "statements": []}
    area_mu = result["area_mu"] or 0.0
    if not result["zones"]:
        nearest = result["nearest_zone"]
        changes["bases_outside_zones"] = 1
        changes["statements"].append(
            {"code": "outside_zone", "zone": nearest["id"], "distance_m": nearest["distance_m"]})
    for zone in result["zones"]:
        added = round(area_mu * zone["share"], 1)
        changes["zone_base_area_mu"][zone["id"]] = added
        changes["statements"].append({"code": "adds_to_zone" if result["area_mu"] else "in_zone", "zone": zone["id"],
                                      "area_mu": added, "lead_industry": zone["lead_industry"] == industry,
                                      "zone_industry": zone["lead_industry"]})
    for township in result["townships"]:
        if not township["served"]:
            changes["closable_township_gaps"].append(township["code"])
            changes["statements"].append({"code": "closes_township_gap", "township": township["code"]})
    nearest_same = result["nearest_same_industry"]
    if not nearest_same or nearest_same[0]["distance_m"] > 10_000:
        changes["statements"].append({"code": "new_area_for_industry",
                                      "distance_m": nearest_same[0]["distance_m"] if nearest_same else None})
    if any(o["overlap_mu"] > 0 for o in result["overlaps"]):
        changes["statements"].append({"code": "overlaps", "bases": [o["id"] for o in result["overlaps"]]})
    return changes


# Ranking candidate sites ---------------------------------------------------------------------

def _closeness(metres: np.ndarray, decay_m: float) -> np.ndarray:
    """1 at 0 m, 0.37 at `decay_m`, towards 0 beyond: how close, as a score."""
    return np.exp(-np.asarray(metres, dtype=float) / decay_m)


def _distance_to(points: gpd.GeoSeries, targets: gpd.GeoDataFrame) -> np.ndarray:
    if targets.empty:
        return np.full(len(points), np.inf)
    (rows, _), distances = targets.sindex.nearest(points, return_distance=True, return_all=False)
    ordered = np.full(len(points), np.inf)
    ordered[rows] = distances
    return ordered


def elevation_at(dem_path: Path, points: gpd.GeoSeries) -> np.ndarray:
    """Elevation (m) at each point from a GeoTIFF; NaN outside the raster or on no-data."""
    import rasterio  # only needed when an elevation raster is configured

    with rasterio.open(dem_path) as dem:
        xy = points.to_crs(dem.crs)
        values = np.array([v[0] for v in dem.sample(zip(xy.x, xy.y))], dtype=float)
        if dem.nodata is not None:
            values[values == dem.nodata] = np.nan
        inside = ((xy.x >= dem.bounds.left) & (xy.x <= dem.bounds.right) &
                  (xy.y >= dem.bounds.bottom) & (xy.y <= dem.bounds.top)).to_numpy()
        values[~inside] = np.nan
    return values


def candidate_grid(context: PlanningContext, spacing_m: float = CANDIDATE_SPACING_M) -> gpd.GeoSeries:
    """Points every `spacing_m` inside the county, at least CLEARANCE_FROM_BASES_M from any base."""
    minx, miny, maxx, maxy = context.county.bounds
    xs, ys = np.meshgrid(np.arange(minx + spacing_m / 2, maxx, spacing_m),
                         np.arange(miny + spacing_m / 2, maxy, spacing_m))
    points = gpd.GeoSeries(shapely.points(xs.ravel(), ys.ravel()), crs=METRIC_CRS)
    points = points[points.within(context.county)]
    near_base = _distance_to(points, context.bases) < CLEARANCE_FROM_BASES_M
    return points[~near_base].reset_index(drop=True)


def candidate_sites(context: PlanningContext, industry: str, n: int = 10) -> dict:
    """The `n` best sites for a new `industry` base, with each factor's value, weight and score.

    Factors (each 0–1): closeness to the industry's bases and to its cooperatives; zone
    coverage (1 in a zone led by the industry, 0.7 in another zone, decaying with distance
    outside); closeness to a serving party branch; and, with an elevation raster, the fit to
    the industry's elevation band. Excluded: within CLEARANCE_FROM_BASES_M of a base (no
    overlaps) and, with an elevation raster, land below the reservoir's level."""
    if industry not in INDUSTRIES:
        site_industry(industry)
    points = candidate_grid(context)
    bases = context.bases
    same = bases[(bases.industry == industry) & bases.kind.isin(SERVED_BASE_KINDS)]
    coops = context.cooperatives[context.cooperatives.industry == industry]
    zones = context.zones
    raw = {"near_industry_bases": _distance_to(points, same),
           "near_industry_cooperatives": _distance_to(points, coops),
           "zone_coverage": _distance_to(points, zones),
           "near_branch": _distance_to(points, context.branches)}
    scores = {key: _closeness(raw[key], DECAY_M[key]) for key in ("near_industry_bases",
                                                                  "near_industry_cooperatives", "near_branch")}
    in_zone = raw["zone_coverage"] == 0
    led = np.zeros(len(points), dtype=bool)
    for zone in zones[zones.lead_industry == industry].geometry:
        led |= points.within(zone).to_numpy()
    scores["zone_coverage"] = np.where(led, 1.0, np.where(in_zone, 0.7,
                                                          0.5 * _closeness(raw["zone_coverage"], DECAY_M["zone_coverage"])))
    weights = {k: WEIGHTS[k] for k in scores}
    notes = []
    keep = np.ones(len(points), dtype=bool)
    if context.dem_path:
        elevation = elevation_at(context.dem_path, points)
        low, high = ELEVATION_BANDS_M[industry]
        outside_band = np.where(elevation < low, low - elevation, np.where(elevation > high, elevation - high, 0))
        raw["elevation_fit"] = elevation
        scores["elevation_fit"] = np.where(np.isnan(elevation), 0.0, _closeness(outside_band, DECAY_M["elevation_fit"]))
        weights["elevation_fit"] = WEIGHTS["elevation_fit"]
        keep &= ~(elevation < RESERVOIR_BELOW_M)
        notes.append({"code": "elevation", "band_m": [low, high], "reservoir_below_m": RESERVOIR_BELOW_M})
    else:
        notes.append({"code": "no_elevation"})
    total = sum(weights.values())
    score = sum(weights[k] * scores[k] for k in weights) / total
    order = [i for i in np.argsort(-score, kind="stable") if keep[i]]
    chosen: list[int] = []
    for i in order:  # the best sites, spread out: none within the separation of a better one
        if all(points.iloc[i].distance(points.iloc[j]) >= CANDIDATE_MIN_SEPARATION_M for j in chosen):
            chosen.append(i)
        if len(chosen) == n:
            break
    located = gpd.GeoSeries(points.iloc[chosen].to_numpy(), crs=METRIC_CRS)
    wgs = located.to_crs(STORAGE_CRS)
    candidates = []
    for rank, (i, point, place) in enumerate(zip(chosen, wgs, located), start=1):
        factors = {k: {"weight": round(weights[k] / total, 3), "score": round(float(scores[k][i]), 3),
                       "value": None if not math.isfinite(raw[k][i]) else round(float(raw[k][i]))}
                   for k in weights}
        candidates.append({"rank": rank, "lon": round(point.x, 6), "lat": round(point.y, 6),
                           "score": round(float(score[i]), 3), "factors": factors,
                           **describe_place(context, place, industry, same, coops)})
    return {"industry": industry, "candidates": candidates, "notes": notes,
            "weights": {k: round(w / total, 3) for k, w in weights.items()},
            "grid_spacing_m": CANDIDATE_SPACING_M, "considered": int(keep.sum())}


def describe_place(context: PlanningContext, place: BaseGeometry, industry: str, same: gpd.GeoDataFrame,
                   coops: gpd.GeoDataFrame) -> dict:
    """Where a candidate site is and why it scores as it does, in things a planner knows: its
    township, the zone it lies in (or the nearest), the nearest base and cooperative of the
    industry and the nearest party branch, each named with its distance. The factors' words
    (`reasons`) are codes and values the page puts into its language; equal values read alike
    ("inside a zone led by pepper" scores 1.00, "inside a zone led by another industry" 0.70)."""
    townships = context.indexed["townships"]
    hits = townships.intersecting(place)
    township = townships.rows[hits[0]] if len(hits) else townships.nearest(place)[0][0]
    zones = context.indexed["zones"]
    inside = zones.intersecting(place)
    reasons = []
    if len(inside):
        zone, zone_distance = zones.rows[inside[0]], 0
        reasons.append({"factor": "zone_coverage", "code": "in_lead_zone" if zone["lead_industry"] == industry
                        else "in_other_zone", "zone": _named(zone)})
    else:
        zone, zone_distance = zones.nearest(place)[0]
        reasons.append({"factor": "zone_coverage", "code": "near_zone", "zone": _named(zone),
                        "distance_m": round(zone_distance)})
    for factor, frame, code in (("near_industry_bases", same, "near_base"),
                                ("near_industry_cooperatives", coops, "near_cooperative"),
                                ("near_branch", context.branches, "near_branch")):
        if frame.empty:
            reasons.append({"factor": factor, "code": "none_of_industry"})
            continue
        distances = frame.geometry.distance(place)
        nearest = frame.loc[distances.idxmin()]
        reasons.append({"factor": factor, "code": code, "target": _named(nearest), "distance_m": round(distances.min())})
    return {"township": township["code"], "township_name": {"zh": township["name_zh"], "en": township["name_en"]},
            "zone": _named(zone, distance_m=round(zone_distance)), "reasons": reasons}
