"""Small helpers of the generator: random places in a shape (metres), blobs of a given area, totals
split into parts, and the article's figures as the targets rows add up to."""
from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from geoapp.figures import FIGURES_BY_KEY


def target(key: str) -> int:
    """The figure the rows must add up to: the article's, a little above it where it says 余."""
    figure = FIGURES_BY_KEY[key]
    if not figure.at_least:
        return figure.value
    return figure.value + max(1, round(figure.value * 0.025))  # "190余" -> 195


def random_point_in(rng: np.random.Generator, area: shapely.Geometry, tries: int = 10_000) -> Point:
    """A uniformly random point inside `area`, by rejection from its bounds."""
    minx, miny, maxx, maxy = area.bounds
    prepared = shapely.prepared.prep(area) if hasattr(shapely, "prepared") else area
    for _ in range(tries):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if prepared.contains(p):
            return p
    raise ValueError("no room for a point in this area")


def blob(rng: np.random.Generator, centre: Point, area_m2: float, vertices: int = 14) -> Polygon:
    """An irregular, roughly round polygon of about `area_m2` around `centre`."""
    radius = np.sqrt(area_m2 / np.pi)
    angles = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    radii = radius * rng.uniform(0.78, 1.22, vertices)
    ring = np.column_stack([centre.x + radii * np.cos(angles), centre.y + radii * np.sin(angles)])
    return shapely.make_valid(Polygon(ring)).convex_hull


def split_total(rng: np.random.Generator, total: int, weights: np.ndarray, minimum: int = 0) -> np.ndarray:
    """Integers proportional to `weights` (with noise), each >= minimum, summing to `total`."""
    weights = np.asarray(weights, dtype=float) * rng.uniform(0.7, 1.3, len(weights))
    parts = np.full(len(weights), minimum, dtype=np.int64)
    rest = total - parts.sum()
    share = np.floor(rest * weights / weights.sum()).astype(np.int64)
    parts += share
    parts[np.argmax(weights)] += total - parts.sum()
    return parts


def pinyin_title(text: str) -> str:
    from pypinyin import lazy_pinyin
    return "".join(lazy_pinyin(text)).title()


