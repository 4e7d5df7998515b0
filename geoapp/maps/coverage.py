"""The coverage map: townships shaded by an indicator, the zones across them, bases, party
organisations, cooperatives, and the coverage gaps highlighted.

`CoverageLayers` says what each layer draws (lean GeoJSON: ids and style keys) and what each
feature's popup says; `coverage_map` puts the layers on a folium map. The page carries the
layers shown at first; popups and the layers hidden at first are fetched from the JSON API
(`layer_url`, `popup_url`), which serves the same `CoverageLayers`.
"""
from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.analysis import CountyAnalysis
from geoapp.analysis.coverage import TOWNSHIP_METRICS
from geoapp.layers import INDUSTRIES, LAYERS
from geoapp.maps.assets import Tiles, base_map
from geoapp.maps.display import (
    anchors,
    feature_collection,
    simplified,
    simplified_coverage,
)
from geoapp.maps.elements import DataLayer, MapHooks
from geoapp.records import plain

# ColorBrewer PuBu 5: blue, so the red party markers and red gap rings stand out on top.
CLASS_COLOURS = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
ZERO_COLOUR = "#ffffff"
ZONE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
ORGANISATION_COLOURS = {"general": "#b2182b", "industry": "#ef8a62", "association": "#67a9cf", "sector": "#2166ac"}
ORGANISATION_RADIUS = {"general": 8, "sector": 8, "industry": 5, "association": 6}
BASE_COLOURS = {"production": "#4d9221", "cooperative": "#8c510a", "training": "#762a83",
                "remote-education": "#c51b7d"}
GAP_COLOUR = "#e31a1c"
SERVED_BASE_KINDS = ("production", "cooperative")
SERVICE_BASE_KINDS = ("training", "remote-education")

# layer key -> (Chinese, English) name in the layer control; drawn in this order
LAYER_NAMES = {
    "townships": ("乡镇：", "Townships: "),  # followed by the indicator
    "zones": (LAYERS["zones"].title_zh, LAYERS["zones"].title_en),
    "industry_bases": ("产业基地", "Industry bases"),
    "services": ("培训与远程教育基地", "Training and remote-education bases"),
    "party_organisations": (LAYERS["party_organisations"].title_zh, LAYERS["party_organisations"].title_en),
    "cooperatives": (LAYERS["cooperatives"].title_zh, LAYERS["cooperatives"].title_en),
    "links": ("合作社—龙头企业联系", "Cooperative–enterprise links"),
    "gaps": ("覆盖缺口", "Coverage gaps"),
}
HIDDEN_AT_FIRST = ("services", "cooperatives", "links")  # fetched when switched on
LAYER_KEYS = ("townships", "zones", "industry_bases", "services", "party_organisations", "cooperatives", "links",
              "gap_townships", "gap_bases")

WORDS = {  # (Chinese, English) for what the map and its popups say
    "zones": ("联动区", "Zones"), "industry": ("产业", "Industry"), "kind": ("类型", "Kind"),
    "area": ("面积", "Area"), "mu": ("亩", "mu"), "km2": ("平方千米", "km²"), "township": ("乡镇", "Township"),
    "zone": ("联动区", "Zone"), "members": ("党员", "Members"), "party_groups": ("党小组", "Party groups"),
    "new_members": ("2014年来发展党员", "New members since 2014"), "parent": ("上级党组织", "Parent"),
    "base": ("服务基地", "Serves base"), "served_by": ("服务党组织", "Served by"),
    "lead_industry": ("主导产业", "Lead industry"), "general_branch": ("党总支", "General branch"),
    "secretary": ("书记", "Secretary"), "townships": ("涉及乡镇", "Townships"),
    "enterprise": ("联系龙头企业", "Linked enterprise"), "model": ("经营模式", "Business model"),
    "gap": ("问题", "Gap"), "no_value": ("0 或无数据", "0 or no data"), "established": ("建立年份", "Established"),
    "industry_branches": ("产业党支部", "Industry branches"), "cooperatives": ("专业合作社", "Cooperatives"),
    "farm_stays": ("星级农家乐", "Farm stays"), "bases": ("产业基地", "Bases"), "loans": ("扶持贷款", "Loans"),
    "loan_amount": ("贷款金额", "Loan amount"), "yuan": ("元", "yuan"), "trainees": ("培训人次", "Trainees"),
    "households": ("受益农户", "Households benefiting"), "visits": ("游客人次", "Tourist visits"),
    "zone_share": ("联动区面积占比", "Share in zones"), "population": ("人口", "Population"),
    "villages": ("行政村", "Villages"), "source": ("数据来源", "Source"),
    "illustrative": ("除县界外均为示意数据", "All but the county boundary is illustrative data"),
    "loading": ("加载中…", "Loading…"), "failed": ("无法加载详情", "Could not load the details"),
}
KIND_WORDS = {
    "general": ("联动区党总支", "zone general branch"), "industry": ("特色产业党支部", "industry branch"),
    "association": ("产业协会党支部", "association branch"), "sector": ("行业主管部门党总支", "sector general branch"),
    "production": ("生产基地", "production base"), "cooperative": ("专业合作社", "cooperative"),
    "training": ("产业培训基地", "training base"), "remote-education": ("远程教育学用示范基地", "remote-education base"),
    "leading_enterprise": ("龙头企业", "leading enterprise"),
}
GAP_WORDS = {
    "outside every linkage zone": ("不在任何联动区内", "outside every linkage zone"),
    "no party organisation names this base": ("没有党组织服务该基地", "no party organisation serves this base"),
    "no general, industry or association branch lies in this township":
        ("乡镇内没有联动区党组织", "no zone party branch in this township"),
}


