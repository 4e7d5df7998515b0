"""The coverage page (/coverage) and its JSON twin (/api/coverage), the map's layers, popups,
legend and identify, and the coverage tables (CSV, XLSX).

Each function takes the served version, what the request asked for (already parsed) and the
language, and returns plain data; `geoapp.web` renders it as a page or as JSON.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geoapp import formats, indicators, params
from geoapp.analysis.identify import holding, near
from geoapp.analysis.index import JoinedTexts
from geoapp.data.export import Sheet
from geoapp.figures import ARTICLE_FIGURES
from geoapp.indicators import DEFAULT_SHADING, Indicator
from geoapp.maps.coverage import LAYERS_BY_KEY, CoverageMap, coverage_map, swatch_css
from geoapp.maps.elements import MapParts, control_words, render_parts
from geoapp.mercator import metres_per_pixel
from geoapp.messages import N_, translator
from geoapp.params import ParamError
from geoapp.records import records
from geoapp.static_files import StaticFiles
from geoapp.views.branches import STATUS_WORDS
from geoapp.views.served import ServedVersion
from geoapp.views.wording import Wording, seat_source, wording
from geoapp.vocabulary import (
    BASE_KIND_WORDS,
    CHAIN_WORDS,
    COOPERATIVE_KIND_WORDS,
    ORGANISATION_KIND_WORDS,
    TOWNSHIP_KIND_WORDS,
)

Urls = Callable[..., str]     # url_for, given by the web room
SIDE_LIST_LIMIT = 200        # rows a side table or gap list shows; the CSV and the report hold them all
API_TOWNSHIPS = 1000         # townships /api/coverage gives at a time (`offset` pages on)
IDENTIFY_TOLERANCE_PX = 8    # a click this close to a point counts as on it
# identify lists what lies under a click in this order: what was aimed at, then points, then areas
IDENTIFY_ORDER = ("party_organisations", "branch_status", "cooperatives", "services", "villages", "gap_bases",
                  "industry_bases", "zones", "townships")
MAPS_KEPT = 64               # coverage maps (indicator × language) kept per data version
ZONE_IDENTITY = ["id", "name_zh", "name_en", "lead_industry", "general_branch", "general_branch_name", "secretary",
                 "townships", "township_count"]
ZONE_COLUMNS = ZONE_IDENTITY + [i.id for i in indicators.in_scope(indicators.ZONE)]


@dataclass(frozen=True)
class CoverageQuery:
    metric: str = DEFAULT_SHADING
    offset: int = 0                  # of the townships listed in the JSON


def parse_query(args: Mapping[str, str], metrics: Mapping[str, Indicator]) -> CoverageQuery:
    """The indicator a coverage request asks for: `metric`, or with `compare=YEAR` the change
    of a yearly one since then; ParamError naming what is wrong."""
    metric = params.choice(args, "metric", metrics) or DEFAULT_SHADING
    compare = params.whole(args, "compare", params.FIRST_YEAR, params.LAST_YEAR)
    offset = params.whole(args, "offset", 0, 10**9, default=0) or 0
    if compare is not None:
        changed = indicators.change_id(metric, compare)
        if changed not in metrics:
            years = sorted({str(m.since) for m in metrics.values() if m.since is not None})
            raise ParamError(N_("“%(metric)s” cannot be compared with %(year)s: the yearly figures (households, "
                                "tourist visits, tourism income, labour transferred) can be compared with "
                                "%(years)s."), parameter="compare", metric=metrics[metric].label, year=compare,
                             years=", ".join(years) or "—")
        metric = changed
    return CoverageQuery(metric, offset)


def _disclosed(version: ServedVersion, metric: str, disclose: bool) -> bool:
    """Whether the map of `metric` differs for an office user: only when it is about people."""
    return disclose and bool(version.analysis.metrics[metric].private_unless)


def coverage_layers(version: ServedVersion, metric: str, lang: str, disclose: bool = False) -> CoverageMap:
    """The coverage map's layers for `metric` in `lang`, as the public sees them (or with
    `disclose`, a logged-in office user), made once per data version."""
    disclose = _disclosed(version, metric, disclose)
    return version.made_once(("coverage-layers", metric, lang, disclose), lambda: CoverageMap(
        version.analysis, metric, lang, translator(lang), version.tiles.to_display, disclose), keep=MAPS_KEPT)


def sheet_layers(version: ServedVersion, metric: str, lang: str, disclose: bool = False):
    """The coverage layers in metres, with their trees, for the maps drawn on the server (the
    report, a zone's map, a proposal sheet): made once per data version, not per map."""
    from geoapp.maps.static import SheetLayers  # matplotlib is loaded where maps are drawn
    disclose = _disclosed(version, metric, disclose)
    return version.made_once(("sheet-layers", metric, lang, disclose),
                             lambda: SheetLayers(coverage_layers(version, metric, lang, disclose)), keep=MAPS_KEPT)


def public_records(frame: pd.DataFrame, columns: list[str] | None, disclose: bool) -> list[dict]:
    """`records` of a township or zone table with each figure about fewer than 5 people set to
    None for the public (`geoapp.indicators.hidden`, the one rule)."""
    wanted = columns or [c for c in frame.columns if c != "geometry"]
    deciding = [i.private_unless for i in indicators.INDICATORS if i.private_unless and i.id in wanted
                and i.private_unless in frame.columns]
    rows = records(frame, list(dict.fromkeys([*wanted, *deciding])))
    return [{key: row[key] for key in wanted} for row in (indicators.public_values(r, disclose) for r in rows)]


# the legend ------------------------------------------------------------------------------------

def legend(layers: CoverageMap) -> dict:
    """Every symbol on the map, in sections: the shading (with its units), the zones by name,
    the gaps, and each layer's symbols."""
    _ = layers._
    sections: list[dict] = []
    for key in ("townships", "zones", "gap_townships", "gap_bases", "industry_bases", "services",
                "party_organisations", "cooperatives", "links"):
        layer = LAYERS_BY_KEY[key]
        items = [{"shape": s.shape, "css": swatch_css({**layer.base, **s.style}, s.shape),
                  "label": s.label if s.literal else _(s.label)} for s in layer.symbols(layers).values()]
        if key == "gap_bases":
            sections[-1]["items"] += items
            continue
        if key == "zones":
            items = _grouped_by_county(layers, items)
        title = layers.metric_title() if key == "townships" else (
            _("Coverage gaps") if key == "gap_townships" else _(layer.title))
        sections.append({"key": key, "title": title, "items": items})
    return {"sections": sections, "note": _("All but the county boundary is illustrative data"), "title": _("Legend")}


def _grouped_by_county(layers: CoverageMap, items: list[dict]) -> list[dict]:
    """The zones' legend rows under their county's name when the data holds several counties
    (their names and colours repeat from county to county); as they are with one."""
    from geoapp.analysis.counties import zone_counties
    dataset = layers.analysis.dataset
    if len(dataset["county"]) < 2:
        return items
    names = dict(zip(dataset["county"].code.astype(str), dataset["county"][layers.name_column]))
    counties = zone_counties(dataset).reindex(layers.analysis.zones.id).to_numpy()
    grouped = [{**item, "group": names.get(str(code), str(code))} for item, code in zip(items, counties)]
    order = {code: i for i, code in enumerate(names)}
    positions = sorted(range(len(grouped)), key=lambda i: (order.get(str(counties[i]), len(order)), i))
    return [grouped[i] for i in positions]


# popups ------------------------------------------------------------------------------------------

class Popups:
    """What the coverage map says about one feature: its title, subtitle and rows of facts."""

    def __init__(self, version: ServedVersion, layers: CoverageMap, disclose: bool = False, urls: Urls | None = None):
        self.version = version
        self.urls = urls
        self.layers = layers
        self.words: Wording = wording(version, layers.lang)
        self._ = self.words._
        self.disclose = disclose

    def of(self, key: str, feature_id: str) -> dict | None:
        """The details of feature `feature_id` of layer `key`, or None if there is none such."""
        makers = {"township": self._township, "zone": self._zone, "base": self._base,
                  "organisation": self._organisation, "cooperative": self._cooperative, "village": self._village}
        layer = LAYERS_BY_KEY.get(key)
        if layer is None or layer.popup not in makers:
            return None
        return makers[layer.popup](feature_id)

    def _row_of(self, frame_id: str, frame: pd.DataFrame, key: str, value: str):
        positions = self.version.made_once(("positions", frame_id), lambda: {k: i for i, k in enumerate(frame[key])})
        position = positions.get(value)
        return None if position is None else frame.iloc[position]

    def _details(self, row, rows: list[tuple[str, object]]) -> dict:
        return {"title": row[self.words.name_column], "subtitle": row[self.words.other_name_column],
                "lang": self.words.lang,
                "rows": [[self._(label), value] for label, value in rows if value not in (None, "")]}

    def _gap_rows(self, feature_id: str) -> list[tuple[str, object]]:
        reasons = [self._(r) for r in self.version.analysis.gaps.reasons_for(feature_id)]
        return [(N_("Gap"), ("; " if self.words.lang == "en" else "；").join(reasons))] if reasons else []

    def _indicator_rows(self, row, scope: str) -> list[tuple[str, object]]:
        rows: list[tuple[str, object]] = []
        for indicator in indicators.in_popup(scope):
            if indicator.id == self.layers.metric.id or indicator.id not in row:
                continue  # the shaded indicator is the first row already
            if indicators.hidden(row, indicator, self.disclose):
                rows.append((indicator.label, self._("fewer than 5")))
                continue
            value = row[indicator.id]
            text = (f"{formats.significant(value, 3)}%" if indicator.unit == "%"
                    else self.words.number(value, indicator.unit))
            rows.append((indicator.label, text))
        return rows

    def _township(self, code: str) -> dict | None:
        t = self._row_of("townships", self.version.analysis.townships, "code", code)
        if t is None:
            return None
        metric = self.layers.metric
        shown = (self._("fewer than 5") if indicators.hidden(t, metric, self.disclose)
                 else self.layers.metric_value(t[metric.id]))
        rows = [(metric.title(self._), shown), (N_("Zones"), self.words.names_of(t.zones) or self._("none")),
                (N_("Kind"), self.words.word(TOWNSHIP_KIND_WORDS, t.kind)),
                (N_("Seat"), self._(seat_source(t.get("coord_source"))))]
        return self._details(t, self._gap_rows(code) + rows + self._indicator_rows(t, indicators.TOWNSHIP))

    def _zone(self, zone_id: str) -> dict | None:
        z = self._row_of("zones", self.version.analysis.zones, "id", zone_id)
        if z is None:
            return None
        details = self._details(z, [
            (N_("Lead industry"), self.words.industry(z.lead_industry)), (N_("General branch"), z.general_branch_name),
            (N_("Secretary"), z.secretary), (N_("Townships"), self.words.names_of(z.townships)),
            *self._indicator_rows(z, indicators.ZONE)])
        details["link"] = {"href": f"/zones/{zone_id}?lang={self.words.lang}",
                           "text": self._("The zone's four linkages →")}
        return details

    def _located(self, layer_id: str, feature_id: str):
        index = self.version.index.layer(layer_id)
        position = index.position("id", feature_id)
        return None if position is None else self.version.dataset[layer_id].iloc[position]

    def _base(self, base_id: str) -> dict | None:
        b = self._located("industry_bases", base_id)
        if b is None:
            return None
        organisations = self.version.dataset["party_organisations"]
        serving = organisations[organisations.base == base_id][self.words.name_column]
        return self._details(b, [
            *self._gap_rows(base_id),
            (N_("Industry"), self.words.industry(b.industry)), (N_("Kind"), self.words.word(BASE_KIND_WORDS, b.kind)),
            (N_("Area"), self.words.number(b.area_mu, N_("mu"))), (N_("Township"), self.words.name_of(b.township_at)),
            (N_("Zone"), self.words.name_of(b.zone_at) or self._("outside every zone")),
            (N_("Served by"), self.words.join(serving) or self._("none")),
            (N_("Value chain"), self._(CHAIN_WORDS[b.chain_stage]) if isinstance(b.get("chain_stage"), str) else None),
            (N_("Stands on"), self.words.name_of(b.stands_on) if isinstance(b.get("stands_on"), str) else None),
            (N_("Established"), formats.year(b.established) if pd.notna(b.established) else None)])

    def _organisation(self, org_id: str) -> dict | None:
        o = self._located("party_organisations", org_id)
        if o is None:
            return None
        standing = self.version.analysis.standing.table
        status = standing.status.get(org_id)
        details = self._details(o, [
            (N_("Five days"), f"{self._(STATUS_WORDS[status])} ({int(standing.held[org_id])}/15)" if status else None),
            (N_("Secretary"), o.get("secretary") if isinstance(o.get("secretary"), str) else None),
            (N_("Kind"), self.words.word(ORGANISATION_KIND_WORDS, o.kind)),
            (N_("Party members"), self.words.number(o.members, N_("members"))),
            (N_("Party groups"), self.words.number(o.party_groups, N_("groups"))),
            (N_("New members since 2014"), self.words.number(o.new_members_since_2014, N_("members"))),
            (N_("Parent"), self.words.name_of(o.parent)), (N_("Serves base"), self.words.name_of(o.base)),
            (N_("Township"), self.words.name_of(o.township_at)), (N_("Zone"), self.words.name_of(o.zone_at))])
        if self.urls is not None:  # the branch page: who is responsible, the five days, what it serves
            details["link"] = {"text": self._("Open the branch page"),
                               "href": self.urls("branches.branch_page", branch_id=org_id, lang=self.words.lang)}
        return details

    def _village(self, village_id: str) -> dict | None:
        v = self._located("villages", village_id)
        if v is None:
            return None
        return self._details(v, [
            (N_("Served by"), self.words.name_of(v.branch) if isinstance(v.branch, str) else self._("no branch")),
            *self._gap_rows(village_id),
            (N_("Township"), self.words.name_of(v.township_at)), (N_("Zone"), self.words.name_of(v.zone_at))])

    def _cooperative(self, coop_id: str) -> dict | None:
        c = self._located("cooperatives", coop_id)
        if c is None:
            return None
        return self._details(c, [
            (N_("Kind"), self.words.word(COOPERATIVE_KIND_WORDS, c.kind)), (N_("Industry"), self.words.industry(c.industry)),
            (N_("Linked enterprise"), self.words.name_of(c.enterprise)), (N_("Business model"), c.model),
            (N_("Member households"), self.words.number(c.members, N_("households")) if pd.notna(c.members) else None),
            (N_("Value chain"), self._(CHAIN_WORDS[c.chain_stage]) if isinstance(c.get("chain_stage"), str) else None),
            (N_("Base"), self.words.name_of(c.base)), (N_("Township"), self.words.name_of(c.township_at)),
            (N_("Zone"), self.words.name_of(c.zone_at))])


def popup(version: ServedVersion, metric: str, lang: str, key: str, feature_id: str,
          disclose: bool = False, urls: Urls | None = None) -> dict | None:
    return Popups(version, coverage_layers(version, metric, lang, disclose), disclose, urls).of(key, feature_id)


# what a click finds --------------------------------------------------------------------------------

def identify(version: ServedVersion, metric: str, lang: str, lon: float, lat: float, zoom: float,
             aimed: tuple[str, str] | None = None, layers_on: set[str] | None = None,
             disclose: bool = False, urls: Urls | None = None) -> list[dict]:
    """Everything under (lon, lat) (WGS-84) at `zoom`, most specific first, with what was aimed
    at (`aimed` = (layer key, id)) at the top: points within IDENTIFY_TOLERANCE_PX, then bases,
    zones and the township holding it; only the layers in `layers_on` (default all). Each layer
    is asked through its STRtree: a click costs what lies under it."""
    layers = coverage_layers(version, metric, lang, disclose)
    tolerance = IDENTIFY_TOLERANCE_PX * metres_per_pixel(lat, zoom)
    found: list[tuple[int, float, str, str]] = []
    for rank, key in enumerate(IDENTIFY_ORDER):
        if layers_on is not None and key not in layers_on:
            continue
        layer = LAYERS_BY_KEY[key]
        index = version.index.layer(layer.source)
        hits = (near(index, lon, lat, tolerance, anchors=layer.anchors) if layer.kind == "point" or layer.anchors
                else holding(index, lon, lat))
        if not hits:
            continue
        key_column = "code" if layer.source == "townships" else "id"
        ids = index.array(key_column)
        drawn = layers.ids(key)
        found += [(rank, measure, key, str(ids[position])) for position, measure in hits if ids[position] in drawn]
    found.sort(key=lambda f: (f[0], f[1]))
    ordered = [(key, fid) for _, _, key, fid in found]
    if aimed and aimed[0] in LAYERS_BY_KEY:  # what was aimed at (or chosen from a list) comes first
        if aimed in ordered:
            ordered.remove(aimed)
        ordered.insert(0, aimed)
    popups = Popups(version, layers, disclose, urls)
    details, seen = [], set()
    for key, fid in ordered:
        described = popups.of(key, fid)
        kind = LAYERS_BY_KEY[key].popup
        if described and (kind, fid) not in seen:  # a gap ring and its base are one thing
            seen.add((kind, fid))
            details.append({"layer": key, "id": fid, "kind": layers._(LAYERS_BY_KEY[key].title), **described})
    return details


# the page and its JSON twin --------------------------------------------------------------------------

def indicator_description(indicator: Indicator, lang: str) -> dict:
    zh, en = translator("zh"), translator("en")
    return {"id": indicator.id, "title": indicator.title(translator(lang)), "label_zh": indicator.title(zh),
            "label_en": indicator.title(en), "unit_zh": zh(indicator.unit) if indicator.unit else "",
            "unit_en": indicator.unit, "since": indicator.since}


def figure_rows(version: ServedVersion, lang: str) -> list[dict]:
    """The county figures beside the article's words, for the home and coverage pages."""
    summary = version.analysis.summary
    return [{"key": f.key, "label": f.label_zh if lang == "zh" else f.label_en, "value": summary[f.key],
             "unit": "yuan" if f.unit_en == "yuan" else "", "words": f.words_zh,
             "agrees": f.agrees_with(summary[f.key])} for f in ARTICLE_FIGURES]


def township_rows(version: ServedVersion, layers: CoverageMap, limit: int = SIDE_LIST_LIMIT,
                  disclose: bool = False) -> list[dict]:
    """The side table's townships (the `limit` with the highest value of the indicator), as
    the page shows them: name, the indicator's value, branches, share in zones, zones."""
    words = wording(version, layers.lang)
    metric = layers.metric
    listed = layers.listed_townships(limit)
    rows = []
    for _index, t in listed.iterrows():
        value = words._("fewer than 5") if indicators.hidden(t, metric, disclose) else layers.metric_value(t[metric.id])
        rows.append({"code": t.code, "at": layers.township_points[t.code], "name": t[words.name_column],
                     "value": value,
                     "branches": words.number(t.industry_branches), "served": bool(t.served),
                     "share": f"{formats.significant(t.zone_share, 3)}%", "zones": words.names_of(t.zones)})
    return rows


def gap_rows(version: ServedVersion, lang: str, limit: int = SIDE_LIST_LIMIT) -> dict[str, list[dict]]:
    """The coverage check's lists as the side pane shows them (each at most `limit` long)."""
    words = wording(version, lang)
    gaps = version.analysis.gaps
    bases = lambda frame, place: [  # noqa: E731
        {"id": b.id, "name": getattr(b, words.name_column), "industry": words.industry(b.industry),
         "place": words.name_of(getattr(b, place)) if isinstance(getattr(b, place), str) else None}
        for b in frame.head(limit).itertuples()]
    townships = version.analysis.townships.set_index("code")
    layers = coverage_layers(version, DEFAULT_SHADING, lang)
    return {"bases_outside_zones": bases(gaps.bases_outside_zones, "township_at"),
            "bases_without_branch": bases(gaps.bases_without_branch, "zone_at"),
            "townships_without_branch": [{"code": code, "name": townships.at[code, words.name_column],
                                          "at": layers.township_points[code]}
                                         for code in gaps.townships_without_branch.code.head(limit)],
            "villages_without_branch": [{"id": v.id, "name": getattr(v, words.name_column),
                                         "place": words.name_of(v.township_at)}
                                        for v in gaps.villages_without_branch.head(limit).itertuples()]}


def coverage_page(version: ServedVersion, query: CoverageQuery, lang: str, disclose: bool = False) -> dict:
    """Everything the coverage page shows, and its JSON twin /api/coverage: the indicators, the
    chosen one, its legend, the side tables, the coverage check, the county figures; the
    townships' figures (API_TOWNSHIPS at a time, from `query.offset`)."""
    analysis = version.analysis
    layers = coverage_layers(version, query.metric, lang, disclose)
    townships = analysis.townships
    page = townships.iloc[query.offset:query.offset + API_TOWNSHIPS]
    return {
        "metric": indicator_description(layers.metric, lang),
        "metrics": [indicator_description(m, lang) for m in analysis.metrics.values()],
        "legend": legend(layers),
        "listed": township_rows(version, layers, SIDE_LIST_LIMIT, disclose),
        "list_limit": SIDE_LIST_LIMIT,
        "township_total": len(townships),
        "townships": public_records(page, None, disclose),
        "townships_offset": query.offset,
        "zones": public_records(analysis.zones, ZONE_COLUMNS, disclose),
        "gaps": {kind: records(frame) for kind, frame in analysis.gaps.as_dict().items()},
        "gap_lists": gap_rows(version, lang),
        "location_mismatches": records(analysis.mismatches),
        "figures": figure_rows(version, lang),
    }


def coverage_switch(version: ServedVersion, metric: str, lang: str, disclose: bool = False) -> dict:
    """What changes on the coverage page when another indicator is chosen: the townships'
    classes, the legend, the layer's name and the township table."""
    layers = coverage_layers(version, metric, lang, disclose)
    rows = township_rows(version, layers, SIDE_LIST_LIMIT, disclose)
    return {"shown": len(rows), "total": len(version.analysis.townships), "metric": layers.metric.id,
            "title": layers.metric_title(), "layer_name": layers.layer_name("townships"),
            "classes": layers.township_classes(), "legend": legend(layers),
            "style": layers.options("townships", "", None)["style"], "townships": rows}


def coverage_map_parts(version: ServedVersion, static: StaticFiles, metric: str, lang: str, layer_url: str,
                       identify_url: str, township_tiles: str | None = None, disclose: bool = False) -> MapParts:
    """The coverage map for `metric` in `lang`, rendered once per data version; with
    `township_tiles` (a `{z}/{x}/{y}` address) the townships are drawn from those tiles."""
    layers = coverage_layers(version, metric, lang, disclose)
    return version.made_once(("coverage-map", metric, lang, layer_url, identify_url, township_tiles,
                              layers.withheld.any()),
                             lambda: render_parts(coverage_map(layers, version.tiles, static, layer_url,
                                                               identify_url, legend(layers),
                                                               control_words(lang, identify=True),
                                                               township_tiles).get_root()), keep=MAPS_KEPT)


def layer_data(version: ServedVersion, metric: str, lang: str, key: str, disclose: bool = False) -> dict | None:
    """One layer of the coverage map as lean GeoJSON (ids and style keys), None for no such layer."""
    if key not in LAYERS_BY_KEY:
        return None
    return coverage_layers(version, metric, lang, disclose).data(key)


# the tables, for the committee's own spreadsheets ----------------------------------------------------

TABLE_IDENTITY = {
    "zones": [("name", N_("Zone")), ("lead_industry", N_("Lead industry")), ("general_branch_name", N_("General branch")),
              ("township_count", N_("Townships"))],
    "townships": [("name", N_("Township")), ("kind", N_("Kind")), ("zones", N_("Zones")),
                  ("served", N_("Has a zone branch"))],
}
TABLES = tuple(TABLE_IDENTITY)


def coverage_table(version: ServedVersion, table: str, lang: str, disclose: bool = False) -> tuple[list[str], list[list]]:
    """(headers, rows) of the per-zone or per-township table, in `lang`; numbers stay numbers."""
    words = wording(version, lang)
    _ = words._
    scope = indicators.ZONE if table == "zones" else indicators.TOWNSHIP
    shown = indicators.in_scope(scope)
    frame = version.analysis.zones if table == "zones" else version.analysis.townships
    identity = {
        "name": frame[words.name_column].tolist(),
        "lead_industry": [words.industry(v) for v in frame.get("lead_industry", pd.Series(dtype=object))],
        "general_branch_name": frame.get("general_branch_name", pd.Series(dtype=object)).tolist(),
        "township_count": frame.get("township_count", pd.Series(dtype=object)).tolist(),
        "kind": [words.word(TOWNSHIP_KIND_WORDS, v) for v in frame.get("kind", pd.Series(dtype=object))],
        "zones": [words.names_of(v) for v in frame.get("zones", pd.Series(dtype=object))],
        "served": [_("yes") if v else _("no") for v in frame.get("served", pd.Series(dtype=object))],
    }
    figures = public_records(frame, [i.id for i in shown], disclose)
    fewer = _("fewer than 5")
    rows = []
    for position, figure in enumerate(figures):
        rows.append([identity[column][position] for column, _label in TABLE_IDENTITY[table]]
                    + [fewer if figure[i.id] is None and i.private_unless else figure[i.id] for i in shown])
    headers = [_(label) for _column, label in TABLE_IDENTITY[table]] + [i.heading(_) for i in shown]
    return headers, rows


def coverage_sheet(version: ServedVersion, table: str, title: str, lang: str, disclose: bool = False) -> Sheet:
    """The per-zone or per-township table as a workbook sheet: a title line (the county, the table,
    the day it was made) and each measure in its number format."""
    headers, rows = coverage_table(version, table, lang, disclose)
    first = len(TABLE_IDENTITY[table])
    shown = indicators.in_scope(indicators.ZONE if table == "zones" else indicators.TOWNSHIP)

    def whole(column: int) -> bool:
        return all(not isinstance(row[column], float) or row[column].is_integer() for row in rows)
    return Sheet(title, headers, rows, caption=sheet_caption(title, lang),
                 number_formats={first + n: formats.excel_format(i.unit, lang, whole(first + n))
                                 for n, i in enumerate(shown)})


def sheet_caption(title: str, lang: str) -> str:
    """A workbook sheet's title line: 汉源县产业党建联动区 · 乡镇 · 2026年12月5日制表."""
    _ = translator(lang)
    made = formats.day(formats.beijing_today().isoformat(), lang)
    return " · ".join([_("Hanyuan County industry party-building linkage zones"), title,
                       _("made %(day)s") % {"day": made}])



# the search box on the coverage map -------------------------------------------------------------

SEARCHED = (("zones", "zones", "id"), ("townships", "townships", "code"), ("villages", "villages", "id"),
            ("party_organisations", "party_organisations", "id"), ("industry_bases", "industry_bases", "id"))
MAX_FOUND = 12


@dataclass(frozen=True)
class PlaceIndex:
    """Every named thing of the coverage map, by name in Chinese, English, pinyin and initials."""
    texts: JoinedTexts   # one search text per row, searched as one buffer (as the farm stays are)
    rows: list[tuple[str, str, str, str, float, float, str | None]]  # (layer key, id, name_zh, name_en, lon, lat, township)

    @classmethod
    def of(cls, version: ServedVersion) -> PlaceIndex:
        from geoapp.analysis.names import search_text
        texts, rows = [], []
        for key, source, id_column in SEARCHED:
            frame = version.analysis.townships if source == "townships" else version.dataset.get(source)
            if frame is None or not len(frame):
                continue
            inside = frame.geometry.representative_point()
            towns = frame["township"] if "township" in frame else [None] * len(frame)
            for thing_id, zh, en, point, town in zip(frame[id_column], frame.name_zh, frame.name_en, inside, towns):
                texts.append(search_text(zh, en, str(thing_id)))
                rows.append((key, str(thing_id), zh, en, point.x, point.y, town if isinstance(town, str) else None))
        return cls(JoinedTexts(texts), rows)


def search_places(version: ServedVersion, args: Mapping[str, str], lang: str) -> dict:
    """What the coverage map's search box finds for `q`: zones, townships, villages, branches
    and bases whose name (or its pinyin, or pinyin initials) holds it, names beginning with it
    first; each with where to open it on the map (in the base map's datum)."""
    from geoapp.analysis.names import fold
    query = fold(params.text(args, "q", 60) or "")
    if not query:
        return {"places": []}
    index = version.made_once(("place-index",), lambda: PlaceIndex.of(version))
    _ = translator(lang)
    kinds = {"zones": _("Linkage zone"), "townships": _("Township"), "villages": _("Village"),
             "party_organisations": _("Party organisation"), "industry_bases": _("Industry base")}
    hits = np.flatnonzero(index.texts.containing(query))[:400]   # a bounded cost, however short the query
    found = sorted((0 if any(part.startswith(query) for part in index.texts.row(i).split("|")) else 1, i,
                    index.rows[i]) for i in hits)
    shift = version.tiles.to_display
    town_names = version.analysis.townships.set_index("code")["name_en" if lang == "en" else "name_zh"]
    places = []
    for _rank, _order, (key, thing_id, zh, en, lon, lat, town) in found[:MAX_FOUND]:
        point = shift(shapely.points([lon], [lat]))[0] if shift else shapely.points(lon, lat)
        places.append({"layer": key, "id": thing_id, "name": en if lang == "en" else zh, "kind": kinds[key],
                       "township": town_names.get(town) if town and key != "townships" else None,
                       "at": [round(point.y, 6), round(point.x, 6)]})
    return {"places": places}
