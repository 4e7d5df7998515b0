"""gunicorn's settings when it starts in this folder (`.venv/bin/gunicorn -w 4 'geoapp.wsgi:app'`):
those of the package, `geoapp/gunicorn_conf.py`, which an installed wheel names with
`gunicorn -c python:geoapp.gunicorn_conf` (deploy/geoapp.service)."""
from geoapp.gunicorn_conf import child_exit, preload_app, when_ready

__all__ = ["child_exit", "preload_app", "when_ready"]
