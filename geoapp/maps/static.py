"""Maps drawn on the server (matplotlib), for the PDF report and the proposal sheet: no tiles,
no browser. They read the same layer table as the web map (`geoapp.maps.coverage`): the same
colours, the same names in the same places, a legend of every symbol, a scale bar and the
data's provenance.
"""
from __future__ import annotations

import io
from functools import lru_cache

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no screen on a server
import matplotlib.patheffects
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

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


def _symbol_handles(layers: CoverageMap, keys) -> list:
    handles = []
    for key in keys:
        layer = LAYERS_BY_KEY[key]
        for symbol in layer.symbols(layers).values():
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


def _draw_labels(ax, points: gpd.GeoSeries, names, fontsize: float, taken: list, weight: str = "normal",
                 colour: str = "#222"):
    """Names at `points` (in priority order), each left out when it would overlap a name already
    on the map (`taken`, shared by every call for one map) or stick out of the map."""
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


def _scale_bar(ax, length_m: float = 10_000):
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    x, y = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([x, x + length_m], [y, y], color="#222", linewidth=3, solid_capstyle="butt", zorder=10)
    ax.text(x + length_m / 2, y + 0.015 * (y1 - y0), f"{length_m / 1000:g} km", ha="center", fontsize=7, zorder=10)
    ax.annotate("N", xy=(x1 - 0.04 * (x1 - x0), y1 - 0.05 * (y1 - y0)),
                xytext=(x1 - 0.04 * (x1 - x0), y1 - 0.13 * (y1 - y0)),
                arrowprops={"arrowstyle": "-|>", "color": "#222"}, ha="center", fontsize=9, weight="bold")


def coverage_figure(layers: CoverageMap, zone_id: str | None = None, size=(10.6, 6.6), dpi: int = 170) -> bytes:
    """The coverage map (townships shaded by the indicator, zones, bases, party organisations,
    gaps) as PNG bytes — of the whole county, or of one zone and its surroundings — with names,
    a legend of every symbol, a scale bar and a north arrow."""
    family = cjk_family()
    analysis = layers.analysis
    townships = analysis.townships.to_crs(METRIC_CRS)
    zones = analysis.zones.to_crs(METRIC_CRS)
    county = analysis.dataset["county"].to_crs(METRIC_CRS)
    with plt.rc_context(_style(family)):
        figure = plt.figure(figsize=size, dpi=dpi)
        ax = figure.add_axes((0.01, 0.03, 0.70, 0.96))
        key_ax = figure.add_axes((0.72, 0.03, 0.27, 0.96))
        ax.set_axis_off()
        key_ax.set_axis_off()
        colours = {0: ZERO_COLOUR, WITHHELD: WITHHELD_COLOUR, **dict(enumerate(CLASS_COLOURS, start=1))}
        townships.plot(ax=ax, color=[colours[c] for c in layers.classes()], edgecolor="#666", linewidth=0.5,
                       zorder=1)
        unserved = townships[~townships.served]
        unserved.boundary.plot(ax=ax, color=GAP_COLOUR, linewidth=1.2, linestyle=(0, (1, 2)), zorder=3)
        county.boundary.plot(ax=ax, color="#7f1d1d", linewidth=1.4, zorder=4)
        for i, (_, zone) in enumerate(zones.iterrows()):
            colour = ZONE_COLOURS[i % len(ZONE_COLOURS)]
            gpd.GeoSeries([zone.geometry], crs=METRIC_CRS).plot(ax=ax, color=colour, alpha=0.12, zorder=2)
            gpd.GeoSeries([zone.geometry], crs=METRIC_CRS).boundary.plot(ax=ax, color=colour, linewidth=2,
                                                                         linestyle="--", zorder=5)
        bases = layers.frame("industry_bases").to_crs(METRIC_CRS)
        for kind, symbol in LAYERS_BY_KEY["industry_bases"].symbols(layers).items():
            part = bases[bases.kind == kind]
            if len(part):
                part.plot(ax=ax, color=symbol.style["fillColor"], alpha=0.7, edgecolor=symbol.style["color"],
                          linewidth=0.5, zorder=6)
        organisations = layers.frame("party_organisations").to_crs(METRIC_CRS)
        for kind, symbol in LAYERS_BY_KEY["party_organisations"].symbols(layers).items():
            part = organisations[organisations.kind == kind]
            if len(part):
                ax.scatter(part.geometry.x, part.geometry.y, s=symbol.style["radius"] ** 2 * 1.2,
                           c=symbol.style["fillColor"], edgecolors="white", linewidths=0.5, zorder=7)
        gap_bases = layers.frame("gap_bases").to_crs(METRIC_CRS).geometry.representative_point()
        ax.scatter(gap_bases.x, gap_bases.y, s=140, facecolors="none", edgecolors=GAP_COLOUR, linewidths=1.8, zorder=8)
        if zone_id is not None:
            zone = zones[zones.id == zone_id].geometry.iloc[0]
            minx, miny, maxx, maxy = zone.buffer(3_000).bounds
            ax.set_xlim(minx, maxx)
            ax.set_ylim(miny, maxy)
            coops = layers.frame("cooperatives").to_crs(METRIC_CRS)
            inside = coops[coops.intersects(zone.buffer(3_000))]
            for kind, symbol in LAYERS_BY_KEY["cooperatives"].symbols(layers).items():
                part = inside[inside.kind == kind]
                ax.scatter(part.geometry.x, part.geometry.y, s=symbol.style["radius"] ** 2 * 1.5,
                           c=symbol.style["fillColor"], edgecolors=symbol.style["color"], linewidths=0.5, zorder=7)
        ax.set_aspect("equal", adjustable="box")
        figure.canvas.draw()
        taken: list = []
        zone_points = gpd.GeoSeries([label_point(g) for g in zones.geometry], crs=METRIC_CRS)
        _draw_labels(ax, zone_points, zones[layers.name_column], 8.5, taken, "bold", "#3a0c0c")
        order = townships.geometry.area.sort_values(ascending=False).index
        township_points = gpd.GeoSeries([label_point(g) for g in townships.geometry.loc[order]], crs=METRIC_CRS)
        _draw_labels(ax, township_points, townships.loc[order, layers.name_column], 6.5 if zone_id is None else 7.5,
                     taken)
        if zone_id is not None:
            general = organisations[organisations.kind == "general"]
            _draw_labels(ax, general.geometry, general[layers.name_column], 6, taken, colour="#5b1a10")
        _scale_bar(ax, 10_000 if zone_id is None else 2_000)
        keys = ["townships", "zones", "gap_townships", "gap_bases", "industry_bases", "party_organisations"]
        if zone_id is not None:
            keys.append("cooperatives")
        legend = key_ax.legend(handles=_symbol_handles(layers, keys), loc="center left", fontsize=6.5, frameon=False,
                               title=layers.metric_title(), title_fontsize=8)
        legend._legend_box.align = "left"
        figure.text(0.01, 0.01, layers._("All but the county boundary is illustrative data"), fontsize=6, color="#555")
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=dpi)
        plt.close(figure)
    return out.getvalue()


