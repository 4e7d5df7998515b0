"""The coverage map: townships shaded by an indicator, the zones across them, bases, party
organisations, cooperatives, and the coverage gaps highlighted, with names on the map.

`COVERAGE_LAYERS` is the one table of what the map draws. Each `MapLayer` says which features
(`frame`, taken from the dataset layer `source`), how each is styled (`symbols`, chosen by
`style_by`), what the legend and the layer switcher call each symbol, and from which zoom its
names show. The folium map, the server-drawn maps of the report, and the legend, popups and
identify of `geoapp.views.coverage` all read this table: a new layer is one entry.

Words are catalog msgids (`N_`), translated with the `translate` the caller gives (Flask-Babel's
on the web, `geoapp.messages.translator` for the report); numbers go through `geoapp.formats`.
"""
from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp import formats
from geoapp.analysis import CountyAnalysis
from geoapp.analysis.coverage import SERVED_BASE_KINDS
from geoapp.crs import METRIC_CRS, STORAGE_CRS, area_km2
from geoapp.indicators import hidden
from geoapp.maps.assets import Tiles, base_map
from geoapp.maps.display import (
    anchors,
    feature_collection,
    simplified,
    simplified_coverage,
)
from geoapp.maps.elements import DataLayer, MapHooks
from geoapp.messages import N_
from geoapp.static_files import StaticFiles
from geoapp.vocabulary import ORGANISATION_KIND_WORDS

# ColorBrewer PuBu 5: blue, so the red party markers and red gap rings stand out on top.
CLASS_COLOURS = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
ZERO_COLOUR = "#ffffff"
WITHHELD, WITHHELD_COLOUR = -1, "#d9d9d9"   # the class of a figure about fewer than 5 people, for the public
ZONE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
GAP_COLOUR = "#e31a1c"
SERVICE_BASE_KINDS = ("training", "remote-education")
Translate = Callable[[str], str]


@dataclass(frozen=True)
class Symbol:
    """One kind of feature on the map: its Leaflet style and what the legend calls it."""
    label: str                 # msgid, or a name from the data when `literal`
    style: dict
    shape: str                 # how the legend draws it: area, outline, dashed, dot, ring, line
    literal: bool = False


@dataclass(frozen=True)
class MapLayer:
    key: str
    title: str                                          # msgid: layer switcher and legend heading
    kind: str                                           # area, line or point
    source: str                                         # the dataset layer its features come from
    frame: Callable[[CoverageMap], gpd.GeoDataFrame]
    symbols: Callable[[CoverageMap], dict]            # style key -> Symbol
    style_by: str | None = None                         # the column holding the style key
    base: dict = field(default_factory=dict)            # style shared by every symbol
    popup: str | None = None                            # which popup maker describes a feature
    label_min_zoom: int | None = None                   # names shown from this zoom (None: no names)
    hidden_at_first: bool = False                       # fetched when switched on
    in_control: bool = True
    anchors: bool = False                               # small polygons drawn as their points


def _bases(kinds):
    def frame(layers: CoverageMap) -> gpd.GeoDataFrame:
        bases = layers.analysis.dataset["industry_bases"]
        return bases[bases.kind.isin(kinds)]
    return frame


def _organisations(layers: CoverageMap) -> gpd.GeoDataFrame:
    return layers.analysis.dataset["party_organisations"]


def _branch_standing(layers: CoverageMap) -> gpd.GeoDataFrame:
    """The organisations with their five-day standing (green, amber, red) in the latest month."""
    organisations = layers.analysis.dataset["party_organisations"]
    return organisations.assign(status=layers.analysis.standing.table.status.reindex(organisations.id).to_numpy())


def _villages(layers: CoverageMap) -> gpd.GeoDataFrame:
    villages = layers.analysis.dataset["villages"]
    served = villages.branch.isin(layers.analysis.dataset["party_organisations"].id)
    return villages.assign(served=np.where(served, "served", "unserved"))


def _cooperatives(layers: CoverageMap) -> gpd.GeoDataFrame:
    return layers.analysis.dataset["cooperatives"]


def _links(layers: CoverageMap) -> gpd.GeoDataFrame:
    coops = layers.analysis.dataset["cooperatives"]
    enterprises = coops.set_index("id").geometry
    linked = coops[coops.enterprise.notna()]
    lines = shapely.linestrings([[(p.x, p.y), (e.x, e.y)] for p, e in zip(linked.geometry, enterprises[linked.enterprise])])
    return gpd.GeoDataFrame({"id": linked.id.to_numpy()}, geometry=lines, crs=coops.crs)


