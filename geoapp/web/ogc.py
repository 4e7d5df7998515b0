"""The Flask side of OGC API – Features at /ogc: turns requests into `geoapp.views.ogc.FeaturesAPI` calls."""
from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain

from flask import Blueprint, Response, request

from geoapp.messages import N_
from geoapp.views.ogc import GEOJSON, JSON, OPENAPI, FeaturesAPI, OGCError
from geoapp.web.i18n import translate
from geoapp.web.state import version

bp = Blueprint("ogc", __name__, url_prefix="/ogc")


def _api() -> FeaturesAPI:
    current = version()
    base = f"{request.scheme}://{request.host}{request.root_path}/ogc"  # (url_root, without its IRI round trip)
    return FeaturesAPI(current.dataset, base, index=current.index)


def _answer(call, media: str) -> Response:
    """`call()`'s answer as compact JSON; text pieces (an iterator) are sent as they are made."""
    try:
        if request.args.get("f") not in (None, "", "json"):
            raise OGCError(400, "InvalidParameterValue", N_("f=%(format)s: this API speaks JSON (f=json)"),
                           format=repr(request.args["f"])[:40])
        body = call()
    except OGCError as err:
        return Response(json.dumps(err.body(translate), ensure_ascii=False), status=err.status, mimetype=JSON)
    if isinstance(body, Iterator):  # one piece: an ordinary answer; more: sent as they are written
        first, second = next(body), next(body, None)
        return Response(first if second is None else chain([first, second], body), mimetype=media)
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), mimetype=media)  # compact: 8 % fewer bytes


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


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    return _answer(lambda: _api().items_text(collection_id, request.args.to_dict()), GEOJSON)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    return _answer(lambda: _api().item(collection_id, feature_id), GEOJSON)
