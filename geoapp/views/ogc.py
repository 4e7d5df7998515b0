"""OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0) over the public layers.

Framework-neutral: `FeaturesAPI` answers with (status, body, media type) and knows nothing of
Flask; `geoapp.web.ogc` is the thin adapter. Its provider is the dataset already in memory
(loaded and validated once), never a file re-read per request. Only the public layers of
`geoapp.layers` are collections: tables about people (loans, trainees) never appear.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import quote, quote_plus

import numpy as np
import orjson
import shapely

from geoapp import params
from geoapp.analysis.index import DatasetIndex, LayerIndex, first_rows
from geoapp.data.load import Dataset
from geoapp.layers import LAYERS, PUBLIC_LAYERS, LayerSpec
from geoapp.messages import N_, Message, UserError
from geoapp.params import ParamError
from geoapp.records import plain_values
from geoapp.views.shelf import Shelf, mapped, numbers_at_end, version_key, write_numbers

if TYPE_CHECKING:
    from geoapp.views.served import Served, ServedVersion

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
# Part 2: the systems a client may ask for (`crs`, `bbox-crs`), each with its EPSG code and whether
# its axes are latitude first (EPSG:4326 and EPSG:4490, the national CGCS2000, are; CRS84 is not).
SUPPORTED_CRS = {CRS84: (4326, False), f"{EPSG}4326": (4326, True), f"{EPSG}4490": (4490, True),
                 f"{EPSG}3857": (3857, False)}
JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
HTML = "text/html"
MAX_HTML_LIMIT = 500    # a page a person reads (and its map) holds at most this many features
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
MAX_OFFSET = 10**9
RESERVED = {"bbox", "limit", "offset", "f", "datetime", "crs", "bbox-crs", "lang", "properties"}
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
GEOMETRY_FORMATS = {"Point": "geometry-point", "Polygon": "geometry-polygon", "MultiPolygon": "geometry-multipolygon"}
STREAM_CHUNK = 500      # features written at a time by `items_text`
ENCODED_CHUNK = 10_000  # features encoded at a time by `FeaturesAPI.write_every_feature`


class OGCError(UserError):
    """An OGC API exception: an HTTP status, an OGC exception code and a message."""

    def __init__(self, status: int, code: str, msgid: str | Message, **values):
        super().__init__(msgid, status=status, **values)
        self.code = code

    def body(self, translate=str) -> dict:
        return {"code": self.code, "description": translate(self.message)}


@dataclass(frozen=True)
class ItemsPage:
    """What an items request selected: the page's row positions and the columns it shows."""
    layer: LayerSpec
    rows: np.ndarray
    columns: list[str]
    matched: int
    links: list[dict]
    crs: str = CRS84


def _compact(value) -> str:
    """JSON without spaces, written by orjson (json.dumps was half of an items request's time:
    bench/README.md, OGC throughput)."""
    return orjson.dumps(value).decode()


def _checked(parse):
    """A parameter from `geoapp.params`, its ParamError as an OGC InvalidParameterValue."""
    try:
        return parse()
    except ParamError as err:
        raise OGCError(400, "InvalidParameterValue", err.message) from None


def crs_of(args: dict[str, str], name: str) -> str:
    """The CRS a request names in `name` (`crs`, `bbox-crs`), CRS84 when absent; 400 naming the
    supported ones otherwise."""
    uri = (args.get(name) or CRS84).strip()
    if uri.startswith("[") and uri.endswith("]"):  # the safe-CURIE form, [EPSG:4490]
        uri = EPSG + uri[1:-1].split(":")[-1] if uri[1:-1].upper().startswith("EPSG:") else uri
    if uri not in SUPPORTED_CRS:
        raise OGCError(400, "InvalidParameterValue", N_("%(name)s=%(value)s is not supported; use one of %(known)s"),
                       name=name, value=repr(uri)[:80], known=", ".join(SUPPORTED_CRS))
    return uri