def site_figure(layers: CoverageMap, site_wgs84, nearest_ids: list[str], size=(7.2, 5.2), dpi: int = 170) -> bytes:
    """A proposed site (WGS-84) on its surroundings: township and zone boundaries with names, the
    industry bases around it (the nearest ones outlined in red), party branches, a scale bar."""
    family = cjk_family()
    analysis = layers.analysis
    site = gpd.GeoSeries([site_wgs84], crs=STORAGE_CRS).to_crs(METRIC_CRS).iloc[0]
    townships = analysis.townships.to_crs(METRIC_CRS)
    zones = analysis.zones.to_crs(METRIC_CRS)
    bases = analysis.dataset["industry_bases"].to_crs(METRIC_CRS)
    organisations = layers.frame("party_organisations").to_crs(METRIC_CRS)
    with plt.rc_context(_style(family)):
        figure = plt.figure(figsize=size, dpi=dpi)
        ax = figure.add_axes((0.01, 0.01, 0.98, 0.98))
        ax.set_axis_off()
        townships.plot(ax=ax, color="#f7f4ee", edgecolor="#777", linewidth=0.6, zorder=1)
        for i, (_, zone) in enumerate(zones.iterrows()):
            colour = ZONE_COLOURS[i % len(ZONE_COLOURS)]
            gpd.GeoSeries([zone.geometry], crs=METRIC_CRS).boundary.plot(ax=ax, color=colour, linewidth=2,
                                                                         linestyle="--", zorder=3)
        bases.plot(ax=ax, color="#4d9221", alpha=0.6, zorder=4)
        nearest = bases[bases.id.isin(nearest_ids)]
        if len(nearest):
            nearest.boundary.plot(ax=ax, color=GAP_COLOUR, linewidth=1.5, zorder=5)
        ax.scatter(organisations.geometry.x, organisations.geometry.y, s=14, c="#ef8a62", edgecolors="white",
                   linewidths=0.4, zorder=6)
        shape = gpd.GeoSeries([site], crs=METRIC_CRS)
        if site.geom_type == "Point":
            ax.scatter([site.x], [site.y], s=160, marker="*", c="#111", zorder=8)
        else:
            shape.plot(ax=ax, color="#111", alpha=0.25, edgecolor="#111", linewidth=2, zorder=8)
        minx, miny, maxx, maxy = site.buffer(4_000).bounds
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_aspect("equal", adjustable="box")
        figure.canvas.draw()
        taken: list = []
        _draw_labels(ax, gpd.GeoSeries([label_point(g) for g in zones.geometry], crs=METRIC_CRS),
                     zones[layers.name_column], 8, taken, "bold", "#3a0c0c")
        _draw_labels(ax, gpd.GeoSeries([label_point(g) for g in townships.geometry], crs=METRIC_CRS),
                     townships[layers.name_column], 8, taken)
        _draw_labels(ax, nearest.geometry.representative_point(), nearest[layers.name_column], 6.5, taken,
                     colour="#7a0c0c")
        _scale_bar(ax, 1_000)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=dpi)
        plt.close(figure)
    return out.getvalue()
