"""The costliest bodies we could build for the public `POST /api/plan/analyse`, and their time.

    .venv/bin/python bench/worst_analyse.py [--runs 3]

Each body is valid GeoJSON inside the county, at or near the bounds a site may have (3,000
vertices, 500 parts, 500 holes, 1 MiB): the shapes that make buffers, overlays and validity
checks expensive. Before the bounds and the grid-based service area, 2,400 tiny triangles took
88 s here. Times are the whole request through Flask's test client (parse, check, analyse,
JSON), the slowest of `--runs`; bodies that are refused say so with their status.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from geoapp import create_app
from geoapp.config import ROOT
from geoapp.crs import METRIC_CRS, STORAGE_CRS

CENTRE = (500_000.0, 3_250_000.0)  # UTM 48N, replaced by a point inside the county below


def to_wgs84(geometry):
    import pyproj
    transformer = pyproj.Transformer.from_crs(METRIC_CRS, STORAGE_CRS, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def triangles(n: int, spacing: float = 200, size: float = 50):
    x0, y0 = CENTRE
    side = int(np.ceil(np.sqrt(n)))
    return MultiPolygon([Polygon([(x0 + i * spacing, y0 + j * spacing), (x0 + i * spacing + size, y0 + j * spacing),
                                  (x0 + i * spacing, y0 + j * spacing + size)])
                         for i in range(side) for j in range(side)][:n])


def comb(teeth: int, length: float = 3_000, pitch: float = 4):
    x0, y0 = CENTRE
    ring = []
    for k in range(teeth):
        x = x0 + k * pitch
        ring += [(x, y0), (x, y0 + length), (x + pitch / 2, y0 + length), (x + pitch / 2, y0)]
    ring += [(x0 + teeth * pitch, y0 - 10), (x0, y0 - 10)]
    return Polygon(ring)


def holes(n: int):
    x0, y0 = CENTRE
    side = int(np.ceil(np.sqrt(n)))
    inner = [[(x0 + 10 + i * 20, y0 + 10 + j * 20), (x0 + 15 + i * 20, y0 + 10 + j * 20),
              (x0 + 15 + i * 20, y0 + 15 + j * 20), (x0 + 10 + i * 20, y0 + 15 + j * 20)]
             for i in range(side) for j in range(side)][:n]
    extent = side * 20 + 10
    return Polygon([(x0, y0), (x0 + extent, y0), (x0 + extent, y0 + extent), (x0, y0 + extent)], inner)


def spread(parts: int, vertices: int, county):
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = county.bounds
    shapes = []
    while len(shapes) < parts:
        cx, cy = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if county.buffer(-200).contains(Point(cx, cy)) and all(p.distance(Point(cx, cy)) > 100 for p in shapes):
            angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
            shapes.append(Polygon(np.column_stack([cx + 30 * np.cos(angle), cy + 30 * np.sin(angle)])))
    return MultiPolygon(shapes)


def star(vertices: int):
    x0, y0 = CENTRE
    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius = np.where(np.arange(vertices) % 2 == 0, 4_000, 200)
    return Polygon(np.column_stack([x0 + radius * np.cos(angle), y0 + radius * np.sin(angle)]))


def main() -> None:
    global CENTRE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    app = create_app({"GEOAPP_DATA_DIR": ROOT / "geoapp" / "geodata", "GEOAPP_INSTANCE": Path(tempfile.mkdtemp()),
                      "GEOAPP_TILES": "blank"})
    client = app.test_client()
    county = app.extensions["geoapp"].planning.county
    inner = county.buffer(-5_000)
    CENTRE = (inner.centroid.x, inner.centroid.y) if inner.contains(inner.centroid) else \
        (inner.representative_point().x, inner.representative_point().y)
    cases = {
        "2,400 tiny triangles (the reported body)": triangles(2_400),
        "500 tiny triangles (the part limit)": triangles(500),
        "comb of 749 teeth, 2,998 vertices": comb(749),
        "square with 490 holes": holes(490),
        "500 parts of 5 vertices over the county": spread(500, 5, county),
        "star of 2,998 vertices, 8 km across": star(2_998),
        "star of 9,998 vertices (over the limit)": star(9_998),
        "one point": Point(*CENTRE),
    }
    print(f"{'body':<44} {'vertices':>8} {'KB':>6} {'status':>6} {'slowest s':>9}")
    worst = 0.0
    for name, geometry in cases.items():
        feature = {"type": "Feature", "properties": {"industry": "pear"}, "geometry": mapping(to_wgs84(geometry))}
        body = json.dumps(feature)
        slowest = 0.0
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.post("/api/plan/analyse", data=body, content_type="application/json")
            slowest = max(slowest, time.perf_counter() - start)
        worst = max(worst, slowest)
        print(f"{name:<44} {shapely.get_num_coordinates(geometry):>8,} {len(body) / 1024:>6.0f} "
              f"{response.status_code:>6} {slowest:>9.3f}")
    print(f"worst: {worst:.3f} s")


if __name__ == "__main__":
    main()
