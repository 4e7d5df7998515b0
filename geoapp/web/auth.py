"""Logging in (Flask-Login, hashed passwords in the user store), CSRF (Flask-WTF), and the
log-in throttle.

Every write needs a logged-in user and a CSRF token: forms carry it as `csrf_token`, scripts
send it as the `X-CSRFToken` header (the pages put it in `<meta name="csrf-token">`).

The session cookie carries the user's name and session version; logging out raises the
version, so a copy of the cookie taken before the log-out no longer works. Failed log-ins are
counted per name and per address in the user store — shared by every gunicorn worker and
server, which Flask-Limiter's in-memory storage is not (its shared storages need Redis or
Memcached, which the embedded default does not have) — and past the limit the answer is 429
with Retry-After, before any password is checked.
"""
from __future__ import annotations

import math
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from geoapp.store.base import session_subject
from geoapp.views import PUBLIC, Viewer
from geoapp.web.errors import error_response, unreachable
from geoapp.web.state import served

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()

THROTTLE_WINDOW_S = 15 * 60
MAX_FAILURES_PER_NAME = 10      # then that name is refused for the rest of the window
MAX_FAILURES_PER_ADDRESS = 30   # and so is an address trying many names
MAX_FIELD = 200
PRIVATE_ENDPOINTS = ("auth.login", "auth.logout")          # the form's token is this session's
SHARED_ENDPOINTS = ("static", "farmstays.photo", "tiles.")  # the same bytes for everyone, logged in or not


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer made once per key instead of on every
    request (making it was 5 % of an OGC request's time, and most requests carry no session)."""

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = getattr(self, "_made", None)
        if made is None or made[0] != keys:
            made = self._made = (keys, super().get_signing_serializer(app))
        return made[1]


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookies()
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a token lasts as long as the session
    # Flask holds these keys already (as None/False), so `setdefault` would change nothing
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    login_manager.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(bp)

    @app.after_request
    def private_answers_are_not_kept(response):
        """Everything that needs a login, or shows what only a logged-in person sees, says
        `Cache-Control: no-store`: no browser, proxy or shared office PC keeps it after logout.
        (Static files, photos and tiles are the same for everyone and stay cacheable.)"""
        endpoint = request.endpoint or ""
        view = app.view_functions.get(endpoint)
        if getattr(view, "needs_login", False) or endpoint in PRIVATE_ENDPOINTS or (
                not endpoint.startswith(SHARED_ENDPOINTS) and current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(err: CSRFError):
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "needs_login", False) and not current_user.is_authenticated:
            return login_manager.unauthorized()  # first of all, who is asking: 401 (or the log-in page)
        return error_response(400, _("The form's security token is missing or out of date: reload the page and "
                                     "try again."))


@login_manager.user_loader
def load_user(user_id: str):
    """The user a session cookie names, if the session has not ended since it was issued."""
    subject = session_subject(user_id)
    if subject is None:
        return None
    try:
        user = served().users.get(subject[0])
    except Exception as err:  # the database is down: the public pages go on, as for a visitor
        if not unreachable(err):
            raise
        current_app.logger.warning("users cannot be read (%s): answering as to a visitor", str(err).splitlines()[0])
        return None
    return user if user is not None and user.session_version == subject[1] else None


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return error_response(401, _("Log in to do this."))
    return redirect(url_for("auth.login", next=request.full_path))


def viewer() -> Viewer:
    """Who is asking, for the view functions: the public, or a logged-in user and their role."""
    if current_user.is_authenticated:
        return Viewer(current_user.name, current_user.role, current_user.branch or None)
    return PUBLIC


def roles_required(*roles: str):
    """A view that needs a logged-in user with one of `roles` (401 if anonymous, 403 if not allowed)."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403, _("This needs the role %(roles)s.", roles=" / ".join(roles)))
            return view(*args, **kwargs)
        wrapped.needs_login = True  # type: ignore[attr-defined]
        return wrapped
    return decorate


def safe_next(target: str | None) -> str:
    """Only a path on this site, printable: never send a user elsewhere after logging in."""
    if (target and target.startswith("/") and not target.startswith(("//", "/\\")) and target.isprintable()
            and len(target) <= 2000 and not urlsplit(target).netloc):
        return target
    return url_for("pages.index")


def _throttle_subjects(name: str) -> list[tuple[str, int]]:
    return [(f"name:{name.lower()}", MAX_FAILURES_PER_NAME), (f"address:{request.remote_addr}", MAX_FAILURES_PER_ADDRESS)]


def _retry_after(name: str) -> int | None:
    """Seconds until `name` (from this address) may try again, or None if it may now."""
    users = served().users
    waits = []
    for subject, limit in _throttle_subjects(name):
        count, oldest = users.failures(subject, THROTTLE_WINDOW_S)
        if count >= limit and oldest is not None:
            waits.append(oldest + THROTTLE_WINDOW_S - time.time())
    return max(1, math.ceil(max(waits))) if waits else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        name = request.form.get("name", "")[:MAX_FIELD]
        password = request.form.get("password", "")
        wait = _retry_after(name)
        if wait is not None:
            minutes = max(1, math.ceil(wait / 60))
            response = render_template("login.html", error=_(
                "Too many wrong passwords: try again in %(minutes)s minutes.", minutes=minutes),
                next=safe_next(request.form.get("next")))
            return response, 429, {"Retry-After": str(wait)}
        user = served().users.check(name, password)
        if user:
            served().users.clear_failures(f"name:{name.lower()}")
            login_user(user, remember=False)
            if user.branch and not request.form.get("next"):  # a secretary comes to report
                return redirect(url_for("branches.branch_page", branch_id=user.branch) + "#report")
            return redirect(safe_next(request.form.get("next")))
        served().users.record_failure([s for s, _limit in _throttle_subjects(name)], THROTTLE_WINDOW_S)
        error, status = _("Wrong name or password."), 401
    next_page = request.values.get("next", "")
    return render_template("login.html", error=error, next=safe_next(next_page) if next_page else ""), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        served().users.end_sessions(current_user.name)  # every copy of this session stops working
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("pages.index"))
