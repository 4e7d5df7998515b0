"""Maps drawn on the server (matplotlib), for the PDF report and the proposal sheet: no tiles,
no browser. They read the same layer table as the web map (`geoapp.maps.coverage`): the same
colours, the same names in the same places, a legend of every symbol, a scale bar and the
data's provenance.
"""
from __future__ import annotations

import io
import itertools
from functools import lru_cache

import geopandas as gpd
import matplotlib
import numpy as np
import shapely

matplotlib.use("Agg")  # no screen on a server
import matplotlib.patheffects
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.path import Path

from geoapp.crs import METRIC_CRS, STORAGE_CRS
from geoapp.formats import clipped
from geoapp.maps.coverage import (
    CLASS_COLOURS,
    GAP_COLOUR,
    LAYERS_BY_KEY,
    WITHHELD,
    WITHHELD_COLOUR,
    ZERO_COLOUR,
    ZONE_COLOURS,
    CoverageMap,
    label_point,
)

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "Source Han Sans SC")


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """The installed font family that draws Chinese (Debian's fonts-noto-cjk), or None."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(CJK_FAMILIES):  # installed after matplotlib's font cache was built
        for path in font_manager.findSystemFonts():
            if "CJK" in path or "wqy" in path.lower():
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:  # a font file matplotlib cannot read is skipped
                    continue
        names = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in names), None)


def cjk_font_path() -> str | None:
    """The file of the CJK font (for Pillow, which draws the base map's names)."""
    family = cjk_family()
    if family is None:
        return None
    return font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)


def _style(family: str | None):
    return {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "font.size": 8,
            "axes.unicode_minus": False}


def _symbol_handles(layers: CoverageMap, keys, zones_shown=None) -> list:
    """The legend's entries of the layers `keys`; of the zones only those at the positions
    `zones_shown` (a zone's map lists the zones it shows, not every zone of the data)."""
    handles = []
    for key in keys:
        layer = LAYERS_BY_KEY[key]
        for position, symbol in layer.symbols(layers).items():
            if key == "zones" and zones_shown is not None and position not in zones_shown:
                continue
            style = {**layer.base, **symbol.style}
            label = symbol.label if symbol.literal else layers._(symbol.label)
            if symbol.shape in ("area",):
                handles.append(Patch(facecolor=style.get("fillColor", "#ccc"), edgecolor=style.get("color", "#555"),
                                     label=label))
            elif symbol.shape in ("dashed", "gap-outline"):
                handles.append(Patch(facecolor="none", edgecolor=style.get("color"), linestyle="--", linewidth=1.5,
                                     label=label))
            elif symbol.shape == "ring":
                handles.append(Line2D([], [], marker="o", markersize=9, markerfacecolor="none",
                                      markeredgecolor=style.get("color"), markeredgewidth=2, linestyle="", label=label))
            elif symbol.shape == "dot":
                handles.append(Line2D([], [], marker="o", markersize=max(3, style.get("radius", 5)),
                                      markerfacecolor=style.get("fillColor"), markeredgecolor="#555",
                                      linestyle="", label=label))
            else:
                handles.append(Line2D([], [], color=style.get("color", "#999"), label=label))
    return handles


