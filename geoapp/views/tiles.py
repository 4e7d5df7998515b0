"""Vector tiles of the public layers (`/tiles/<layer>/{z}/{x}/{y}.mvt`) and the local base map's
raster tiles, for a served version.

A vector tile is cut once per data version and kept while it is used (`TILES_KEPT` per kind),
gzipped once when cut: by the layer store when it can (PostGIS's ST_AsMVT on the version
served, for the whole dataset in WGS-84: the `TileCutter` capability), else from the version's
in-memory index (a county's slice; GCJ-02 for an Amap base map).

Before a version is served (`Served.warm_ahead`: in gunicorn's loading process before the fork,
or in the thread that loaded it in the background), every tile a map client asks first — each
public layer, its default properties, z0–z14 over the data's extent — is cut ahead from memory
into one file a layer (`TilePack`), which every worker maps and answers from as from a pre-built
archive (issue 23: a walk over tiles nobody has asked yet ran at a quarter of tippecanoe's
archive). Not for a layer of more than PACKED_SHAPES_MOST polygons or lines (40,000 townships
would take minutes): those tiles are cut when first asked, then shelved one by one.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import threading
from pathlib import Path
from typing import BinaryIO

import numpy as np

from geoapp.layers import PUBLIC_LAYERS
from geoapp.maps.vectortiles import MAX_ZOOM as MAX_VECTOR_ZOOM
from geoapp.maps.vectortiles import RULES, tile_properties
from geoapp.maps.vectortiles import vector_tile as cut
from geoapp.mercator import lonlat_to_tile, tile_range
from geoapp.messages import N_, UserError
from geoapp.store.base import LayerStore, TileCutter
from geoapp.views.served import Served, ServedVersion
from geoapp.views.shelf import Shelf, mapped, numbers_at_end, version_key, write_numbers

log = logging.getLogger("geoapp")
TILES_KEPT = 512      # vector tiles kept cut per data version (a crowded tile is dear to cut: bench/README.md)
AHEAD_ZOOMS = range(6, 12)   # the zooms the coverage page opens at, on a phone to a wide screen
TOWNSHIP_TILE_PROPERTIES = ["code"]   # what the coverage map's township tiles carry: colours join by code


class NoTile(UserError):
    status = 404


def checked_request(layer_id: str, z: int, x: int, y: int) -> None:
    """NoTile (404) for a layer or tile address that does not exist."""
    if layer_id not in PUBLIC_LAYERS:
        raise NoTile(N_("There is no layer “%(layer)s” as tiles; the layers are %(known)s."), layer=layer_id[:60],
                     known=", ".join(PUBLIC_LAYERS))
    if not 0 <= z <= MAX_VECTOR_ZOOM or not 0 <= x < (1 << z) or not 0 <= y < (1 << z):
        raise NoTile(N_("There is no tile %(z)s/%(x)s/%(y)s."), z=z, x=x, y=y)


def variant(shifted: bool, wanted: list[str]) -> str:
    return f"{'-shifted' if shifted else ''}-{','.join(wanted)}"


def vector_tile(version: ServedVersion, store: LayerStore, layer_id: str, z: int, x: int, y: int, shifted: bool,
                wanted: list[str], shelf: Shelf | None = None) -> bytes:
    """Tile z/x/y of a layer, gzipped (half the bytes: 40,000 townships' z10 tile is 560 KB,
    290 KB gzipped), cut and compressed once per data version (see the module) — with a
    `shelf`, once for every worker (`_shelved`)."""
    if shelf is not None and not shifted and not wanted:
        pack = tile_pack(version, shelf, layer_id)
        packed = pack.tile(z, x, y) if pack is not None else None
        if packed is not None:
            return packed
    shift = version.tiles.to_display if shifted else None  # the base map's datum
    index = version.index.layer(layer_id)
    stored_version = version.dataset.versions.get(layer_id)

    def from_store() -> bytes | None:
        if shift is not None or stored_version is None or not version.whole or not isinstance(store, TileCutter):
            return None
        try:
            return store.vector_tile(layer_id, stored_version, z, x, y, wanted or tile_properties(layer_id),
                                     index.point_coordinates is not None, RULES)
        except Exception as err:  # the database is down: the version in memory cuts the same tile
            log.warning("the store could not cut tile %s/%s/%s of %s (%s); cut from memory", z, x, y, layer_id,
                        str(err).splitlines()[0])
            return None

    def build() -> bytes:
        made = from_store()
        return gzip.compress(made if made is not None else cut(index, layer_id, z, x, y, shift, wanted or None), 6)

    def shared() -> bytes:
        if shelf is None or not _shelved(version, layer_id, z, x, y, wanted):
            return build()
        return shelf.made(version_key(version), f"tiles/{layer_id}/{z}/{x}/{y}{variant(shifted, wanted)}.mvt.gz", build)
    return version.made_once(("tile", layer_id, z, x, y, variant(shifted, wanted)), shared, keep=TILES_KEPT)


SHELVED_ZOOMS = range(0, 15)   # the tiles kept in files for every worker (a county's z0–z14: ~1,600 a layer)


def _shelved(version: ServedVersion, layer_id: str, z: int, x: int, y: int, wanted: list[str]) -> bool:
    """Whether tile z/x/y is kept on the shelf, in a file every worker reads (a tile one worker
    cut is not cut again by the next; bench/README.md): for the whole dataset, at the zooms a
    county is seen at, over the data's extent, with the properties the app's pages or a
    default client ask for — so the files are bounded by the data, whatever addresses are asked."""
    if not version.whole or z not in SHELVED_ZOOMS:
        return False
    if wanted and not (layer_id == "townships" and wanted == TOWNSHIP_TILE_PROPERTIES):
        return False
    west, south, east, north = version.dataset["county"].total_bounds
    (x0, x1), (y1, y0) = lonlat_to_tile(np.array([west, east]), np.array([south, north]), z)
    return int(x0) <= x <= int(x1) and int(y0) <= y <= int(y1)


PACKED_SHAPES_MOST = 5_000   # polygons or lines of a layer whose tiles are cut ahead (points: any number)


class TilePack:
    """Every tile of a layer at SHELVED_ZOOMS over the data's extent, with its default properties,
    gzipped, written once per data version into one file of the shelf (`write_tile_pack`) and
    mapped into memory: a tile is a slice of it, read by every worker from the same pages of the
    page cache. The file: the distinct tiles one after another, then the tiles' keys (ascending),
    starts and ends (n little-endian int64 each), then n (int64)."""

    def __init__(self, path: Path):
        self._map, count = mapped(path)
        self._keys, self._starts, self._ends = numbers_at_end(self._map, 3 * count).reshape(3, count)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """Tile z/x/y, gzipped; None for a tile the pack does not hold."""
        key = _tile_key(z, x, y)
        at = int(np.searchsorted(self._keys, key))
        if at == len(self._keys) or self._keys[at] != key:
            return None
        return self._map[int(self._starts[at]):int(self._ends[at])]


def _tile_key(z: int, x: int, y: int) -> int:
    return (z << 56) | (x << 28) | y   # (x, y < 2^28 up to z28)


def write_tile_pack(version: ServedVersion, layer_id: str, out: BinaryIO) -> None:
    """Cut every tile of `layer_id` a `TilePack` holds and write them as it reads them (a tile
    cut twice, such as the empty one, is written once)."""
    index = version.index.layer(layer_id)
    bounds = tuple(version.dataset["county"].total_bounds)
    spans: dict[bytes, tuple[int, int]] = {}   # a tile's digest: where it was written
    keys, starts, ends = [], [], []
    size = 0
    for z in SHELVED_ZOOMS:
        for x, y in tile_range(bounds, z):
            raw = cut(index, layer_id, z, x, y)
            digest = hashlib.blake2b(raw, digest_size=16).digest()
            if digest not in spans:
                body = gzip.compress(raw, 6, mtime=0)
                out.write(body)
                spans[digest] = (size, size + len(body))
                size += len(body)
            keys.append(_tile_key(z, x, y))
            starts.append(spans[digest][0])
            ends.append(spans[digest][1])
    order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
    write_numbers(out, [np.asarray(column)[order] for column in (keys, starts, ends)], len(keys))


def _packed(version: ServedVersion, layer_id: str) -> bool:
    """Whether a layer's tiles are cut ahead into a `TilePack` (see the module)."""
    index = version.index.layer(layer_id)
    return version.whole and (index.point_coordinates is not None or len(index) <= PACKED_SHAPES_MOST)