def _transformer(source: int, target: int):
    from pyproj import Transformer
    return Transformer.from_crs(source, target, always_xy=True)


def to_crs(geometries: np.ndarray, uri: str) -> np.ndarray:
    """Stored (lon, lat) geometries in the CRS `uri`, with its axis order."""
    code, lat_first = SUPPORTED_CRS[uri]
    if code != 4326:
        transform = _transformer(4326, code).transform
        geometries = shapely.transform(geometries, lambda xy: np.column_stack(transform(xy[:, 0], xy[:, 1])))
    if lat_first:
        geometries = shapely.transform(geometries, lambda xy: xy[:, ::-1])
    return geometries


def bbox_in_lonlat(box: tuple[float, float, float, float], uri: str) -> tuple[float, float, float, float]:
    """A bbox given in the CRS `uri` (its axis order) as lon/lat bounds for the index."""
    code, lat_first = SUPPORTED_CRS[uri]
    minx, miny, maxx, maxy = (box[1], box[0], box[3], box[2]) if lat_first else box
    if code == 4326:
        return minx, miny, maxx, maxy
    west, south, east, north = _transformer(code, 4326).transform_bounds(minx, miny, maxx, maxy)
    return west, south, east, north


@dataclass
class FeaturesAPI:
    dataset: Dataset
    base_url: str      # e.g. "http://host/ogc", no trailing slash
    title: str = "Hanyuan County industry party-building linkage zones"
    index: DatasetIndex | None = None  # kept per data version by the caller; built here if not given
    # a layer's every feature already written (`encoded_features`), or None: pages are written per request
    encoded: Callable[[str], EncodedFeatures | None] | None = None

    def __post_init__(self):
        self._index = self.index if self.index is not None else DatasetIndex(self.dataset)

    # helpers ---------------------------------------------------------------------------------
    def _collection_or_404(self, collection_id: str):
        if collection_id not in PUBLIC_LAYERS:
            raise OGCError(404, "NotFound", N_("no collection %(id)s; the collections are %(known)s"),
                           id=repr(collection_id)[:60], known=", ".join(PUBLIC_LAYERS))
        return LAYERS[collection_id], self.dataset[collection_id]

    def _link(self, path: str, rel: str, media: str, title: str | None = None) -> dict:
        link = {"href": f"{self.base_url}{path}", "rel": rel, "type": media}
        if title:
            link["title"] = title
        return link

    # resources ------------------------------------------------------------------------------
    def landing(self) -> dict:
        return {"title": self.title,
                "description": "Linkage zones, industry bases, party organisations, cooperatives, farm stays and "
                               "festivals of Hanyuan County (all but the county boundary illustrative).",
                "links": [self._link("", "self", JSON, "this document"),
                          self._link("?f=html", "alternate", HTML, "this document as a page"),
                          self._link("/api", "service-desc", OPENAPI, "the API definition"),
                          self._link("/conformance", "conformance", JSON, "conformance classes"),
                          self._link("/collections", "data", JSON, "the collections")]}

    def conformance(self) -> dict:
        return {"conformsTo": CONFORMANCE}

    def _describe(self, collection_id: str) -> dict:
        layer, frame = self._collection_or_404(collection_id)
        minx, miny, maxx, maxy = (round(float(v), 6) for v in frame.total_bounds)
        return {"id": collection_id, "title": layer.title_en, "description": layer.description,
                "itemType": "feature", "crs": list(SUPPORTED_CRS), "storageCrs": CRS84,
                "geometryType": layer.geometry[-1] if len(layer.geometry) > 1 else layer.geometry[0],
                "extent": {"spatial": {"bbox": [[minx, miny, maxx, maxy]], "crs": CRS84}},
                "links": [self._link(f"/collections/{collection_id}", "self", JSON),
                          self._link(f"/collections/{collection_id}?f=html", "alternate", HTML, "as a page"),
                          self._link(f"/collections/{collection_id}/items", "items", GEOJSON, "the features"),
                          self._link(f"/collections/{collection_id}/queryables", QUERYABLES_REL,
                                     "application/schema+json", "the properties it can be filtered by")]}

    def queryables(self, collection_id: str) -> dict:
        """Part 3: the properties a request may filter by, with their types, and the geometry."""
        layer, _frame = self._collection_or_404(collection_id)
        kinds = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
        properties: dict[str, dict] = {c.name: {"title": c.name, "type": kinds[c.type]} for c in layer.columns}
        for column in layer.columns:
            if column.choices:
                properties[column.name]["enum"] = list(column.choices)
        geometry = layer.geometry[-1] if len(layer.geometry) > 1 else layer.geometry[0]
        properties["geometry"] = {"format": GEOMETRY_FORMATS.get(geometry, "geometry-any")}
        return {"$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": f"{self.base_url}/collections/{collection_id}/queryables", "type": "object",
                "title": layer.title_en, "properties": properties, "additionalProperties": False}

    def collections(self) -> dict:
        return {"collections": [self._describe(c) for c in PUBLIC_LAYERS],
                "links": [self._link("/collections", "self", JSON),
                          self._link("/collections?f=html", "alternate", HTML, "as a page")]}

    def collection(self, collection_id: str) -> dict:
        return self._describe(collection_id)

    def _features(self, layer, rows: np.ndarray, columns: list[str], crs: str = CRS84) -> list[dict]:
        """The features at row positions `rows`, read from the index's arrays, in `crs`: the cost
        is the page, whatever the layer's size."""
        index = self._index.layer(layer.id)
        ids = [str(k) for k in index.array(layer.key_columns[0])[rows].tolist()]
        values = []
        for column in columns:
            array, plain = index.plain_column(column, layer.column(column).type == "str")
            values.append(array[rows].tolist() if plain else plain_values(array[rows]))
        points = index.point_coordinates
        if points is not None and crs == CRS84:
            geometries: list[dict | None] = [{"type": "Point", "coordinates": xy} for xy in points[rows].tolist()]
        else:
            shapes = index.geometries[rows] if crs == CRS84 else to_crs(index.geometries[rows], crs)
            geometries = [json.loads(g) if g is not None else None for g in shapely.to_geojson(shapes).tolist()]
        # a property without a value is left out (GeoJSON's way; the queryables list every one):
        # a farm stay's page of 100 is a third smaller, and so quicker to write and compress
        return [{"type": "Feature", "id": id_, "properties": {c: v for c, v in zip(columns, row) if v is not None},
                 "geometry": geometry}
                for id_, row, geometry in zip(ids, zip(*values) if values else [()] * len(ids), geometries)]

    def _properties(self, layer, args) -> list[str]:
        """The columns `properties=` asks for (all of them when it is absent)."""
        names = list(layer.column_names)
        wanted = args.get("properties")
        if wanted is None:
            return names
        chosen = [p.strip() for p in wanted.split(",") if p.strip()]
        unknown = [p for p in chosen if p not in names]
        if unknown or len(wanted) > 2000:
            raise OGCError(400, "InvalidParameterValue", N_("properties=%(names)s: the properties of %(id)s are "
                                                            "%(known)s"),
                           names=", ".join(repr(u)[:40] for u in unknown[:5])[:200], id=layer.id,
                           known=", ".join(names))
        return chosen

    def items(self, collection_id: str, args: dict[str, str], most: int = MAX_LIMIT) -> dict:
        """Features matching `bbox` and property filters, paged by `limit` (at most `most`) and
        `offset`, through the layer's index: the cost is what matches and the page, not the
        layer's size."""
        page = self._page(collection_id, args, most)
        features = self._features(page.layer, page.rows, page.columns, page.crs)
        return {"type": "FeatureCollection", "features": features, "numberMatched": page.matched,
                "numberReturned": len(features), "links": page.links}

    def items_text(self, collection_id: str, args: dict[str, str]) -> Iterator[bytes]:
        """The `items` answer as UTF-8 JSON written in pieces of STREAM_CHUNK features (one piece
        for a page that small), so a page of thousands of large features is never whole in
        memory. The request is checked before the first piece: a bad one raises OGCError here,
        not half way through."""
        page = self._page(collection_id, args)

        whole = page.crs == CRS84 and page.columns == list(page.layer.column_names)
        written = self.encoded(collection_id) if whole and self.encoded is not None else None

        def pieces() -> Iterator[bytes]:
            head = (f'{{"type":"FeatureCollection","numberMatched":{page.matched},'
                    f'"numberReturned":{len(page.rows)},"links":{_compact(page.links)},"features":[').encode()
            for start in range(0, max(1, len(page.rows)), STREAM_CHUNK):
                rows = page.rows[start:start + STREAM_CHUNK]
                chunk = (written.joined(rows) if written is not None
                         else orjson.dumps(self._features(page.layer, rows, page.columns, page.crs))[1:-1])
                last = start + STREAM_CHUNK >= len(page.rows)
                yield b"".join((b"," if start else head, chunk, b"]}" if last else b""))
        return pieces()

    def write_every_feature(self, collection_id: str, out: BinaryIO) -> None:
        """Every feature of a collection as `items_text` writes it (every property, CRS84), for
        `EncodedFeatures`: the features' texts one after another, then where each ends (n + 1
        little-endian int64, the first 0), then n (int64)."""
        layer, frame = self._collection_or_404(collection_id)
        columns = list(layer.column_names)
        ends = [0]
        for start in range(0, len(frame), ENCODED_CHUNK):
            for feature in self._features(layer, np.arange(start, min(len(frame), start + ENCODED_CHUNK)), columns):
                text = orjson.dumps(feature)
                out.write(text)
                ends.append(ends[-1] + len(text))
        write_numbers(out, [ends], len(frame))

    def _page(self, collection_id: str, args: dict[str, str], most: int = MAX_LIMIT) -> ItemsPage:
        layer, _frame = self._collection_or_404(collection_id)
        # a limit above the most is the most (Part 1: the server may lower it), not an error
        limit = min(_checked(lambda: params.whole(args, "limit", 1, 10**12, default=DEFAULT_LIMIT)), most)
        offset = _checked(lambda: params.whole(args, "offset", 0, MAX_OFFSET, default=0))
        unknown = set(args) - RESERVED - set(layer.column_names)
        if unknown:
            raise OGCError(400, "InvalidParameterValue", N_("unknown parameter %(names)s; the queryable properties of "
                                                            "%(id)s are %(known)s"),
                           names=", ".join(sorted(repr(u)[:40] for u in unknown))[:200], id=collection_id,
                           known=", ".join(layer.column_names))
        columns = self._properties(layer, args)
        index = self._index.layer(collection_id)
        crs = crs_of(args, "crs")
        bbox_crs = crs_of(args, "bbox-crs")
        code, lat_first = SUPPORTED_CRS[bbox_crs]
        box = _checked(lambda: params.bbox(args, axes="metres" if code == 3857 else "latlon" if lat_first else "lonlat"))
        lonlat_box = bbox_in_lonlat(box, bbox_crs) if box is not None else None
        filters = sorted(set(args) - RESERVED)
        if filters:  # every row in the box, then those with the values asked
            rows = _with_values(layer, index, index.in_box(lonlat_box, ordered=False), args, filters)
            page, matched = first_rows(rows, offset, offset + limit), len(rows)
        else:
            page, matched = index.page_in_box(lonlat_box, offset, offset + limit)
        # each parameter quoted once for the page's links (urlencode per link was a fifth of a page's time)
        query = {k: f"{quoted(k)}={quoted(v)}" for k, v in args.items() if k not in ("offset", "f")}
        links = [self._items_link(collection_id, query, offset, limit, "self"),
                 self._items_link(collection_id, {**query, "f": "f=html"}, offset, limit, "alternate", HTML)]
        if offset + limit < matched:
            links.append(self._items_link(collection_id, query, offset + limit, limit, "next"))
        if offset > 0:
            links.append(self._items_link(collection_id, query, max(0, offset - limit), limit, "prev"))
        return ItemsPage(layer, page, columns, matched, links, crs)

    def _items_link(self, collection_id: str, quoted: dict[str, str], offset: int, limit: int, rel: str,
                    media: str = GEOJSON) -> dict:
        """A link to a page of items: `quoted` is the request's parameters, each as `name=value` quoted."""
        params = "&".join({**quoted, "limit": f"limit={limit}", "offset": f"offset={offset}"}.values())
        return self._link(f"/collections/{collection_id}/items?{params}", rel, media)

    def item(self, collection_id: str, feature_id: str, args: dict[str, str] | None = None) -> dict:
        layer, _frame = self._collection_or_404(collection_id)
        crs = crs_of(args or {}, "crs")
        position = self._index.layer(collection_id).position(layer.key_columns[0], feature_id)
        if position is None:
            raise OGCError(404, "NotFound", N_("no feature %(id)s in %(collection)s"), id=repr(feature_id)[:60],
                           collection=collection_id)
        [feature] = self._features(layer, np.array([position]), list(layer.column_names), crs)
        here = f"/collections/{collection_id}/items/{quote(feature_id, safe='')}"
        feature["links"] = [self._link(here, "self", GEOJSON), self._link(f"{here}?f=html", "alternate", HTML, "as a page"),
                            self._link(f"/collections/{collection_id}", "collection", JSON)]
        return feature

    def openapi(self) -> dict:
        """The OpenAPI 3.0 definition of this API, one items path per collection."""
        common: dict[str, dict] = {"limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                       "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                  "offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                  "properties": {"name": "properties", "in": "query", "style": "form", "explode": False,
                                 "description": "the properties to return (all when absent)",
                                 "schema": {"type": "array", "items": {"type": "string"}}},
                  "bbox": {"name": "bbox", "in": "query", "style": "form", "explode": False,
                           "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                  "crs": {"name": "crs", "in": "query", "schema": {"type": "string", "format": "uri",
                                                                   "enum": list(SUPPORTED_CRS)}},
                  "bbox-crs": {"name": "bbox-crs", "in": "query", "schema": {"type": "string", "format": "uri",
                                                                             "enum": list(SUPPORTED_CRS)}}}
        common["f"] = {"name": "f", "in": "query", "description": "json (the default), or html: a page a person reads",
                       "schema": {"type": "string", "enum": ["json", "html"]}}
        ok = lambda media, text: {"200": {"description": text, "content": {media: {"schema": {"type": "object"}}}}}  # noqa: E731
        paths: dict[str, dict] = {
            "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage", "parameters": [common["f"]],
                          "responses": ok(JSON, "links")}},
            "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformance",
                                     "parameters": [common["f"]], "responses": ok(JSON, "conformance classes")}},
            "/collections": {"get": {"summary": "Collections", "operationId": "getCollections",
                                     "parameters": [common["f"]], "responses": ok(JSON, "the collections")}},
        }
        kinds = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
        for collection_id in PUBLIC_LAYERS:
            layer = LAYERS[collection_id]
            properties = [{"name": c.name, "in": "query", "required": False, "schema": {"type": kinds[c.type]}}
                          for c in layer.columns]
            paths[f"/collections/{collection_id}"] = {"get": {
                "summary": f"{layer.title_en}: description", "operationId": f"describe_{collection_id}",
                "parameters": [common["f"]], "responses": ok(JSON, "the collection")}}
            paths[f"/collections/{collection_id}/items"] = {"get": {
                "summary": f"{layer.title_en}: features", "operationId": f"get_{collection_id}_items",
                "parameters": [common["bbox"], common["bbox-crs"], common["crs"], common["limit"], common["offset"],
                               common["properties"], common["f"], *properties],
                "responses": {**ok(GEOJSON, "features"), "400": {"description": "a bad parameter"}}}}
            paths[f"/collections/{collection_id}/queryables"] = {"get": {
                "summary": f"{layer.title_en}: queryables", "operationId": f"get_{collection_id}_queryables",
                "parameters": [common["f"]], "responses": ok("application/schema+json", "the queryable properties")}}
            paths[f"/collections/{collection_id}/items/{{featureId}}"] = {"get": {
                "summary": f"{layer.title_en}: one feature", "operationId": f"get_{collection_id}_item",
                "parameters": [{"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
                               common["crs"], common["f"]],
                "responses": {**ok(GEOJSON, "the feature"), "404": {"description": "no such feature"}}}}
        return {"openapi": "3.0.3", "info": {"title": self.title, "version": "1.0.0"},
                "servers": [{"url": self.base_url}], "paths": paths}


def _with_values(layer: LayerSpec, index: LayerIndex, rows: np.ndarray, args: dict[str, str], names: list[str]) -> np.ndarray:
    """Those of `rows` whose columns `names` hold the values `args` asks (a number compares as one)."""
    for name in names:
        if not args[name].strip():
            raise OGCError(400, "InvalidParameterValue", N_("%(name)s is empty: give the value the features must "
                                                            "have"), name=name)
        if layer.column(name).type in ("int", "float"):
            value = _checked(lambda name=name: params.number(args, name, -1e15, 1e15))
            rows = index.where_equal(rows, name, float(value))
        else:
            rows = index.where_equal(rows, name, args[name])
    return rows


_PLAIN = re.compile(r"[A-Za-z0-9_.~,-]*")


def quoted(text: str) -> str:
    """`quote_plus(text)`, quickly for what a query mostly holds (numbers, names, a bbox's commas)."""
    return text.replace(",", "%2C") if _PLAIN.fullmatch(text) else quote_plus(text)


class EncodedFeatures:
    """A layer's every feature as JSON text, written once per data version into a file of the
    shelf (`FeaturesAPI.write_every_feature`) and mapped into memory: a page of items is its
    features' texts joined — no dictionaries, no encoding per request — and every worker reads
    the same pages of the page cache (memory shared, and only what is read is resident)."""

    def __init__(self, path: Path):
        self._map, count = mapped(path)
        self._ends = numbers_at_end(self._map, count + 1)

    def joined(self, rows: np.ndarray) -> bytes:
        """The texts of the features at row positions `rows`, comma-separated."""
        text, ends = self._map, self._ends
        return b",".join([text[a:b] for a, b in zip(ends[rows].tolist(), ends[rows + 1].tolist())])


def encoded_features(version: ServedVersion, shelf: Shelf, collection_id: str) -> EncodedFeatures | None:
    """Collection `collection_id` of `version` written once (by whichever process first needs it,
    then for every worker) and kept mapped for the version's life; None for a county's slice
    (its rows are not the whole's) or a collection that is not public."""
    if not version.whole or collection_id not in PUBLIC_LAYERS:
        return None

    def mapped() -> EncodedFeatures:
        api = FeaturesAPI(version.dataset, "", index=version.index)
        return EncodedFeatures(shelf.written_once(version_key(version), f"ogc/{collection_id}.features",
                                                  lambda out: api.write_every_feature(collection_id, out)))
    return version.made_once(("ogc-features", collection_id), mapped)


def encode_features_ahead(served: Served, version: ServedVersion) -> None:
    """A `Served.warm_ahead` hook: every public collection of a version written before it is served."""
    for collection_id in PUBLIC_LAYERS:
        encoded_features(version, served.shelf, collection_id)
