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
from geoapp.store.layers import LayerStore, file_checksum

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


def read_raw(spec: LayerSpec, path: Path) -> tuple[Frame | None, list[DataProblem]]:
    """Read one layer or table file as it is, or say why it cannot be read."""
    name = path.name
    if not path.is_file():
        return None, [DataProblem(name, None, f"missing file (expected the {spec.id} "
                                              f"{'table' if spec.is_table else 'layer'} at {path})")]
    try:
        if spec.is_table:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8"), []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gpd.read_file(path, engine="pyogrio"), []
    except UnicodeDecodeError as err:
        return None, [DataProblem(name, None, f"not UTF-8 text (byte {err.start}); a GBK file must be "
                                              "converted to UTF-8 first")]
    except Exception as err:  # pyogrio and pandas raise many kinds; the message is what matters
        kind = "CSV" if spec.is_table else "GeoJSON"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, [DataProblem(name, None, f"cannot be read as {kind}: {reason}")]


def check_frame(spec: LayerSpec, raw: Frame, name: str | None = None) -> tuple[Frame, list[DataProblem]]:
    """Check one layer or table on its own (geometry, columns, keys); returns (frame, problems).
    `name` is what messages call it (default: the registry's file name)."""
    problems: list[DataProblem] = []
    if not spec.is_table:
        problems += check_geometry(spec, raw)
    frame, column_problems = check_columns(spec, raw)
    problems += column_problems
    if not spec.is_table and not problems:
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_CRS)
    if name and name != spec.filename:
        problems = [DataProblem(name, p.row, p.message) for p in problems]
    return frame, problems


def read_file(spec: LayerSpec, path: Path) -> tuple[Frame | None, list[DataProblem]]:
    """Read one layer or table file and check it on its own; returns (frame or None, problems)."""
    raw, problems = read_raw(spec, path)
    if raw is None:
        return None, problems
    return check_frame(spec, raw)


def dataset_from(frames: dict[str, Frame], problems: list[DataProblem], source: str) -> Dataset:
    """The dataset, once the references between layers are checked; DataError otherwise."""
    problems = problems + check_references(frames, LAYERS)
    if problems:
        raise DataError(problems)
    return Dataset(frames, source=source)


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
    return dataset_from(frames, problems, str(data_dir.resolve()))


def load_store(store: LayerStore) -> Dataset:
    """The current version of every layer and table in the instance store, checked as files are."""
    frames: dict[str, Frame] = {}
    problems: list[DataProblem] = []
    versions = store.current_versions()
    for layer_id, spec in LAYERS.items():
        if layer_id not in versions:
            problems.append(DataProblem(str(store.path), None, f"the store has no {layer_id}"))
            continue
        frame, found = check_frame(spec, store.read(layer_id), f"{layer_id} v{versions[layer_id]}")
        problems += found
        if not found:
            frames[layer_id] = frame
    return dataset_from(frames, problems, f"{store.path} ({', '.join(f'{k} v{v}' for k, v in versions.items())})")


def seed_store(store: LayerStore, data_dir: str | Path) -> None:
    """Fill an empty store with every file of `data_dir` as version 1 (DataError if any is wrong)."""
    dataset = load_dataset(data_dir)
    files = {layer_id: Path(data_dir) / spec.filename for layer_id, spec in LAYERS.items()}
    store.publish(dict(dataset), who="seed", source_files={k: str(p.resolve()) for k, p in files.items()},
                  checksums={k: file_checksum(p) for k, p in files.items()}, note=f"seeded from {data_dir}")


def current_dataset(data_dir: str | Path, store) -> tuple[Dataset, LayerStore]:
    """The data the app serves: the layer `store` (or the GeoPackage store of an instance
    folder, when a path is given), seeded from `data_dir` on first use."""
    if isinstance(store, (str, Path)):
        store = LayerStore(Path(store))
    if not store.current_versions():
        seed_store(store, data_dir)
    return load_store(store), store