def _gap_bases(layers: CoverageMap) -> gpd.GeoDataFrame:
    gaps = layers.analysis.gaps
    both = pd.concat([gaps.bases_outside_zones, gaps.bases_without_branch]).drop_duplicates("id")
    return gpd.GeoDataFrame(both, crs=STORAGE_CRS)


def _township_symbols(layers: CoverageMap) -> dict:
    labels = layers.class_labels()
    symbols = {0: Symbol(labels[0], {"fillColor": ZERO_COLOUR}, "area", literal=True)}
    for i, label in enumerate(labels[1:], start=1):
        symbols[i] = Symbol(label, {"fillColor": CLASS_COLOURS[i - 1]}, "area", literal=True)
    if layers.withheld.any():
        symbols[WITHHELD] = Symbol(N_("fewer than 5 (not shown)"), {"fillColor": WITHHELD_COLOUR}, "area")
    return symbols


def _zone_symbols(layers: CoverageMap) -> dict:
    zones = layers.analysis.zones
    return {i: Symbol(name, {"color": ZONE_COLOURS[i % len(ZONE_COLOURS)], "fillColor": ZONE_COLOURS[i % len(ZONE_COLOURS)]},
                      "dashed", literal=True) for i, name in enumerate(zones[layers.name_column])}


def _fixed(symbols: dict) -> Callable:
    return lambda layers: symbols


