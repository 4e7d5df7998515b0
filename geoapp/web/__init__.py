"""The web room: thin blueprints over the view functions of `geoapp.views`. A route parses its
parameters (`geoapp.params`), calls a view with the served version it is pinned to
(`geoapp.web.state.version`), and renders the answer as a template or as JSON."""
from __future__ import annotations

from flask import Flask, request

from geoapp.config import PACKAGE
from geoapp.static_files import StaticFiles
from geoapp.views.ogc import encode_features_ahead
from geoapp.views.tiles import cut_tiles_ahead, cut_township_tiles_ahead
from geoapp.web import (
    admin,
    api,
    auth,
    branches,
    compression,
    counties,
    errors,
    farmstays,
    i18n,
    ogc,
    ops,
    pages,
    planning,
    proposals,
    security,
    state,
    static,
    tiles,
    zones,
)
from geoapp.web.counties import CountyPrefix
from geoapp.web.public_reads import PublicReads


def init_app(app: Flask) -> None:
    app.wsgi_app = CountyPrefix(app.wsgi_app)  # inside the proxy fix: /c/<county>/… is one county's app
    app.wsgi_app = PublicReads(app, app.wsgi_app)  # the busiest public reads, without Flask's machinery
    counties.init_app(app)
    files = StaticFiles.of(PACKAGE / "static")
    static.init_app(app, files)
    served = state.init_app(app, files)
    security.init_app(app, served.tiles.url)
    app.before_request(apply_upload_limit)  # before CSRF (in auth) reads the form
    i18n.init_app(app)
    compression.init_app(app)
    errors.init_app(app)
    ops.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(farmstays.bp)
    app.register_blueprint(planning.bp)
    app.register_blueprint(proposals.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ogc.bp)
    app.register_blueprint(tiles.bp)
    served.on_serving.append(cut_township_tiles_ahead)
    served.warm_ahead.append(encode_features_ahead)
    served.warm_ahead.append(cut_tiles_ahead)
    served.warm_ahead.append(pages.warm_pages(app))
    if app.config.get("GEOAPP_PREPARE_REPORT"):
        served.on_serving.append(pages.prepare_report)
        served.warm_ahead.insert(0, pages.prepare_report)  # (begun first, beside the pages: made sooner)
        served.ready_before_serving.append(pages.report_ready)
    app.register_blueprint(zones.bp)
    app.register_blueprint(branches.bp)
    auth.init_app(app)


def apply_upload_limit() -> None:
    """The body size a route accepts, set before anything reads the body (Werkzeug answers 413)."""
    limits = {"admin.check": admin.UPLOAD_LIMIT, "admin.add_photo": 11 * 1024 * 1024, "planning.analyse": planning.MAX_SITE_BYTES,
              "planning.upload": planning.MAX_SITE_FILE_BYTES, "proposals.create_proposal": planning.MAX_SITE_BYTES,
              "proposals.update_proposal": planning.MAX_SITE_BYTES,
              "branches.add_activity": branches.PHOTO_UPLOAD_LIMIT}
    if request.endpoint in limits:
        request.max_content_length = limits[request.endpoint]


def warm_before_fork(app: Flask) -> None:
    """Make the served version's first pages in the loading process (gunicorn's `when_ready`,
    before the workers fork; `Served.warm`): what they make once per version is then made once
    for all workers, in memory they share, instead of by each worker — which, reading every
    row of the loaded layers to make it (a zone summary reads every farm stay), would also copy
    the pages those rows live on (140 MB a worker at 200,000 stays: bench/README.md)."""
    served = app.extensions["geoapp"]
    served.warm(served.newest)
