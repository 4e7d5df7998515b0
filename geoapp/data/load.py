"""Reading the data: the data dir (one GeoJSON file per layer and one CSV file per table,
docs/BRIEF.md §4) and the instance store, which holds every version and is the truth once seeded.

The app serves, for each layer, the newest version that passes the same check an import
passes (`geoapp.data.validate.check_frame`). A version that does not load — written by an
older release, or damaged — is skipped, not fatal: the app starts on the version before it,
and says which it skipped and why (`Dataset.skipped`, the log, `/admin/data`), so that
`geoapp rollback` or a new import can mend it.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import geopandas as gpd
import pandas as pd

from geoapp.crs import STORAGE_CRS
from geoapp.data.export import unguarded
from geoapp.data.files import file_checksum
from geoapp.data.validate import DataError, DataProblem, check_frame, check_references
from geoapp.layers import LAYERS, LayerSpec
from geoapp.messages import N_, message
from geoapp.store import DAMAGED_FILE_WORDS, LayerStore, damaged

Frame: TypeAlias = gpd.GeoDataFrame | pd.DataFrame


@dataclass(frozen=True)
class SkippedVersion:
    """A stored version the app does not serve, because it does not pass the checks."""
    layer: str
    version: int
    problems: tuple[DataProblem, ...]


class Dataset(Mapping):
    """The validated layers and tables, by id; GeoDataFrames are in EPSG:4326."""

    def __init__(self, frames: dict[str, Frame], source: str, versions: dict[str, int] | None = None,
                 skipped: tuple[SkippedVersion, ...] = ()):
        self._frames = frames
        self.source = source            # where the data came from, for pages and logs
        self.versions = versions or {}  # the store's version of each layer served (none from a data dir)
        self.skipped = skipped          # newer versions that did not load

    def __getitem__(self, layer_id: str) -> Frame:
        return self._frames[layer_id]

    def __iter__(self):
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)

    def replace(self, layer_id: str, frame: Frame) -> Dataset:
        """A copy with one layer replaced (for what-if analyses and tests)."""
        return Dataset({**self._frames, layer_id: frame}, self.source, self.versions, self.skipped)


def read_raw(spec: LayerSpec, path: Path) -> tuple[Frame | None, list[DataProblem]]:
    """Read one layer or table file as it is, or say why it cannot be read."""
    name = path.name
    if not path.is_file():
        return None, [DataProblem(name, None, message(N_("missing file (expected the %(layer)s layer or table at %(path)s)"),
                                                      layer=spec.id, path=str(path)))]
    try:
        if spec.is_table:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig").map(unguarded), []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gpd.read_file(path, engine="pyogrio"), []
    except UnicodeDecodeError as err:
        return None, [DataProblem(name, None, message(
            N_("not UTF-8 text (byte %(byte)s); a GBK file must be converted to UTF-8 first"), byte=err.start))]
    except Exception as err:  # pyogrio and pandas raise many kinds; the message is what matters
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, [DataProblem(name, None, message(N_("cannot be read as %(kind)s: %(reason)s"),
                                                      kind="CSV" if spec.is_table else "GeoJSON", reason=reason))]


def read_file(spec: LayerSpec, path: Path) -> tuple[Frame | None, list[DataProblem]]:
    """Read one layer or table file and check it on its own; returns (frame or None, problems)."""
    raw, problems = read_raw(spec, path)
    if raw is None:
        return None, problems
    return check_frame(spec, raw)


def empty_frame(spec: LayerSpec) -> Frame:
    """A layer or table with the registry's columns and no rows (an optional layer not yet loaded)."""
    columns = [c.name for c in spec.columns]
    if spec.is_table:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return gpd.GeoDataFrame({name: pd.Series(dtype=object) for name in columns}, geometry=gpd.GeoSeries([], crs=STORAGE_CRS))


def read_layers(data_dir: Path, layer_ids) -> tuple[dict[str, Frame], list[DataProblem]]:
    """Read and check each of `layer_ids` from `data_dir` (an optional layer's missing file is
    an empty layer); the frames that passed, and every problem found."""
    frames: dict[str, Frame] = {}
    problems: list[DataProblem] = []
    for layer_id in layer_ids:
        spec = LAYERS[layer_id]
        path = data_dir / spec.filename
        if spec.optional and not path.exists():
            frames[layer_id] = empty_frame(spec)
            continue
        frame, found = read_file(spec, path)
        problems += found
        if frame is not None and not found:
            frames[layer_id] = frame
    return frames, problems


