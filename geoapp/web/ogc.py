"""The Flask side of OGC API – Features at /ogc: turns requests into `geoapp.views.ogc.FeaturesAPI` calls."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from itertools import chain

from flask import Blueprint, Response, request

from geoapp.messages import N_
from geoapp.views.ogc import GEOJSON, JSON, OPENAPI, FeaturesAPI, OGCError, crs_of
from geoapp.web.i18n import translate
from geoapp.web.state import version

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
CACHE = "public, max-age=60"   # a minute; then a conditional request (ETag) costs a 304


def _api() -> FeaturesAPI:
    current = version()
    base = f"{request.scheme}://{request.host}{request.root_path}/ogc"  # (url_root, without its IRI round trip)
    return FeaturesAPI(current.dataset, base, index=current.index)


def data_etag() -> str:
    """The answer's entity tag: the data version served and the request (the same address on the
    same data is the same answer), so a client's cache revalidates for the cost of a 304."""
    versions = json.dumps(version().dataset.versions, sort_keys=True)
    return hashlib.sha256(f"{versions}|{request.full_path}|{translate_key()}".encode()).hexdigest()[:32]


def translate_key() -> str:
    from geoapp.web.i18n import current_lang
    return current_lang()


def _answer(call, media: str, crs: bool = False) -> Response:
    """`call()`'s answer as compact JSON; text pieces (an iterator) are sent as they are made.
    With `crs`, the Content-Crs header names the CRS of the coordinates (Part 2). A request
    whose If-None-Match holds this data version's tag is a 304."""
    etag = data_etag()
    try:
        if request.args.get("f") not in (None, "", "json"):
            raise OGCError(400, "InvalidParameterValue", N_("f=%(format)s: this API speaks JSON (f=json)"),
                           format=repr(request.args["f"])[:40])
        content_crs = crs_of(request.args.to_dict(), "crs") if crs else None
        if etag in request.if_none_match:
            return Response(status=304, headers={"ETag": f'"{etag}"', "Cache-Control": CACHE})
        body = call()
    except OGCError as err:
        return Response(json.dumps(err.body(translate), ensure_ascii=False), status=err.status, mimetype=JSON)
    headers = {"ETag": f'"{etag}"', "Cache-Control": CACHE, **({"Content-Crs": f"<{content_crs}>"} if crs else {})}
    if isinstance(body, Iterator):  # one piece: an ordinary answer; more: sent as they are written
        first, second = next(body), next(body, None)
        return Response(first if second is None else chain([first, second], body), mimetype=media, headers=headers)
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype=media,  # compact: 8 % fewer bytes
                    headers=headers)


@bp.get("")
@bp.get("/")
def landing():
    return _answer(lambda: _api().landing(), JSON)


@bp.get("/conformance")
def conformance():
    return _answer(lambda: _api().conformance(), JSON)


@bp.get("/api")
def openapi():
    return _answer(lambda: _api().openapi(), OPENAPI)


@bp.get("/collections")
def collections():
    return _answer(lambda: _api().collections(), JSON)


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    return _answer(lambda: _api().collection(collection_id), JSON)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    return _answer(lambda: _api().queryables(collection_id), "application/schema+json")


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    return _answer(lambda: _api().items_text(collection_id, request.args.to_dict()), GEOJSON, crs=True)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    return _answer(lambda: _api().item(collection_id, feature_id, request.args.to_dict()), GEOJSON, crs=True)
