"""Indexes over a layer, built once per data version and on first use: an STRtree of its
geometries and its columns as arrays, so a bbox or attribute query costs what it finds, not
the size of the layer. The OGC API and the vector tiles read through these.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.mercator import world_pixels


class LayerIndex:
    """One layer's rows, found by bbox and by column values, always in the layer's row order
    (so paging through a query is exact: no row twice, none skipped)."""

    def __init__(self, frame: gpd.GeoDataFrame):
        self.frame = frame
        self._lock = threading.Lock()
        self._columns: dict[str, object] = {}  # column arrays and lookups, made on first use

    def __len__(self) -> int:
        return len(self.frame)

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.frame.geometry.to_numpy())

    @cached_property
    def geometries(self) -> np.ndarray:
        return self.frame.geometry.to_numpy()

    def array(self, name: str) -> np.ndarray:
        """Column `name` as a numpy array (no copy for most columns), for reading pages by position."""
        key = f"{name}#array"
        if key not in self._columns:
            self._columns[key] = self.frame[name].to_numpy()
        return self._columns[key]

    def plain_column(self, name: str, text: bool = False) -> tuple[np.ndarray, bool]:
        """Column `name` as an array and whether its pages are already plain JSON values by
        `.tolist()` (whole numbers; with `text`, a column the layer check made text or None) —
        known once per data version, so a page of such a column costs no test per value — or
        need `records.plain_values`."""
        key = f"{name}#plain"
        if key not in self._columns:
            self._columns[key] = (self.array(name), True) if text else _plain_column(self.frame[name])
        return self._columns[key]

    def warm(self, columns: list[tuple[str, bool]], key: str) -> None:
        """Make now what queries use — the tree, the points, `columns` (name, is text) as plain
        arrays, the positions by `key` — so that the process that loads makes them once and
        gunicorn's workers forked from it share them; made on a first request instead, each
        worker would copy every row's text (reading a Python object writes its reference count)."""
        self.in_box((0.0, 0.0, 0.0, 0.0))
        for name, text in columns:
            self.plain_column(name, text)
            self.array(name)
        self.position(key, "")

    @cached_property
    def point_coordinates(self) -> np.ndarray | None:
        """(x, y) of every row when the layer is all points (None otherwise): a page of points
        is then written without a geometry library call per feature."""
        geometries = self.geometries
        if len(geometries) and (shapely.get_type_id(geometries) == 0).all():
            return shapely.get_coordinates(geometries)
        return None

    def in_box(self, box: tuple[float, float, float, float] | None, ordered: bool = True) -> np.ndarray:
        """Row positions whose geometry intersects `box` (all rows for None), ascending (in no
        order with `ordered=False`: a caller that needs only the first few orders those,
        `first_rows`)."""
        if box is None:
            return np.arange(len(self.frame))
        with self._lock:  # STRtree is built once; concurrent first calls wait for it
            tree = self.tree
            points = self.point_coordinates is not None
        # a point's envelope is the point, so for points the tree's envelope test is already
        # exact: skipping GEOS' predicate per candidate makes a busy box 30 times cheaper
        found = tree.query(shapely.box(*box), predicate=None if points else "intersects")
        return np.sort(found) if ordered else found

    def _column(self, name: str, as_number: bool) -> np.ndarray:
        key = f"{name}#{'number' if as_number else 'text'}"
        if key not in self._columns:
            values = self.frame[name]
            array = (values.astype(float).to_numpy() if as_number
                     else values.astype(object).where(values.notna(), None).astype(str).to_numpy())
            self._columns[key] = array
        return self._columns[key]

    def position(self, key: str, value: str) -> int | None:
        """The row position of the feature whose key column `key` is `value`, or None."""
        lookup = f"{key}#positions"
        if lookup not in self._columns:
            self._columns[lookup] = {k: i for i, k in enumerate(self._column(key, False))}
        return self._columns[lookup].get(value)

    def where_equal(self, rows: np.ndarray, name: str, value: str | float) -> np.ndarray:
        """Those of `rows` whose column `name` equals `value` (a number compares as a number)."""
        column = self._column(name, isinstance(value, float))
        return rows[column[rows] == value]