def load_dataset(data_dir: str | Path) -> Dataset:
    """Read and validate every layer and table in `data_dir`; raise DataError naming each problem.
    An optional layer whose file is missing is empty."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError([DataProblem(str(data_dir), None, message(N_("data directory does not exist")))], str(data_dir))
    frames, problems = read_layers(data_dir, LAYERS)
    problems += check_references(frames, LAYERS)
    if problems:
        raise DataError(problems, str(data_dir))
    return Dataset(frames, source=str(data_dir.resolve()))


# The instance store --------------------------------------------------------------------------

def _candidates(store: LayerStore, layer_id: str, current: int) -> list[int]:
    """The versions of a layer the app may serve, best first: the current one, then older ones."""
    older = sorted((v.version for v in store.history(layer_id) if v.version < current), reverse=True)
    return [current, *older]


def _first_loading(store: LayerStore, spec: LayerSpec, versions: list[int], skipped: list[SkippedVersion]):
    """(version, frame) of the first of `versions` that passes `check_frame`, or None; the
    ones that do not are added to `skipped`."""
    for version in versions:
        try:
            raw = store.read(spec.id, version)
        except Exception as err:  # a table the store cannot even read (damaged, dropped)
            if any(words in str(err).lower() for words in DAMAGED_FILE_WORDS):  # the file, not the version
                raise damaged(Path(str(store.path)), str(err).strip().splitlines()[0].split(" failed: ")[-1]) from None
            skipped.append(SkippedVersion(spec.id, version, (DataProblem(f"{spec.id} v{version}", None, message(
                N_("cannot be read from the store: %(reason)s"), reason=str(err).strip().splitlines()[0])),)))
            continue
        frame, problems = check_frame(spec, raw, f"{spec.id} v{version}")
        if not problems:
            return version, frame
        skipped.append(SkippedVersion(spec.id, version, tuple(problems)))
    return None


def load_store(store: LayerStore) -> Dataset:
    """The newest loadable version of every layer and table in the store (see the module
    docstring). DataError only when some layer has no version at all that loads."""
    current = store.current_versions()
    problems: list[DataProblem] = []
    skipped: list[SkippedVersion] = []
    remaining: dict[str, list[int]] = {}
    chosen: dict[str, tuple[int, Frame]] = {}
    for layer_id, spec in LAYERS.items():
        if layer_id not in current:
            problems.append(DataProblem(str(store.path), None, message(N_("the store has no %(layer)s"), layer=layer_id)))
            continue
        remaining[layer_id] = _candidates(store, layer_id, current[layer_id])
        found = _first_loading(store, spec, remaining[layer_id], skipped)
        if found is None:
            problems += [p for s in skipped if s.layer == layer_id for p in s.problems][:5]
            continue
        chosen[layer_id] = found
        remaining[layer_id] = [v for v in remaining[layer_id] if v < found[0]]
    if problems:
        raise DataError(problems, str(store.path))
    by_file = {spec.filename: layer_id for layer_id, spec in LAYERS.items()}
    while True:  # a layer whose references do not hold steps back to its previous loadable version
        broken = check_references({k: frame for k, (_, frame) in chosen.items()}, LAYERS)
        if not broken:
            break
        for layer_id in {by_file[p.file] for p in broken if p.file in by_file}:
            version = chosen[layer_id][0]
            skipped.append(SkippedVersion(layer_id, version, tuple(
                p.named(f"{layer_id} v{version}") for p in broken if by_file.get(p.file) == layer_id)))
            found = _first_loading(store, LAYERS[layer_id], remaining[layer_id], skipped)
            if found is None:
                raise DataError([p.named(f"{by_file.get(p.file, p.file)} v{chosen[by_file[p.file]][0]}")
                                 if p.file in by_file else p for p in broken], str(store.path))
            chosen[layer_id] = found
            remaining[layer_id] = [v for v in remaining[layer_id] if v < found[0]]
    versions = {k: v for k, (v, _) in chosen.items()}
    return Dataset({k: frame for k, (_, frame) in chosen.items()},
                   source=f"{store.path} ({', '.join(f'{k} v{v}' for k, v in versions.items())})",
                   versions=versions, skipped=tuple(skipped))


# The branches' own reports --------------------------------------------------------------------

REPORTS = "activity_reports"   # its entry in Dataset.versions: the latest revision of the reports served


def reports_frame(reports) -> pd.DataFrame:
    """`geoapp.store.base.ActivityReport`s as rows of the branch_activities table."""
    spec = LAYERS["branch_activities"]
    rows = [{"id": r.activity_id, "branch": r.branch, "date": r.date, "kind": r.kind, "topic_zh": r.topic_zh,
             "topic_en": None, "attendance": r.attendance, "minutes": r.minutes or None, "reported_by": r.who,
             "reported_at": r.at, "photos": ",".join(r.photos) or None} for r in reports]
    return pd.DataFrame(rows, columns=[c.name for c in spec.columns])


def report_problems(dataset: Dataset, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[DataProblem]]:
    """The check a report passes when it is sent and again when it is loaded (one check, both
    doors): the branch_activities schema, a branch the data holds, an id the table has not
    taken. (checked frame, problems)."""
    checked, problems = check_frame(LAYERS["branch_activities"], frame, "branch_activities")
    if problems:
        return checked, problems
    known = set(dataset["party_organisations"].id)
    taken = set(dataset["branch_activities"].id)
    for row in checked.itertuples():
        if row.branch not in known:
            problems.append(DataProblem("branch_activities", None, message(
                N_("branch: there is no party organisation %(value)s"), value=str(row.branch)[:70])))
        if row.id in taken:
            problems.append(DataProblem("branch_activities", None, message(
                N_("id: %(value)s is taken by an imported activity"), value=row.id)))
    return checked, problems


def with_reports(dataset: Dataset, reports, latest: int) -> Dataset:
    """The dataset with the branches' reports (not removed) added to its branch_activities,
    each report passing `report_problems` (one that no longer does, say its branch was removed
    by a later import, is left out and the log says so), and `versions[REPORTS]` = `latest`."""
    import logging
    frame = reports_frame(reports)
    checked, problems = report_problems(dataset, frame)
    kept = [checked] if len(frame) and not problems else []
    if problems:  # find the ones at fault, one by one (rare: after an import removed a branch)
        for position in range(len(frame)):
            checked, problems = report_problems(dataset, frame.iloc[[position]])
            if problems:
                logging.getLogger("geoapp").warning("activity report %s is not served: %s", frame.id.iloc[position],
                                                    "; ".join(map(str, problems)))
            else:
                kept.append(checked)
    merged = dataset["branch_activities"]
    if kept:
        merged = pd.concat([merged, *kept], ignore_index=True)
    joined = dataset.replace("branch_activities", merged)
    return Dataset(dict(joined), dataset.source, {**dataset.versions, REPORTS: latest}, dataset.skipped)


def seed_store(store: LayerStore, data_dir: str | Path) -> dict[str, int]:
    """Give the store every registry layer it lacks, from `data_dir` (an optional layer with no
    file there starts empty). A fresh store gets the whole data dir, checked together; later, a
    layer added to the registry arrives as its version 1. Whichever process comes first seeds;
    the others find it done. Returns the versions written."""
    present = store.current_versions()
    missing = [layer_id for layer_id in LAYERS if layer_id not in present]
    if not missing:
        return {}
    data_dir = Path(data_dir)
    if not present:
        frames = dict(load_dataset(data_dir))
    else:
        frames, problems = read_layers(data_dir, missing)
        if problems:
            raise DataError(problems, str(data_dir))
    files = {layer_id: data_dir / LAYERS[layer_id].filename for layer_id in frames}
    return store.publish(frames, who="seed",
                         source_files={k: str(p.resolve()) if p.exists() else "" for k, p in files.items()},
                         checksums={k: file_checksum(p) if p.exists() else "" for k, p in files.items()},
                         note=f"seeded from {data_dir}", only_missing=True)


def open_dataset(store: LayerStore, data_dir: str | Path) -> Dataset:
    """The data the app serves: the store's, seeded from `data_dir` with whatever layers it lacks."""
    seed_store(store, data_dir)
    return load_store(store)
