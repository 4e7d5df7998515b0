"""Errors as a clear message: JSON under /api, a page elsewhere. Never a bare traceback."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/ogc"))


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if wants_json():
            return jsonify({"error": err.name, "message": err.description, "status": err.code}), err.code
        return render_template("error.html", error=err), err.code

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        app.logger.exception("unhandled error on %s", request.path)
        return http_error(InternalServerError())
