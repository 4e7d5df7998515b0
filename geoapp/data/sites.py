"""A proposed industry base's site: the bounds every analysis of one can afford, and reading it
from a GeoJSON body or from a file the importer reads. Used by the planner's analysis and the
proposals (above) and by the site upload; nothing here analyses anything.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geoapp.data.readers import ImportReport, read_source, to_wgs84
from geoapp.data.validate import DataProblem
from geoapp.layers import INDUSTRIES, Column, LayerSpec
from geoapp.messages import N_, Message, UserError, message
from geoapp.params import depth, json_kind

# What one public analysis may cost is bounded by the site's shape (bench/worst_analyse.py):
# overlays grow with the square of the vertices where an outline crosses borders many times
# (a 10,000-vertex star took 8 s; 3,000 vertices take under 1 s). A drawn site has tens of
# vertices; an uploaded parcel with more is simplified to fit before it is analysed.
MAX_VERTICES = 3_000
MAX_PARTS = 500      # a base in more separate plots than this is not one base
MAX_HOLES = 500


class SiteError(UserError):
    """A proposed site cannot be analysed; `status` is the HTTP status that says why."""


def _count_vertices(geometry: BaseGeometry) -> int:
    return int(shapely.get_num_coordinates(geometry))


def _polygon_shape(geometry: BaseGeometry) -> tuple[int, int]:
    """(parts, holes) of a Point, Polygon or MultiPolygon."""
    parts = shapely.get_parts(geometry)
    holes = int(sum(shapely.get_num_interior_rings(p) for p in parts)) if geometry.geom_type != "Point" else 0
    return len(parts), holes


def site_geometry(geometry_json) -> BaseGeometry:
    """A site's geometry (WGS-84) from its GeoJSON, within the bounds every analysis can afford:
    a Point, Polygon or MultiPolygon of at most MAX_VERTICES vertices, MAX_PARTS parts and
    MAX_HOLES holes, valid, in lon/lat degrees. SiteError (400, 413 or 422) says what is wrong."""
    if not isinstance(geometry_json, dict):
        raise SiteError(N_("geometry must be a GeoJSON geometry object, not %(kind)s"), status=422,
                        kind=json_kind(geometry_json))
    kind = geometry_json.get("type")
    if kind not in ("Point", "Polygon", "MultiPolygon"):
        raise SiteError(N_("a site is a Point, Polygon or MultiPolygon, not %(kind)s"), status=422,
                        kind=repr(kind)[:40])
    coordinates = geometry_json.get("coordinates")
    if not isinstance(coordinates, list) or depth(coordinates) != {"Point": 1, "Polygon": 3, "MultiPolygon": 4}[kind]:
        raise SiteError(N_("the %(kind)s's coordinates are not nested as GeoJSON nests them"), status=422, kind=kind)
    try:
        geometry = shape({"type": kind, "coordinates": coordinates})
    except Exception as err:  # shapely raises several kinds for malformed coordinates
        raise SiteError(N_("the geometry's coordinates cannot be read: %(reason)s"), status=422,
                        reason=str(err)[:120]) from None
    if geometry.is_empty:
        raise SiteError(N_("the geometry is empty"), status=422)
    vertices = _count_vertices(geometry)
    parts, holes = _polygon_shape(geometry)
    if vertices > MAX_VERTICES or parts > MAX_PARTS or holes > MAX_HOLES:
        raise SiteError(N_("the geometry has %(vertices)s vertices, %(parts)s parts and %(holes)s holes; a site may "
                           "have at most %(max_vertices)s vertices, %(max_parts)s parts and %(max_holes)s holes"),
                        status=413, vertices=vertices, parts=parts, holes=holes, max_vertices=MAX_VERTICES,
                        max_parts=MAX_PARTS, max_holes=MAX_HOLES)
    bounds = np.asarray(geometry.bounds, dtype=float)
    minx, miny, maxx, maxy = bounds
    if not np.isfinite(bounds).all() or not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise SiteError(N_("the coordinates are not longitude/latitude degrees: send WGS-84 lon/lat (a projected "
                           "file must be converted first)"), status=422)
    if not geometry.is_valid:
        raise SiteError(N_("invalid geometry: %(reason)s"), status=422, reason=shapely.is_valid_reason(geometry))
    return geometry


def site_industry(value) -> str:
    """The industry a site is analysed for: one of INDUSTRIES, never a guess."""
    if not isinstance(value, str) or value not in INDUSTRIES:
        raise SiteError(N_("choose the industry of the base: one of %(industries)s"), status=422, parameter="industry",
                        industries=", ".join(INDUSTRIES))
    return value


def parse_site(payload, industry: str | None = None) -> tuple[BaseGeometry, str]:
    """(geometry in WGS-84, industry) from a GeoJSON Feature — or a FeatureCollection of one
    feature, as an uploaded file is — with `properties.industry` (or `industry` given).
    Anything of another shape is a SiteError naming the part that is wrong."""
    if not isinstance(payload, dict):
        raise SiteError(N_("send a GeoJSON Feature (an object with type, geometry and properties), not %(kind)s"),
                        status=422, kind=json_kind(payload))
    if payload.get("type") == "FeatureCollection":
        features = payload.get("features")
        if not isinstance(features, list) or len(features) != 1:
            raise SiteError(N_("the FeatureCollection must hold exactly one feature, not %(count)s"), status=422,
                            count=len(features) if isinstance(features, list) else 0)
        payload = features[0]
    if not isinstance(payload, dict) or payload.get("type") != "Feature":
        raise SiteError(N_("send a GeoJSON Feature with a geometry"), status=422)
    properties = payload.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise SiteError(N_("properties must be an object, not %(kind)s"), status=422, parameter="properties",
                        kind=json_kind(properties))
    return site_geometry(payload.get("geometry")), site_industry(industry or properties.get("industry"))



# A proposed site from a file ------------------------------------------------------------------------

SITE = LayerSpec("site", "选址", "Proposed site", key="name", geometry=("Point", "Polygon", "MultiPolygon"),
                 columns=(Column("name", required=False, nullable=True),))


@dataclass
class SiteFile:
    geometries: list = field(default_factory=list)   # each feature's site, WGS-84
    labels: list = field(default_factory=list)       # what each feature is called in the file
    union: object = None                             # all of them as one site
    problems: list[DataProblem] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)


def read_site_file(path: Path, declared_crs: str | None = None, encoding: str | None = None) -> SiteFile:
    """The sites in a file the importer reads (any of READERS), converted to WGS-84 from the
    declared system or the file's own, checked as a proposed site is (`site_geometry`), with their
    union; an outline with more vertices than a site may have is simplified until it fits, and
    a note says so."""
    report = ImportReport(layer="site", file=path.name, declared_crs=declared_crs)
    found = SiteFile(problems=report.problems, notes=report.notes)
    raw = read_source(path, SITE, report, encoding)
    if raw is None:
        return found
    frame = to_wgs84(raw, report)
    if frame is None:
        return found
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    kinds = set(frame.geom_type)
    if not frame.empty and not kinds <= set(SITE.geometry):
        report.problem(N_("a site is a Point, Polygon or MultiPolygon, not %(kind)s"),
                       kind=", ".join(sorted(kinds - set(SITE.geometry))))
        return found
    if frame.empty:
        report.problem(N_("the file has no features; an import replaces the whole layer, so it would empty it"))
        return found
    label_column = next((c for c in ("name", "name_zh", "名称", "id") if c in frame.columns), None)
    geometries = [shapely.make_valid(g) if not g.is_valid else g for g in frame.geometry]
    union = shapely.union_all(geometries) if len(geometries) > 1 else geometries[0]
    if union.geom_type == "GeometryCollection":  # points with polygons: keep the areas
        union = shapely.union_all([g for g in shapely.get_parts(union) if g.geom_type != "Point"]) or union
    tolerance = 0.00001
    while shapely.get_num_coordinates(union) > MAX_VERTICES and tolerance < 0.01:
        union = shapely.simplify(union, tolerance, preserve_topology=True)
        tolerance *= 2
    if tolerance > 0.00001:
        report.note(N_("the outline was simplified to %(vertices)s vertices (about %(metres)s m) to be analysed"),
                    vertices=shapely.get_num_coordinates(union), metres=round(tolerance / 2 * 111_000))
    try:
        found.union = site_geometry(json.loads(shapely.to_geojson(union)))
    except ValueError as err:  # the site's own bounds (parts, holes, validity), as a message
        report.problems.append(DataProblem(path.name, None, getattr(err, "message", message(str(err)))))
        return found
    found.geometries = geometries
    found.labels = [str(v) for v in frame[label_column]] if label_column else [str(i + 1) for i in range(len(frame))]
    return found