def class_breaks(values: pd.Series, classes: int = len(CLASS_COLOURS)) -> list[float]:
    """Upper bounds of up to `classes` quantile classes over the positive values (0 has its
    own class). Counts get whole-number bounds, so no class reads "0 – 2.8 branches"."""
    positive = np.sort(values[values > 0].to_numpy(dtype=float))
    if positive.size == 0:
        return []
    bounds = np.quantile(positive, np.linspace(0, 1, classes + 1)[1:])
    if np.all(positive % 1 == 0):
        bounds = np.ceil(bounds)
    return sorted(set(float(b) for b in bounds))


def class_of(value: float, breaks: list[float]) -> int:
    """0 for zero/no value, else 1 + the index of the first break the value does not exceed."""
    if not value or value <= 0 or not breaks:
        return 0
    return 1 + next((i for i, b in enumerate(breaks) if value <= b), len(breaks) - 1)


def class_labels(breaks: list[float], whole: bool, unit: str) -> list[str]:
    """"1 – 3", "4 – 8", ... for counts; "0 – 2.5", "2.5 – 7" for measures."""
    labels, low = [], 1.0 if whole else 0.0
    for high in breaks:
        span = _format(high) if whole and low == high else f"{_format(low)} – {_format(high)}"
        labels.append(f"{span} {unit}".strip())
        low = high + 1 if whole else high
    return labels


def _format(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}".rstrip("0").rstrip(".")


