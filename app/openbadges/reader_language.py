"""Which language a page shows a badge in: the one place pages ask for the reader's languages.

Pages that show a badge's name, description and criteria (the learner's pages, the public
verification page) call :func:`shown_badge_text`; the choice itself is the pure
:func:`app.openbadges.translations.best_language`.
"""

from __future__ import annotations

from flask import request

from app.i18n import current_locale, html_lang
from app.openbadges.models import Badge
from app.openbadges.translations import BadgeText, badge_text


def reader_languages() -> list[str]:
    """The reader's language tags, most wanted first.

    The language the page itself speaks (``app.i18n.current_locale()``: the launch's
    ``launch_presentation.locale`` or ``locale`` claim, a ``?lang=`` choice, else the browser's
    best supported language) goes first, as a BCP 47 tag; then the browser's
    ``Accept-Language``, which may name languages the interface does not speak but a badge
    variant does.
    """
    return [html_lang(current_locale()), *(tag for tag, _quality in request.accept_languages)]


def shown_badge_text(badge: Badge) -> BadgeText:
    """``badge``'s name, description and criteria in the reader's language where it has a
    variant, else in its own language (a template global: ``badge_text(badge)``)."""
    return badge_text(badge, reader_languages())