COVERAGE_LAYERS: tuple[MapLayer, ...] = (
    MapLayer("townships", N_("Townships"), "area", "townships",
             frame=lambda layers: layers.analysis.townships.assign(id=layers.analysis.townships.code),
             symbols=_township_symbols, style_by="cls", base={"color": "#555", "weight": 1, "fillOpacity": 0.75},
             popup="township", label_min_zoom=9),
    MapLayer("zones", N_("Linkage zones"), "area", "zones",
             frame=lambda layers: layers.analysis.zones.assign(c=range(len(layers.analysis.zones))),
             symbols=_zone_symbols, style_by="c", base={"weight": 3, "fillOpacity": 0.12, "dashArray": "6 4"},
             popup="zone", label_min_zoom=0),
    MapLayer("industry_bases", N_("Industry bases"), "area", "industry_bases", frame=_bases(SERVED_BASE_KINDS), style_by="kind",
             symbols=_fixed({"production": Symbol(N_("production base"), {"color": "#4d9221", "fillColor": "#4d9221"}, "area"),
                             "cooperative": Symbol(N_("cooperative base"), {"color": "#8c510a", "fillColor": "#8c510a"}, "area")}),
             base={"weight": 1, "fillOpacity": 0.6}, popup="base", label_min_zoom=13),
    MapLayer("services", N_("Training and remote-education bases"), "point", "industry_bases", frame=_bases(SERVICE_BASE_KINDS),
             style_by="kind", anchors=True, hidden_at_first=True,
             symbols=_fixed({"training": Symbol(N_("training base"), {"fillColor": "#762a83"}, "dot"),
                             "remote-education": Symbol(N_("remote-education base"), {"fillColor": "#c51b7d"}, "dot")}),
             base={"radius": 4, "weight": 1, "color": "#fff", "fillOpacity": 0.9}, popup="base", label_min_zoom=14),
    MapLayer("party_organisations", N_("Party organisations"), "point", "party_organisations", frame=_organisations, style_by="kind",
             symbols=_fixed({
                 "general": Symbol(ORGANISATION_KIND_WORDS["general"], {"fillColor": "#b2182b", "radius": 8}, "dot"),
                 "industry": Symbol(ORGANISATION_KIND_WORDS["industry"], {"fillColor": "#ef8a62", "radius": 5}, "dot"),
                 "association": Symbol(ORGANISATION_KIND_WORDS["association"], {"fillColor": "#67a9cf", "radius": 6},
                                       "dot"),
                 "sector": Symbol(ORGANISATION_KIND_WORDS["sector"], {"fillColor": "#2166ac", "radius": 8}, "dot")}),
             base={"weight": 1, "color": "#fff", "fillOpacity": 0.95}, popup="organisation", label_min_zoom=13),
    MapLayer("branch_status", N_("Branches by their five days"), "point", "party_organisations", frame=_branch_standing,
             style_by="status", hidden_at_first=True,
             symbols=_fixed({"green": Symbol(N_("all five days held (last three months)"), {"fillColor": "#1a9850"}, "dot"),
                             "amber": Symbol(N_("one or two days missed"), {"fillColor": "#fdae61"}, "dot"),
                             "red": Symbol(N_("late: three or more missed"), {"fillColor": "#d73027"}, "dot")}),
             base={"radius": 7, "weight": 1, "color": "#333", "fillOpacity": 0.95}, popup="organisation"),
    MapLayer("villages", N_("Administrative villages"), "point", "villages", frame=_villages, style_by="served",
             hidden_at_first=True,
             symbols=_fixed({"served": Symbol(N_("village a branch serves"), {"fillColor": "#737373", "color": "#fff"}, "dot"),
                             "unserved": Symbol(N_("village no branch serves"), {"fillColor": "#fff", "color": GAP_COLOUR},
                                                "dot")}),
             base={"radius": 4, "weight": 2, "fillOpacity": 1}, popup="village", label_min_zoom=14),
    MapLayer("cooperatives", N_("Cooperatives and leading enterprises"), "point", "cooperatives", frame=_cooperatives,
             style_by="kind", hidden_at_first=True,
             symbols=_fixed({"cooperative": Symbol(N_("cooperative"), {"radius": 3, "color": "#666", "fillColor": "#a6d854"}, "dot"),
                             "leading_enterprise": Symbol(N_("leading enterprise"), {"radius": 8, "color": "#000", "fillColor": "#ffd92f"}, "dot")}),
             base={"weight": 1, "fillOpacity": 0.9}, popup="cooperative", label_min_zoom=14),
    MapLayer("links", N_("Cooperative–enterprise links"), "line", "cooperatives", frame=_links, hidden_at_first=True,
             symbols=_fixed({None: Symbol(N_("a cooperative's leading enterprise"), {"color": "#999"}, "line")}),
             base={"color": "#999", "weight": 1, "opacity": 0.6}),
    MapLayer("gap_townships", N_("Township without a zone branch"), "area", "townships", in_control=False,
             frame=lambda layers: layers.analysis.townships[~layers.analysis.townships.served].assign(
                 id=lambda t: t.code),
             symbols=_fixed({None: Symbol(N_("township without a zone branch"), {"color": GAP_COLOUR}, "gap-outline")}),
             base={"color": GAP_COLOUR, "weight": 2, "dashArray": "2 6", "fill": False}, popup="township"),
    MapLayer("gap_bases", N_("Base outside every zone or without a branch"), "point", "industry_bases", in_control=False, anchors=True,
             frame=_gap_bases,
             symbols=_fixed({None: Symbol(N_("base outside every zone or without a branch"), {"color": GAP_COLOUR}, "ring")}),
             base={"radius": 11, "weight": 3, "color": GAP_COLOUR, "fill": False}, popup="base"),
)
LAYERS_BY_KEY = {layer.key: layer for layer in COVERAGE_LAYERS}
LAYER_KEYS = tuple(LAYERS_BY_KEY)
GAP_KEYS = ("gap_townships", "gap_bases")

def class_breaks(values: pd.Series, classes: int = len(CLASS_COLOURS)) -> list[float]:
    """Upper bounds of up to `classes` quantile classes over the positive values (0 has its own
    class), each rounded up to 2 significant figures, so a legend reads "7,000,000", not
    "6,934,001"; counts get whole-number bounds."""
    positive = np.sort(values[values > 0].to_numpy(dtype=float))
    if positive.size == 0:
        return []
    bounds = [formats.round_break(b) for b in np.quantile(positive, np.linspace(0, 1, classes + 1)[1:])]
    if np.all(positive % 1 == 0):  # counts: whole-number bounds, so no class reads "1–2.8 branches"
        bounds = [float(math.ceil(b)) for b in bounds]
    return sorted(set(bounds))


def class_of(value: float, breaks: list[float]) -> int:
    """0 for zero/no value, else 1 + the index of the first break the value does not exceed."""
    if not value or value != value or value <= 0 or not breaks:
        return 0
    return 1 + next((i for i, b in enumerate(breaks) if value <= b), len(breaks) - 1)


