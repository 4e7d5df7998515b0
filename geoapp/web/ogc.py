"""The Flask side of OGC API – Features at /ogc: turns requests into `geoapp.views.ogc.FeaturesAPI` calls."""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from itertools import chain

from flask import Blueprint, Response, render_template, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from geoapp.layers import LAYERS, PUBLIC_LAYERS
from geoapp.messages import N_
from geoapp.views.ogc import (
    GEOJSON,
    JSON,
    MAX_HTML_LIMIT,
    OPENAPI,
    FeaturesAPI,
    OGCError,
    crs_of,
    encoded_features,
)
from geoapp.views.served import ServedVersion
from geoapp.views.shelf import Shelf
from geoapp.web.errors import page_title
from geoapp.web.i18n import translate
from geoapp.web.state import served, version

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
CACHE = "public, max-age=60"   # a minute; then a conditional request (ETag) costs a 304


def _api() -> FeaturesAPI:
    return features_api(version(), url_root(request), served().shelf)


def url_root(asked) -> str:
    """Where werkzeug request `asked` came: scheme, host and root path (werkzeug's url_root
    without its IRI round trip and trailing slash)."""
    return f"{asked.scheme}://{asked.host}{asked.root_path}"


def features_api(current: ServedVersion, root: str, shelf: Shelf) -> FeaturesAPI:
    """The API over `current` with links under `root` (`url_root`), its pages of items written
    from the features written once per version."""
    return FeaturesAPI(current.dataset, f"{root}/ogc", index=current.index,
                       encoded=lambda collection_id: encoded_features(current, shelf, collection_id))


def data_etag(kind: str) -> str:
    return entity_tag(version(), request.full_path, translate_key(), kind)


def entity_tag(current: ServedVersion, full_path: str, lang: str, kind: str) -> str:
    """The answer's entity tag: the data version served, the request and the format (the same
    address on the same data is the same answer), so a client's cache revalidates for a 304."""
    versions = current.made_once(("versions as text",), lambda: json.dumps(current.dataset.versions, sort_keys=True))
    return hashlib.sha256(f"{versions}|{full_path}|{lang}|{kind}".encode()).hexdigest()[:32]


def cache_headers(etag: str) -> dict[str, str]:
    """What every answer of the API says of keeping it (a 304 too)."""
    return {"ETag": f'"{etag}"', "Cache-Control": CACHE, "Vary": "Accept"}


def translate_key() -> str:
    from geoapp.web.i18n import current_lang
    return current_lang()


def answer_format() -> str:
    """json or html: `f=` when given; otherwise what the client accepts (a browser's address bar
    asks for HTML; GDAL, QGIS, OWSLib and fetch() for JSON or anything)."""
    asked = request.args.get("f")
    if asked in ("json", "html"):
        return asked
    if asked not in (None, ""):
        raise OGCError(400, "InvalidParameterValue", N_("f=%(format)s: this API speaks JSON (f=json) and HTML "
                                                        "(f=html)"), format=repr(asked)[:40])
    return "html" if _browser() else "json"


def _answer(call, media: str, crs: bool = False, page: Callable[[], dict] | None = None) -> Response:
    """`call()`'s answer as compact JSON; text pieces (an iterator) are sent as they are made.
    With `crs`, the Content-Crs header names the CRS of the coordinates (Part 2). A request
    whose If-None-Match holds this data version's tag is a 304. As HTML (`f=html`, or a
    browser), `page()` is drawn as a page a person can read and follow."""
    try:
        kind = answer_format()
        if kind == "html" and page is None:  # (a browser that asks for the API definition gets its JSON)
            if request.args.get("f") == "html":
                raise OGCError(400, "InvalidParameterValue", N_("f=html: this document is JSON only (f=json)"))
            kind = "json"
        etag = data_etag(kind)
        vary = cache_headers(etag)
        content_crs = crs_of(request.args.to_dict(), "crs") if crs and kind == "json" else None
        if etag in request.if_none_match:
            return Response(status=304, headers=vary)
        if kind == "html" and page is not None:
            return Response(render_template("ogc.html", **page(), tiles=served().tiles), mimetype="text/html",
                            headers=vary)
        body = call()
    except OGCError as err:
        if request.args.get("f") == "html" or (request.args.get("f") is None and _browser()):
            return Response(render_template("error.html", code=err.status, title=page_title(err.status),
                                            message=err.body(translate)["description"]), status=err.status,
                            mimetype="text/html")
        return Response(json.dumps(err.body(translate), ensure_ascii=False), status=err.status, mimetype=JSON)
    headers = {**vary, **({"Content-Crs": f"<{content_crs}>"} if crs else {})}
    if isinstance(body, Iterator):  # one piece: an ordinary answer; more: sent as they are written
        first, second = next(body), next(body, None)
        return Response(first if second is None else chain([first, second], body), mimetype=media, headers=headers)
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype=media,  # compact: 8 % fewer bytes
                    headers=headers)


