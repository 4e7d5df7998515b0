"""The OpenAPI 3.0 description of geoapp's own JSON API (/api/*), served at /api/openapi.json.

The OGC API describes itself (`geoapp.views.ogc.FeaturesAPI.openapi`); this is the rest: the
county's figures, coverage, zones, branches, farm stays and planning. Public reads need nothing;
what needs a login says so (`cookieAuth`, and the `X-CSRFToken` header on writes). The
vocabularies (indicators, coverage layers, sorts) are read from where they are defined, so the
description cannot drift from what the routes accept.
"""
from __future__ import annotations

from geoapp.analysis.farmstays import MAX_RADIUS_KM, SORTS
from geoapp.analysis.farmstays import MAX_TEXT as MAX_SEARCH_TEXT
from geoapp.layers import INDUSTRIES
from geoapp.maps.coverage import LAYER_KEYS
from geoapp.params import FIRST_YEAR, LAST_YEAR
from geoapp.views.farmstays import API_MAX_LIMIT, MAX_OFFSET

JSON = "application/json"
GEOJSON = "application/geo+json"
STANDINGS = ("green", "amber", "red")
LANG = {"name": "lang", "in": "query", "description": "the language of the words: zh (default) or en",
        "schema": {"type": "string", "enum": ["zh", "en"]}}


def _query(name: str, description: str, schema: dict, required: bool = False) -> dict:
    return {"name": name, "in": "query", "description": description, "required": required, "schema": schema}


def _path(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "maxLength": 200}}


