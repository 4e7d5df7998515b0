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