def _browser() -> bool:
    return prefers_page(request.headers.get("Accept", ""))


@functools.lru_cache(maxsize=256)
def prefers_page(accept: str) -> bool:
    """Whether a client sending Accept header `accept` prefers a page to JSON (a browser's
    address bar does). Parsed once per header: a client sends the same one every time."""
    accepted = parse_accept_header(accept, MIMEAccept)
    return accepted["text/html"] > max(accepted["application/json"], accepted["application/geo+json"])


def _html_args() -> dict[str, str]:
    """The request's parameters for a page: its coordinates are drawn on a map, so always lon/lat."""
    return {k: v for k, v in request.args.to_dict().items() if k not in ("crs",)}


@bp.get("")
@bp.get("/")
def landing():
    return _answer(lambda: _api().landing(), JSON, page=lambda: {"kind": "landing", "body": _api().landing()})


@bp.get("/conformance")
def conformance():
    return _answer(lambda: _api().conformance(), JSON,
                   page=lambda: {"kind": "conformance", "body": _api().conformance()})


@bp.get("/api")
def openapi():
    return _answer(lambda: _api().openapi(), OPENAPI)


@bp.get("/collections")
def collections():
    return _answer(lambda: _api().collections(), JSON,
                   page=lambda: {"kind": "collections", "body": _api().collections(), "layers": LAYERS,
                                 "counts": {c: len(version().dataset[c]) for c in PUBLIC_LAYERS}})


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    return _answer(lambda: _api().collection(collection_id), JSON,
                   page=lambda: {"kind": "collection", "body": _api().collection(collection_id),
                                 "layer": LAYERS[collection_id], "queryables": _api().queryables(collection_id)})


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    return _answer(lambda: _api().queryables(collection_id), "application/schema+json",
                   page=lambda: {"kind": "queryables", "body": _api().queryables(collection_id),
                                 "layer": LAYERS[collection_id]})


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    return _answer(lambda: _api().items_text(collection_id, request.args.to_dict()), GEOJSON, crs=True,
                   page=lambda: items_page(collection_id))


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    return _answer(lambda: _api().item(collection_id, feature_id, request.args.to_dict()), GEOJSON, crs=True,
                   page=lambda: {"kind": "item", "body": _api().item(collection_id, feature_id, _html_args()),
                                 "layer": LAYERS[collection_id]})


def items_page(collection_id: str) -> dict:
    """A page of features for a person: a map and a table, at most MAX_HTML_LIMIT of them."""
    args = _html_args()
    body = _api().items(collection_id, args, most=MAX_HTML_LIMIT)
    offset = int(args.get("offset") or 0)
    pages = {link["rel"]: html_address(link["href"]) for link in body["links"] if link["rel"] in ("next", "prev")}
    return {"kind": "items", "body": body, "layer": LAYERS[collection_id], "first": offset + 1 if body["features"] else 0,
            "last": offset + body["numberReturned"], "pages": pages,
            "columns": _columns_shown(collection_id, body["features"])}


def _columns_shown(collection_id: str, features: list[dict]) -> list[str]:
    """The table's columns: the layer's, in its order, that some feature of the page has (a
    feature leaves out what it has no value for), but the id, which is the first column already."""
    spec = LAYERS[collection_id]
    present = {name for feature in features for name in feature["properties"]}
    return [c.name for c in spec.columns if c.name in present and c.name != spec.key_columns[0]]


def html_address(href: str) -> str:
    """A JSON link's address as the page's (f=html)."""
    return href + ("&" if "?" in href else "?") + "f=html"
