"""What the drop rule of crowded point tiles does to the map (issue 23): the farm stays' vector
tiles drawn by Leaflet.VectorGrid in chromium, under the rule given, at a county zoom and a
town zoom; screenshots written to `--out` (before/after pictures for bench/README.md).

    .venv/bin/python bench/tile_look.py --stays 50000 --cell 64 --max-points 4000 --out /tmp/before
    .venv/bin/python bench/tile_look.py --stays 50000 --out /tmp/after      # the rule in the code

Each point is a dot of 3 px radius; a point standing for several (`point_count`) grows with
the log of its count, up to 6 px (what a style can do with the count). Also prints the median
gzip size of the tiles the views loaded (as the app sends them).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">
<script src="/static/vendor/leaflet/leaflet.js"></script>
<script src="/static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"></script>
<style>html,body,#map{margin:0;height:100%%;background:#fff}</style></head><body><div id="map"></div><script>
const map = L.map('map', {zoomControl: false, attributionControl: false, fadeAnimation: false}).setView([%(lat)s, %(lon)s], %(zoom)s);
const layer = L.vectorGrid.protobuf('/tiles/farm_stays/{z}/{x}/{y}.mvt', {vectorTileLayerStyles: {farm_stays:
  (p) => ({radius: 3 + Math.min(3, Math.log2(p.point_count || 1)), weight: 0.5, color: '#7a3d00', fillColor: '#e08a2c',
           fillOpacity: 0.8, fill: true})}});
let loaded = false; layer.on('load', () => { loaded = true; }); layer.addTo(map);
window.tilesLoaded = () => loaded;
</script></body></html>"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stays", type=int, default=50_000)
    parser.add_argument("--cell", type=int, help="POINT_CELL to use (tile units); the code's by default")
    parser.add_argument("--max-points", type=int, help="MAX_POINTS to use; the code's by default")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from geoapp.maps import vectortiles
    if args.cell:
        vectortiles.POINT_CELL = args.cell
    if args.max_points:
        vectortiles.MAX_POINTS = args.max_points
    from tests.conftest import LiveServer, copy_of_data, headless_chromium, make_app
    work = Path(tempfile.mkdtemp(prefix="geoapp-look-"))
    app = make_app(copy_of_data(work, farm_stays=args.stays, seed=3), work / "instance")
    sizes: list[int] = []
    for zoom, lat, lon in ((10, 29.40, 102.65), (13, 29.35, 102.62)):
        app.view_functions.pop(f"look{zoom}", None)
        app.add_url_rule(f"/look{zoom}", f"look{zoom}", lambda z=zoom, a=lat, o=lon: PAGE % {"lat": a, "lon": o, "zoom": z})
    server = LiveServer(app)
    args.out.mkdir(parents=True, exist_ok=True)
    with headless_chromium() as playwright_browser:
        page = playwright_browser.new_page(viewport={"width": 900, "height": 700}, bypass_csp=True)  # (an inline page)
        page.on("response", lambda r: sizes.append(int(r.header_value("content-length") or 0)) if ".mvt" in r.url else None)
        for zoom in (10, 13):
            page.goto(f"{server.url}/look{zoom}")
            page.wait_for_function("window.tilesLoaded && window.tilesLoaded()")
            page.screenshot(path=str(args.out / f"stays-z{zoom}.png"))
    server.stop()
    print(f"rule: cell {vectortiles.POINT_CELL}, crowded above {vectortiles.MAX_POINTS}; {len(sizes)} tiles, "
          f"median {statistics.median(sizes) / 1024:.1f} KB gzip, largest {max(sizes) / 1024:.1f} KB; pictures in {args.out}")


if __name__ == "__main__":
    main()
