"""Words shown to people, kept as catalog ids with their values, so each door translates them.

The rooms below the web (data, analysis, storage) never translate: they build `Message`s
whose `msgid` is the English text with `%(name)s` placeholders, marked with `N_` so that Babel
extracts them into the catalog (`scripts/translations`). `str(message)` is the English, for
the command line and the logs; the web shows `geoapp.web.i18n.translate(message)` in the
page's language.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


def N_(msgid: str) -> str:
    """Mark `msgid` for the catalog without translating it here."""
    return msgid


@dataclass(frozen=True)
class Message:
    """A catalog id and the values of its placeholders (values may be Messages too)."""
    msgid: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str]) -> str:
        """The text, each msgid passed through `translate` (a gettext)."""
        text = translate(self.msgid)
        if not self.params:
            return text
        values = {k: v.render(translate) if isinstance(v, (Message, Listed)) else v for k, v in self.params.items()}
        return text % values

    def __str__(self) -> str:
        return self.render(lambda msgid: msgid)


@dataclass(frozen=True)
class Listed:
    """Several msgids shown as one list ("草稿、已提交"), each translated."""
    msgids: tuple[str, ...]
    joiner: str = "、"

    def render(self, translate: Callable[[str], str]) -> str:
        return self.joiner.join(translate(m) for m in self.msgids)

    def __str__(self) -> str:
        return ", ".join(self.msgids)


def message(msgid: str, **params) -> Message:
    return Message(msgid, params)


class UserError(ValueError):
    """Something a person sent or asked for is wrong: a message they can act on, the HTTP
    status it answers with, and the parameter or field it concerns (when there is one)."""

    status = 400

    def __init__(self, msgid: str | Message, *, status: int | None = None, parameter: str | None = None, **params):
        self.message = msgid if isinstance(msgid, Message) else Message(msgid, params)
        if status is not None:
            self.status = status
        self.parameter = parameter
        super().__init__(str(self.message))


LANGUAGES = {"zh": "zh_Hans", "en": "en"}


def translator(lang: str) -> Callable[[str], str]:
    """A gettext for `lang` ('zh' or 'en') from the project's catalog, for the rooms that draw
    without a request (maps, the PDF report); the web uses Flask-Babel's, from the same catalog."""
    return _translations(LANGUAGES.get(lang, "zh_Hans")).gettext


def plural_translator(lang: str) -> Callable[[str, str, int], str]:
    """An ngettext for `lang` from the project's catalog (the text is returned unformatted)."""
    return _translations(LANGUAGES.get(lang, "zh_Hans")).ngettext


def _translations(locale: str):
    from babel.support import NullTranslations, Translations

    from geoapp.config import PACKAGE
    if locale == "en":
        return NullTranslations()
    if locale not in _CACHE:
        _CACHE[locale] = Translations.load(str(PACKAGE / "translations"), [locale])
    return _CACHE[locale]


_CACHE: dict[str, object] = {}
