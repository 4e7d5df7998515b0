"""The static files, served as a deployment without nginx needs them: `url_for('static', …)`
gives the content-hashed address (`geoapp.static_files`), which is answered `immutable` for a
year; a plain or outdated address is answered `no-cache` with an ETag; text is gzip-compressed
when the client takes it. Behind nginx (`deploy/`) nginx serves the same addresses itself."""
from __future__ import annotations

from flask import Flask, Response, abort, request, send_file

from geoapp.static_files import StaticFile, StaticFiles
from geoapp.web.compression import accepts_gzip

FOR_A_YEAR = "public, max-age=31536000, immutable"
ASK_FIRST = "no-cache"


def init_app(app: Flask, files: StaticFiles) -> None:
    app.extensions["static_files"] = files
    app.add_url_rule(f"{files.root}/<path:filename>", endpoint="static", view_func=lambda filename: serve(files, filename))

    app.add_url_rule("/sw.js", endpoint="service_worker", view_func=lambda: service_worker(files))

    @app.url_defaults
    def hashed_address(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = files.hashed_name(values["filename"])


def serve(files: StaticFiles, address: str) -> Response:
    found = files.find(address)
    if found is None:
        abort(404)
    response = _gzipped(files, found) if found.compressible and accepts_gzip() else \
        send_file(found.path, mimetype=found.mimetype, conditional=True, etag=files.etag(found.name), max_age=0)
    response.headers["Cache-Control"] = FOR_A_YEAR if found.current_hash else ASK_FIRST
    if found.compressible:
        response.vary.add("Accept-Encoding")
    return response


def _gzipped(files: StaticFiles, found: StaticFile) -> Response:
    response = Response(files.gzipped(found.name), mimetype=found.mimetype)
    response.headers["Content-Encoding"] = "gzip"
    response.set_etag(files.etag(found.name) + "-gzip")
    return response.make_conditional(request)


def service_worker(files: StaticFiles) -> Response:
    """The tourist pages' service worker (static/js/sw.js), from the site's root so that it may
    look after every page it keeps; asked again on each visit, so a new one is found at once."""
    found = files.find("js/sw.js")
    assert found is not None
    response = send_file(found.path, mimetype="application/javascript", conditional=True, etag=files.etag(found.name),
                         max_age=0)
    response.headers["Cache-Control"] = ASK_FIRST
    return response
