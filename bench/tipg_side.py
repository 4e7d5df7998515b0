"""geoapp beside tipg on the same PostGIS table, in one run: OGC items and vector tiles.

    .venv/bin/python bench/tipg_side.py [--stays 50000] [--seconds 8] [--reps 2] [--work DIR]

The shared anchors' comparison (../shared/anchors/tipg-tippecanoe) kept in the repository:
- a throw-away PostgreSQL 15 + PostGIS cluster on 127.0.0.1 (`tests/postgis_cluster.py`);
- the anchors' random points (`bench/ogc_throughput.py`: seed 42, the anchors' box) as geoapp's
  farm stays; geoapp started once with `DATABASE_URL` writes them to PostGIS (its version-1
  table), and that table is what tipg serves;
- tipg 1.x from PyPI in a venv of its own under the work folder (uvicorn, 2 workers, the table's
  key given as `pk=id`, no catalog refresh during the loads);
- geoapp twice, gunicorn with 2 sync workers and its settings: on its embedded store (GeoPackage,
  the same points) and on the PostGIS database.
Items: a random 1 % bbox with limit=100 from 4 keep-alive wrk clients (or the Python client),
interleaved rep by rep; before the loads, 10 random boxes are checked to give the same ids and
`numberMatched` from all three. Tiles: every farm-stay tile at z10–z14 over the county in a
shuffled order, 4 client threads with gzip, two passes (tipg is asked for geoapp's default tile
properties). Prints one JSON line per measure; the figures are in bench/README.md.
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ogc_throughput import HEIGHT, LAT0, LON0, LUA, WIDTH, geoapp_data_dir, load, random_points, start, stop  # noqa: E402
from tiles_walk import walk  # noqa: E402

from geoapp.maps.vectortiles import tile_properties  # noqa: E402
from geoapp.mercator import tile_range  # noqa: E402
from tests.postgis_cluster import PostgisCluster  # noqa: E402

PORTS = {"geoapp": 5121, "geoapp_pg": 5122, "tipg": 5123}


def tipg_venv(work: Path) -> Path:
    venv = work / "tipg-venv"
    if not (venv / "bin" / "uvicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "tipg>=1,<2", "uvicorn"], check=True)
    return venv / "bin"


def table_of(database_url: str, layer: str) -> str:
    """The PostGIS table geoapp serves `layer` from (its newest version)."""
    import sqlalchemy
    engine = sqlalchemy.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        names = connection.execute(sqlalchemy.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                                   "AND tablename LIKE :like"), {"like": f"{layer}__v%"}).scalars()
        return max(names, key=lambda name: int(name.rsplit("__v", 1)[1]))


def get_json(port: int, path: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, (port, path, response.status, body[:300])
    return json.loads(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stays", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--work", type=Path, help="a folder kept between runs (tipg's venv is made once there)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="geoapp-tipg-"))
    work.mkdir(parents=True, exist_ok=True)
    tipg = tipg_venv(work)
    points = random_points(args.stays)
    run = work / f"run-{args.stays}"
    shutil.rmtree(run, ignore_errors=True)  # (a kept work folder keeps only tipg's venv between runs)
    data = geoapp_data_dir(points, run)
    cluster = PostgisCluster()
    servers: dict = {}
    venv = Path(sys.executable).parent
    try:
        database = cluster.new_database()
        for name, extra in (("geoapp", {}), ("geoapp_pg", {"DATABASE_URL": database})):
            servers[name], _ = start([str(venv / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{PORTS[name]}", "--timeout",
                                      "600", "geoapp.wsgi:app"], PORTS[name], "/ogc/conformance",
                                     {"GEOAPP_DATA_DIR": str(data), "GEOAPP_INSTANCE": str(run / f"instance-{name}"),
                                      "GEOAPP_TILES": "blank", **extra}, ROOT)
        table = table_of(database, "farm_stays")
        servers["tipg"], _ = start([str(tipg / "uvicorn"), "tipg.main:app", "--workers", "2", "--host", "127.0.0.1",
                                    "--port", str(PORTS["tipg"]), "--log-level", "warning", "--no-access-log"],
                                   PORTS["tipg"], "/collections",
                                   {"DATABASE_URL": database, "TIPG_DB_SCHEMAS": '["public"]',
                                    "TIPG_TABLE_CONFIG": json.dumps({f"public_{table}": {"pk": "id"}}),
                                    "TIPG_CATALOG_TTL": "0"}, work)
        collection = {"geoapp": ("/ogc", "farm_stays", "json"), "geoapp_pg": ("/ogc", "farm_stays", "json"),
                      "tipg": ("", f"public.{table}", "geojson")}  # (tipg's f=json is a list of rows)
        # the same answers: ids in order and numberMatched, against a count of the points
        xy = shapely.get_coordinates(points.geometry.to_numpy())
        ids = np.array([f"K{i:07d}" for i in range(len(points))])
        rnd = random.Random(7)
        agree = 0
        for _ in range(10):
            x, y = LON0 + rnd.random() * WIDTH * 0.9, LAT0 + rnd.random() * HEIGHT * 0.9
            box = (round(x, 5), round(y, 5), round(x + WIDTH * 0.1, 5), round(y + HEIGHT * 0.1, 5))
            inside = (xy[:, 0] >= box[0]) & (xy[:, 0] <= box[2]) & (xy[:, 1] >= box[1]) & (xy[:, 1] <= box[3])
            expected = (list(ids[inside][:100]), int(inside.sum()))
            answers = [get_json(PORTS[name], f"{prefix}/collections/{coll}/items?bbox={','.join(map(str, box))}"
                                             f"&limit=100&f={fmt}")
                       for name, (prefix, coll, fmt) in collection.items()]
            agree += all(([str(f.get("id")) for f in a["features"]], a.get("numberMatched")) == expected
                         for a in answers)
        print(json.dumps({"stays": args.stays, "boxes_agreeing": f"{agree}/10"}), flush=True)
        lua = work / "items.lua"
        lua.write_text(LUA, encoding="utf-8")
        rates: dict[str, list[dict]] = {name: [] for name in collection}
        for rep in range(args.reps):
            names = list(collection)[rep % 3:] + list(collection)[:rep % 3]
            for name in names:
                prefix, coll, fmt = collection[name]
                rates[name].append(load(PORTS[name], prefix, coll, args.seconds, rep + 1, lua, fmt))
        items = {name: round(statistics.median(r["rps"] for r in runs), 1) for name, runs in rates.items()}
        print(json.dumps({"items_rps": items, "geoapp_vs_tipg": round(items["geoapp"] / items["tipg"], 2),
                          "geoapp_pg_vs_tipg": round(items["geoapp_pg"] / items["tipg"], 2),
                          "bytes": {name: round(runs[0]["bytes"]) for name, runs in rates.items()}}), flush=True)
        # tiles: every z10–z14 farm-stay tile over the county, twice, shuffled
        bounds = tuple(gpd.read_file(data / "county.geojson").total_bounds)
        tiles = [(z, x, y) for z in range(10, 15) for x, y in tile_range(bounds, z)]
        wanted = ",".join(tile_properties("farm_stays"))
        address = {"geoapp": "/tiles/farm_stays/{}/{}/{}.mvt", "geoapp_pg": "/tiles/farm_stays/{}/{}/{}.mvt",
                   "tipg": f"/collections/public.{table}/tiles/WebMercatorQuad/{{}}/{{}}/{{}}?properties={wanted}"}
        for n in (1, 2):
            order = random.Random(n).sample(tiles, len(tiles))
            walked = {}
            for name in collection:
                seconds, sizes = walk(PORTS[name], [address[name].format(*t) for t in order], 4)
                walked[name] = {"tiles_s": round(len(order) / seconds), "median_bytes": int(statistics.median(sizes))}
            print(json.dumps({"tiles_pass": n, "tiles": len(order), **walked,
                              "geoapp_vs_tipg": round(walked["geoapp"]["tiles_s"] / walked["tipg"]["tiles_s"], 2),
                              "geoapp_pg_vs_tipg": round(walked["geoapp_pg"]["tiles_s"] / walked["tipg"]["tiles_s"],
                                                         2)}), flush=True)
    finally:
        for process in servers.values():
            stop(process)
        cluster.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
