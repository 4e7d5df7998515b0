"""Languages: Chinese first (zh_Hans), English. `?lang=zh|en` chooses and is remembered."""
from __future__ import annotations

import functools

from flask import Flask, g, request, url_for
from flask_babel import Babel, get_locale, gettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from geoapp import formats
from geoapp.messages import Message

LANGUAGES = {"zh": "zh_Hans", "en": "en"}
COOKIE = "lang"


def current_lang() -> str:
    """'zh' or 'en': the query, then the cookie, then the browser's preference; Chinese first."""
    if "lang" not in g:
        g.lang = language_of(request)
    return g.lang


def language_of(asked) -> str:
    """'zh' or 'en' for a werkzeug request `asked` (`current_lang`)."""
    return chosen_language(asked.args.get("lang") or asked.cookies.get(COOKIE), asked.headers.get("Accept-Language", ""))


def chosen_language(chosen: str | None, accept_language: str) -> str:
    """'zh' or 'en': `chosen` (the query's `lang=`, else the cookie's) when it is one, else what
    the Accept-Language header prefers (`geoapp.web.public_reads` reads them without Flask)."""
    return chosen if chosen in LANGUAGES else _preferred(accept_language)


@functools.lru_cache(maxsize=256)
def _preferred(accepted: str) -> str:
    """The language an Accept-Language header prefers, Chinese unless English comes first
    (parsed once per header: a browser sends the same one every time, and parsing it was a
    tenth of an OGC page's time)."""
    return "en" if parse_accept_header(accepted, LanguageAccept).best_match(["zh", "en"], default="zh") == "en" else "zh"


def translate(text: Message | str) -> str:
    """A message from the rooms below (or plain text) in the page's language."""
    if isinstance(text, Message):
        return text.render(gettext)
    return str(text)


def number(value, unit: str = "") -> str:
    """A number as a reader of the page's language reads it (`geoapp.formats`), with its unit
    (a catalog msgid such as "households")."""
    return formats.number(value, current_lang(), gettext(unit) if unit else "")


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=lambda: LANGUAGES[current_lang()])
    app.jinja_env.filters["num"] = number
    app.jinja_env.filters["year"] = formats.year
    app.jinja_env.filters["beijing"] = lambda moment: formats.beijing_time(moment, current_lang())
    app.jinja_env.filters["day"] = lambda text: formats.day(text, current_lang())
    app.jinja_env.filters["month"] = lambda text: formats.month(text, current_lang())
    app.jinja_env.filters["season"] = lambda start_md, end_md: formats.season(start_md, end_md, current_lang())

    @app.after_request
    def remember(response):
        if request.args.get("lang") in LANGUAGES:
            response.set_cookie(COOKIE, request.args["lang"], max_age=365 * 24 * 3600, samesite="Lax")
        return response

    @app.context_processor
    def languages():
        return {"lang": current_lang(), "locale": get_locale(), "lang_url": lang_url, "translate": translate,
                "data_notice": page_notice, "footer": site_footer(app)}


def site_footer(app: Flask) -> dict:
    """What the footer of every page says when set: the site's owner and contact, its ICP filing
    (ICP备案号, linked to the ministry's register) and its public-security filing (公安备案号)."""
    psb = app.config.get("GEOAPP_PSB") or ""
    digits = "".join(c for c in psb if c.isdigit())
    return {"owner": app.config.get("GEOAPP_OWNER") or "", "icp": app.config.get("GEOAPP_ICP") or "",
            "psb": psb, "psb_url": f"https://beian.mps.gov.cn/#/query/webSearch?code={digits}" if digits else ""}


def page_notice() -> str | None:
    """What every page says about its data (`geoapp.views.wording.data_notice`)."""
    from geoapp.views.wording import data_notice
    from geoapp.web.state import version
    try:
        current = version()
    except Exception:  # a page answered before any data is pinned (an early error): nothing to say
        return None
    return data_notice(current, current_lang())


def lang_url(lang: str) -> str:
    """This page, with the same query, in `lang`."""
    if request.endpoint is None:
        return f"/?lang={lang}"
    return url_for(request.endpoint, **{**(request.view_args or {}), **request.args.to_dict(), "lang": lang})