def label_point(geometry) -> shapely.Point:
    """Where a polygon's name goes: the centre of the largest circle inside it (polylabel)."""
    if geometry.geom_type == "MultiPolygon":
        geometry = max(geometry.geoms, key=lambda g: g.area)
    return shapely.get_point(shapely.maximum_inscribed_circle(geometry, tolerance=1.0), 0)


class CoverageMap:
    """The coverage map's layers for one indicator and language: which features each draws,
    lean GeoJSON, styles, the classes of the shading, and the names on the map."""

    def __init__(self, analysis: CountyAnalysis, metric: str, lang: str, translate: Translate,
                 to_display: Callable | None = None, disclose: bool = True):
        self.analysis = analysis
        self.metric = analysis.metrics[metric]
        self.lang = lang
        self._ = translate
        self.to_display = to_display  # shifts geometry for a GCJ-02 base map (None: as stored)
        self.name_column = "name_en" if lang == "en" else "name_zh"
        townships = analysis.townships
        # a figure about fewer than 5 people is not shaded for the public (`geoapp.indicators.hidden`)
        self.withheld = np.array([hidden(row, self.metric, disclose) for row in townships[
            [self.metric.private_unless]].to_dict("records")], dtype=bool) if self.metric.private_unless and \
            not disclose else np.zeros(len(townships), dtype=bool)
        self.values = townships[self.metric.id].astype(float).where(~self.withheld)
        self.breaks = class_breaks(self.values)
        self._data: dict[str, dict] = {}
        self._ids: dict[str, frozenset] = {}

    # words and numbers ------------------------------------------------------------------------
    def number(self, value, unit: str = "") -> str:
        return formats.number(value, self.lang, self._(unit) if unit else "")

    def metric_value(self, value) -> str:
        text = self.number(value, self.metric.unit)
        return f"+{text}" if self.metric.since is not None and formats.is_positive(value) else text

    def metric_title(self) -> str:
        return self.metric.title(self._)

    def class_labels(self) -> list[str]:
        """The legend's words for class 0 ("none") and each class: non-overlapping, rounded,
        in the page's units ("1–3", "4–8"; "0–700万元", "700万–1500万元")."""
        known = self.values.dropna()
        whole = bool(np.all(known % 1 == 0))
        labels = [self._("no increase") if self.metric.since is not None else self._("none")]
        low = 1.0 if whole else 0.0
        for high in self.breaks:
            if whole and low >= high:
                labels.append(self.number(high, self.metric.unit))
            else:
                first = formats.number(low, self.lang)
                labels.append(f"{first}–{self.number(high, self.metric.unit)}")
            low = high + 1 if whole else high
        return labels

    def layer_title(self, key: str) -> str:
        layer = LAYERS_BY_KEY[key]
        title = self._(layer.title)
        return f"{title}: {self.metric_title()}" if key == "townships" else title

    def layer_name(self, key: str) -> str:
        """The layer switcher's entry: the layer's swatches, then its name (escaped HTML)."""
        layer = LAYERS_BY_KEY[key]
        symbols = list(layer.symbols(self).values())
        if key == "townships":
            symbols = symbols[1:][-1:] + symbols[1:2]
        swatches = "".join(swatch_html({**layer.base, **s.style}, s.shape) for s in symbols[:5])
        return f'<span class="geoapp-swatches">{swatches}</span> {html.escape(self.layer_title(key))}'

    # what each layer draws --------------------------------------------------------------------
    def frame(self, key: str) -> gpd.GeoDataFrame:
        return LAYERS_BY_KEY[key].frame(self)

    def ids(self, key: str) -> frozenset:
        """The ids of the features layer `key` draws."""
        if key not in self._ids:
            self._ids[key] = frozenset(self.frame(key).id)
        return self._ids[key]

    def data(self, key: str) -> dict:
        """Lean GeoJSON for layer `key`: display geometry, the id and the style key. Built once
        per layer: the map and the API's layer requests share it."""
        if key not in self._data:
            self._data[key] = self._build_data(key)
        return self._data[key]

    def _build_data(self, key: str) -> dict:
        layer = LAYERS_BY_KEY[key]
        frame = layer.frame(self)
        if key == "townships":
            frame = frame.assign(cls=self.classes())
            shown = simplified_coverage(frame)
        elif layer.anchors:
            shown = anchors(frame)
        else:
            shown = simplified(frame, tolerance_m=1 if layer.kind == "line" else 30)
        if self.to_display is not None:
            shown = shown.set_geometry(self.to_display(shown.geometry))
        properties = [layer.style_by] if layer.style_by else []
        return feature_collection(shown, properties, frame.id)

    def options(self, key: str, layer_url: str, identify_url: str | None) -> dict:
        """How `geoapp.dataLayer` draws layer `key`: its style by a property, whether it is
        fetched when switched on, and where a click asks what lies under it."""
        layer = LAYERS_BY_KEY[key]
        symbols = layer.symbols(self)
        return {"key": key, "identify": identify_url,
                "url": layer_url.replace("{layer}", key) if layer.hidden_at_first else None,
                "style": {"base": layer.base, "by": layer.style_by,
                          "values": {k: s.style for k, s in symbols.items() if k is not None}},
                "messages": {"loading": self._("Loading…"), "failed": self._("Could not load the details")}}

    @cached_property
    def township_points(self) -> dict[str, str]:
        """"lat,lon" of a point inside each township (as the map shows it): where a link in the
        side pane takes the map when the townships are drawn from tiles, not held in the page."""
        points = self.analysis.townships.geometry.representative_point()
        if self.to_display is not None:
            points = self.to_display(points)
        return {code: f"{p.y:.5f},{p.x:.5f}" for code, p in zip(self.analysis.townships.code, points)}

    def bounds(self) -> list[list[float]]:
        """The townships' extent as the map shows them, [[south, west], [north, east]]."""
        corners = gpd.GeoSeries(gpd.points_from_xy(*np.reshape(self.analysis.townships.total_bounds, (2, 2)).T),
                                crs=self.analysis.townships.crs)
        if self.to_display is not None:
            corners = self.to_display(corners)
        return [[corners.y.iloc[0], corners.x.iloc[0]], [corners.y.iloc[1], corners.x.iloc[1]]]

    def listed_townships(self, limit: int) -> gpd.GeoDataFrame:
        """The townships a side table lists: the `limit` with the highest value of the indicator."""
        return self.analysis.townships.sort_values(self.metric.id, ascending=False, kind="stable").head(limit)

    def classes(self) -> list[int]:
        """Each township's class for this indicator, in the townships' order (WITHHELD where the
        figure is about fewer than 5 people and the map is the public's)."""
        return [WITHHELD if out else class_of(v, self.breaks) for v, out in zip(self.values, self.withheld)]

    def township_classes(self) -> dict[str, int]:
        """Each township's class for this indicator (for switching indicators in place)."""
        return dict(zip(self.analysis.townships.code, self.classes()))

    # names on the map ---------------------------------------------------------------------------
    def labels(self, most_townships: int | None = None) -> list[dict]:
        """Every name the map may show: where, what, its kind, the zoom it appears from and its
        priority (larger first when names would collide); with `most_townships`, only that many
        township names, the largest townships' (a province's townships would not fit a page)."""
        labels = []
        for key in ("zones", "townships", "industry_bases", "party_organisations", "services", "cooperatives",
                    "villages"):
            layer = LAYERS_BY_KEY[key]
            if layer.label_min_zoom is None:
                continue
            frame = layer.frame(self)
            if key == "townships" and most_townships is not None and len(frame) > most_townships:
                frame = frame.loc[area_km2(frame).nlargest(most_townships).index]
            if key == "party_organisations":
                frame = frame[frame.kind.isin(("general", "sector"))]
            metric = frame.to_crs(METRIC_CRS)
            if layer.kind == "area":
                points = gpd.GeoSeries([label_point(g) for g in metric.geometry], crs=METRIC_CRS)
            else:
                points = metric.geometry.representative_point()
            points = points.to_crs(STORAGE_CRS)
            if self.to_display is not None:
                points = self.to_display(points)
            sizes = metric.geometry.area.to_numpy() if layer.kind == "area" else np.zeros(len(frame))
            names = frame[self.name_column]
            if key == "townships" and self.lang == "en":  # "Xiaobao", as English maps write it
                names = names.str.replace(r" (Ethnic )?(Town|Township)$", "", regex=True)
            for point, name, size, fid in zip(points, names, sizes, frame.id):
                labels.append({"lat": round(point.y, 5), "lon": round(point.x, 5), "text": formats.clipped(name), "kind": key,
                               "id": fid, "minZoom": layer.label_min_zoom,
                               "priority": (3 if key == "zones" else 2 if key == "townships" else 1) * 1e12 + size})
        return labels

