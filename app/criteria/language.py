"""The words of the criteria engine, in whatever language the application installs.

The engine stays pure (no Flask): its sentences are marked ``_("...")`` / ``ngettext(...)``
here, for the catalogue's extraction, and go through a `Translator`.  Until the application
installs one (`install`, from ``app.i18n``) that translator is `SOURCE`: the English source
text, with plain numbers and dates, so a script or a unit test gets English without any setup.

Text embedded in a badge's documents must not follow the UI language of whoever happened to
trigger it: those callers pass ``translator=SOURCE`` (see `using`).

Every sentence is one whole message with named placeholders (``"{label}: {current}"``), so
translators can reorder it; placeholders hold data (labels, numbers) or other whole phrases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

__all__ = ["N_", "SOURCE", "Translator", "current", "gettext", "install", "ngettext", "using"]

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _source_ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural


def _source_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True, slots=True)
class Translator:
    """How the engine's words come out: ``gettext(message)``, ``ngettext(singular, plural,
    n)`` (both returning the message still holding its ``{placeholders}``), ``decimal`` to
    localize a plain number already rounded ("72.5" -> "72,5") and ``date`` for a day."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]
    decimal: Callable[[str], str]
    date: Callable[[date], str]


SOURCE = Translator(str, _source_ngettext, str, _source_date)
"""The source language: English text, plain numbers, "30 June 2027"."""

_installed: list[Translator] = [SOURCE]
_chosen: ContextVar[Translator | None] = ContextVar("criteria_translator", default=None)


def install(translator: Translator) -> None:
    """Make ``translator`` the default from now on (the application does, at start-up)."""
    _installed[0] = translator


def current() -> Translator:
    """The translator in force: the one chosen by `using`, else the installed one."""
    return _chosen.get() or _installed[0]


@contextmanager
def using(translator: Translator | None) -> Iterator[None]:
    """A block in which the engine speaks through ``translator`` (None: the installed one)."""
    if translator is None:
        yield
        return
    token = _chosen.set(translator)
    try:
        yield
    finally:
        _chosen.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current language (placeholders still to fill with ``.format``)."""
    return current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of the message for ``n`` in the current language."""
    return current().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; translated where it is used."""
    return message
