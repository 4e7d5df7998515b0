"""One county of several: `/c/<county>/…` is the whole app for that county alone.

`CountyPrefix` moves `/c/<county>` from the path into SCRIPT_NAME (as if the app were mounted
there), so every link a page makes stays in the county, and leaves the county's code in the
WSGI environ; `CountyState` then serves the request from that county's slice of the data
(`geoapp.analysis.counties.county_slice`). Without the prefix, the app serves every county
together (with one county, the two are the same).
"""
from __future__ import annotations

import re

COUNTY_PATH = re.compile(r"^/c/([^/]+)(/.*)?$")
ENVIRON_KEY = "geoapp.county"


class CountyPrefix:
    """WSGI middleware: /c/<county>/<path> is <path> of the app mounted at /c/<county>."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        found = COUNTY_PATH.match(environ.get("PATH_INFO", ""))
        if found:
            environ[ENVIRON_KEY] = found.group(1)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"/c/{found.group(1)}"
            environ["PATH_INFO"] = found.group(2) or "/"
        return self.wsgi_app(environ, start_response)


def requested_county(environ) -> str | None:
    """The county the request's path named, or None for all of them."""
    return environ.get(ENVIRON_KEY)


def county_links() -> list[dict]:
    """The county picker of a page when the data holds several counties: this page in each county
    (and in all of them together), the one shown marked; none with one county."""
    from flask import request

    from geoapp.analysis.counties import county_codes
    from geoapp.web.i18n import current_lang
    from geoapp.web.state import served
    dataset = served().newest.dataset
    codes = county_codes(dataset)
    if len(codes) < 2:
        return []
    here = requested_county(request.environ)
    root = request.script_root.removesuffix(f"/c/{here}") if here else request.script_root
    tail = request.full_path.rstrip("?")
    names = dict(zip(dataset["county"].code.astype(str), dataset["county"]["name_en" if current_lang() == "en"
                                                                             else "name_zh"]))
    return [{"code": None, "name": None, "url": f"{root}{tail}", "current": here is None},
            *({"code": code, "name": names.get(code, code), "url": f"{root}/c/{code}{tail}", "current": code == here}
              for code in codes)]


def init_app(app) -> None:
    @app.context_processor
    def counties():
        return {"county_links": county_links}
