"""The language of each page and email: which locale, where it comes from, how it is shown.

One gettext catalogue (domain ``messages``) in ``app/translations/`` holds every string people
read; ``scripts/i18n.py`` extracts, updates and compiles it. The locale of a request is, in
order: ``?lang=`` on a public page (remembered in a cookie), the launch's locale (signed into the
launch token at launch, so no query is needed per request), the ``lang`` cookie, then the
browser's ``Accept-Language``. Emails use the recipient's locale from their last launch
(:func:`force_locale` around the composition).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from flask import Flask, g, has_app_context, has_request_context, request
from flask_babel import (
    Babel,
    _get_current_context,
    force_locale,
    get_locale,
    get_translations,
    refresh,
)
from flask_babel import format_date as _format_date
from flask_babel import format_datetime as _format_datetime
from flask_babel import format_decimal as _format_decimal
from flask_babel import format_percent as _format_percent
from flask_babel import gettext as _gettext
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.criteria import language as criteria_language
from badge_design.messages import Message, translatable

# The catalogues shipped, complete; the first is the source language and the fallback.
SUPPORTED = ("en", "es", "fr", "de", "pt_BR", "ar")
RTL = frozenset({"ar", "he", "fa", "ur"})
LANG_COOKIE = "lang"
LANG_PARAM = "lang"

__all__ = [
    "SUPPORTED",
    "current_locale",
    "force_locale",
    "format_date",
    "format_datetime",
    "format_number",
    "format_percent",
    "in_english",
    "init_app",
    "match_locale",
    "shown",
    "stored",
    "text_direction",
    "translatable",
    "translated",
]


def _supported(app: Flask | None = None) -> tuple[str, ...]:
    from flask import current_app

    if app is None and not has_app_context():
        return SUPPORTED
    return tuple((app or current_app).config.get("LANGUAGES") or SUPPORTED)


def match_locale(tag: str | None, supported: Iterable[str] | None = None) -> str | None:
    """The supported locale closest to an LMS's or browser's language tag, or None.

    LMSs spell tags differently (Canvas ``pt-BR``, Moodle ``pt_br``, ``es_mx``; LTI asks for
    BCP 47): an exact match wins, then the language alone (``es_MX`` → ``es``), then the first
    supported locale of the same language (``pt`` → ``pt_BR``)."""
    if not tag or not isinstance(tag, str):
        return None
    return _match(tag[:64], tuple(supported) if supported is not None else _supported())


@functools.lru_cache(maxsize=1024)
def _match(tag: str, options: tuple[str, ...]) -> str | None:
    # Cached: parsing a tag with Babel costs tens of microseconds, and every request asks.
    try:
        wanted = Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    by_lower = {option.lower(): option for option in options}
    full = f"{wanted.language}_{wanted.territory}" if wanted.territory else wanted.language
    for candidate in (full, wanted.language):
        if candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    return next((o for o in options if o.split("_")[0] == wanted.language), None)


def launch_locale(claims: dict[str, Any]) -> str:
    """The locale a launch asks for: ``launch_presentation.locale`` (Moodle, Canvas), then
    Canvas's top-level ``locale`` claim; "" when neither names a supported language."""
    presentation = claims.get("https://purl.imsglobal.org/spec/lti/claim/launch_presentation")
    candidates = [presentation.get("locale") if isinstance(presentation, dict) else None]
    candidates.append(claims.get("locale"))
    for tag in candidates:
        found = match_locale(tag)
        if found:
            return found
    return ""


def _select_locale() -> str:
    """Flask-Babel's locale selector (called once per request, on first use)."""
    supported = _supported()
    if not has_request_context():  # a job or the CLI: the default, unless force_locale says
        return supported[0]
    chosen = match_locale(request.args.get(LANG_PARAM), supported)
    if chosen:
        return chosen
    session = getattr(g, "launch_session", None)
    if session is not None and session.locale:
        return session.locale
    chosen = match_locale(request.cookies.get(LANG_COOKIE), supported)
    if chosen:
        return chosen
    # Best quality first; "pt" alone still finds pt_BR (werkzeug's best_match would not).
    for tag, _quality in request.accept_languages:
        found = match_locale(tag, supported)
        if found:
            return found
    return supported[0]


