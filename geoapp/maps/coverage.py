"""The coverage map: townships shaded by an indicator, the zones across them, bases, party
organisations, cooperatives, and the coverage gaps highlighted."""
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
from geoapp.maps.display import anchors, feature_collection, simplified, simplified_coverage
from geoapp.maps.elements import MapHooks, popup_binding

# ColorBrewer PuBu 5: blue, so the red party markers and red gap rings stand out on top.
CLASS_COLOURS = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
ZERO_COLOUR = "#ffffff"
ZONE_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
ORGANISATION_COLOURS = {"general": "#b2182b", "industry": "#ef8a62", "association": "#67a9cf", "sector": "#2166ac"}
BASE_COLOURS = {"production": "#4d9221", "cooperative": "#8c510a", "training": "#762a83",
                "remote-education": "#c51b7d"}
GAP_COLOUR = "#e31a1c"

WORDS = {  # (Chinese, English) for what the map itself says
    "name": ("名称", "Name"), "zones": ("联动区", "Zones"), "industry": ("产业", "Industry"),
    "kind": ("类型", "Kind"), "area_mu": ("面积", "Area"), "mu": ("亩", "mu"), "km2": ("平方千米", "km²"),
    "township": ("乡镇", "Township"), "zone": ("联动区", "Zone"), "members": ("党员", "Members"),
    "party_groups": ("党小组", "Party groups"), "parent": ("上级党组织", "Parent"), "base": ("服务基地", "Serves base"),
    "lead_industry": ("主导产业", "Lead industry"), "general_branch": ("党总支", "General branch"),
    "secretary": ("书记", "Secretary"), "townships": ("涉及乡镇", "Townships"),
    "enterprise": ("联系龙头企业", "Linked enterprise"), "model": ("经营模式", "Business model"),
    "reason": ("问题", "Gap"), "no_value": ("0 或无数据", "0 or no data"), "source": ("来源", "Source"),
    "industry_branches": ("产业党支部", "Industry branches"), "cooperatives": ("专业合作社", "Cooperatives"),
    "farm_stays": ("星级农家乐", "Farm stays"), "area_km2": ("面积", "Area"),
    "layer_bases": ("产业基地", "Industry bases"),
    "layer_services": ("培训与远程教育基地", "Training and remote-education bases"),
    "layer_links": ("合作社—龙头企业联系", "Cooperative–enterprise links"),
    "layer_gaps": ("覆盖缺口", "Coverage gaps"),
    "townships_by": ("乡镇：", "Townships: "),
    "illustrative": ("除县界外均为示意数据", "All but the county boundary is illustrative data"),
}
KIND_WORDS = {
    "general": ("联动区党总支", "zone general branch"), "industry": ("特色产业党支部", "industry branch"),
    "association": ("产业协会党支部", "association branch"), "sector": ("行业主管部门党总支", "sector general branch"),
    "production": ("生产基地", "production base"), "cooperative": ("合作社基地", "cooperative base"),
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


class CoverageMapBuilder:
    """Builds the coverage map for one metric and language from a CountyAnalysis."""

    def __init__(self, analysis: CountyAnalysis, metric: str, lang: str, tiles: Tiles, static_root: str):
        self.analysis, self.metric, self.lang = analysis, TOWNSHIP_METRICS[metric], lang
        self.tiles, self.static_root = tiles, static_root
        self.zh = lang != "en"
        data = analysis.dataset
        self.names = {}  # id -> display name, for parents, bases, enterprises
        for layer_id in ("party_organisations", "industry_bases", "cooperatives", "zones"):
            frame = data[layer_id]
            self.names.update(zip(frame.id, frame.name_zh if self.zh else frame.name_en))
        self.township_names = dict(zip(data["townships"].code,
                                       data["townships"].name_zh if self.zh else data["townships"].name_en))

    def word(self, key: str) -> str:
        zh, en = WORDS[key]
        return zh if self.zh else en

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.zh else pair[1]

    def title_of(self, layer_id: str) -> str:
        return LAYERS[layer_id].title_zh if self.zh else LAYERS[layer_id].title_en

    def industry(self, value) -> str | None:
        return self.pick(INDUSTRIES[value]) if isinstance(value, str) and value in INDUSTRIES else None

    @property
    def title_prop(self) -> str:
        return "name_zh" if self.zh else "name_en"

    @property
    def subtitle_prop(self) -> str:
        return "name_en" if self.zh else "name_zh"

    def build(self) -> folium.Map:
        county = self.analysis.dataset["county"]
        m = base_map(tuple(county.total_bounds), self.tiles, self.static_root)
        legend = self.townships(m)
        self.zones(m)
        self.bases(m)
        self.services(m)
        self.organisations(m)
        self.cooperatives(m)
        self.gaps(m)
        folium.LayerControl(collapsed=True).add_to(m)
        MapHooks(legend).add_to(m)
        return m

    # layers -------------------------------------------------------------------------------
    def townships(self, m: folium.Map) -> dict:
        table = self.analysis.townships
        values = table[self.metric.id].astype(float)
        breaks = class_breaks(values)
        shown = simplified_coverage(table).assign(
            value=values.round(1), cls=[class_of(v, breaks) for v in values],
            zone_names=[", ".join(self.names.get(z.strip(), z) for z in zs.split(",") if z.strip())
                        for zs in table.zones])
        unit = self.pick((self.metric.unit_zh, self.metric.unit_en))
        label = self.pick((self.metric.label_zh, self.metric.label_en))
        props = ["code", "name_zh", "name_en", "value", "cls", "zone_names", "industry_branches",
                 "cooperatives", "farm_stays"]
        rows = [(label, "value", unit), (self.word("zones"), "zone_names", ""),
                (self.word("industry_branches"), "industry_branches", ""),
                (self.word("cooperatives"), "cooperatives", ""), (self.word("farm_stays"), "farm_stays", "")]
        colours = (ZERO_COLOUR,) + CLASS_COLOURS
        folium.GeoJson(
            feature_collection(shown, props, key="code"),
            name=html.escape(self.word("townships_by") + label),
            style_function=lambda f: {"fillColor": colours[f["properties"]["cls"]], "color": "#555",
                                      "weight": 1, "fillOpacity": 0.75},
            on_each_feature=popup_binding("townships", self.title_prop, rows, self.lang, key="code",
                                          subtitle=self.subtitle_prop),
        ).add_to(m)
        whole = bool(np.all(values % 1 == 0))
        classes = [[ZERO_COLOUR, self.word("no_value")]] + [
            [CLASS_COLOURS[i], text] for i, text in enumerate(class_labels(breaks, whole, unit))]
        return {"title": label, "classes": classes, "note": self.word("illustrative")}

    def zones(self, m: folium.Map) -> None:
        zones = self.analysis.zones
        colour = {zid: ZONE_COLOURS[i % len(ZONE_COLOURS)] for i, zid in enumerate(zones.id)}
        shown = simplified(zones).assign(
            industry=[self.industry(v) for v in zones.lead_industry],
            township_names=[", ".join(self.township_names.get(t.strip(), t) for t in ts.split(",") if t.strip())
                            for ts in zones.townships])
        props = ["id", "name_zh", "name_en", "industry", "general_branch_name", "secretary", "township_names",
                 "area_km2", "industry_branches", "party_groups", "cooperatives", "farm_stays"]
        rows = [(self.word("lead_industry"), "industry", ""), (self.word("general_branch"), "general_branch_name", ""),
                (self.word("secretary"), "secretary", ""), (self.word("townships"), "township_names", ""),
                (self.word("area_km2"), "area_km2", self.word("km2")),
                (self.word("industry_branches"), "industry_branches", ""),
                (self.word("party_groups"), "party_groups", ""), (self.word("cooperatives"), "cooperatives", ""),
                (self.word("farm_stays"), "farm_stays", "")]
        folium.GeoJson(
            feature_collection(shown, props, key="id"), name=html.escape(self.title_of("zones")),
            style_function=lambda f: {"color": colour[f["id"]], "weight": 3, "fillColor": colour[f["id"]],
                                      "fillOpacity": 0.12, "dashArray": "6 4"},
            on_each_feature=popup_binding("zones", self.title_prop, rows, self.lang, subtitle=self.subtitle_prop),
        ).add_to(m)

    def _base_rows(self) -> list[tuple[str, str, str]]:
        return [(self.word("industry"), "industry", ""), (self.word("kind"), "kind_label", ""),
                (self.word("area_mu"), "area_mu", self.word("mu")), (self.word("township"), "township_name", ""),
                (self.word("zone"), "zone_name", "")]

    def _labelled_bases(self, bases: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return bases.assign(industry=[self.industry(v) for v in bases.industry],
                            kind_label=[self.pick(KIND_WORDS[k]) for k in bases.kind],
                            township_name=bases.township_at.map(self.township_names),
                            zone_name=bases.zone_at.map(self.names))

    def bases(self, m: folium.Map) -> None:
        bases = self.analysis.dataset["industry_bases"]
        bases = self._labelled_bases(bases[bases.kind.isin(["production", "cooperative"])])
        props = ["id", "name_zh", "name_en", "industry", "kind", "kind_label", "area_mu", "township_name", "zone_name"]
        folium.GeoJson(
            feature_collection(simplified(bases, tolerance_m=10), props, key="id"),
            name=html.escape(self.word("layer_bases")),
            style_function=lambda f: {"color": BASE_COLOURS[f["properties"]["kind"]], "weight": 1,
                                      "fillColor": BASE_COLOURS[f["properties"]["kind"]], "fillOpacity": 0.6},
            on_each_feature=popup_binding("industry_bases", self.title_prop, self._base_rows(), self.lang,
                                          subtitle=self.subtitle_prop),
        ).add_to(m)

    def services(self, m: folium.Map) -> None:
        """Training and remote-education bases: too small to see at county scale, so points."""
        bases = self.analysis.dataset["industry_bases"]
        bases = self._labelled_bases(bases[bases.kind.isin(["training", "remote-education"])])
        props = ["id", "name_zh", "name_en", "industry", "kind", "kind_label", "area_mu", "township_name", "zone_name"]
        folium.GeoJson(
            feature_collection(anchors(bases), props, key="id"), name=html.escape(self.word("layer_services")),
            marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.9),
            style_function=lambda f: {"color": "#fff", "fillColor": BASE_COLOURS[f["properties"]["kind"]]},
            on_each_feature=popup_binding("services", self.title_prop, self._base_rows(), self.lang,
                                          subtitle=self.subtitle_prop),
            show=False,
        ).add_to(m)

    def organisations(self, m: folium.Map) -> None:
        orgs = self.analysis.dataset["party_organisations"]
        shown = simplified(orgs).assign(
            kind_label=[self.pick(KIND_WORDS[k]) for k in orgs.kind],
            parent_name=orgs.parent.map(self.names), base_name=orgs.base.map(self.names),
            township_name=orgs.township_at.map(self.township_names), zone_name=orgs.zone_at.map(self.names))
        props = ["id", "name_zh", "name_en", "kind", "kind_label", "members", "party_groups", "parent_name",
                 "base_name", "township_name", "zone_name"]
        rows = [(self.word("kind"), "kind_label", ""), (self.word("members"), "members", ""),
                (self.word("party_groups"), "party_groups", ""), (self.word("parent"), "parent_name", ""),
                (self.word("base"), "base_name", ""), (self.word("township"), "township_name", ""),
                (self.word("zone"), "zone_name", "")]
        radius = {"general": 8, "sector": 8, "industry": 5, "association": 6}
        folium.GeoJson(
            feature_collection(shown, props, key="id"), name=html.escape(self.title_of("party_organisations")),
            marker=folium.CircleMarker(radius=5, weight=1, fill=True, fill_opacity=0.95),
            style_function=lambda f: {"color": "#fff", "fillColor": ORGANISATION_COLOURS[f["properties"]["kind"]],
                                      "radius": radius[f["properties"]["kind"]]},
            on_each_feature=popup_binding("party_organisations", self.title_prop, rows, self.lang,
                                          subtitle=self.subtitle_prop),
        ).add_to(m)

    def cooperatives(self, m: folium.Map) -> None:
        coops = self.analysis.dataset["cooperatives"]
        shown = simplified(coops).assign(
            kind_label=[self.pick(KIND_WORDS.get(k, (k, k))) for k in coops.kind],
            industry=[self.industry(v) for v in coops.industry],
            enterprise_name=coops.enterprise.map(self.names), township_name=coops.township_at.map(self.township_names))
        props = ["id", "name_zh", "name_en", "kind", "kind_label", "industry", "enterprise_name", "model",
                 "members", "township_name"]
        rows = [(self.word("kind"), "kind_label", ""), (self.word("industry"), "industry", ""),
                (self.word("enterprise"), "enterprise_name", ""), (self.word("model"), "model", ""),
                (self.word("members"), "members", ""), (self.word("township"), "township_name", "")]
        folium.GeoJson(
            feature_collection(shown, props, key="id"), name=html.escape(self.title_of("cooperatives")),
            marker=folium.CircleMarker(radius=3, weight=1, fill=True, fill_opacity=0.9),
            style_function=lambda f: ({"color": "#000", "fillColor": "#ffd92f", "radius": 8}
                                      if f["properties"]["kind"] == "leading_enterprise"
                                      else {"color": "#666", "fillColor": "#a6d854", "radius": 3}),
            on_each_feature=popup_binding("cooperatives", self.title_prop, rows, self.lang,
                                          subtitle=self.subtitle_prop),
            show=False,
        ).add_to(m)
        enterprises = coops.set_index("id").geometry
        linked = coops[coops.enterprise.notna()]
        lines = gpd.GeoDataFrame(
            {"id": linked.id.to_numpy()},
            geometry=shapely.linestrings([[(p.x, p.y), (e.x, e.y)] for p, e in
                                          zip(linked.geometry, enterprises[linked.enterprise])]),
            crs=coops.crs)
        folium.GeoJson(
            feature_collection(simplified(lines, tolerance_m=1), ["id"], key="id"),
            name=html.escape(self.word("layer_links")),
            style_function=lambda f: {"color": "#999", "weight": 1, "opacity": 0.6},
            show=False, control=True,
        ).add_to(m)

    def gaps(self, m: folium.Map) -> None:
        gaps = self.analysis.gaps
        group = folium.FeatureGroup(name=html.escape(self.word("layer_gaps")), show=True).add_to(m)
        unserved = simplified_coverage(self.analysis.townships)
        unserved = unserved[~unserved.served].assign(
            reason=self.pick(GAP_WORDS["no general, industry or association branch lies in this township"]))
        rows = [(self.word("reason"), "reason", "")]
        folium.GeoJson(
            feature_collection(unserved, ["code", "name_zh", "name_en", "reason"], key="code"),
            style_function=lambda f: {"color": GAP_COLOUR, "weight": 2, "dashArray": "2 6", "fill": False},
            on_each_feature=popup_binding("gap_townships", self.title_prop, rows, self.lang, key="code",
                                          subtitle=self.subtitle_prop),
        ).add_to(group)
        bases = pd.concat([gaps.bases_outside_zones, gaps.bases_without_branch])
        reasons = bases.groupby("id").reason.agg(
            lambda rs: "; ".join(self.pick(GAP_WORDS[r]) for r in rs))
        bases = gpd.GeoDataFrame(bases.drop_duplicates("id"), crs=self.analysis.dataset["industry_bases"].crs)
        bases = self._labelled_bases(bases).assign(reason=lambda b: b.id.map(reasons))
        folium.GeoJson(
            feature_collection(anchors(bases), ["id", "name_zh", "name_en", "industry", "kind_label", "township_name",
                                                "reason"], key="id"),
            marker=folium.CircleMarker(radius=11, weight=3, fill=False, color=GAP_COLOUR),
            on_each_feature=popup_binding("gap_bases", self.title_prop,
                                          rows + [(self.word("industry"), "industry", ""),
                                                  (self.word("township"), "township_name", "")],
                                          self.lang, subtitle=self.subtitle_prop),
        ).add_to(group)


def coverage_map(analysis: CountyAnalysis, metric: str, lang: str, tiles: Tiles, static_root: str = "/static") -> folium.Map:
    """The coverage map: townships shaded by `metric` (a TOWNSHIP_METRICS id), in `lang`
    ('zh' or 'en'), every asset under `static_root`."""
    return CoverageMapBuilder(analysis, metric, lang, tiles, static_root).build()