def _pack_name(layer_id: str) -> str:
    return f"tiles/{layer_id}.pack"


def tile_pack(version: ServedVersion, shelf: Shelf, layer_id: str) -> TilePack | None:
    """The layer's `TilePack` of `version` if it was cut ahead (`cut_tiles_ahead`), mapped once for
    the version's life; None if it was not (a version loaded by the request that noticed it)."""
    if not _packed(version, layer_id):
        return None
    key = ("tile-pack", layer_id)
    mapped = version.made.get(key)
    if mapped is not None:
        return mapped
    found = shelf.find(version_key(version), _pack_name(layer_id))
    return None if found is None else version.made_once(key, lambda: TilePack(found))


def cut_tiles_ahead(served: Served, version: ServedVersion) -> None:
    """A `Served.warm_ahead` hook: every `TilePack` of a version cut before it is served."""
    for layer_id in PUBLIC_LAYERS:
        if _packed(version, layer_id):
            served.shelf.written_once(version_key(version), _pack_name(layer_id),
                                      functools.partial(write_tile_pack, version, layer_id))


def cut_township_tiles_ahead(served: Served, version: ServedVersion) -> None:
    """When the coverage map draws its townships from tiles (many townships: a crowded tile
    takes half a second to cut), cut the tiles its first views need in a thread as soon as a
    version is served, so the first visitor does not wait for them."""
    if served.townships_tiled(version):
        threading.Thread(target=cut_township_tiles, args=(served, version), name="geoapp-tiles-ahead",
                         daemon=True).start()


def cut_township_tiles(served: Served, version: ServedVersion) -> None:
    """Cut (and shelve, for every worker) the township tiles the coverage map's first views
    need, unless a newer version is served meanwhile (its own tiles are cut then)."""
    if not served.townships_tiled(version):
        return
    bounds = tuple(version.dataset["county"].total_bounds)
    shifted = version.tiles.to_display is not None
    serving = served.newest
    for z in AHEAD_ZOOMS:
        for x, y in tile_range(bounds, z):
            if served.newest is not serving:
                return
            vector_tile(version, served.layers, "townships", z, x, y, shifted, TOWNSHIP_TILE_PROPERTIES, served.shelf)
