"""Errors as a clear message: JSON under /api and /ogc, a page elsewhere. Never a bare traceback.

`UserError`s from any room (a wrong parameter, a site outside the county, a bad body) answer
with their own status and their message in the user's language; HTTP errors keep their
headers (a 405 its `Allow`, a 429 its `Retry-After`).
"""
from __future__ import annotations

import sqlite3

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from geoapp.messages import UserError
from geoapp.web.i18n import translate


def unreachable(err: BaseException) -> bool:
    """Whether `err` says the database server cannot be reached (PostGIS down), not a bug."""
    module = type(err).__module__
    return module.startswith(("sqlalchemy", "psycopg")) and "OperationalError" in type(err).__name__


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/ogc", "/tiles/"))


def error_response(status: int, message: str, headers=None, **extra):
    """The answer to a request that cannot be served: JSON or a page, with `message`."""
    name = HTTP_STATUS_CODES.get(status, "Error")
    if wants_json():
        response = jsonify({"error": name, "message": message, "status": status, **extra})
    else:
        response = render_template("error.html", code=status, title=page_title(status), message=message)
    return response, status, headers or {}


def page_title(status: int) -> str:
    """What an error page calls its kind of error, in the page's language."""
    titles = {400: _("The request cannot be used"), 401: _("Please log in"), 403: _("Not allowed"),
              404: _("Not found"), 405: _("Not possible here"), 413: _("Too large"),
              415: _("Wrong kind of content"), 422: _("Cannot be used"), 429: _("Too many attempts"),
              500: _("Something went wrong on our side"), 503: _("Not available right now"),
              507: _("No room to save")}
    return titles.get(status, HTTP_STATUS_CODES.get(status, ""))


def user_error_response(err: UserError):
    extra = {"parameter": err.parameter} if err.parameter else {}
    return error_response(err.status, translate(err.message), **extra)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        headers = [(k, v) for k, v in err.get_headers() if k.lower() != "content-type"]
        return error_response(err.code or 500, translate(err.description or ""), headers)

    @app.errorhandler(UserError)
    def user_error(err: UserError):
        return user_error_response(err)

    @app.errorhandler(sqlite3.DatabaseError)
    def store_trouble(err: sqlite3.DatabaseError):
        """A damaged store file or a full disk, found while answering: named, in the user's
        language (the same words `geoapp check` says)."""
        from pathlib import Path

        from geoapp.store import diagnosis
        found = diagnosis(Path(app.config["GEOAPP_INSTANCE"]), err)
        app.logger.error("store: %s", found)
        return user_error_response(found)

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        from geoapp.store.health import full, is_disk_full
        if is_disk_full(err):
            return user_error_response(full(app.config["GEOAPP_INSTANCE"]))
        if unreachable(err):
            app.logger.warning("the database cannot be reached on %s: %s", request.path, str(err).splitlines()[0])
            return error_response(503, _("The database cannot be reached right now: what is public is still shown; "
                                         "saving and logging in work again when it is back."), {"Retry-After": "30"})
        app.logger.exception("unhandled error on %s", request.path)
        return http_error(InternalServerError())
