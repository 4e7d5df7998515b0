"""Importing a layer or table from the data keeper's file.

`prepare_import` reads GeoJSON, GeoPackage, a zipped Shapefile (with its .prj) or CSV/XLSX
(lon/lat columns) through `geoapp.data.readers`, converts the declared coordinate system to
WGS-84, and checks everything against the registry and the other current layers — writing
nothing. Its report names each problem with its row and field, and adds hints (a GBK file,
points that sit a GCJ-02-like 300-400 m off). `publish_import` then hands a clean report to the
layer store. Every import is bounded whichever door it comes through, the command line or the
web (`geoapp.data.readers.common`).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.crs import METRIC_CRS, SHIFTED_SYSTEMS, STORAGE_CRS, from_shifted
from geoapp.data.diff import layer_changes
from geoapp.data.files import file_checksum
from geoapp.data.load import Dataset
from geoapp.data.readers import (
    MAX_IMPORT_BYTES,
    SUPPORTED,
    ImportReport,
    Progress,
    read_source,
    to_wgs84,
)
from geoapp.data.readers.common import feature_label
from geoapp.data.validate import DataProblem, check_frame, check_references
from geoapp.layers import LAYERS, LayerSpec
from geoapp.messages import N_, message
from geoapp.store import LayerStore

__all__ = ["MAX_IMPORT_BYTES", "SUPPORTED", "ImportReport", "prepare_import", "publish_import"]
OUTSIDE_TOLERANCE_M = 1_000   # features this far outside the county boundary are refused
GCJ_LIKE_M = (250, 450)       # how far GCJ-02 sits from WGS-84 around Hanyuan (330-380 m)
BD_LIKE_M = (650, 1_050)


def _outside_county(frame: gpd.GeoDataFrame, current: Dataset, report: ImportReport, layer: LayerSpec) -> None:
    if layer.id == "county":
        return
    county = current["county"].to_crs(METRIC_CRS).geometry.union_all()
    distances = frame.geometry.to_crs(METRIC_CRS).distance(county)
    for i in np.flatnonzero((distances > OUTSIDE_TOLERANCE_M).to_numpy())[:10]:
        report.problem(N_("lies %(km)s km outside Hanyuan County"), feature_label(frame, layer, i),
                       km=f"{distances.iloc[i] / 1000:.1f}")


def _shift_hints(frame: gpd.GeoDataFrame, current: Dataset, report: ImportReport, layer: LayerSpec) -> None:
    """Hint when features sit GCJ-02- or BD-09-like off the current version of the same ids,
    or lie in their claimed township only once converted from GCJ-02."""
    if report.declared_crs and report.declared_crs.lower() in SHIFTED_SYSTEMS:
        return
    key = layer.key_columns[0]
    old = current[layer.id]
    if key in frame and key in old:
        matched = frame[[key, "geometry"]].merge(pd.DataFrame(old[[key, "geometry"]]), on=key,
                                                 suffixes=("", "_old"))
        if len(matched) >= 3:
            new = gpd.GeoSeries(matched.geometry, crs=STORAGE_CRS).to_crs(METRIC_CRS).centroid
            before = gpd.GeoSeries(matched.geometry_old, crs=STORAGE_CRS).to_crs(METRIC_CRS).centroid
            shift = float(np.median(new.distance(before, align=False)))
            if GCJ_LIKE_M[0] <= shift <= GCJ_LIKE_M[1]:
                report.hint(N_("the features sit a median %(metres)s m from the current %(layer)s, as GCJ-02 (Amap, "
                               "Tencent) coordinates do here: if they came from such a map, import them declaring "
                               "gcj02"), metres=f"{shift:.0f}", layer=layer.id)
            elif BD_LIKE_M[0] <= shift <= BD_LIKE_M[1]:
                report.hint(N_("the features sit a median %(metres)s m from the current %(layer)s, as BD-09 (Baidu) "
                               "coordinates do here: if they came from Baidu, import them declaring bd09"),
                            metres=f"{shift:.0f}", layer=layer.id)
    if "township" in frame and (frame.geom_type == "Point").all():
        townships = current["townships"].set_index("code").geometry
        claimed = frame.township.map(townships)
        known = claimed.notna()
        if known.sum() >= 3:
            areas = claimed[known].to_numpy()
            as_is = shapely.contains(areas, frame.geometry[known].to_numpy()).mean()
            converted = shapely.contains(areas, from_shifted(frame.geometry[known].to_numpy(), "gcj02")).mean()
            if converted - as_is >= 0.2:
                report.hint(N_("%(as_is)s of the points lie in the township they name, %(converted)s once converted "
                               "from GCJ-02: if they came from Amap or Tencent, declare gcj02"),
                            as_is=f"{as_is:.0%}", converted=f"{converted:.0%}")


def prepare_import(path: str | Path, layer_id: str, current: Dataset, declared_crs: str | None = None,
                   encoding: str | None = None, progress: Progress | None = None,
                   store: LayerStore | None = None) -> ImportReport:
    """Read, convert and check a file for `layer_id`; nothing is written. With `store`, the
    checked layer is also written to a scratch copy and read back, to be sure it would be
    stored unchanged (see `geoapp.store.roundtrip`). See the module docstring."""
    path = Path(path)
    progress = progress or (lambda what, fraction: None)
    report = ImportReport(layer=layer_id, file=path.name, declared_crs=declared_crs)
    layer = LAYERS.get(layer_id)
    if layer is None:
        return report.problem(N_("unknown layer %(layer)s; known: %(known)s"), layer=repr(layer_id),
                              known=", ".join(LAYERS))
    progress("reading", 0.05)
    raw = read_source(path, layer, report, encoding)
    if raw is None:
        return report
    if not layer.is_table:
        progress("converting coordinates", 0.25)
        raw = to_wgs84(raw, report)
        if raw is None:
            return report
    elif declared_crs:
        report.note(N_("%(layer)s is a table: the declared coordinate system is not used"), layer=layer_id)
    progress("checking", 0.4)
    frame, problems = check_frame(layer, raw, path.name, lines=path.suffix.lower() in (".csv", ".xlsx") or None)
    report.problems += problems
    if not problems:
        others = dict(current)
        others[layer_id] = frame
        references = check_references(others, LAYERS)
        report.problems += [p.named(path.name) for p in references if p.file == layer.filename]
        # and the other layers that point at this one must still find their keys
        report.problems += [DataProblem(p.file, p.row, message(N_("%(problem)s (after replacing %(layer)s)"),
                                                               problem=p.message, layer=layer_id))
                            for p in references if p.file != layer.filename]
        if not layer.is_table:
            _outside_county(frame, current, report, layer)
            _shift_hints(frame, current, report, layer)
    report.rows = len(raw)
    if report.problems:
        return report
    stored = frame[[c.name for c in layer.columns] + ([] if layer.is_table else ["geometry"])]
    if store is not None:
        progress("checking storage", 0.45)
        report.problems += [DataProblem(path.name, None, m) for m in store.check_storable(layer_id, stored)]
        if report.problems:
            return report
    report.frame = stored
    report.checksum = file_checksum(path)
    if layer_id in current:   # what it changes against the version served
        report.changes = layer_changes(layer, current[layer_id], stored)
        report.served_version = current.versions.get(layer_id)
    progress("checked", 0.5)
    return report


def publish_import(store: LayerStore, report: ImportReport, who: str,
                   progress: Progress | None = None) -> int:
    """Publish a clean report's layer as the new current version; returns its number. A file that
    changes nothing against the version served makes no new version: that version's number is
    returned (`report.changes.nothing` says so)."""
    if not report.ok:
        raise ValueError("a report with problems is never published")
    if report.changes is not None and report.changes.nothing and report.served_version is not None:
        return report.served_version
    progress = progress or (lambda what, fraction: None)
    stage = lambda what, fraction: progress(what, 0.5 + 0.5 * fraction)  # noqa: E731
    versions = store.publish({report.layer: report.frame}, who, {report.layer: report.file},
                             {report.layer: report.checksum}, progress=stage)
    return versions[report.layer]