def current_locale() -> str:
    """This request's (or :func:`force_locale` block's) locale as a string, e.g. ``pt_BR``."""
    locale = get_locale()
    return str(locale) if locale is not None else SUPPORTED[0]


def text_direction(locale: str | None = None) -> str:
    """``rtl`` or ``ltr`` for a locale (this request's by default)."""
    language = (locale or current_locale()).split("_")[0]
    return "rtl" if language in RTL else "ltr"


def html_lang(locale: str | None = None) -> str:
    """The BCP 47 tag for ``<html lang>`` (``pt-BR``, not ``pt_BR``)."""
    return (locale or current_locale()).replace("_", "-")


def format_date(value: Any, format: str = "long") -> str:
    """A date for people, in this locale (``December 5, 2026``, ``5 de diciembre de 2026``);
    outside an application (a script, a unit test) in the default one."""
    if value is None:
        return ""
    if not has_app_context():
        return babel_dates.format_date(value, format, locale=SUPPORTED[0])
    return _format_date(value, format)


def format_datetime(value: Any, format: str = "medium") -> str:
    """A moment for people, in this locale and the configured time zone (UTC by default)."""
    return _format_datetime(value, format) if value is not None else ""


def format_number(value: Any) -> str:
    """A number in this locale's digits and separators (``1,234.5``, ``1.234,5``)."""
    return _format_decimal(value)


def format_percent(value: float, *, of: float = 100) -> str:
    """``value`` out of ``of`` as a percentage in this locale (``72 %``, ``72%``, ``‎٧٢٪``)."""
    return _format_percent(value / of if of else 0, "#,##0.#%")


def translated(text: str) -> str:
    """``text`` in this locale when it is a :class:`badge_design.messages.Message` (the
    designer's errors and warnings, written in English by a package without a catalogue);
    any other text as it is."""
    if not isinstance(text, Message):
        return text
    values = {key: translated(value) for key, value in text.values.items()}
    return _gettext(text.template, **values)


def stored(text: str | Sequence[str]) -> str:
    """Text for a database column shown to people later, in their language: Messages (one,
    or several as one paragraph) as JSON of their templates and values, which
    :func:`shown` translates; any other text as it is."""
    texts = [text] if isinstance(text, str) else list(text)
    if not any(isinstance(t, Message) for t in texts):
        return " ".join(texts)
    return json.dumps(
        {_STORED: [_as_json(t) if isinstance(t, Message) else t for t in texts]},
        ensure_ascii=False,
        sort_keys=True,
    )


def shown(text: str | None) -> str:
    """A column written by :func:`stored` (or a Message), in this locale; other text, such
    as rows written before, as it is."""
    if isinstance(text, Message):
        return translated(text)
    parts = _stored_parts(text)
    return (text or "") if parts is None else " ".join(translated(part) for part in parts)


def in_english(text: str | None) -> str:
    """A column written by :func:`stored` in the source language, whatever the request's:
    for the API and logs, whose text stays the same for every reader."""
    parts = _stored_parts(text)  # each part is English already (a Message is its English)
    return (text or "") if parts is None else " ".join(parts)


_STORED = "messages"


def _stored_parts(text: str | None) -> list[str] | None:
    # The Messages and plain parts of a stored column; None for text stored as it is.
    if not text or not text.startswith(f'{{"{_STORED}"'):
        return None
    try:
        return [_from_json(part) for part in json.loads(text)[_STORED]]
    except (ValueError, KeyError, TypeError):
        return None


def _as_json(text: Message) -> dict[str, Any]:
    values = {
        key: _as_json(value)
        if isinstance(value, Message)
        else value
        if isinstance(value, int | float | str)
        else str(value)
        for key, value in text.values.items()
    }
    return {"template": text.template, "values": values}


def _from_json(part: Any) -> str:
    if isinstance(part, str):
        return part
    values = {
        key: _from_json(value) if isinstance(value, dict) else value
        for key, value in part["values"].items()
    }
    return Message(part["template"], **values)


def language_choices() -> list[tuple[str, str, bool]]:
    """(code, name in its own language, current) for the public pages' language switcher."""
    here = current_locale()
    return [(code, _endonym(code), code == here) for code in _supported()]


