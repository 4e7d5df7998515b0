"""The bare ceiling: a WSGI app returning precomputed bytes. /bytes/<n>[.mvt] (or /bytes/<n>/…) answers n bytes
(made once per worker), with Content-Encoding: gzip when the path ends in .mvt (as the tile
servers send tiles) — the cost of this machine's HTTP stack (gunicorn sync workers) alone."""
import os

_BODIES = {}


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    try:  # /bytes/<n>.mvt, or /bytes/<n>/anything (a client that writes its own path after a prefix)
        name = path.rsplit("/", 1)[1]
        n = int(path.split("/")[2].split(".")[0])
    except (IndexError, ValueError):
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "0")])
        return [b""]
    body = _BODIES.get(n)
    if body is None:
        body = _BODIES[n] = os.urandom(n)
    headers = [("Content-Length", str(n))]
    if name.endswith(".mvt"):
        headers += [("Content-Type", "application/vnd.mapbox-vector-tile"), ("Content-Encoding", "gzip")]
    else:
        headers += [("Content-Type", "application/geo+json")]
    start_response("200 OK", headers)
    return [body]