def _draw_labels(ax, points, names, fontsize: float, taken: list, weight: str = "normal", colour: str = "#222"):
    """Names at `points` (in priority order), each left out when it would overlap a name already
    on the map (`taken`, shared by every call for one map) or stick out of the map. The callers
    pass only the names of what lies in the map's window; the names kept cannot overlap, so
    `taken` holds at most what fits on the page, whatever the data's size."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer=renderer)
    for point, name in zip(points, names):
        text = ax.text(point.x, point.y, clipped(name), ha="center", va="center", fontsize=fontsize, weight=weight,
                       color=colour, zorder=9, clip_on=True,
                       path_effects=[matplotlib.patheffects.withStroke(linewidth=2.5, foreground="white")])
        box = text.get_window_extent(renderer=renderer).expanded(1.05, 1.15)
        inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
        if not inside or any(box.overlaps(other) for other in taken):
            text.remove()
        else:
            taken.append(box)


def _paths(geometries) -> list[Path]:
    """One matplotlib path per polygon or multipolygon (its parts' rings as sub-paths), the coordinates
    and codes of all of them made at once: 40,000 townships take a few array passes and a path
    object each, not a loop over every ring in Python."""
    shapes = np.asarray(geometries, dtype=object)
    if not len(shapes):
        return []
    parts, shape_of_part = shapely.get_parts(shapes, return_index=True)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    vertices, ring_of_vertex = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(vertices), Path.LINETO, dtype=Path.code_type)
    starts = np.flatnonzero(np.r_[True, ring_of_vertex[1:] != ring_of_vertex[:-1]])
    codes[starts] = Path.MOVETO
    codes[np.r_[starts[1:], len(vertices)] - 1] = Path.CLOSEPOLY
    shape_of_vertex = shape_of_part[part_of_ring[ring_of_vertex]]
    bounds = np.searchsorted(shape_of_vertex, np.arange(len(shapes) + 1))
    # (a path for every shape, an empty one for an empty shape: colours go by position)
    return [Path(vertices[a:b], codes[a:b]) for a, b in itertools.pairwise(bounds)]


def _shapes(ax, frame: gpd.GeoDataFrame, zorder: float, **style) -> None:
    """Draw the shapes of `frame` as one collection (filled unless facecolor="none"), from its
    "path" column when it has one (`SheetLayers.townships`: made once for every map)."""
    if len(frame):
        paths = frame["path"].tolist() if "path" in frame else _paths(frame.geometry)
        ax.add_collection(PathCollection(paths, zorder=zorder, **style), autolim=False)


def _in(frame: gpd.GeoDataFrame, window: tuple | None) -> gpd.GeoDataFrame:
    """The rows of `frame` whose shapes meet `window` (minx, miny, maxx, maxy), in their order;
    every row when `window` is None."""
    if window is None:
        return frame
    return frame.iloc[np.sort(frame.sindex.query(shapely.box(*window)))]


NAMES_TRIED = 300  # the townships a map tries to name, the largest first


def _label_points(geometries) -> gpd.GeoSeries:
    return gpd.GeoSeries([label_point(g) for g in geometries], index=geometries.index, crs=geometries.crs)


class SheetLayers:
    """The coverage map's layers in metres, made once for every map drawn from them (the report
    draws the county and then each zone; a zone page and a proposal sheet draw one): projected
    once, their names' places found once, each with a tree, so that a map of a window draws
    only what lies in it and costs what it shows, not what the dataset holds."""

    def __init__(self, layers: CoverageMap):
        self.layers = layers
        analysis = layers.analysis
        colours = {0: ZERO_COLOUR, WITHHELD: WITHHELD_COLOUR, **dict(enumerate(CLASS_COLOURS, start=1))}
        self.townships = analysis.townships.to_crs(METRIC_CRS)
        self.townships["shade"] = [colours[c] for c in layers.classes()]
        self.townships = self.townships.iloc[np.argsort(-self.townships.geometry.area.to_numpy(), kind="stable")]
        self.townships["path"] = _paths(self.townships.geometry)  # (the report's six maps made them six times)
        self._label_at: dict = {}  # where a township's name goes, found when a map first tries it
        self.zones = analysis.zones.to_crs(METRIC_CRS)
        self.zones["position"] = range(len(self.zones))  # the legend's key of a zone's symbol
        self.zones["colour"] = [ZONE_COLOURS[i % len(ZONE_COLOURS)] for i in self.zones.position]
        self.zones["label_at"] = _label_points(self.zones.geometry)
        self.county = analysis.dataset["county"].to_crs(METRIC_CRS)
        self.bases = layers.frame("industry_bases").to_crs(METRIC_CRS)
        self.all_bases = analysis.dataset["industry_bases"].to_crs(METRIC_CRS)
        self.organisations = layers.frame("party_organisations").to_crs(METRIC_CRS)
        self.cooperatives = layers.frame("cooperatives").to_crs(METRIC_CRS)
        gaps = layers.frame("gap_bases").to_crs(METRIC_CRS)
        self.gap_bases = gaps.set_geometry(gaps.geometry.representative_point())
        for frame in (self.townships, self.zones, self.county, self.bases, self.all_bases, self.organisations,
                      self.cooperatives, self.gap_bases):
            frame.sindex  # noqa: B018 — built now, once, for every map's window

    def named_townships(self, townships: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
        """The largest NAMES_TRIED of `townships` (rows of `self.townships`, so largest first) and
        where their names go: a map of 40,000 townships tries 300 names, not 40,000 (a page
        holds fewer), and each place is found once for every map."""
        tried = townships.iloc[:NAMES_TRIED]
        new = [i for i in tried.index if i not in self._label_at]
        self._label_at.update(zip(new, _label_points(tried.geometry.loc[new])))
        return tried, gpd.GeoSeries([self._label_at[i] for i in tried.index], index=tried.index, crs=METRIC_CRS)

    def zone(self, zone_id: str):
        return self.zones.geometry[self.zones.id == zone_id].iloc[0]

    def extent(self) -> tuple:
        """The county's bounds with a small margin (the whole-county map's window)."""
        minx, miny, maxx, maxy = shapely.union_all([shapely.box(*self.townships.total_bounds),
                                                    shapely.box(*self.county.total_bounds)]).bounds
        margin = 0.02 * max(maxx - minx, maxy - miny)
        return minx - margin, miny - margin, maxx + margin, maxy + margin


def _scale_bar(ax, length_m: float = 10_000):
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([x, x + length_m], [y, y], color="#222", linewidth=3, solid_capstyle="butt", zorder=10)
    ax.text(x + length_m / 2, y + 0.015 * (y1 - y0), f"{length_m / 1000:g} km", ha="center", fontsize=7, zorder=10)
    ax.annotate("N", xy=(x1 - 0.04 * (x1 - x0), y1 - 0.05 * (y1 - y0)),
                xytext=(x1 - 0.04 * (x1 - x0), y1 - 0.13 * (y1 - y0)),
                arrowprops={"arrowstyle": "-|>", "color": "#222"}, ha="center", fontsize=9, weight="bold")


def _window(ax, window: tuple) -> None:
    ax.set_xlim(window[0], window[2])
    ax.set_ylim(window[1], window[3])
    ax.set_aspect("equal", adjustable="box")


def coverage_figure(sheet: SheetLayers, zone_id: str | None = None, size=(10.6, 6.6), dpi: int = 170) -> bytes:
    """The coverage map (townships shaded by the indicator, zones, bases, party organisations,
    gaps) as PNG bytes — of the whole county, or of one zone and its surroundings — with names,
    a legend of every symbol, a scale bar and a north arrow. A zone's map draws only what lies
    within 3 km of the zone."""
    layers = sheet.layers
    window = None if zone_id is None else sheet.zone(zone_id).buffer(3_000).bounds
    with plt.rc_context(_style(cjk_family())):
        figure = plt.figure(figsize=size, dpi=dpi)
        ax = figure.add_axes((0.01, 0.03, 0.70, 0.96))
        key_ax = figure.add_axes((0.72, 0.03, 0.27, 0.96))
        ax.set_axis_off()
        key_ax.set_axis_off()
        townships = _in(sheet.townships, window)
        _shapes(ax, townships, 1, facecolors=townships.shade.tolist(), edgecolors="#666", linewidths=0.5)
        _shapes(ax, townships[~townships.served], 3, facecolors="none", edgecolors=GAP_COLOUR, linewidths=1.2,
                linestyles=[(0, (1, 2))])
        _shapes(ax, _in(sheet.county, window), 4, facecolors="none", edgecolors="#7f1d1d", linewidths=1.4)
        zones = _in(sheet.zones, window)
        _shapes(ax, zones, 2, facecolors=zones.colour.tolist(), edgecolors="none", alpha=0.12)
        _shapes(ax, zones, 5, facecolors="none", edgecolors=zones.colour.tolist(), linewidths=2,
                linestyles="--")
        bases = _in(sheet.bases, window)
        for kind, symbol in LAYERS_BY_KEY["industry_bases"].symbols(layers).items():
            _shapes(ax, bases[bases.kind == kind], 6, facecolors=symbol.style["fillColor"], alpha=0.7,
                    edgecolors=symbol.style["color"], linewidths=0.5)
        organisations = _in(sheet.organisations, window)
        for kind, symbol in LAYERS_BY_KEY["party_organisations"].symbols(layers).items():
            part = organisations[organisations.kind == kind]
            if len(part):
                ax.scatter(part.geometry.x, part.geometry.y, s=symbol.style["radius"] ** 2 * 1.2,
                           c=symbol.style["fillColor"], edgecolors="white", linewidths=0.5, zorder=7)
        gap_bases = _in(sheet.gap_bases, window)
        ax.scatter(gap_bases.geometry.x, gap_bases.geometry.y, s=140, facecolors="none", edgecolors=GAP_COLOUR,
                   linewidths=1.8, zorder=8)
        if zone_id is not None:
            cooperatives = _in(sheet.cooperatives, window)
            for kind, symbol in LAYERS_BY_KEY["cooperatives"].symbols(layers).items():
                part = cooperatives[cooperatives.kind == kind]
                ax.scatter(part.geometry.x, part.geometry.y, s=symbol.style["radius"] ** 2 * 1.5,
                           c=symbol.style["fillColor"], edgecolors=symbol.style["color"], linewidths=0.5, zorder=7)
        _window(ax, window or sheet.extent())
        ax.apply_aspect()  # where the map sits on the page, which the names' boxes need (not a whole draw)
        taken: list = []
        _draw_labels(ax, zones.label_at, zones[layers.name_column], 8.5, taken, "bold", "#3a0c0c")
        named, places = sheet.named_townships(townships)
        _draw_labels(ax, places, named[layers.name_column], 6.5 if zone_id is None else 7.5, taken)
        if zone_id is not None:
            general = organisations[organisations.kind == "general"]
            _draw_labels(ax, general.geometry, general[layers.name_column], 6, taken, colour="#5b1a10")
        _scale_bar(ax, 10_000 if zone_id is None else 2_000)
        keys = ["townships", "zones", "gap_townships", "gap_bases", "industry_bases", "party_organisations"]
        if zone_id is not None:
            keys.append("cooperatives")
        handles = _symbol_handles(layers, keys, None if zone_id is None else set(zones.position))
        legend = key_ax.legend(handles=handles, loc="center left", fontsize=6.5, frameon=False,
                               title=layers.metric_title(), title_fontsize=8)
        legend._legend_box.align = "left"
        figure.text(0.01, 0.01, layers._("All but the county boundary is illustrative data"), fontsize=6, color="#555")
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=dpi)
        plt.close(figure)
    return out.getvalue()


def site_figure(sheet: SheetLayers, site_wgs84, nearest_ids: list[str], size=(7.2, 5.2), dpi: int = 170) -> bytes:
    """A proposed site (WGS-84) on its surroundings (4 km around it): township and zone
    boundaries with names, the industry bases around it (the nearest ones outlined in red),
    party branches, a scale bar."""
    layers = sheet.layers
    site = gpd.GeoSeries([site_wgs84], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
    window = site.buffer(4_000).bounds
    with plt.rc_context(_style(cjk_family())):
        figure = plt.figure(figsize=size, dpi=dpi)
        ax = figure.add_axes((0.01, 0.01, 0.98, 0.98))
        ax.set_axis_off()
        townships = _in(sheet.townships, window)
        _shapes(ax, townships, 1, facecolors="#f7f4ee", edgecolors="#777", linewidths=0.6)
        zones = _in(sheet.zones, window)
        _shapes(ax, zones, 3, facecolors="none", edgecolors=zones.colour.tolist(), linewidths=2, linestyles="--")
        bases = _in(sheet.all_bases, window)
        _shapes(ax, bases, 4, facecolors="#4d9221", edgecolors="none", alpha=0.6)
        nearest = bases[bases.id.isin(nearest_ids)]
        _shapes(ax, nearest, 5, facecolors="none", edgecolors=GAP_COLOUR, linewidths=1.5)
        organisations = _in(sheet.organisations, window)
        ax.scatter(organisations.geometry.x, organisations.geometry.y, s=14, c="#ef8a62", edgecolors="white",
                   linewidths=0.4, zorder=6)
        if site.geom_type == "Point":
            ax.scatter([site.x], [site.y], s=160, marker="*", c="#111", zorder=8)
        else:
            _shapes(ax, gpd.GeoDataFrame(geometry=[site], crs=METRIC_CRS), 8, facecolors="#11111140",
                    edgecolors="#111", linewidths=2)
        _window(ax, window)
        ax.apply_aspect()  # (as coverage_figure)
        taken: list = []
        _draw_labels(ax, zones.label_at, zones[layers.name_column], 8, taken, "bold", "#3a0c0c")
        named, places = sheet.named_townships(townships)
        _draw_labels(ax, places, named[layers.name_column], 8, taken)
        _draw_labels(ax, nearest.geometry.representative_point(), nearest[layers.name_column], 6.5, taken,
                     colour="#7a0c0c")
        _scale_bar(ax, 1_000)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=dpi)
        plt.close(figure)
    return out.getvalue()
