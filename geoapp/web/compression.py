"""gzip for text responses: the maps carry their data inline, and gzip cuts it ~8-fold."""
from __future__ import annotations

import gzip

from flask import Flask, Response, request

COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript",
                "application/vnd.oai.openapi+json")
MINIMUM_BYTES = 1024


def init_app(app: Flask) -> None:
    @app.after_request
    def compress(response: Response) -> Response:
        if (response.direct_passthrough or response.status_code < 200 or response.status_code >= 300
                or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
                or "Content-Encoding" in response.headers
                or not (response.mimetype or "").startswith(COMPRESSIBLE)):
            return response
        data = response.get_data()
        if len(data) < MINIMUM_BYTES:
            return response
        response.set_data(gzip.compress(data, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(response.get_data()))
        response.vary.add("Accept-Encoding")
        return response
