"""The web's door to the served data (`geoapp.views.served`): the app's `Served`, made when the
app is, and the `ServedVersion` each request is pinned to — the newest version of every county,
or with /c/<county>/ that county's slice — for its whole life, however a reload swaps versions
meanwhile. View functions are given the version; nothing below the web asks Flask for it.
"""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session

from geoapp.static_files import StaticFiles
from geoapp.views.served import Served, ServedVersion
from geoapp.web.counties import requested_county

PUBLISHED = "published"          # the session's {layer: version} this person published
UNPINNED = ("static", "service_worker", "ops.healthz", "ops.metrics")  # static files; the operator's own questions


def init_app(app: Flask, static: StaticFiles) -> Served:
    served_data = Served.open(dict(app.config), static)
    app.extensions["geoapp"] = served_data
    app.before_request(_pin_version)
    return served_data


def _pin_version() -> None:
    if request.endpoint not in UNPINNED:  # these do not answer from a data version
        has_session = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        published = session.get(PUBLISHED) if has_session else None  # (no session: no Vary: Cookie)
        g.geoapp_version = served().version_for(requested_county(request.environ), published)


def published(versions: dict[str, int]) -> None:
    """Remember in this person's session what they have just published: their next requests wait
    for it, on whichever worker (`Served.version_for`)."""
    mine = dict(session.get(PUBLISHED) or {})
    mine.update({layer: int(version) for layer, version in versions.items()})
    session[PUBLISHED] = mine


def with_notice(payload: dict) -> dict:
    """A JSON answer about the data, with the sentence that says what in it is real and what is
    illustrative (`geoapp.views.wording.data_notice`; none for real data)."""
    from geoapp.views.wording import data_notice
    from geoapp.web.i18n import current_lang
    notice = data_notice(version(), current_lang())
    return {**payload, "notice": notice} if notice else payload


def served() -> Served:
    """The served data of the current app."""
    return current_app.extensions["geoapp"]


def version() -> ServedVersion:
    """The version this request is answered from (the newest, outside a request)."""
    pinned = g.get("geoapp_version") if has_request_context() else None
    return pinned if pinned is not None else served().newest
