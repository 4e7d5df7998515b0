"""Coverage page weight and build time, geoapp vs the naive folium way, on the same layers.

    .venv/bin/python bench/coverage_page.py            # county data in geodata/
    .venv/bin/python bench/coverage_page.py --runs 5

"Bytes" are everything the app serves for the page except static assets and tiles: the HTML
with the map's data inline (geoapp's page makes no other request). Naive: one
`folium.GeoJson(gdf)` per polygon layer at full resolution with every property, and one
`folium.Marker` with a `folium.Popup` per point, as folium's tutorials do.
"""
from __future__ import annotations

import argparse
import gzip
import html
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import folium

from geoapp import create_app
from geoapp.config import ROOT
from geoapp.crs import METRIC_CRS, STORAGE_CRS
from geoapp.data.files import write_geojson
from geoapp.data.load import load_dataset
from geoapp.layers import LAYERS
from geoapp.maps.coverage import CoverageMap, coverage_map
from geoapp.maps.elements import control_words
from geoapp.messages import translator
from geoapp.views.coverage import legend


def naive_coverage_html(dataset) -> str:
    m = folium.Map(location=[29.4, 102.65], zoom_start=10)
    for layer_id in ("townships", "zones", "industry_bases"):
        folium.GeoJson(dataset[layer_id], name=layer_id,
                       tooltip=folium.GeoJsonTooltip(fields=["name_zh"])).add_to(m)
    for layer_id in ("party_organisations", "cooperatives"):
        group = folium.FeatureGroup(name=layer_id).add_to(m)
        for row in dataset[layer_id].itertuples():
            text = "<br>".join(f"{k}: {html.escape(str(v))}" for k, v in row._asdict().items()
                               if k not in ("Index", "geometry"))
            folium.Marker([row.geometry.y, row.geometry.x], popup=folium.Popup(text, max_width=300)).add_to(group)
    folium.LayerControl().add_to(m)
    return m.get_root().render()


def densified_copy(data_dir: str, spacing_m: float) -> Path:
    """A copy of the data dir whose polygons have a vertex every `spacing_m` metres along
    their edges, as boundaries digitised from large-scale maps do; the same shapes."""
    out = Path(tempfile.mkdtemp(prefix="geoapp-dense-"))
    dataset = load_dataset(data_dir)
    for spec in LAYERS.values():
        if spec.is_table or "Polygon" not in spec.geometry:
            shutil.copy(Path(data_dir) / spec.filename, out / spec.filename)
            continue
        frame = dataset[spec.id]
        dense = frame.geometry.to_crs(METRIC_CRS).segmentize(spacing_m).to_crs(STORAGE_CRS)
        write_geojson(frame.set_geometry(dense), out / spec.filename)
    return out


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", default=str(ROOT / "geoapp" / "geodata"))
    parser.add_argument("--densify", type=float, metavar="METRES",
                        help="first give every polygon a vertex each METRES along its edges")
    args = parser.parse_args()
    if args.densify:
        args.data_dir = str(densified_copy(args.data_dir, args.densify))
        print(f"polygons densified to one vertex per {args.densify:g} m in {args.data_dir}")

    # its own store: an instance/ already seeded from other data would be served instead
    instance = Path(tempfile.mkdtemp(prefix="geoapp-coverage-bench-"))
    app = create_app({"GEOAPP_DATA_DIR": args.data_dir, "GEOAPP_TILES": "blank", "GEOAPP_INSTANCE": instance})
    client = app.test_client()
    with app.app_context():
        served = app.extensions["geoapp"]
        analysis = served.newest.analysis

        def build_map():
            layers = CoverageMap(analysis, "industry_branches", "zh", translator("zh"))
            return coverage_map(layers, served.tiles, served.static_root, "/layers/{layer}", "/identify",
                                legend(layers), control_words("zh", identify=True)).get_root().render()
        build, _ = timed(build_map, args.runs)
    first = time.perf_counter()
    page = client.get("/coverage?metric=loans&lang=zh").data  # first request for this map: builds it
    first = time.perf_counter() - first
    warm, _ = timed(lambda: client.get("/coverage?metric=loans&lang=zh").data, args.runs)
    gz = client.get("/coverage?metric=loans&lang=zh", headers={"Accept-Encoding": "gzip"}).data
    text = page.decode()
    start = text.rfind("<script", 0, text.find("var map_"))
    map_script = text[start:text.find("</script>", start)]

    naive_build, naive = timed(lambda: naive_coverage_html(analysis.dataset), args.runs)
    naive = naive.encode()
    naive_gz = gzip.compress(naive, compresslevel=6)

    rows = [("geoapp /coverage", len(page), len(gz), build, first, warm),
            ("naive folium", len(naive), len(naive_gz), naive_build, naive_build, naive_build)]
    print(f"{'page':<18}{'bytes':>11}{'gzip':>10}{'build s':>9}{'1st req s':>11}{'warm req s':>12}")
    for name, raw, packed, b, f, w in rows:
        print(f"{name:<18}{raw:>11,}{packed:>10,}{b:>9.3f}{f:>11.3f}{w:>12.4f}")
    map_gz = len(gzip.compress(map_script.encode(), compresslevel=6))
    print(f"geoapp gzip bytes are {100 * len(gz) / len(naive_gz):.1f}% of the naive page's "
          f"({100 * len(page) / len(naive):.1f}% uncompressed); the map's script alone, without "
          f"the side pane, is {map_gz:,} bytes gzip = {100 * map_gz / len(naive_gz):.1f}%")


if __name__ == "__main__":
    main()
