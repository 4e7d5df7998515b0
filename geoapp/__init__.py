"""geoapp: the map of Hanyuan County's industry party-building linkage zones.

`create_app()` builds the Flask app; nothing happens at import time. The rooms, in the order
data flows: `geoapp.data` (read, validate, generate) → `geoapp.analysis` (joins, summary,
coverage) → `geoapp.maps` (folium) → `geoapp.web` (pages and JSON). `geoapp.cli` sits beside
the web and calls the same functions. `geoapp.layers` and `geoapp.crs` are the one place that
knows the layers and the one place that knows coordinate systems.
"""
from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app on the data in GEOAPP_DATA_DIR (or `config`'s).

    Raises `geoapp.data.validate.DataError` naming each problem when the data is broken, and
    ValueError when a setting is wrong; `geoapp serve` and `geoapp.wsgi` turn both into a
    message and a non-zero exit.
    """
    from geoapp.config import PACKAGE, settings_from_environment
    from geoapp.web import init_app

    settings = settings_from_environment(config)
    app = Flask("geoapp", root_path=str(PACKAGE), template_folder=str(PACKAGE / "templates"),
                static_folder=None, instance_path=str(settings["GEOAPP_INSTANCE"].resolve()))
    app.config.update(settings)
    init_app(app)
    return app
