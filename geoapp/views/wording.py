"""Saying the data in one language: names of features by id, numbers with their units, the
words of the vocabularies. One `Wording` per data version and language (`wording(version,
lang)`), shared by the popups, tables, pages and the report."""
from __future__ import annotations

from collections.abc import Callable

from geoapp import formats
from geoapp.layers import INDUSTRIES
from geoapp.messages import translator

Translate = Callable[[str], str]
NAMED_LAYERS = (("party_organisations", "id"), ("industry_bases", "id"), ("cooperatives", "id"), ("zones", "id"),
                ("townships", "code"))


class Wording:
    def __init__(self, dataset, lang: str, translate: Translate | None = None):
        self.lang = lang
        self._ = translate or translator(lang)
        self.name_column = "name_en" if lang == "en" else "name_zh"
        self.other_name_column = "name_zh" if lang == "en" else "name_en"
        self.joiner = ", " if lang == "en" else "、"
        self.names: dict[str, str] = {}  # any feature id -> its name in this language
        for layer_id, key in NAMED_LAYERS:
            if layer_id in dataset:
                self.names.update(zip(dataset[layer_id][key], dataset[layer_id][self.name_column]))

    def number(self, value, unit: str = "") -> str:
        """`value` as a reader of this language reads it, with `unit` (a msgid) after it."""
        return formats.number(value, self.lang, self._(unit) if unit else "")

    def industry(self, value) -> str | None:
        if not isinstance(value, str) or value not in INDUSTRIES:
            return None
        zh, en = INDUSTRIES[value]
        return zh if self.lang != "en" else en

    def word(self, vocabulary: dict[str, str], code) -> str | None:
        """The word for `code` of `vocabulary` (one of `geoapp.vocabulary`'s tables)."""
        return self._(vocabulary[code]) if isinstance(code, str) and code in vocabulary else None

    def name_of(self, key) -> str | None:
        return self.names.get(key, key) if isinstance(key, str) else None

    def names_of(self, keys: str | None) -> str:
        """The names of comma-separated ids ("jiuxiang, qingxi"), joined as the language does."""
        return self.joiner.join(self.name_of(k.strip()) or "" for k in (keys or "").split(",") if k.strip())

    def join(self, texts) -> str:
        return self.joiner.join(texts)


def wording(version, lang: str) -> Wording:
    """The wording of a served version's data in `lang`, made once per version and language."""
    return version.made_once(("wording", lang), lambda: Wording(version.dataset, lang))
