"""tippecanoe's pre-built tiles served as they are: /<archive>/{z}/{x}/{y}.mvt from
MBTILES_DIR/<archive>.mbtiles (sqlite, one connection per worker), the stored gzip bytes sent
with Content-Encoding: gzip (decompressed for a client that does not take gzip); a tile the
archive lacks is answered 204. Run under gunicorn -w 2 like geoapp (the same HTTP stack), so
geoapp ÷ this is the cost of cutting on demand."""
import gzip
import os
import sqlite3

DIR = os.environ.get("MBTILES_DIR", "./anch-work/tiles")
_CONN = {}


def _tile(name, z, x, y):
    conn = _CONN.get(name)
    if conn is None:
        conn = _CONN[name] = sqlite3.connect(f"file:{DIR}/{name}.mbtiles?mode=ro", uri=True, check_same_thread=False)
    row = conn.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                       (z, x, (1 << z) - 1 - y)).fetchone()
    return row[0] if row else None


def app(environ, start_response):
    try:
        _, name, z, x, y = environ["PATH_INFO"].split("/")
        z, x, y = int(z), int(x), int(y.split(".")[0])
    except ValueError:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    data = _tile(name, z, x, y)
    if data is None:
        start_response("204 No Content", [("Content-Length", "0")])
        return [b""]
    headers = [("Content-Type", "application/vnd.mapbox-vector-tile")]
    if data[:2] == b"\x1f\x8b":
        if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            headers.append(("Content-Encoding", "gzip"))
        else:
            data = gzip.decompress(data)
    headers.append(("Content-Length", str(len(data))))
    start_response("200 OK", headers)
    return [data]
