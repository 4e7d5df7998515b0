"""The local base map: tiles of the MBTiles/PMTiles archive named by GEOAPP_TILES, served by
the app itself at /tiles/{z}/{x}/{y}, so a county intranet without internet has a base map.
Tiles are cached by browsers for a day and revalidated by ETag (the archive's modification
time); a place the archive does not cover gets an empty tile, not an error."""
from __future__ import annotations

import zlib

from flask import Blueprint, Response, abort, request
from flask_babel import gettext as _

from geoapp.layers import PUBLIC_LAYERS
from geoapp.web.state import county

bp = Blueprint("tiles", __name__)
MAX_ZOOM = 22


@bp.get("/tiles/<int:z>/<int:x>/<int:y>")
def tile(z: int, x: int, y: int):
    tiles = county().tiles
    if tiles.archive is None:
        abort(404, _("This app has no local base map (GEOAPP_TILES is not mbtiles: or pmtiles:)."))
    if not 0 <= z <= MAX_ZOOM or not 0 <= x < (1 << z) or not 0 <= y < (1 << z):
        abort(404, _("There is no tile %(z)s/%(x)s/%(y)s.", z=z, x=x, y=y))
    archive = county().tile_archive
    etag = f'"{archive.path.stat().st_mtime_ns:x}-{z}-{x}-{y}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    data = archive.tile(z, x, y)
    response = Response(data if data is not None else archive.empty(), mimetype=archive.media_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["ETag"] = etag
    return response


@bp.get("/tiles/<layer_id>/<int:z>/<int:x>/<int:y>.mvt")
def vector_tile(layer_id: str, z: int, x: int, y: int):
    """A public layer as a Mapbox Vector Tile, cut from the data version being served; browsers
    revalidate it by ETag (the version's stamp), so an import shows at the next look."""
    from geoapp.maps.vectortiles import MAX_ZOOM as MAX_VECTOR_ZOOM
    from geoapp.maps.vectortiles import vector_tile as cut
    if layer_id not in PUBLIC_LAYERS:
        abort(404, _("There is no layer “%(layer)s” as tiles; the layers are %(known)s.", layer=layer_id[:60],
                     known=", ".join(PUBLIC_LAYERS)))
    if not 0 <= z <= MAX_VECTOR_ZOOM or not 0 <= x < (1 << z) or not 0 <= y < (1 << z):
        abort(404, _("There is no tile %(z)s/%(x)s/%(y)s.", z=z, x=x, y=y))
    state = county()
    shift = state.tiles.to_display if request.args.get("display") == "1" else None  # the base map's datum
    etag = f'"{zlib.crc32(repr(state.stamp).encode()):x}-{layer_id}-{z}-{x}-{y}{"-shifted" if shift else ""}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    data = cut(state.index.layer(layer_id), layer_id, z, x, y, shift)
    response = Response(data, mimetype="application/vnd.mapbox-vector-tile")
    response.headers["Cache-Control"] = "public, max-age=60, must-revalidate"
    response.headers["ETag"] = etag
    return response
