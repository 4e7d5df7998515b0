"""Reading the data dir: one GeoJSON file per layer and one CSV file per table (BRIEF §4)."""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoapp.crs import STORAGE_CRS
from geoapp.data.validate import DataError, DataProblem, check_columns, check_geometry, check_references
from geoapp.layers import LAYERS, LayerSpec

Frame = gpd.GeoDataFrame | pd.DataFrame


class Dataset(Mapping):
    """The validated layers and tables, by id; GeoDataFrames are in EPSG:4326."""

    def __init__(self, frames: dict[str, Frame], source: str):
        self._frames = frames
        self.source = source  # where the data came from, for pages and logs

    def __getitem__(self, layer_id: str) -> Frame:
        return self._frames[layer_id]

    def __iter__(self):
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def replace(self, layer_id: str, frame: Frame) -> "Dataset":
        """A copy with one layer replaced (for what-if analyses and tests)."""
        return Dataset({**self._frames, layer_id: frame}, self.source)


def read_file(spec: LayerSpec, path: Path) -> tuple[Frame | None, list[DataProblem]]:
    """Read one layer or table file and check it on its own; returns (frame or None, problems)."""
    name = path.name
    if not path.is_file():
        return None, [DataProblem(name, None, f"missing file (expected the {spec.id} "
                                              f"{'table' if spec.is_table else 'layer'} at {path})")]
    try:
        if spec.is_table:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                raw = gpd.read_file(path, engine="pyogrio")
    except UnicodeDecodeError as err:
        return None, [DataProblem(name, None, f"not UTF-8 text (byte {err.start}); a GBK file must be "
                                              "converted to UTF-8 first")]
    except Exception as err:  # pyogrio and pandas raise many kinds; the message is what matters
        kind = "CSV" if spec.is_table else "GeoJSON"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, [DataProblem(name, None, f"cannot be read as {kind}: {reason}")]
    problems: list[DataProblem] = []
    if not spec.is_table:
        problems += check_geometry(spec, raw)
    frame, column_problems = check_columns(spec, raw)
    problems += column_problems
    if not spec.is_table and not problems:
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
    return frame, problems


def load_dataset(data_dir: str | Path) -> Dataset:
    """Read and validate every layer and table in `data_dir`; raise DataError naming each problem."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError([DataProblem(str(data_dir), None, "data directory does not exist")])
    frames: dict[str, Frame] = {}
    problems: list[DataProblem] = []
    for layer_id, spec in LAYERS.items():
        frame, found = read_file(spec, data_dir / spec.filename)
        problems += found
        if frame is not None and not found:
            frames[layer_id] = frame
    problems += check_references(frames, LAYERS)
    if problems:
        raise DataError(problems)
    return Dataset(frames, source=str(data_dir.resolve()))