def first_rows(rows: np.ndarray, start: int, stop: int) -> np.ndarray:
    """`np.sort(rows)[start:stop]` without sorting all of `rows`: a page of a few of thousands of
    matches partitions them (linear) and sorts only the first `stop` (sorting 5,000 matches was a
    third of an OGC page's time at 500,000 points)."""
    if stop >= len(rows):
        return np.sort(rows)[start:stop]
    first = np.partition(rows, stop - 1)[:stop] if stop > 0 else rows[:0]
    return np.sort(first)[start:stop]


def _plain_column(values: pd.Series) -> tuple[np.ndarray, bool]:
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        if not values.isna().any():
            return values.to_numpy(dtype=np.int64 if pd.api.types.is_integer_dtype(values.dtype) else bool), True
        return values.to_numpy(dtype=object), False
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float)
        whole = np.isfinite(numbers).all() and (numbers == np.round(numbers)).all() and (np.abs(numbers) < 2**53).all()
        return (numbers.astype(np.int64), True) if whole else (numbers, False)
    return values.to_numpy(dtype=object), False


class DatasetIndex:
    """A LayerIndex per layer of one dataset version, each built when first asked for."""

    def __init__(self, dataset):
        self.dataset = dataset
        self._layers: dict[str, LayerIndex] = {}
        self._lock = threading.Lock()

    def warm(self, specs) -> DatasetIndex:
        """Warm the index of each layer `specs` (`geoapp.layers.LayerSpec`s) names; see `LayerIndex.warm`."""
        for spec in specs:
            if spec.id in self.dataset and not spec.is_table:
                self.layer(spec.id).warm([(c.name, c.type == "str") for c in spec.columns], spec.key_columns[0])
        return self

    def layer(self, layer_id: str) -> LayerIndex:
        with self._lock:
            if layer_id not in self._layers:
                self._layers[layer_id] = LayerIndex(self.dataset[layer_id])
            return self._layers[layer_id]


class JoinedTexts:
    """One text per row, kept as a single string with the rows' offsets, for substring search:
    a search scans one buffer (as fast as pandas' per-row test, or faster) and touches no
    Python object per row, so gunicorn workers forked from a preloaded app keep sharing the
    memory (a string per row, each search would write every row's reference count and so copy
    its page into the worker), and the text takes a third less memory."""

    SEPARATOR = "\n"

    def __init__(self, texts: Iterable[str]):
        texts = [text.replace(self.SEPARATOR, " ") for text in texts]
        self.text = self.SEPARATOR.join(texts)
        lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=len(texts))
        self.starts = np.cumsum(lengths) - lengths  # where each row's text begins

    def __len__(self) -> int:
        return len(self.starts)

    def row(self, position: int) -> str:
        """The text of the row at `position`."""
        end = self.starts[position + 1] - 1 if position + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[position]:end]

    def containing(self, needle: str) -> np.ndarray:
        """A mask of the rows whose text contains `needle`."""
        mask = np.zeros(len(self), dtype=bool)
        if not needle:
            return ~mask
        if self.SEPARATOR in needle:
            return mask
        found = np.fromiter((m.start() for m in re.finditer(re.escape(needle), self.text)), dtype=np.int64)
        mask[np.searchsorted(self.starts, found, side="right") - 1] = True
        return mask


def grid_cells(lon: np.ndarray, lat: np.ndarray, zoom: int, cell_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Points grouped into square cells `cell_px` wide on the web map at `zoom` (the grid
    clustering of map servers): each point's cell number (0..cells-1) and each cell's count."""
    x, y = world_pixels(lon, lat, zoom)
    column = np.floor(x / cell_px).astype(np.int64)
    row = np.floor(y / cell_px).astype(np.int64)
    _cells, cell, counts = np.unique(column * (2 ** 32) + row, return_inverse=True, return_counts=True)
    return cell.reshape(-1), counts
