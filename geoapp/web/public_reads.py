"""The busiest public read answered without Flask's request machinery: a page of an OGC
collection's items as JSON, asked without a session — what map clients, GIS tools and crawlers
ask over and over. Flask's request handling (its contexts, eight hooks, the response object)
cost about three times the page itself (bench/README.md, OGC items beside the ceiling).

`PublicReads` answers such a request from the same view (`FeaturesAPI.items_text`) with the same
headers, each rule still written once in its own room: the security headers
(`security.SecurityHeaders`), the cache headers and entity tag (`web.ogc`), gzip
(`compression.packed`), the language (`i18n.language_of`), the metrics and the JSON log
(`ops.record_answer`). Whatever is not the plain case goes on to Flask untouched: a page for a
person (HTML), a session or log-in cookie, `lang=`, a conditional request, a county's address, a
page larger than one written piece, and every error — so what is answered here is always what
Flask would answer (tests/test_web_public_reads.py asks both and compares).
"""
from __future__ import annotations

import time
from functools import cached_property

from werkzeug.utils import get_content_type
from werkzeug.wrappers import Request
from werkzeug.wsgi import ClosingIterator

from geoapp.views.ogc import DEFAULT_LIMIT, GEOJSON, STREAM_CHUNK, OGCError, crs_of
from geoapp.views.served import release_freed_memory
from geoapp.web import compression, i18n, ogc, ops, security

ENDPOINT = "ogc.items"


class PublicReads:
    """WSGI middleware in front of the Flask app `app` (whose WSGI callable is `wsgi_app`)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    @cached_property
    def route(self) -> str:
        """The route's rule, as the metrics name it ("/ogc/collections/<collection_id>/items")."""
        return next(self.app.url_map.iter_rules(ENDPOINT)).rule

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "GET" or not (path.startswith("/ogc/collections/")
                                                          and path.endswith("/items") and path.count("/") == 4):
            return self.wsgi_app(environ, start_response)
        began = time.perf_counter()
        answer = self._items(Request(environ))
        if answer is None:
            return self.wsgi_app(environ, start_response)
        route, current, headers, body = answer
        start_response("200 OK", headers)
        if ops.record_answer(route, "GET", 200, time.perf_counter() - began, current, len(body),
                             bool(self.app.config.get("GEOAPP_JSON_LOGS"))):
            return ClosingIterator([body], release_freed_memory)  # after the answer is sent
        return [body]

    def _items(self, asked: Request):
        """(route, version, headers, body) of the page asked for, or None: Flask answers it."""
        config = self.app.config
        if (config["SESSION_COOKIE_NAME"] in asked.cookies or config.get("REMEMBER_COOKIE_NAME", "remember_token")
                in asked.cookies or "lang" in asked.args or "HTTP_IF_NONE_MATCH" in asked.environ):
            return None
        limit = asked.args.get("limit", str(DEFAULT_LIMIT))
        if not (limit.isascii() and limit.isdigit() and int(limit) <= STREAM_CHUNK):
            return None
        chosen = asked.args.get("f")
        if not (chosen == "json" or (chosen in (None, "") and not ogc.prefers_page(asked))):
            return None
        _root, _ogc, _collections, collection_id, _items = asked.path.split("/")  # (the route's one segment)
        if not collection_id:
            return None
        served = self.app.extensions["geoapp"]
        current = served.version_for(None)
        args = asked.args.to_dict()
        try:
            content_crs = crs_of(args, "crs")
            [body] = ogc.features_api(current, asked, served.shelf).items_text(collection_id, args)
        except (OGCError, ValueError):  # (ValueError: more than one piece) Flask says what is wrong
            return None
        headers = [("Content-Type", get_content_type(GEOJSON, "utf-8")),
                   *ogc.cache_headers(ogc.entity_tag(current, asked.full_path, i18n.language_of(asked), "json")).items(),
                   ("Content-Crs", f"<{content_crs}>")]
        varies = ["Accept-Encoding", "Cookie"]  # (with a log-in, the answer would say no-store: `auth`)
        if compression.takes_gzip(asked.headers.get("Accept-Encoding", "")) and len(body) >= compression.MINIMUM_BYTES:
            body = compression.packed(body)
            headers.append(("Content-Encoding", "gzip"))
        else:
            varies.remove("Accept-Encoding")
        headers = [(name, ", ".join([value, *varies]) if name == "Vary" else value) for name, value in headers]
        headers.append(("Content-Length", str(len(body))))
        headers.extend(self.app.extensions["geoapp.security"].of_public_read(security.new_nonce()))
        return self.route, current, headers, body
