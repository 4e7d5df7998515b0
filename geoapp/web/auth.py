"""Logging in (Flask-Login, hashed passwords in the instance store) and CSRF (Flask-WTF).

Every write needs a logged-in user and a CSRF token: forms carry it as `csrf_token`, scripts
send it as the `X-CSRFToken` header (the pages put it in `<meta name="csrf-token">`).
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from geoapp.web.state import county

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a token lasts as long as the session
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    login_manager.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def csrf_refused(err: CSRFError):
        message = f"CSRF token missing or wrong ({err.description}); reload the page and try again"
        if request.path.startswith("/api/"):
            return jsonify({"error": "Bad Request", "status": 400, "message": message}), 400
        return render_template("error.html", error=err), 400


@login_manager.user_loader
def load_user(name: str):
    return county().users.get(name)


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return jsonify({"error": "Unauthorized", "status": 401, "message": "log in to change proposals"}), 401
    return redirect(url_for("auth.login", next=request.full_path))


def roles_required(*roles: str):
    """A view that needs a logged-in user with one of `roles` (401 if anonymous, 403 if not allowed)."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403, f"this needs the role {' or '.join(roles)}")
            return view(*args, **kwargs)
        return wrapped
    return decorate


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send a user elsewhere after logging in."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("pages.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        user = county().users.check(request.form.get("name", ""), request.form.get("password", ""))
        if user:
            login_user(user, remember=False)
            return redirect(_safe_next(request.form.get("next")))
        error = _("Wrong name or password.")
    return render_template("login.html", error=error, next=request.values.get("next", "")), 401 if error else 200


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("pages.index"))