def swatch_html(style: dict, shape: str) -> str:
    """A small swatch for the layer switcher, whose names are HTML (colours only come from our
    own styles, never from data)."""
    return f'<span class="geoapp-swatch geoapp-swatch-{shape}" style="{html.escape(swatch_css(style, shape))}"></span>'


def swatch_css(style: dict, shape: str) -> str:
    """The CSS of a symbol's swatch (the legend sets it through the DOM, not as HTML)."""
    fill = style.get("fillColor", style.get("color", "#888"))
    line = style.get("color", "#555")
    css = {"area": f"background:{fill};border:1px solid {line}",
           "dashed": f"background:{fill}33;border:2px dashed {line}",
           "gap-outline": f"border:2px dotted {line}",
           "dot": f"background:{fill};border:1px solid {line};border-radius:50%;"
                  f"width:{2 * min(style.get('radius', 5), 7)}px;height:{2 * min(style.get('radius', 5), 7)}px",
           "ring": f"border:3px solid {line};border-radius:50%",
           "line": f"border-top:2px solid {line};height:0;margin-top:6px"}[shape]
    return css


TILED_TOWNSHIP_LABELS = 300   # township names a tile-drawn coverage map carries (the largest first)


def coverage_map(layers: CoverageMap, tiles: Tiles, static: StaticFiles, layer_url: str, identify_url: str,
                 legend: dict | None = None, control_words: dict | None = None,
                 township_tiles: str | None = None) -> folium.Map:
    """The coverage map of `layers`, with `legend` beside it. `layer_url` ("…/{layer}") serves a
    hidden layer's data when it is switched on; `identify_url` answers what lies under a click. With `township_tiles`
    (a `{z}/{x}/{y}` URL of the townships' vector tiles) the townships are drawn from tiles,
    coloured in the browser by each township's class: the page carries classes, not shapes."""
    m = base_map(tuple(layers.analysis.dataset["county"].total_bounds), tiles, static,
                 vector_tiles=township_tiles is not None)
    # the legend and the first view before the layers: they load (tiles, data) for that view
    MapHooks(legend=legend, words=control_words, fit=layers.bounds()).add_to(m)
    for layer in COVERAGE_LAYERS:
        if layer.key in GAP_KEYS:
            continue
        options = layers.options(layer.key, layer_url, identify_url)
        tiled = layer.key == "townships" and township_tiles is not None
        if tiled:
            minx, miny, maxx, maxy = layers.analysis.dataset["county"].total_bounds
            options.update(tiles=township_tiles, tileLayer="townships", idProperty="code",
                           classes=layers.township_classes(), bounds=[[miny, minx], [maxy, maxx]])
        DataLayer(layers.layer_name(layer.key), options,
                  data=None if layer.hidden_at_first or tiled else layers.data(layer.key),
                  show=not layer.hidden_at_first).add_to(m)
    gaps = folium.FeatureGroup(name=f'<span class="geoapp-swatches">'
                                    f'{swatch_html({"color": GAP_COLOUR}, "ring")}</span> '
                                    f'{html.escape(layers._("Coverage gaps"))}').add_to(m)
    for key in GAP_KEYS:
        options = layers.options(key, layer_url, identify_url)
        if key == "gap_townships" and township_tiles is not None:
            # drawn by the townships' own tiles (one decoding and painting, not two): switching
            # this layer on or off outlines the unserved ones there
            townships = layers.analysis.townships
            unserved, served = list(townships[~townships.served].code), list(townships[townships.served].code)
            which = {"ids": unserved} if len(unserved) <= len(served) else {"allBut": served}  # the shorter list
            DataLayer(key, {"key": key, "outlines": "townships", **which, "style": options["style"]}).add_to(gaps)
        else:
            DataLayer(key, options, data=layers.data(key)).add_to(gaps)
    folium.LayerControl(collapsed=True).add_to(m)
    labels = layers.labels(TILED_TOWNSHIP_LABELS if township_tiles is not None else None)
    MapHooks(labels=labels).add_to(m)
    return m

