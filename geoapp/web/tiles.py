"""The local base map: tiles of the MBTiles/PMTiles archive named by GEOAPP_TILES, served by
the app itself at /tiles/{z}/{x}/{y}, so a county intranet without internet has a base map.
Tiles are cached by browsers for a day and revalidated by ETag (the archive's modification
time); a place the archive does not cover gets an empty tile, not an error."""
from __future__ import annotations

import gzip
import threading
import zlib

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import gettext as _

from geoapp.layers import PUBLIC_LAYERS
from geoapp.web.compression import accepts_gzip
from geoapp.web.state import county

bp = Blueprint("tiles", __name__)
MAX_ZOOM = 22
TILES_KEPT = 512   # vector tiles kept cut per data version (a tile of 15,000 polygons takes 0.6 s to cut)


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
    from geoapp.maps.vectortiles import tile_properties
    if layer_id not in PUBLIC_LAYERS:
        abort(404, _("There is no layer “%(layer)s” as tiles; the layers are %(known)s.", layer=layer_id[:60],
                     known=", ".join(PUBLIC_LAYERS)))
    if not 0 <= z <= MAX_VECTOR_ZOOM or not 0 <= x < (1 << z) or not 0 <= y < (1 << z):
        abort(404, _("There is no tile %(z)s/%(x)s/%(y)s.", z=z, x=x, y=y))
    carried = tile_properties(layer_id)
    wanted = [c for c in request.args.get("properties", "").split(",") if c]
    unknown = [c for c in wanted if c not in carried]
    if unknown:
        abort(400, _("properties: %(unknown)s is not in these tiles; they carry %(known)s.",
                     unknown=unknown[0][:40], known=", ".join(carried)))
    state = county()
    shifted = request.args.get("display") == "1"
    etag = f'"{zlib.crc32(repr(state.stamp).encode()):x}-{layer_id}-{z}-{x}-{y}{_variant(shifted, wanted)}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    packed = cut_tile(state, layer_id, z, x, y, shifted, wanted)
    if accepts_gzip():  # (cut and compressed once: not compressed again per answer)
        response = Response(packed, mimetype="application/vnd.mapbox-vector-tile")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(gzip.decompress(packed), mimetype="application/vnd.mapbox-vector-tile")
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = "public, max-age=60, must-revalidate"
    response.headers["ETag"] = etag
    return response


def _variant(shifted: bool, wanted: list[str]) -> str:
    return f"{'-shifted' if shifted else ''}-{','.join(wanted)}"


def cut_tile(state, layer_id: str, z: int, x: int, y: int, shifted: bool, wanted: list[str]) -> bytes:
    """Tile z/x/y of a layer, gzipped (half the bytes: 40,000 townships' z10 tile is 560 KB,
    290 KB gzipped), cut and compressed once per data version and kept while it is used: by the store
    when it can (PostGIS's ST_AsMVT on the version served, for the whole dataset in WGS-84),
    else from the in-memory index (a county's slice; GCJ-02 for an Amap base map)."""
    from geoapp.maps.vectortiles import RULES, tile_properties
    from geoapp.maps.vectortiles import vector_tile as cut
    shift = state.tiles.to_display if shifted else None  # the base map's datum
    index = state.index.layer(layer_id)
    version = state.analysis.dataset.versions.get(layer_id)

    def from_store() -> bytes | None:
        if shift is not None or version is None or not state.serving_whole():
            return None
        return state.layers.vector_tile(layer_id, version, z, x, y, wanted or tile_properties(layer_id),
                                        index.point_coordinates is not None, RULES)

    def build() -> bytes:
        made = from_store()
        return gzip.compress(made if made is not None else cut(index, layer_id, z, x, y, shift, wanted or None), 6)
    return state.made_once(("tile", layer_id, z, x, y, _variant(shifted, wanted)), build, keep=TILES_KEPT)


AHEAD_ZOOMS = range(6, 12)   # the zooms the coverage page opens at, on a phone to a wide screen
TOWNSHIP_TILE_PROPERTIES = ["code"]   # what the coverage map's township tiles carry: colours join by code


def township_tiles_url(state) -> str:
    """The `{z}/{x}/{y}` address of the township tiles the coverage map draws (shifted as the
    base map is): the tiles `cut_township_tiles_ahead` cuts."""
    url = url_for("tiles.vector_tile", layer_id="townships", z=0, x=0, y=0).replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt")
    url += "?properties=" + ",".join(TOWNSHIP_TILE_PROPERTIES)
    return url + ("&display=1" if state.tiles.to_display is not None else "")


def cut_township_tiles_ahead(state) -> None:
    """When the coverage map draws its townships from tiles (many townships: a crowded tile
    takes half a second to cut), cut the tiles its first views need in a thread as soon as a
    version is served, so the first visitor does not wait for them."""
    from geoapp.mercator import tile_range
    if not state.townships_tiled():
        return
    bounds = tuple(state.analysis.dataset["county"].total_bounds)
    shifted = state.tiles.to_display is not None
    version = state._served

    def run() -> None:
        for z in AHEAD_ZOOMS:
            for x, y in tile_range(bounds, z):
                if state._served is not version:
                    return  # a newer version came: its own thread cuts its tiles
                cut_tile(state, "townships", z, x, y, shifted, TOWNSHIP_TILE_PROPERTIES)
    threading.Thread(target=run, name="geoapp-tiles-ahead", daemon=True).start()
