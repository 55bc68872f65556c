"""The shipped catalogues are complete and safe: every string the code marks is in every
language, translated, not fuzzy, with the same placeholders and markup, and the compiled .mo
files say what the .po files say. ``python scripts/i18n.py`` regenerates; this names what is
left to translate."""

from __future__ import annotations

import re
from collections import Counter
from configparser import ConfigParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.i18n import SUPPORTED

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
TAG = re.compile(r"</?[a-z]+(?:\s[^>]*)?>")


def _catalog(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def _forms(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _marked_in_code() -> set[str]:
    """Every msgid the code and templates mark, extracted as scripts/i18n.py does."""
    config = ConfigParser()
    config.read(ROOT / "babel.cfg")
    method_map = [
        (section.split(": ", 1)[1], section.split(": ", 1)[0]) for section in config.sections()
    ]
    options_map = {pattern: dict(config[f"{method}: {pattern}"]) for pattern, method in method_map}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_string_is_translated_and_keeps_its_placeholders_and_markup(lang):
    problems = []
    for message in _catalog(lang):
        if not message.id:
            continue
        ids = _forms(message.id)
        strings = _forms(message.string)
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            have = set(PLACEHOLDER.findall(text))
            # A singular may say "one" instead of %(num)s; nothing else may go missing.
            if have - wanted or (wanted - have) - {"num"}:
                problems.append(f"placeholders {sorted(have)} != {sorted(wanted)}: {ids[0]!r}")
            if Counter(TAG.findall(text)) != Counter(TAG.findall(ids[-1])):
                problems.append(f"markup differs: {ids[0]!r} -> {text!r}")
    assert not problems, f"{lang}: " + "\n".join(problems)


def test_every_marked_string_is_in_the_catalogues():
    in_code = _marked_in_code()
    for lang in SUPPORTED:
        known = {_forms(m.id)[0] for m in _catalog(lang) if m.id}
        missing = sorted(in_code - known)
        assert not missing, (
            f"{lang}: strings marked in the code but not in the catalogue (run "
            f"`python scripts/i18n.py`, then translate): {missing}"
        )


@pytest.mark.parametrize("lang", SUPPORTED)
def test_compiled_catalogues_match_their_sources(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = {_forms(m.id): _forms(m.string) for m in read_mo(f) if m.id}
    source = {_forms(m.id): _forms(m.string) for m in _catalog(lang) if m.id}
    assert compiled == source, f"{lang}: messages.mo is stale: run `python scripts/i18n.py compile`"