class CoverageLayers:
    """The coverage map's layers for one indicator and language: their lean GeoJSON, their
    styles, and the popup of each feature."""

    def __init__(self, analysis: CountyAnalysis, metric: str, lang: str):
        self.analysis = analysis
        self.metric = TOWNSHIP_METRICS[metric]
        self.lang = lang
        self.zh = lang != "en"
        data = analysis.dataset
        self.name_column = "name_zh" if self.zh else "name_en"
        self.names: dict[str, str] = {}  # any feature id -> its name in this language
        for layer_id in ("party_organisations", "industry_bases", "cooperatives", "zones"):
            self.names.update(zip(data[layer_id].id, data[layer_id][self.name_column]))
        self.names.update(zip(data["townships"].code, data["townships"][self.name_column]))
        self.values = analysis.townships[self.metric.id].astype(float)
        self.breaks = class_breaks(self.values)
        self._data: dict[str, dict] = {}

    # words --------------------------------------------------------------------------------
    def pick(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.zh else pair[1]

    def word(self, key: str) -> str:
        return self.pick(WORDS[key])

    def industry(self, value) -> str | None:
        return self.pick(INDUSTRIES[value]) if isinstance(value, str) and value in INDUSTRIES else None

    def name_of(self, key) -> str | None:
        return self.names.get(key, key) if isinstance(key, str) else None

    def names_of(self, keys: str) -> str:
        return "、".join(self.name_of(k.strip()) for k in keys.split(",") if k.strip()) if self.zh else \
            ", ".join(self.name_of(k.strip()) for k in keys.split(",") if k.strip())

    def layer_name(self, key: str) -> str:
        name = self.pick(LAYER_NAMES[key])
        if key == "townships":
            name += self.pick((self.metric.label_zh, self.metric.label_en))
        return html.escape(name)  # the layer control shows names as HTML

    # what each layer draws ----------------------------------------------------------------
    def _bases(self, kinds: tuple[str, ...]) -> gpd.GeoDataFrame:
        bases = self.analysis.dataset["industry_bases"]
        return bases[bases.kind.isin(kinds)]

    def _gap_bases(self) -> gpd.GeoDataFrame:
        gaps = self.analysis.gaps
        both = pd.concat([gaps.bases_outside_zones, gaps.bases_without_branch]).drop_duplicates("id")
        return gpd.GeoDataFrame(both, crs=self.analysis.dataset["industry_bases"].crs)

    def data(self, key: str) -> dict:
        """Lean GeoJSON for layer `key`: geometry for display, the id, and the style key.
        Built once per layer: the map and the API's layer requests share it."""
        if key not in self._data:
            self._data[key] = self._build_data(key)
        return self._data[key]

    def _build_data(self, key: str) -> dict:
        analysis = self.analysis
        if key == "townships":
            shown = simplified_coverage(analysis.townships).assign(
                cls=[class_of(v, self.breaks) for v in self.values], name=analysis.townships[self.name_column])
            return feature_collection(shown, ["cls", "name"], analysis.townships.code)
        if key == "zones":
            zones = analysis.zones
            shown = simplified(zones).assign(c=range(len(zones)), name=zones[self.name_column])
            return feature_collection(shown, ["c", "name"], zones.id)
        if key == "industry_bases":
            bases = self._bases(SERVED_BASE_KINDS)
            return feature_collection(simplified(bases), ["kind"], bases.id)
        if key == "services":
            bases = self._bases(SERVICE_BASE_KINDS)
            return feature_collection(anchors(bases), ["kind"], bases.id)
        if key in ("party_organisations", "cooperatives"):
            frame = analysis.dataset[key]
            return feature_collection(simplified(frame), ["kind"], frame.id)
        if key == "links":
            return feature_collection(simplified(self._links(), tolerance_m=1), [], None)
        if key == "gap_townships":  # drawn from the townships layer's geometry (see `options`)
            return {"ids": analysis.townships[~analysis.townships.served].code.tolist()}
        if key == "gap_bases":
            bases = self._gap_bases()
            return feature_collection(anchors(bases), [], bases.id)
        raise KeyError(key)

    def _links(self) -> gpd.GeoDataFrame:
        coops = self.analysis.dataset["cooperatives"]
        enterprises = coops.set_index("id").geometry
        linked = coops[coops.enterprise.notna()]
        lines = shapely.linestrings([[(p.x, p.y), (e.x, e.y)] for p, e in
                                     zip(linked.geometry, enterprises[linked.enterprise])])
        return gpd.GeoDataFrame(geometry=lines, crs=coops.crs)

    def options(self, key: str, layer_url: str, popup_url: str) -> dict:
        """How `geoapp.dataLayer` draws layer `key`: style by a property, popup and tooltip."""
        messages = {"loading": self.word("loading"), "failed": self.word("failed")}
        popup = popup_url.replace("{layer}", key) if key != "links" else None
        options = {"key": key, "popup": popup, "messages": messages,
                   "url": layer_url.replace("{layer}", key) if key in HIDDEN_AT_FIRST else None}
        colours = (ZERO_COLOUR,) + CLASS_COLOURS
        styles = {
            "townships": {"base": {"color": "#555", "weight": 1, "fillOpacity": 0.75}, "by": "cls",
                          "values": {i: {"fillColor": c} for i, c in enumerate(colours)}},
            "zones": {"base": {"weight": 3, "fillOpacity": 0.12, "dashArray": "6 4"}, "by": "c",
                      "values": {i: {"color": c, "fillColor": c} for i, c in enumerate(ZONE_COLOURS)}},
            "industry_bases": {"base": {"weight": 1, "fillOpacity": 0.6}, "by": "kind",
                               "values": {k: {"color": BASE_COLOURS[k], "fillColor": BASE_COLOURS[k]}
                                          for k in SERVED_BASE_KINDS}},
            "services": {"base": {"radius": 4, "weight": 1, "color": "#fff", "fillOpacity": 0.9}, "by": "kind",
                         "values": {k: {"fillColor": BASE_COLOURS[k]} for k in SERVICE_BASE_KINDS}},
            "party_organisations": {"base": {"weight": 1, "color": "#fff", "fillOpacity": 0.95}, "by": "kind",
                                    "values": {k: {"fillColor": c, "radius": ORGANISATION_RADIUS[k]}
                                               for k, c in ORGANISATION_COLOURS.items()}},
            "cooperatives": {"base": {"weight": 1, "fillOpacity": 0.9}, "by": "kind",
                             "values": {"cooperative": {"radius": 3, "color": "#666", "fillColor": "#a6d854"},
                                        "leading_enterprise": {"radius": 8, "color": "#000",
                                                               "fillColor": "#ffd92f"}}},
            "links": {"base": {"color": "#999", "weight": 1, "opacity": 0.6}},
            "gap_townships": {"base": {"color": GAP_COLOUR, "weight": 2, "dashArray": "2 6", "fill": False}},
            "gap_bases": {"base": {"radius": 11, "weight": 3, "color": GAP_COLOUR, "fill": False}},
        }
        options["style"] = styles[key]
        if key == "gap_townships":
            options["copyFrom"] = "townships"
        if key in ("townships", "zones"):
            options["tooltip"] = "name"
        return options

    def legend(self) -> dict:
        unit = self.pick((self.metric.unit_zh, self.metric.unit_en))
        whole = bool(np.all(self.values % 1 == 0))
        classes = [[ZERO_COLOUR, self.word("no_value")]] + [
            [CLASS_COLOURS[i], text] for i, text in enumerate(class_labels(self.breaks, whole, unit))]
        return {"title": self.pick((self.metric.label_zh, self.metric.label_en)), "classes": classes,
                "note": self.word("illustrative")}

    # what each popup says -----------------------------------------------------------------
    def popup(self, key: str, feature_id: str) -> dict | None:
        """The popup of feature `feature_id` of layer `key`, or None if there is none such."""
        makers = {"townships": self._township_popup, "gap_townships": self._township_popup,
                  "zones": self._zone_popup, "industry_bases": self._base_popup, "services": self._base_popup,
                  "gap_bases": self._base_popup, "party_organisations": self._organisation_popup,
                  "cooperatives": self._cooperative_popup}
        if key not in makers:
            return None
        return makers[key](feature_id)

    def _details(self, row, rows: list[tuple[str, object, str]]) -> dict:
        subtitle_column = "name_en" if self.zh else "name_zh"
        return {"title": row[self.name_column], "subtitle": row[subtitle_column], "lang": self.lang,
                "rows": [[label, plain(value), unit] for label, value, unit in rows]}

    @staticmethod
    def _row(frame: pd.DataFrame, column: str, value: str):
        match = frame[frame[column] == value]
        return None if match.empty else match.iloc[0]

    def _gap_rows(self, feature_id: str) -> list[tuple[str, object, str]]:
        reasons = [self.pick(GAP_WORDS[r]) for r in self.analysis.gaps.reasons_for(feature_id)]
        return [(self.word("gap"), ("；" if self.zh else "; ").join(reasons), "")] if reasons else []

    def _township_popup(self, code: str) -> dict | None:
        t = self._row(self.analysis.townships, "code", code)
        if t is None:
            return None
        metric_label = self.pick((self.metric.label_zh, self.metric.label_en))
        unit = self.pick((self.metric.unit_zh, self.metric.unit_en))
        return self._details(t, self._gap_rows(code) + [
            (metric_label, t[self.metric.id], unit), (self.word("zones"), self.names_of(t.zones), ""),
            (self.word("industry_branches"), t.industry_branches, ""),
            (self.word("party_groups"), t.party_groups, ""), (self.word("members"), t.party_members, ""),
            (self.word("cooperatives"), t.cooperatives, ""), (self.word("loans"), t.loans, ""),
            (self.word("trainees"), t.trainees, ""), (self.word("households"), t.households_benefiting, ""),
            (self.word("visits"), t.tourist_visits, ""), (self.word("farm_stays"), t.farm_stays, ""),
            (self.word("zone_share"), t.zone_share, "%"), (self.word("population"), t.population, ""),
            (self.word("villages"), t.villages, ""), (self.word("area"), t.area_km2, self.word("km2"))])

    def _zone_popup(self, zone_id: str) -> dict | None:
        z = self._row(self.analysis.zones, "id", zone_id)
        if z is None:
            return None
        return self._details(z, [
            (self.word("lead_industry"), self.industry(z.lead_industry), ""),
            (self.word("general_branch"), z.general_branch_name, ""), (self.word("secretary"), z.secretary, ""),
            (self.word("townships"), self.names_of(z.townships), ""),
            (self.word("area"), z.area_km2, self.word("km2")),
            (self.word("industry_branches"), z.industry_branches, ""), (self.word("party_groups"), z.party_groups, ""),
            (self.word("bases"), z.bases, ""), (self.word("cooperatives"), z.cooperatives, ""),
            (self.word("loans"), z.loans, ""), (self.word("households"), z.households_benefiting, ""),
            (self.word("visits"), z.tourist_visits, ""), (self.word("farm_stays"), z.farm_stays, "")])

    def _base_popup(self, base_id: str) -> dict | None:
        b = self._row(self.analysis.dataset["industry_bases"], "id", base_id)
        if b is None:
            return None
        organisations = self.analysis.dataset["party_organisations"]
        serving = organisations[organisations.base == base_id][self.name_column]
        return self._details(b, self._gap_rows(base_id) + [
            (self.word("industry"), self.industry(b.industry), ""),
            (self.word("kind"), self.pick(KIND_WORDS[b.kind]), ""), (self.word("area"), b.area_mu, self.word("mu")),
            (self.word("township"), self.name_of(b.township_at), ""), (self.word("zone"), self.name_of(b.zone_at), ""),
            (self.word("served_by"), "、".join(serving) if len(serving) else None, ""),
            (self.word("established"), b.established, "")])

    def _organisation_popup(self, org_id: str) -> dict | None:
        o = self._row(self.analysis.dataset["party_organisations"], "id", org_id)
        if o is None:
            return None
        return self._details(o, [
            (self.word("kind"), self.pick(KIND_WORDS[o.kind]), ""), (self.word("members"), o.members, ""),
            (self.word("party_groups"), o.party_groups, ""), (self.word("new_members"), o.new_members_since_2014, ""),
            (self.word("parent"), self.name_of(o.parent), ""), (self.word("base"), self.name_of(o.base), ""),
            (self.word("township"), self.name_of(o.township_at), ""), (self.word("zone"), self.name_of(o.zone_at), "")])

    def _cooperative_popup(self, coop_id: str) -> dict | None:
        c = self._row(self.analysis.dataset["cooperatives"], "id", coop_id)
        if c is None:
            return None
        return self._details(c, [
            (self.word("kind"), self.pick(KIND_WORDS[c.kind]), ""), (self.word("industry"), self.industry(c.industry), ""),
            (self.word("enterprise"), self.name_of(c.enterprise), ""), (self.word("model"), c.model, ""),
            (self.word("members"), c.members, ""), (self.word("base"), self.name_of(c.base), ""),
            (self.word("township"), self.name_of(c.township_at), ""), (self.word("zone"), self.name_of(c.zone_at), "")])


def coverage_map(layers: CoverageLayers, tiles: Tiles, static_root: str, layer_url: str,
                 popup_url: str) -> folium.Map:
    """The coverage map of `layers`. `layer_url` ("…/{layer}") serves a hidden layer's data
    when it is switched on; `popup_url` ("…/{layer}/{id}") serves a feature's popup."""
    m = base_map(tuple(layers.analysis.dataset["county"].total_bounds), tiles, static_root)
    for key in ("townships", "zones", "industry_bases", "services", "party_organisations", "cooperatives", "links"):
        hidden = key in HIDDEN_AT_FIRST
        DataLayer(layers.layer_name(key), layers.options(key, layer_url, popup_url),
                  data=None if hidden else layers.data(key), show=not hidden).add_to(m)
    gaps = folium.FeatureGroup(name=layers.layer_name("gaps")).add_to(m)
    for key in ("gap_townships", "gap_bases"):
        data = layers.data(key)
        DataLayer(key, layers.options(key, layer_url, popup_url), data=data.get("ids", data)).add_to(gaps)
    folium.LayerControl(collapsed=True).add_to(m)
    MapHooks(layers.legend()).add_to(m)
    return m
