"""Names as people search for them: folded (case, accents, spaces and dashes gone), in pinyin and
in pinyin initials (梨花山庄: lihuashanzhuang, lhsz), as Chinese map and travel apps accept them.
The farm-stay search and the coverage map's search box both read names through here."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import lazy_pinyin


def fold(text: str) -> str:
    """Lower case, accents and spaces removed: 'Qīng Xī' and 'qingxi' fold alike."""
    text = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[\s\-–—·'’]+", "", "".join(c for c in text if not unicodedata.combining(c)))


@lru_cache(maxsize=200_000)
def syllables(text: str) -> tuple[str, ...]:
    """pypinyin's toneless syllables of `text`; each distinct text is converted once."""
    return tuple(lazy_pinyin(text or ""))


def pinyin(text: str) -> str:
    """Toneless pinyin of the Chinese in `text`, syllables run together ('清溪驿站' -> 'qingxiyizhan')."""
    return "".join(syllables(text)).lower()


def initials(parts) -> str:
    """The first letters of pinyin syllables (['li', 'hua'] -> 'lh'); other text is left out."""
    return "".join(s[0] for s in parts if s and s[0].isascii() and s[0].isalpha()).lower()


def search_text(*names: str) -> str:
    """What a search matches one thing by: each name folded, the Chinese ones also in pinyin and
    pinyin initials, joined by "|" (a query never holds it)."""
    parts = []
    for name in names:
        if not isinstance(name, str) or not name:
            continue
        parts.append(fold(name))
        if any("\u4e00" <= c <= "\u9fff" for c in name):
            parts += [pinyin(name), initials(syllables(name))]
    return "|".join(parts)
