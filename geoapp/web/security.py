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


def open_to_other_sites(app: Flask, response) -> None:
    """`Access-Control-Allow-Origin: *` on a public read (GET/HEAD) of the open routes."""
    if request.method not in ("GET", "HEAD") or not request.path.startswith(OPEN_TO_OTHER_SITES):
        return
    view = app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "needs_login", False):
        return
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Content-Crs, ETag, Link"


def csp_nonce() -> str:
    """This request's nonce for inline scripts."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
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

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", policy(csp_nonce(), origins))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if https:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        open_to_other_sites(app, response)
        return response
