"""Indexes over a layer, built once per data version and on first use: an STRtree of its
geometries and its columns as arrays, so a bbox or attribute query costs what it finds, not
the size of the layer. The OGC API and the vector tiles read through these.
"""
from __future__ import annotations

import math
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
        self.page_in_box((0.0, 0.0, 0.0, 0.0), 0, 0)
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

    @cached_property
    def point_grid(self) -> PointGrid | None:
        """The layer's points on a `PointGrid` (None for a layer of other shapes)."""
        points = self.point_coordinates
        return PointGrid(points) if points is not None and len(points) else None

    def page_in_box(self, box: tuple[float, float, float, float] | None, start: int, stop: int) -> tuple[np.ndarray, int]:
        """`first_rows(in_box(box), start, stop)` and the number of rows in the box — for a box
        holding many points without listing them all (`PointGrid`: at 500,000 points a 1 % box
        lists 5,000 of them, most of an OGC page's time)."""
        if box is None:
            return np.arange(min(start, len(self)), min(stop, len(self))), len(self)
        with self._lock:
            grid = self.point_grid
        found = grid.page(box, start, stop) if grid is not None else None
        if found is not None:
            return found
        rows = self.in_box(box, ordered=False)
        return first_rows(rows, start, stop), len(rows)

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


class PointGrid:
    """Points counted on a grid of cells (a summed-area table of the cells' counts), each cell's
    points listed cell by cell along the rows of cells and along the columns. A box's count is
    its inner cells' count plus its edge cells' points tested one by one — four runs of the
    lists, whatever the box holds — and its first points in row order are found by reading the
    points in that order until there are enough (about `stop` ÷ the share of points the box
    holds). `page` leaves a box of few points to the STRtree, which then costs what it finds."""

    PER_CELL = 4          # points a cell holds on average
    FEW = 2_000           # a box whose cells hold fewer points is left to the tree

    def __init__(self, xy: np.ndarray):
        # (each coordinate in an array of its own: reading a run of x is then reading memory in
        # order, three times faster than every other number of the (x, y) pairs)
        self.x, self.y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
        self.side = side = max(1, int(np.sqrt(len(xy) / self.PER_CELL)))
        self.west, self.south = float(self.x.min()), float(self.y.min())
        self.width = (float(self.x.max()) - self.west) / side or 1.0
        self.height = (float(self.y.max()) - self.south) / side or 1.0
        i, j = self._cells(self.x, self.west, self.width), self._cells(self.y, self.south, self.height)
        counts = np.bincount(j * side + i, minlength=side * side).reshape(side, side)   # [row j, column i]
        self.table = np.zeros((side + 1, side + 1), dtype=np.int64)
        self.table[1:, 1:] = counts.cumsum(axis=0).cumsum(axis=1)
        # the points (x, y) cell by cell along the rows of cells, and along the columns
        self.along_rows = np.ascontiguousarray(xy[np.argsort(j * side + i, kind="stable")])
        self.row_starts = np.concatenate([[0], np.cumsum(counts.ravel())])
        self.along_columns = np.ascontiguousarray(xy[np.argsort(i * side + j, kind="stable")])
        self.column_starts = np.concatenate([[0], np.cumsum(counts.T.ravel())])

    def _cells(self, values: np.ndarray, origin: float, size: float) -> np.ndarray:
        return np.clip(np.floor((values - origin) / size), 0, self.side - 1).astype(np.int64)

    def _cell(self, value: float, origin: float, size: float) -> int:
        # (the same arithmetic as `_cells`, in IEEE doubles both: a point in a cell strictly
        # between the cells of a box's edges is strictly inside the box)
        return min(max(math.floor((value - origin) / size), 0), self.side - 1)

    def _outer(self, box) -> tuple[int, int, int, int] | None:
        """The cells (i0, i1, j0, j1) of a box's edges; None for a box whose edges are out of order."""
        west, south, east, north = box
        if not (west <= east and south <= north):
            return None
        return (self._cell(west, self.west, self.width), self._cell(east, self.west, self.width),
                self._cell(south, self.south, self.height), self._cell(north, self.south, self.height))

    def _sum(self, i0: int, i1: int, j0: int, j1: int) -> int:
        """The points of cells i0..i1 × j0..j1 (none if the range is empty)."""
        if i1 < i0 or j1 < j0:
            return 0
        t = self.table
        return int(t[j1 + 1, i1 + 1] - t[j0, i1 + 1] - t[j1 + 1, i0] + t[j0, i0])

    def count(self, box, outer: tuple[int, int, int, int] | None = None) -> int:
        """How many points lie in `box` (edges included, as the STRtree finds them); `outer`: its
        edges' cells, if known."""
        outer = outer or self._outer(box)
        if outer is None:
            return 0
        i0, i1, j0, j1 = outer
        side = self.side
        runs = [self.along_rows[self.row_starts[j0 * side + i0]:self.row_starts[j0 * side + i1 + 1]]]
        if j1 > j0:
            runs.append(self.along_rows[self.row_starts[j1 * side + i0]:self.row_starts[j1 * side + i1 + 1]])
        if j1 > j0 + 1:
            for i in {i0, i1}:
                runs.append(self.along_columns[self.column_starts[i * side + j0 + 1]:self.column_starts[i * side + j1]])
        edge = np.concatenate(runs)
        west, south, east, north = box
        x, y = edge[:, 0], edge[:, 1]
        on_edge = int(np.count_nonzero((x >= west) & (x <= east) & (y >= south) & (y <= north)))
        return self._sum(i0 + 1, i1 - 1, j0 + 1, j1 - 1) + on_edge

    def first(self, box, count: int, stop: int) -> np.ndarray:
        """The positions (ascending) of the first `stop` of the `count` points in `box`."""
        west, south, east, north = box
        total = len(self.x)
        found: list[np.ndarray] = []
        wanted = min(stop, count)
        read = 0
        chunk = int(wanted * total / max(count, 1) * 1.25) + 256
        while wanted > 0 and read < total:
            x, y = self.x[read:read + chunk], self.y[read:read + chunk]
            hits = np.flatnonzero((x >= west) & (x <= east) & (y >= south) & (y <= north))[:wanted] + read
            found.append(hits)
            wanted -= len(hits)
            read += chunk
            chunk *= 2
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)

    def page(self, box, start: int, stop: int) -> tuple[np.ndarray, int] | None:
        """(`first_rows` of the points in `box`, their count), or None when the tree would find
        them for less: few points in the box's cells, or a page so deep that reading the points in
        row order up to it would read more than the tree lists."""
        outer = self._outer(box)
        if outer is None or self._sum(*outer) < self.FEW:
            return None
        count = self.count(box, outer)
        if stop * len(self.x) > 4 * count * count:
            return None
        return self.first(box, count, stop)[start:stop], count


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
