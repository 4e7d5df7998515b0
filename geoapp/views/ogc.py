"""OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0) over the public layers.

Framework-neutral: `FeaturesAPI` answers with (status, body, media type) and knows nothing of
Flask; `geoapp.web.ogc` is the thin adapter. Its provider is the dataset already in memory
(loaded and validated once), never a file re-read per request. Only the public layers of
`geoapp.layers` are collections: tables about people (loans, trainees) never appear.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import orjson
import shapely

from geoapp import params
from geoapp.analysis.index import DatasetIndex
from geoapp.data.load import Dataset
from geoapp.layers import LAYERS, PUBLIC_LAYERS
from geoapp.messages import N_, Message, UserError
from geoapp.params import ParamError
from geoapp.records import plain_values

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
MAX_OFFSET = 10**9
RESERVED = {"bbox", "limit", "offset", "f", "datetime", "crs", "bbox-crs", "lang", "properties"}
STREAM_CHUNK = 500      # features written at a time by `items_text`


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
    layer: object
    rows: np.ndarray
    columns: list[str]
    matched: int
    links: list[dict]


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


@dataclass
class FeaturesAPI:
    dataset: Dataset
    base_url: str      # e.g. "http://host/ogc", no trailing slash
    title: str = "Hanyuan County industry party-building linkage zones"
    index: DatasetIndex | None = None  # kept per data version by the caller; built here if not given

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
                          self._link("/api", "service-desc", OPENAPI, "the API definition"),
                          self._link("/conformance", "conformance", JSON, "conformance classes"),
                          self._link("/collections", "data", JSON, "the collections")]}

    def conformance(self) -> dict:
        return {"conformsTo": CONFORMANCE}

    def _describe(self, collection_id: str) -> dict:
        layer, frame = self._collection_or_404(collection_id)
        minx, miny, maxx, maxy = (round(float(v), 6) for v in frame.total_bounds)
        return {"id": collection_id, "title": layer.title_en, "description": layer.description,
                "itemType": "feature", "crs": [CRS84],
                "extent": {"spatial": {"bbox": [[minx, miny, maxx, maxy]], "crs": CRS84}},
                "links": [self._link(f"/collections/{collection_id}", "self", JSON),
                          self._link(f"/collections/{collection_id}/items", "items", GEOJSON, "the features")]}

    def collections(self) -> dict:
        return {"collections": [self._describe(c) for c in PUBLIC_LAYERS],
                "links": [self._link("/collections", "self", JSON)]}

    def collection(self, collection_id: str) -> dict:
        return self._describe(collection_id)

    def _features(self, layer, rows: np.ndarray, columns: list[str]) -> list[dict]:
        """The features at row positions `rows`, read from the index's arrays: the cost is the
        page, whatever the layer's size."""
        index = self._index.layer(layer.id)
        ids = [str(k) for k in index.array(layer.key_columns[0])[rows].tolist()]
        values = []
        for column in columns:
            array, plain = index.plain_column(column, layer.column(column).type == "str")
            values.append(array[rows].tolist() if plain else plain_values(array[rows]))
        points = index.point_coordinates
        if points is not None:
            geometries: list[dict | None] = [{"type": "Point", "coordinates": xy} for xy in points[rows].tolist()]
        else:
            geometries = [json.loads(g) if g is not None else None
                          for g in shapely.to_geojson(index.geometries[rows]).tolist()]
        return [{"type": "Feature", "id": id_, "properties": dict(zip(columns, row)), "geometry": geometry}
                for id_, row, geometry in zip(ids, zip(*values) if values else [()] * len(ids), geometries)]

    def _properties(self, layer, args) -> list[str]:
        """The columns `properties=` asks for (all of them when it is absent)."""
        names = [c.name for c in layer.columns]
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

    def items(self, collection_id: str, args: dict[str, str]) -> dict:
        """Features matching `bbox` and property filters, paged by `limit` and `offset`, through
        the layer's index: the cost is what matches and the page, not the layer's size."""
        page = self._page(collection_id, args)
        features = self._features(page.layer, page.rows, page.columns)
        return {"type": "FeatureCollection", "features": features, "numberMatched": page.matched,
                "numberReturned": len(features), "links": page.links}

    def items_text(self, collection_id: str, args: dict[str, str]) -> Iterator[str]:
        """The `items` answer as JSON text written in pieces of STREAM_CHUNK features (one piece
        for a page that small), so a page of thousands of large features is never whole in
        memory. The request is checked before the first piece: a bad one raises OGCError here,
        not half way through."""
        page = self._page(collection_id, args)

        def pieces() -> Iterator[str]:
            head = (f'{{"type":"FeatureCollection","numberMatched":{page.matched},'
                    f'"numberReturned":{len(page.rows)},"links":{_compact(page.links)},"features":[')
            for start in range(0, max(1, len(page.rows)), STREAM_CHUNK):
                chunk = _compact(self._features(page.layer, page.rows[start:start + STREAM_CHUNK], page.columns))[1:-1]
                last = start + STREAM_CHUNK >= len(page.rows)
                yield ("," if start else head) + chunk + ("]}" if last else "")
        return pieces()

    def _page(self, collection_id: str, args: dict[str, str]) -> ItemsPage:
        layer, _frame = self._collection_or_404(collection_id)
        limit = _checked(lambda: params.whole(args, "limit", 1, MAX_LIMIT, default=DEFAULT_LIMIT))
        offset = _checked(lambda: params.whole(args, "offset", 0, MAX_OFFSET, default=0))
        unknown = set(args) - RESERVED - {c.name for c in layer.columns}
        if unknown:
            raise OGCError(400, "InvalidParameterValue", N_("unknown parameter %(names)s; the queryable properties of "
                                                            "%(id)s are %(known)s"),
                           names=", ".join(sorted(repr(u)[:40] for u in unknown))[:200], id=collection_id,
                           known=", ".join(c.name for c in layer.columns))
        columns = self._properties(layer, args)
        index = self._index.layer(collection_id)
        rows = index.in_box(_checked(lambda: params.bbox(args)))
        for name in sorted(set(args) - RESERVED):
            if not args[name].strip():
                raise OGCError(400, "InvalidParameterValue", N_("%(name)s is empty: give the value the features must "
                                                                "have"), name=name)
            column = layer.column(name)
            if column.type in ("int", "float"):
                value = _checked(lambda name=name: params.number(args, name, -1e15, 1e15))
                rows = index.where_equal(rows, name, float(value))
            else:
                rows = index.where_equal(rows, name, args[name])
        query = {k: v for k, v in args.items() if k not in ("offset", "f")}
        links = [self._items_link(collection_id, query, offset, limit, "self")]
        if offset + limit < len(rows):
            links.append(self._items_link(collection_id, query, offset + limit, limit, "next"))
        if offset > 0:
            links.append(self._items_link(collection_id, query, max(0, offset - limit), limit, "prev"))
        return ItemsPage(layer, rows[offset:offset + limit], columns, len(rows), links)

    def _items_link(self, collection_id, query, offset, limit, rel) -> dict:
        from urllib.parse import urlencode
        params = urlencode({**query, "limit": limit, "offset": offset})
        return self._link(f"/collections/{collection_id}/items?{params}", rel, GEOJSON)

    def item(self, collection_id: str, feature_id: str) -> dict:
        layer, _frame = self._collection_or_404(collection_id)
        position = self._index.layer(collection_id).position(layer.key_columns[0], feature_id)
        if position is None:
            raise OGCError(404, "NotFound", N_("no feature %(id)s in %(collection)s"), id=repr(feature_id)[:60],
                           collection=collection_id)
        [feature] = self._features(layer, np.array([position]), [c.name for c in layer.columns])
        feature["links"] = [self._link(f"/collections/{collection_id}/items/{feature_id}", "self", GEOJSON),
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
                           "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}}}}
        ok = lambda media, text: {"200": {"description": text, "content": {media: {"schema": {"type": "object"}}}}}  # noqa: E731
        paths: dict[str, dict] = {
            "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage", "responses": ok(JSON, "links")}},
            "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformance",
                                     "responses": ok(JSON, "conformance classes")}},
            "/collections": {"get": {"summary": "Collections", "operationId": "getCollections",
                                     "responses": ok(JSON, "the collections")}},
        }
        kinds = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
        for collection_id in PUBLIC_LAYERS:
            layer = LAYERS[collection_id]
            properties = [{"name": c.name, "in": "query", "required": False, "schema": {"type": kinds[c.type]}}
                          for c in layer.columns]
            paths[f"/collections/{collection_id}"] = {"get": {
                "summary": f"{layer.title_en}: description", "operationId": f"describe_{collection_id}",
                "responses": ok(JSON, "the collection")}}
            paths[f"/collections/{collection_id}/items"] = {"get": {
                "summary": f"{layer.title_en}: features", "operationId": f"get_{collection_id}_items",
                "parameters": [common["bbox"], common["limit"], common["offset"], common["properties"], *properties],
                "responses": {**ok(GEOJSON, "features"), "400": {"description": "a bad parameter"}}}}
            paths[f"/collections/{collection_id}/items/{{featureId}}"] = {"get": {
                "summary": f"{layer.title_en}: one feature", "operationId": f"get_{collection_id}_item",
                "parameters": [{"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {**ok(GEOJSON, "the feature"), "404": {"description": "no such feature"}}}}
        return {"openapi": "3.0.3", "info": {"title": self.title, "version": "1.0.0"},
                "servers": [{"url": self.base_url}], "paths": paths}
