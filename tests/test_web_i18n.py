"""The Chinese catalog: every message translated, and the compiled .mo matches the .po."""
from __future__ import annotations

import gettext

from babel.messages.pofile import read_po

from geoapp.config import PACKAGE, ROOT

CATALOG = PACKAGE / "translations" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_has_its_chinese_and_the_compiled_catalog_is_current():
    with open(CATALOG / "messages.po", "rb") as po_file:
        catalog = read_po(po_file)
    with open(CATALOG / "messages.mo", "rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    untranslated = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert untranslated == [], "run scripts/translations and fill these in messages.po"
    for message in catalog:
        if message.id and isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, f"stale messages.mo for {message.id!r}"


def test_every_template_string_is_in_the_catalog():
    from babel.messages.extract import extract_from_dir
    method_map = [("geoapp/templates/**.html", "jinja2"), ("geoapp/**.py", "python")]
    found = {message for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None})}
    with open(CATALOG / "messages.po", "rb") as po_file:
        known = {m.id for m in read_po(po_file) if m.id}
    assert len(found) > 50, "the extraction found the templates' strings"
    missing = [m for m in found if m not in known]
    assert missing == [], "run scripts/translations to extract these"


def test_every_translation_uses_only_the_placeholders_of_its_message():
    """A translation naming a value its message does not give would fail when shown (a 500)."""
    import re
    placeholder = re.compile(r"%\((\w+)\)[sdr]")
    with open(CATALOG / "messages.po", "rb") as po_file:
        catalog = read_po(po_file)
    wrong = [m.id for m in catalog if m.id and isinstance(m.id, str) and m.string
             and not set(placeholder.findall(m.string)) <= set(placeholder.findall(m.id))]
    assert wrong == []


# Chinese terms the English text quotes on purpose, beside their English: not untranslated words.
QUOTED_TERMS = {"全覆盖", "乡镇区划"}
ENGLISH_PAGES = ["/", "/coverage", "/zones/qingxi-pepper", "/zones/outside", "/branches/PO-I001", "/farmstays",
                 "/farmstays/FS01", "/planning", "/login", "/ogc/collections?f=html", "/documents/selection-standard",
                 "/ogc/collections/farm_stays/items/FS01?f=html"]


def test_an_english_page_shows_no_chinese_but_the_data_and_what_is_marked_chinese(client, dataset):
    """Every run of Chinese on an English page is the data's own text (a name, an address; a
    secretary's anonymised name), inside an element marked lang="zh…" (the article's words), or
    a term the English quotes on purpose — never an untranslated word of the interface
    ("746,000 元" once stood on the branch page)."""
    import re
    from html.parser import HTMLParser
    chinese = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]+")
    data_runs = {run for frame in dataset.values() for column in frame.columns if column != "geometry"
                 for value in frame[column].dropna().unique() if isinstance(value, str) for run in chinese.findall(value)}

    class Page(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[tuple[str, bool]] = []
            self.found: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
                return
            marked = (dict(attrs).get("lang") or "").startswith("zh") or tag in ("script", "style")
            self.open.append((tag, marked))

        def handle_endtag(self, tag):
            while self.open and self.open.pop()[0] != tag:
                pass

        def handle_data(self, data):
            if not any(marked for _tag, marked in self.open):
                self.found += chinese.findall(data)

    for path in ENGLISH_PAGES:
        page = Page()
        page.feed(client.get(path + ("&" if "?" in path else "?") + "lang=en").get_data(as_text=True))
        words = {run for run in page.found if run not in QUOTED_TERMS and run not in data_runs}
        assert words == set(), f"{path}: Chinese that is neither data nor marked: {sorted(words)[:10]}"