def _errors(*codes: int) -> dict:
    words = {400: "a parameter is wrong: the message names it", 401: "not logged in", 403: "not allowed for this account",
             404: "no such thing", 409: "it changed meanwhile", 413: "too large"}
    return {str(code): {"description": words[code], "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for code in codes}


def _answers(description: str, media: str = JSON, *errors: int) -> dict:
    return {"200": {"description": description, "content": {media: {"schema": {"type": "object"}}}}, **_errors(*errors)}


def _get(summary: str, parameters: list[dict], answers: dict, login: bool = False) -> dict:
    operation = {"summary": summary, "parameters": [*parameters, LANG], "responses": answers}
    if login:
        operation["security"] = [{"cookieAuth": []}]
    return {"get": operation}


def _write(method: str, summary: str, parameters: list[dict], body: dict | None, answers: dict) -> dict:
    operation: dict = {"summary": summary, "parameters": [*parameters, {"name": "X-CSRFToken", "in": "header",
                       "required": True, "schema": {"type": "string"}}],
                       "responses": answers, "security": [{"cookieAuth": []}]}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return {method: operation}


def api_definition(base_url: str, metrics: list[str], version: str) -> dict:
    """The OpenAPI 3.0 document of /api/* for a server at `base_url` (…/api) whose coverage map can
    be shaded by `metrics`; `version` is the package's."""
    metric = _query("metric", "the indicator the townships are shaded by", {"type": "string", "enum": list(metrics)})
    as_of = _query("as_of", "the month a standing is judged at, YYYY-MM (the latest month with records when absent)",
                   {"type": "string", "pattern": r"^\d{4}-\d{2}$"})
    stay_search = [
        _query("q", "words or pinyin (initials too) of a stay's name, township or dishes",
               {"type": "string", "maxLength": MAX_SEARCH_TEXT}),
        _query("stars_min", "at least this many stars", {"type": "integer", "minimum": 1, "maximum": 5}),
        _query("price_max", "yuan a night at most", {"type": "number", "minimum": 0, "maximum": 1_000_000}),
        _query("from", "first day of the trip, YYYY-MM-DD", {"type": "string", "format": "date"}),
        _query("to", "last day of the trip, YYYY-MM-DD", {"type": "string", "format": "date"}),
        _query("township", "a township's id", {"type": "string"}),
        _query("festival", "a festival's id: stays near it", {"type": "string"}),
        _query("near", "LAT,LON: distances from there", {"type": "string", "example": "29.35,102.68"}),
        _query("radius_km", "only stays this near", {"type": "number", "minimum": 0.1, "maximum": MAX_RADIUS_KM}),
        _query("sort", "the order", {"type": "string", "enum": list(SORTS)}),
    ]
    stay_id = _path("stay_id", "a farm stay's id (FS01)")
    proposal_id = {"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    site = {"type": "object", "description": "a GeoJSON Feature or geometry, lon/lat (WGS-84)"}
    paths = {
        "/summary": _get("The county's figures (the article's), by zone, with the data's versions", [],
                         _answers("the figures")),
        "/coverage": _get("Coverage by township and zone, the gaps, and the map's classes",
                          [metric, _query("compare", "a year: shade by the change since then",
                                          {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR}),
                           _query("offset", "townships to skip (the list comes in pages)",
                                  {"type": "integer", "minimum": 0})], _answers("the coverage", JSON, 400)),
        "/coverage/view": _get("What changes on the coverage page with another indicator", [metric],
                               _answers("classes, legend and table", JSON, 400)),
        "/coverage/layers/{key}": _get("One layer of the coverage map (lean GeoJSON)",
                                       [{**_path("key", "the layer"), "schema": {"type": "string",
                                                                                 "enum": list(LAYER_KEYS)}}, metric],
                                       _answers("the layer", GEOJSON, 400, 404)),
        "/coverage/popups/{key}/{feature_id}": _get(
            "What the map says about one feature", [{**_path("key", "the layer"), "schema": {"type": "string",
                                                     "enum": list(LAYER_KEYS)}}, _path("feature_id", "its id"), metric],
            _answers("title, subtitle and rows", JSON, 400, 404)),
        "/coverage/search": _get("Places by name, pinyin or pinyin initials (zones, townships, villages, branches, "
                                 "bases), each with where it is",
                                 [_query("q", "what to look for", {"type": "string", "maxLength": 60})],
                                 _answers("the places found, names beginning with it first", JSON, 400)),
        "/coverage/identify": _get(
            "Everything under a point (a click), the aimed-at feature first",
            [_query("lat", "latitude", {"type": "number", "minimum": -90, "maximum": 90}, required=True),
             _query("lon", "longitude", {"type": "number", "minimum": -180, "maximum": 180}, required=True),
             _query("zoom", "the map's zoom (how near counts as under)", {"type": "number", "minimum": 0, "maximum": 22}),
             _query("layers", "comma-separated layers to look in", {"type": "string"}),
             _query("aimed", "LAYER:ID of the feature clicked", {"type": "string", "maxLength": 200}), metric],
            _answers("the features", JSON, 400)),
        "/zones": _get("Every zone with its four linkages in figures", [], _answers("the zones")),
        "/zones/{zone_id}": _get("One zone: organisation, team, service, development", [_path("zone_id", "a zone's id")],
                                 _answers("the zone", JSON, 404)),
        "/branches": _get("Every party organisation with its standing (green, amber, red) and what it misses",
                          [_query("status", "only this standing", {"type": "string", "enum": list(STANDINGS)}), as_of,
                           _query("zone", "only this zone's", {"type": "string"})], _answers("the branches", JSON, 400)),
        "/branches/{branch_id}": _get("One branch: its chain of committees, secretary, villages, five days, standing",
                                      [_path("branch_id", "an organisation's id (PO-I001)"), as_of],
                                      _answers("the branch", JSON, 400, 404)),
        "/branches/{branch_id}/activities": _write(
            "post", "A branch secretary reports an activity (one of the five days)",
            [_path("branch_id", "the secretary's own branch")],
            {"type": "object", "required": ["kind", "date", "topic_zh", "attendance"],
             "properties": {"kind": {"type": "string"}, "date": {"type": "string", "format": "date"},
                            "topic_zh": {"type": "string"}, "attendance": {"type": "integer", "minimum": 0},
                            "client_key": {"type": "string", "description": "the same key twice is stored once"}}},
            {"201": {"description": "stored"}, "200": {"description": "already stored (the same client_key)"},
             **_errors(400, 401, 403)}),
        "/activities/{activity_id}": {**_write("patch", "An admin corrects a report (every revision is kept)",
                                               [_path("activity_id", "the report")], {"type": "object"},
                                               _answers("the report", JSON, 400, 401, 403, 404)),
                                      **_write("delete", "An admin removes a report", [_path("activity_id", "the report")],
                                               None, _answers("removed", JSON, 401, 403, 404))},
        "/pipeline": _get("The member pipeline as a process (office staff)", [_query("zone", "one zone", {"type": "string"})],
                          _answers("median days per step, conversion, the longest waits (by id)", JSON, 401), login=True),
        "/farmstays": _get("Farm stays matching a search (dates mark festivals and closed seasons, never hide a stay)",
                           [*stay_search, _query("bbox", "minLon,minLat,maxLon,maxLat: only in this view",
                                                 {"type": "string"}),
                            _query("limit", "stays per answer", {"type": "integer", "minimum": 0, "maximum": API_MAX_LIMIT}),
                            _query("offset", "stays to skip", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET})],
                           _answers("a FeatureCollection", GEOJSON, 400)),
        "/farmstays/map": _get("What the map shows of a search in a view: each stay when few, groups when many",
                               [*stay_search, _query("bbox", "the view, minLon,minLat,maxLon,maxLat", {"type": "string"}),
                                _query("zoom", "the map's zoom", {"type": "integer", "minimum": 0, "maximum": 22})],
                               _answers("a FeatureCollection", GEOJSON, 400)),
        "/farmstays/{stay_id}": _get("One farm stay", [stay_id], _answers("the stay", GEOJSON, 404)),
        "/farmstays/{stay_id}/popup": _get("What the map's popup says about a stay", [stay_id],
                                           _answers("title and rows", JSON, 404)),
        "/plan/candidates": _get("Suggested sites for a new base of an industry, each explained",
                                 [_query("industry", "the industry", {"type": "string", "enum": list(INDUSTRIES)},
                                         required=True),
                                  _query("n", "how many", {"type": "integer", "minimum": 1, "maximum": 50})],
                                 _answers("the ranked sites", JSON, 400)),
        "/plan/candidates.{fmt}": _get(
            "The suggested sites as a file (CSV for a spreadsheet, GeoJSON for a GIS)",
            [{**_path("fmt", "the file's kind"), "schema": {"type": "string", "enum": ["csv", "geojson"]}},
             _query("industry", "the industry", {"type": "string", "enum": list(INDUSTRIES)}, required=True),
             _query("n", "how many", {"type": "integer", "minimum": 1, "maximum": 50})],
            {"200": {"description": "the file", "content": {"text/csv": {"schema": {"type": "string"}},
                                                            GEOJSON: {"schema": {"type": "object"}}}},
             **_errors(400, 404)}),
        "/plan/upload": {"post": {
            "summary": "Read a site from a file (GeoJSON, GeoPackage, zipped Shapefile, CSV, XLSX) in any CRS it names",
            "parameters": [LANG],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"},
                               "crs": {"type": "string", "description": "EPSG:xxxx when the file does not say"},
                               "encoding": {"type": "string", "description": "of a Shapefile without .cpg"}}}}}},
            "responses": _answers("the site as GeoJSON", JSON, 400, 413)}},
        "/plan/point": _get("A point typed or pasted (two numbers in either order), in WGS-84 and as drawn",
                            [_query("text", "two numbers in degrees: '102.68, 29.35' or '29.35 102.68'",
                                    {"type": "string", "maxLength": 64}, required=True),
                             _query("datum", "the datum they are in", {"type": "string",
                                                                       "enum": ["wgs84", "gcj02", "bd09"]})],
                            _answers("each reading of the point (two when the order cannot be told)", JSON, 400)),
        "/plan/analyse": {"post": {"summary": "What a point or a drawn site holds and changes", "parameters": [LANG],
                                   "requestBody": {"required": True, "content": {JSON: {"schema": site}}},
                                   "responses": _answers("the analysis", JSON, 400, 413)}},
        "/proposals": {**_get("The proposals (planning office)", [], _answers("the proposals", JSON, 401), login=True),
                       **_write("post", "Save a proposal (a named site)", [], {"type": "object"},
                                _answers("the proposal", JSON, 400, 401, 413))},
        "/proposals/{proposal_id}": {
            **_get("One proposal with its revisions", [proposal_id], _answers("the proposal", JSON, 401, 404), login=True),
            **_write("patch", "Change a proposal or move it through the workflow (draft → submitted → approved, "
                     "rejected or withdrawn); an approved one is locked", [proposal_id], {"type": "object"},
                     _answers("the proposal", JSON, 400, 401, 403, 404, 409)),
            **_write("delete", "Remove a draft", [proposal_id], None, _answers("removed", JSON, 401, 403, 404))},
        "/proposals/{proposal_id}.pdf": _get(
            "A proposal's one-page sheet", [proposal_id],
            {"200": {"description": "the PDF", "content": {"application/pdf": {"schema": {"type": "string",
                                                                                           "format": "binary"}}}},
             **_errors(401, 404)}, login=True),
        "/proposals/compare": _get("Proposals side by side", [_query("ids", "comma-separated ids", {"type": "string"},
                                                                     required=True)],
                                   _answers("the comparison", JSON, 400, 401), login=True),
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "geoapp: Hanyuan County linkage zones", "version": version,
                 "description": "The JSON behind geoapp's pages. The data is illustrative except the county boundary "
                                "and the township seats: every answer about the data carries a `notice` saying so. "
                                "Counts of people under 5 are 'fewer than 5' (null) to the public. The public layers "
                                "as OGC API – Features: /ogc."},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "securitySchemes": {"cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                                               "description": "log in at /login; writes also send X-CSRFToken"}},
            "schemas": {"Error": {"type": "object", "required": ["message", "status"],
                                  "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                                 "status": {"type": "integer"}, "parameter": {"type": "string"}}}},
        },
    }
