"""Tiles: the local base map (`GEOAPP_TILES=mbtiles:|pmtiles:`, served at /tiles/{z}/{x}/{y}, so a
county intranet without internet has a base map) and vector tiles of every public layer
(`geoapp.views.tiles`). Browsers keep base-map tiles a day and revalidate by ETag (the archive's
modification time); vector tiles are revalidated by the data version's stamp, so an import
shows at the next look. A place the archive does not cover gets an empty tile, not an error."""
from __future__ import annotations

import gzip
import zlib

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import gettext as _

from geoapp import params
from geoapp.maps.vectortiles import tile_properties
from geoapp.views import tiles as tile_views
from geoapp.views.served import Served, ServedVersion
from geoapp.web.compression import accepts_gzip
from geoapp.web.state import served, version

bp = Blueprint("tiles", __name__)
MAX_ZOOM = 22


@bp.get("/tiles/<int:z>/<int:x>/<int:y>")
def tile(z: int, x: int, y: int):
    archive = served().tile_archive
    if archive is None:
        abort(404, _("This app has no local base map (GEOAPP_TILES is not mbtiles: or pmtiles:)."))
    if not 0 <= z <= MAX_ZOOM or not 0 <= x < (1 << z) or not 0 <= y < (1 << z):
        abort(404, _("There is no tile %(z)s/%(x)s/%(y)s.", z=z, x=x, y=y))
    etag = f'"{archive.path.stat().st_mtime_ns:x}-{z}-{x}-{y}"'
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    data = archive.tile(z, x, y)
    response = Response(data if data is not None else archive.empty(), mimetype=archive.media_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["ETag"] = etag
    return response


MVT = "application/vnd.mapbox-vector-tile"
TILE_CACHE = "public, max-age=60, must-revalidate"


@bp.get("/tiles/<layer_id>/<int:z>/<int:x>/<int:y>.mvt")
def vector_tile(layer_id: str, z: int, x: int, y: int):
    """A public layer as a Mapbox Vector Tile, cut from the data version being served."""
    wanted, shifted = tile_variant(layer_id, z, x, y, request.args)
    etag = tile_etag(served(), layer_id, z, x, y, wanted, shifted)
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    body, gzipped = tile_body(served(), version(), layer_id, z, x, y, wanted, shifted, accepts_gzip())
    response = Response(body, mimetype=MVT)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = TILE_CACHE
    response.headers["ETag"] = etag
    return response


def tile_variant(layer_id: str, z: int, x: int, y: int, args) -> tuple[list[str], bool]:
    """The properties a tile request asks for and whether it is shifted for the base map; NoTile
    or ParamError for an address or a parameter that does not exist (Flask's route and
    `geoapp.web.public_reads`)."""
    tile_views.checked_request(layer_id, z, x, y)
    return params.names(args, "properties", tile_properties(layer_id)), args.get("display") == "1"


def tile_etag(served_data: Served, layer_id: str, z: int, x: int, y: int, wanted: list[str], shifted: bool) -> str:
    """The tile's entity tag: the data's stamp, the tile, its variant."""
    return (f'"{zlib.crc32(repr(served_data.stamp).encode()):x}-{layer_id}-{z}-{x}-{y}'
            f'{tile_views.variant(shifted, wanted)}"')


def tile_body(served_data: Served, current: ServedVersion, layer_id: str, z: int, x: int, y: int,
              wanted: list[str], shifted: bool, gzip_taken: bool) -> tuple[bytes, bool]:
    """The tile's bytes, and whether they are gzipped (cut and compressed once: not compressed
    again per answer; unpacked for a client that does not take gzip)."""
    packed = tile_views.vector_tile(current, served_data.layers, layer_id, z, x, y, shifted, wanted, served_data.shelf)
    return (packed, True) if gzip_taken else (gzip.decompress(packed), False)


def township_tiles_url(current: ServedVersion) -> str:
    """The `{z}/{x}/{y}` address of the township tiles the coverage map draws (shifted as the
    base map is): the tiles `geoapp.views.tiles.cut_township_tiles_ahead` cuts."""
    url = url_for("tiles.vector_tile", layer_id="townships", z=0, x=0, y=0).replace("/0/0/0.mvt", "/{z}/{x}/{y}.mvt")
    url += "?properties=" + ",".join(tile_views.TOWNSHIP_TILE_PROPERTIES)
    return url + ("&display=1" if current.tiles.to_display is not None else "")
