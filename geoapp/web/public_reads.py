"""The busiest public reads answered without Flask's request machinery: a page of an OGC
collection's items as JSON and a vector tile, asked without a session — what map clients, GIS
tools and crawlers ask over and over. Flask's request handling (its contexts, eight hooks, the
response object) cost more than the page or the tile itself (bench/README.md, OGC items beside
the ceiling; a random walk over the county's tiles).

`PublicReads` reads such a request straight from the WSGI environ (`PlainRead`: what werkzeug's
request would read) and answers it from the same view functions (`FeaturesAPI.items_text`;
`web.tiles.tile_variant`, `tile_etag` and `tile_body`) with the same headers, each rule still
written once in its own room: the security headers (`security.SecurityHeaders`), the cache
headers and entity tags (`web.ogc`, `web.tiles`), gzip (`compression`), the language
(`i18n.chosen_language`), the metrics and the JSON log (`ops.record_answer`). Whatever is not
the plain case goes on to Flask untouched: a page for a person (HTML), a session or log-in
cookie, `lang=`, an address that is not ASCII, a conditional request, a county's address, a page
larger than one written piece, and every error — so what is answered here is always what Flask
would answer (tests/test_web_public_reads.py asks both and compares, and holds `PlainRead` to
werkzeug's reading of the same request).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property, lru_cache
from urllib.parse import parse_qsl

from werkzeug.http import parse_cookie
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Request
from werkzeug.wsgi import ClosingIterator

from geoapp.params import ParamError
from geoapp.views.ogc import DEFAULT_LIMIT, GEOJSON, STREAM_CHUNK, OGCError, crs_of
from geoapp.views.served import release_freed_memory
from geoapp.views.tiles import NoTile
from geoapp.web import compression, i18n, ogc, ops, security, tiles

ITEMS, TILE = "ogc.items", "tiles.vector_tile"
ITEMS_TYPE = get_content_type(GEOJSON, "utf-8")   # (as Flask's Response writes it)


@dataclass(frozen=True, slots=True)
class PlainRead:
    """What a plain public read asks, read straight from the WSGI environ as werkzeug's
    `Request` would read it (werkzeug's request and its lazy properties were a sixth of a
    page's time): its path, its parameters (the first value of each), the path
    with the query (the entity tag's), the language of its answer, its Accept and
    Accept-Encoding headers, and where it came (`web.ogc.url_root`)."""
    path: str
    args: dict[str, str]
    full_path: str
    language: str
    accept: str
    accept_encoding: str
    root: str

    @classmethod
    def of(cls, environ: dict, config) -> PlainRead | None:
        """The read `environ` asks, or None for a path or a query that is not ASCII, a session or
        log-in cookie, `lang=`, or a conditional request: Flask answers those."""
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        args = _plain_args(query)
        if args is None or "lang" in args or not path.isascii() or "HTTP_IF_NONE_MATCH" in environ:
            return None
        chosen = None
        if "HTTP_COOKIE" in environ:
            cookies = parse_cookie(environ["HTTP_COOKIE"])
            if (config["SESSION_COOKIE_NAME"] in cookies
                    or config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies):
                return None
            chosen = cookies.get(i18n.COOKIE)
        return cls(path, args, f"{path}?{query}", i18n.chosen_language(chosen, environ.get("HTTP_ACCEPT_LANGUAGE", "")),
                   environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_ACCEPT_ENCODING", ""),
                   _url_root(environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"),
                             environ.get("SERVER_NAME"), environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME", "")))


def _plain_args(query: str) -> dict[str, str] | None:
    """A query's parameters as werkzeug's `Request.args.to_dict()` reads them (its parser, called
    as it calls it; the first value of each name), for an ASCII query (what clients send: they
    escape the rest); None for another."""
    if not query.isascii():
        return None
    args: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, errors="werkzeug.url_quote"):
        args.setdefault(name, value)
    return args


@lru_cache(maxsize=64)
def _url_root(scheme: str, host: str | None, server_name: str | None, server_port: str | None, script_name: str) -> str:
    """`web.ogc.url_root` of a request to that scheme, Host, server and script name, read by
    werkzeug once (a client asks the same host again and again)."""
    environ = {"wsgi.url_scheme": scheme, "SCRIPT_NAME": script_name, "PATH_INFO": "/"}
    environ.update({key: value for key, value in (("HTTP_HOST", host), ("SERVER_NAME", server_name),
                                                  ("SERVER_PORT", server_port)) if value is not None})
    return ogc.url_root(Request(environ))


class PublicReads:
    """WSGI middleware in front of the Flask app `app` (whose WSGI callable is `wsgi_app`)."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    @cached_property
    def routes(self) -> dict[str, str]:
        """The routes' rules, as the metrics name them ("/ogc/collections/<collection_id>/items")."""
        return {endpoint: next(self.app.url_map.iter_rules(endpoint)).rule for endpoint in (ITEMS, TILE)}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        read = None
        if environ.get("REQUEST_METHOD") == "GET":
            if path.startswith("/ogc/collections/") and path.endswith("/items") and path.count("/") == 4:
                read = self._items
            elif path.startswith("/tiles/") and path.endswith(".mvt") and path.count("/") == 5:
                read = self._tile
        if read is None:
            return self.wsgi_app(environ, start_response)
        began = time.perf_counter()
        config = self.app.config
        asked = PlainRead.of(environ, config)
        answer = read(asked) if asked is not None else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        endpoint, current, headers, varies, body = answer
        # the answer also depends on the cookies (Flask-Login reads the session of every answer;
        # with a log-in, a page says no-store: `auth`), as Flask's Vary says
        headers.append(("Vary", ", ".join([*varies, "Cookie"])))
        headers.append(("Content-Length", str(len(body))))
        headers.extend(self.app.extensions["geoapp.security"].of_public_read(security.new_nonce()))
        start_response("200 OK", headers)
        if ops.record_answer(self.app.extensions["geoapp"], self.routes[endpoint], "GET", 200,
                             time.perf_counter() - began, current, len(body), bool(config.get("GEOAPP_JSON_LOGS"))):
            return ClosingIterator([body], release_freed_memory)  # after the answer is sent
        return [body]

    def _items(self, asked: PlainRead):
        """(endpoint, version, headers, what it varies by, body) of the page asked for, or None:
        Flask answers it."""
        args = asked.args
        limit = args.get("limit", str(DEFAULT_LIMIT))
        if not (limit.isascii() and limit.isdigit() and int(limit) <= STREAM_CHUNK):
            return None
        chosen = args.get("f")
        if not (chosen == "json" or (chosen in (None, "") and not ogc.prefers_page(asked.accept))):
            return None
        _root, _ogc, _collections, collection_id, _items = asked.path.split("/")  # (the route's one segment)
        if not collection_id:
            return None
        served = self.app.extensions["geoapp"]
        current = served.version_for(None)
        try:
            content_crs = crs_of(args, "crs")
            [body] = ogc.features_api(current, asked.root, served.shelf).items_text(collection_id, args)
        except (OGCError, ValueError):  # (ValueError: more than one piece) Flask says what is wrong
            return None
        cache = ogc.cache_headers(ogc.entity_tag(current, asked.full_path, asked.language, "json"))
        varies = [cache.pop("Vary")]
        headers = [("Content-Type", ITEMS_TYPE), *cache.items(),
                   ("Content-Crs", f"<{content_crs}>")]
        if compression.takes_gzip(asked.accept_encoding) and len(body) >= compression.MINIMUM_BYTES:
            body = compression.packed(body)
            varies.append("Accept-Encoding")
            headers.append(("Content-Encoding", "gzip"))
        return ITEMS, current, headers, varies, body

    def _tile(self, asked: PlainRead):
        """(endpoint, version, headers, what it varies by, body) of the vector tile asked for, or None."""
        _root, _tiles, layer_id, *numbers = asked.path.removesuffix(".mvt").split("/")
        if not all(n.isascii() and n.isdigit() and (n == "0" or n[0] != "0") for n in numbers):
            return None  # (what Flask's int converter does with the rest is Flask's to say)
        z, x, y = map(int, numbers)
        served = self.app.extensions["geoapp"]
        current = served.version_for(None)  # (first, as Flask pins it: the stamp of the tag is the version's)
        try:
            wanted, shifted = tiles.tile_variant(layer_id, z, x, y, asked.args)
        except (NoTile, ParamError):
            return None
        body, gzipped = tiles.tile_body(served, current, layer_id, z, x, y, wanted, shifted,
                                        compression.takes_gzip(asked.accept_encoding))
        headers = [("Content-Type", tiles.MVT), *((("Content-Encoding", "gzip"),) if gzipped else ()),
                   ("Cache-Control", tiles.TILE_CACHE), ("ETag", tiles.tile_etag(served, layer_id, z, x, y, wanted, shifted))]
        return TILE, current, headers, ["Accept-Encoding"], body
