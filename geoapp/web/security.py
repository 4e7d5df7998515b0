"""Security headers on every response, and running behind an HTTPS proxy.

The Content-Security-Policy lets scripts run only from this site or with the page's nonce (a
fresh random value per request, on each inline `<script>` our templates and folium's map
write); no inline event handlers, no `eval`. Styles may be inline (folium and Leaflet position
the map with them). Images may come from the base map's tile server, nothing else leaves
the site. Pages cannot be framed (clickjacking), content types are not sniffed, and other
sites get only our origin as referrer.

Behind a reverse proxy that terminates HTTPS, set GEOAPP_PROXIES to the number of proxies in
front (their X-Forwarded-For/-Proto/-Host are then trusted) and GEOAPP_HTTPS=1: cookies are
then sent only over HTTPS and browsers are told to keep to HTTPS (HSTS).
"""
from __future__ import annotations

import base64
import collections
import os
import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, g, request
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix

_SCRIPT_TAG = re.compile(r"<script\b(?![^>]*\bnonce=)")
# Read by maps and GIS clients on other sites (MapLibre, OpenLayers, kepler.gl): the OGC API, the
# vector tiles and the public JSON, for anyone, without cookies; never what needs a login.
OPEN_TO_OTHER_SITES = ("/ogc", "/tiles/", "/api/")


OPEN_HEADERS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "Content-Crs, ETag, Link"))


class SecurityHeaders:
    """The headers every answer carries, as (name, value) pairs: written once, set by the Flask
    hook below on every answer and by `geoapp.web.public_reads` on the answers it writes itself."""

    def __init__(self, tile_origins: list[str], https: bool):
        self.tile_origins = tile_origins
        self.fixed = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                      ("Referrer-Policy", "strict-origin-when-cross-origin"),
                      ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
                      ("Cross-Origin-Opener-Policy", "same-origin"),
                      *((("Strict-Transport-Security", "max-age=31536000"),) if https else ()))

    def policy(self, nonce: str) -> tuple[str, str]:
        return "Content-Security-Policy", policy(nonce, self.tile_origins)

    def of_public_read(self, nonce: str) -> list[tuple[str, str]]:
        """An open route's answer to a GET: the policy, the fixed headers, open to other sites."""
        return [self.policy(nonce), *self.fixed, *OPEN_HEADERS]


def open_to_other_sites(app: Flask, response) -> None:
    """`Access-Control-Allow-Origin: *` on a public read (GET/HEAD) of the open routes."""
    if request.method not in ("GET", "HEAD") or not request.path.startswith(OPEN_TO_OTHER_SITES):
        return
    view = app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "needs_login", False):
        return
    for name, value in OPEN_HEADERS:
        response.headers[name] = value


_NONCES: collections.deque[str] = collections.deque()   # drawn ahead, each used once
os.register_at_fork(after_in_child=_NONCES.clear)       # a forked worker draws its own
NONCE_BYTES, NONCES_DRAWN = 18, 256


def new_nonce() -> str:
    """A fresh nonce: 18 random bytes from the OS as `secrets.token_urlsafe(18)` writes them, drawn
    256 at a time (a system call for each answer's nonce was 1.4 % of a worker's time under load:
    bench/README.md); popped once each, by one thread."""
    try:
        return _NONCES.popleft()
    except IndexError:
        drawn = secrets.token_bytes(NONCE_BYTES * NONCES_DRAWN)
        _NONCES.extend(base64.urlsafe_b64encode(drawn[k:k + NONCE_BYTES]).rstrip(b"=").decode("ascii")
                       for k in range(0, len(drawn), NONCE_BYTES))
        return _NONCES.popleft()


def csp_nonce() -> str:
    """This request's nonce for inline scripts."""
    if "csp_nonce" not in g:
        g.csp_nonce = new_nonce()
    return g.csp_nonce


def with_nonce(html: str) -> Markup:
    """Trusted HTML (folium's map parts) with this request's nonce on every <script> tag."""
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(html)))


def tile_origin(url: str) -> str | None:
    """The origin a tile URL template loads from ({s} subdomains as a wildcard), or None if local."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    host = re.sub(r"[^.]*\{s\}[^.]*", "*", parts.netloc)
    return f"{parts.scheme}://{host}"


def policy(nonce: str, tile_origins: list[str]) -> str:
    images = " ".join(["'self'", "data:", "blob:", *tile_origins])
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; "
            "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask, tile_url: str) -> None:
    proxies = int(app.config.get("GEOAPP_PROXIES") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    https = bool(app.config.get("GEOAPP_HTTPS"))
    if https:
        app.config["SESSION_COOKIE_SECURE"] = True
    origins = [o for o in [tile_origin(tile_url)] if o]

    app.jinja_env.filters["with_nonce"] = with_nonce
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    rules = app.extensions["geoapp.security"] = SecurityHeaders(origins, https)

    @app.after_request
    def headers(response):
        response.headers.setdefault(*rules.policy(csp_nonce()))
        for name, value in rules.fixed:
            response.headers[name] = value
        open_to_other_sites(app, response)
        return response