@functools.lru_cache(maxsize=64)
def _endonym(code: str) -> str:
    return (Locale.parse(code).get_display_name(code) or code).capitalize()


def remember_choice(response: Any) -> Any:
    """Keep a visitor's ``?lang=`` choice in a first-party cookie for the next public page."""
    if has_request_context():
        chosen = match_locale(request.args.get(LANG_PARAM))
        if chosen and request.cookies.get(LANG_COOKIE) != chosen:
            response.set_cookie(
                LANG_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", secure=request.is_secure
            )
    return response


def locale_of(stored: str | None) -> AbstractContextManager[None]:
    """A block in a person's stored locale (emails), or the default for an unknown one."""
    return force_locale(match_locale(stored) or SUPPORTED[0])


def _criteria_ngettext(singular: str, plural: str, n: int) -> str:
    # Not flask_babel.ngettext: it %-formats every result, and the engine's messages take
    # their values with str.format afterwards.
    return get_translations().ngettext(singular, plural, n)


def _criteria_decimal(number: str) -> str:
    """A number the engine rounded already ("72.5") in this locale's digits ("72,5")."""
    if not has_app_context():
        return number
    return _format_decimal(Decimal(number), "0.######")


def _criteria_date(day: date) -> str:
    if not has_app_context():
        return criteria_language.SOURCE.date(day)
    return _format_date(day, "long")


# The criteria engine is pure (no Flask): its sentences come through this translator, which
# follows the request's (or force_locale's) language; outside an application it is English.
CRITERIA_TRANSLATOR = criteria_language.Translator(
    _gettext, _criteria_ngettext, _criteria_decimal, _criteria_date
)


def _page_translations() -> Any:
    """This request's catalogue for templates, looked up once.

    Flask-Babel finds the locale and its catalogue again for every string (about 14 µs each,
    a few dozen per page). The catalogue is kept in Flask-Babel's own per-request slot
    (``babel_translations``), which its ``refresh()`` and ``force_locale()`` clear and restore,
    so a forced or refreshed locale is followed as before.
    """
    ctx = _get_current_context()
    if ctx is None:
        return get_translations()
    found = getattr(ctx, "babel_translations", None)
    if found is None:
        found = ctx.babel_translations = get_translations()
    return found


@pass_context
def _template_gettext(context: Context, string: str, /, **variables: Any) -> str:
    """Templates' ``_()`` and ``gettext()``: what Jinja's newstyle gettext does (escape-aware,
    always ``%``-formatted), without its extra indirections."""
    text = _page_translations().ugettext(string)
    return (Markup(text) if context.eval_ctx.autoescape else text) % variables


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    """Templates' ``ngettext()``, as Jinja's newstyle one (``num`` is a variable too)."""
    variables.setdefault("num", num)
    text = _page_translations().ungettext(singular, plural, num)
    return (Markup(text) if context.eval_ctx.autoescape else text) % variables


def init_app(app: Flask) -> None:
    """Wire Flask-Babel with the shipped catalogues and the template helpers."""
    from app import ROOT

    app.config.setdefault("LANGUAGES", SUPPORTED)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", SUPPORTED[0])
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "app" / "translations"))
    Babel(app, locale_selector=_select_locale)
    criteria_language.install(CRITERIA_TRANSLATOR)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _page_translations().ugettext(s),
        ngettext=lambda s, p, n: _page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # Jinja's newstyle gettext reaches the catalogue through three calls, two of them
    # Context.call (``_`` → ``gettext`` → the callable above); these do the same work in one.
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext)
    app.jinja_env.globals["ngettext"] = _template_ngettext
    # {% trans %} blocks join their lines, as babel.cfg's extraction does.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # Flask-Babel caches the locale on ``g``; a request under an application context pushed
    # before it (tests, CLI) would inherit the previous request's language.
    app.before_request(refresh)
    app.after_request(remember_choice)
    app.jinja_env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        percent=format_percent,
        shown=shown,
    )

    @app.context_processor
    def language() -> dict[str, Any]:
        return {
            "page_lang": html_lang,
            "page_dir": text_direction,
            "language_choices": language_choices,
        }
