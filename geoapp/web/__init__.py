"""The web room: thin blueprints over the analysis. Pages render templates; every page has a
JSON twin under /api."""
from __future__ import annotations

from flask import Flask

from geoapp.web import api, auth, compression, errors, farmstays, i18n, pages, planning
from geoapp.web.state import CountyState


def init_app(app: Flask) -> None:
    CountyState.attach(app)
    i18n.init_app(app)
    compression.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(farmstays.bp)
    app.register_blueprint(planning.bp)
    auth.init_app(app)
