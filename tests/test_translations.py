"""The English catalogue is complete: every Chinese text of the pages has its English."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import yiwang

PO = Path(yiwang.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries() -> list[str]:
    # Entries are separated by blank lines; the first is the catalogue's header.
    return PO.read_text(encoding="utf-8").split("\n\n")[1:]


def test_no_text_is_left_untranslated_or_fuzzy() -> None:
    missing = []
    for entry in _entries():
        if "#, fuzzy" in entry:
            missing.append(entry)
            continue
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
        if any(not "".join(re.findall(r'"(.*)"', s)) for s in strings):
            missing.append(entry)
    assert missing == []


def _join(block: str) -> str:
    return (
        "".join(re.findall(r'"(.*)"', block))
        .encode()
        .decode("unicode_escape")
        .encode("latin-1")
        .decode("utf-8")
    )


def test_the_compiled_catalogue_matches_its_source() -> None:
    """A .po edited without `make messages` would leave the pages showing stale English."""
    with PO.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    checked = 0
    for entry in _entries():
        if "msgid_plural" in entry or "#, fuzzy" in entry:
            continue
        context = re.search(r'^msgctxt ((?:".*"\n?)+)', entry + "\n", re.M)
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', entry + "\n", re.M)
        msgstr = re.search(r'^msgstr ((?:".*"\n?)+)', entry + "\n", re.M)
        if not msgid or not msgstr:
            continue
        source, english = _join(msgid.group(1)), _join(msgstr.group(1))
        if context:
            assert compiled.pgettext(_join(context.group(1)), source) == english, source
        else:
            assert compiled.gettext(source) == english, source
        checked += 1
    assert checked > 100
