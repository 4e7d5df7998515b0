"""A Mapbox Vector Tile of points written straight from arrays (the tile format's protocol
buffer, version 2.1), for the crowded point layers: every feature's id, tags and geometry are
numbers, varint-encoded all at once with numpy, so a tile of 4,000 farm stays costs a few
array passes instead of a Python object, a dict and a protobuf message per point (70 % of a
crowded tile's cut with mapbox-vector-tile: bench/README.md). Polygons and lines still go
through mapbox-vector-tile (`geoapp.maps.vectortiles`).

The tile decodes as mapbox-vector-tile's does (`tests/test_views_tiles.py` compares them): one
layer, each feature an id, a point (MoveTo 1) and its non-empty properties, strings as
string values, whole numbers as int values, other numbers as doubles, flags as bools.
"""
from __future__ import annotations

import struct

import numpy as np
import pandas as pd

POINT = 1                       # the tile format's geometry type of a point
MOVE_TO_ONE = (1 << 3) | 1      # command MoveTo, count 1
VERSION = 2

# field keys: (field number << 3) | wire type (0 varint, 1 fixed 64 bits, 2 length-delimited)
TILE_LAYER = (3 << 3) | 2
LAYER_NAME, LAYER_FEATURE, LAYER_KEY, LAYER_VALUE = (1 << 3) | 2, (2 << 3) | 2, (3 << 3) | 2, (4 << 3) | 2
LAYER_EXTENT, LAYER_VERSION = (5 << 3) | 0, (15 << 3) | 0
FEATURE_ID, FEATURE_TAGS, FEATURE_TYPE, FEATURE_GEOMETRY = (1 << 3) | 0, (2 << 3) | 2, (3 << 3) | 0, (4 << 3) | 2
VALUE_STRING, VALUE_DOUBLE, VALUE_INT, VALUE_BOOL = (1 << 3) | 2, (3 << 3) | 1, (4 << 3) | 0, (7 << 3) | 0


def varint_lengths(values: np.ndarray) -> np.ndarray:
    """How many bytes each value (uint64) takes as a varint."""
    values = values.astype(np.uint64)
    lengths = np.ones(len(values), dtype=np.int64)
    for bits in range(7, 64, 7):
        lengths += values >= np.uint64(1 << bits)
    return lengths


def varints(values: np.ndarray) -> bytes:
    """The values (uint64) as consecutive varints: seven bits a byte, low bits first, the high
    bit set on every byte but a value's last."""
    values = values.astype(np.uint64)
    lengths = varint_lengths(values)
    groups = np.arange(10, dtype=np.uint64)
    table = ((values[:, None] >> (np.uint64(7) * groups)) & np.uint64(0x7F)).astype(np.uint8)
    position = np.arange(10)[None, :]
    table[position < (lengths[:, None] - 1)] |= 0x80
    return table[position < lengths[:, None]].tobytes()


def _varint(value: int) -> bytes:
    """One value (0 ≤ value < 2⁶⁴) as a varint (for the layer's few fields and its value table)."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _zigzag(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.int64)
    return ((values << 1) ^ (values >> 63)).astype(np.uint64)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _value_message(value) -> bytes:
    """One entry of the layer's value table."""
    if isinstance(value, bool):
        return bytes([VALUE_BOOL, int(value)])
    if isinstance(value, str):
        text = value.encode("utf-8")
        return bytes([VALUE_STRING]) + _varint(len(text)) + text
    if isinstance(value, int):
        return bytes([VALUE_INT]) + _varint(value & 0xFFFFFFFFFFFFFFFF)  # (two's complement, as protobuf's int64)
    return bytes([VALUE_DOUBLE]) + struct.pack("<d", float(value))


def _length_delimited(key: int, payload: bytes) -> bytes:
    return bytes([key]) + _varint(len(payload)) + payload


def point_tile(layer: str, x: np.ndarray, y: np.ndarray, ids: np.ndarray, properties: dict[str, np.ndarray],
               extent: int = 4096) -> bytes:
    """A tile with one layer of points at tile units (`x`, `y`: integers, y down, may lie in
    the margin outside 0..extent), each with its id and its `properties` (one array per key,
    aligned with the points; None and NaN left out, as an empty property is)."""
    n = len(x)
    keys = list(properties)
    tags = np.zeros((n, 2 * len(keys)), dtype=np.uint64)
    present = np.zeros((n, 2 * len(keys)), dtype=bool)
    values: list[bytes] = []
    for k, key in enumerate(keys):
        codes, uniques = pd.factorize(np.asarray(properties[key], dtype=object), use_na_sentinel=True)
        tags[:, 2 * k] = k
        tags[:, 2 * k + 1] = np.maximum(codes, 0) + len(values)
        present[:, 2 * k] = present[:, 2 * k + 1] = codes >= 0
        values.extend(_value_message(_plain(u)) for u in uniques)
    tag_bytes = np.where(present, varint_lengths(tags.ravel()).reshape(tags.shape), 0).sum(axis=1)
    has_tags = tag_bytes > 0
    zx, zy = _zigzag(np.asarray(x)), _zigzag(np.asarray(y))
    geometry_bytes = 1 + varint_lengths(zx) + varint_lengths(zy)
    ids = np.asarray(ids, dtype=np.uint64)
    feature_bytes = (1 + varint_lengths(ids) + np.where(has_tags, 1 + varint_lengths(tag_bytes) + tag_bytes, 0)
                     + 2 + 1 + varint_lengths(geometry_bytes) + geometry_bytes)
    # each feature: its place in the layer, then its fields, as one row of numbers (varints)
    head = np.column_stack([np.full(n, LAYER_FEATURE), feature_bytes, np.full(n, FEATURE_ID), ids,
                            np.full(n, FEATURE_TAGS), tag_bytes]).astype(np.uint64)
    tail = np.column_stack([np.full(n, FEATURE_TYPE), np.full(n, POINT), np.full(n, FEATURE_GEOMETRY),
                            geometry_bytes, np.full(n, MOVE_TO_ONE), zx, zy]).astype(np.uint64)
    rows = np.concatenate([head, tags, tail], axis=1)
    kept = np.concatenate([np.ones((n, 4), bool), np.column_stack([has_tags, has_tags]), present,
                           np.ones((n, tail.shape[1]), bool)], axis=1)
    features = varints(rows[kept]) if n else b""
    body = (_length_delimited(LAYER_NAME, layer.encode("utf-8")) + features
            + b"".join(_length_delimited(LAYER_KEY, key.encode("utf-8")) for key in keys)
            + b"".join(_length_delimited(LAYER_VALUE, value) for value in values)
            + bytes([LAYER_EXTENT]) + _varint(extent) + bytes([LAYER_VERSION]) + _varint(VERSION))
    return _length_delimited(TILE_LAYER, body)
