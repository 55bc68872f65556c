"""Every word the engine writes goes through the translator, as whole messages.

A marking translator wraps each message in ⟦…⟧ and writes decimals with a comma; once the
marked spans are removed (innermost first: placeholders hold other messages), only data may
remain (ids, numbers, the clock and "UTC"). The source translator gives today's English
whatever translator is installed, for the text a badge embeds.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.criteria import (
    CriteriaError,
    describe,
    evaluate,
    evidence_text,
    language,
    met_text,
    parse_criteria,
    progress,
)
from app.criteria.language import SOURCE, Translator

from .strategies import BADGES, COLUMNS, criteria, earned_sets, nows, sane_grades

MARKED = Translator(
    gettext=lambda message: f"⟦{message}⟧",
    ngettext=lambda singular, plural, n: f"⟦{singular if n == 1 else plural}⟧",
    decimal=lambda number: number.replace(".", ","),
    date=lambda day: day.isoformat(),
)
DATA = {*COLUMNS, *BADGES, "UTC"}


def _unmarked(text: str) -> list[str]:
    while True:
        stripped = re.sub(r"⟦[^⟦⟧]*⟧", " ", text)
        if stripped == text:
            break
        text = stripped
    assert re.search(r"\d\.\d", text) is None, f"a decimal not localized: {text!r}"
    words = re.findall(r"[A-Za-z][\w-]*", text)
    return [w for w in words if w not in DATA and not any(w in d for d in DATA)]


@settings(max_examples=150, deadline=None)
@given(criteria(), sane_grades(), earned_sets, nows)
def test_every_word_goes_through_the_translator(doc, grades, earned, now):
    with language.using(MARKED):
        texts = [describe(doc)]
        decision = evaluate(doc, grades, earned, now)
        texts += [evidence_text(ev, {}, {}) for ev in decision.evidence]
        texts += [met_text(ev, {}, {}) for ev in decision.evidence if ev.met]
        texts += list(decision.reasons)
        for item in progress(doc, grades, earned, now):
            texts += [item.text, item.label, item.current, item.needed]
    for text in texts:
        assert not _unmarked(text), text


@settings(max_examples=100, deadline=None)
@given(criteria())
def test_the_source_translator_gives_english_whatever_is_installed(doc):
    """What the application installs is the default; a badge's text asks for the source."""
    english = describe(doc, translator=SOURCE)
    before = language.current()  # the application's, once a test has created it
    language.install(MARKED)
    try:
        assert describe(doc, translator=SOURCE) == english
        assert "⟦" in describe(doc)
    finally:
        # Put back what was installed: SOURCE here left every later test's criteria
        # sentences in English (the pseudo-locale test then found "requires: … badge").
        language.install(before)


@given(st.text(max_size=3))
def test_errors_go_through_the_translator(junk):
    with language.using(MARKED), pytest.raises(CriteriaError) as error:
        parse_criteria({"all": [{"column": "1", "min_percent": junk}]})
    assert not _unmarked(error.value.message)


def test_a_translation_may_reorder_the_sentence():
    """Whole messages with named placeholders: a language may put the threshold first."""
    german = {
        "score at least {threshold} in {column}": "in {column} mindestens {threshold} erreichen",
        "{number} %": "{number} %",
        "Earn by {date}.": "Zu erreichen bis {date}.",
    }
    translator = Translator(
        lambda m: german.get(m, m), SOURCE.ngettext, lambda n: n.replace(".", ","), date.isoformat
    )
    doc = parse_criteria({"column": "3", "min_percent": 72.5, "earn_by": "2027-06-30"})
    assert describe(doc, {"3": "Quiz 3"}, translator=translator) == (
        "In Quiz 3 mindestens 72,5 % erreichen. Zu erreichen bis 2027-06-30."
    )
