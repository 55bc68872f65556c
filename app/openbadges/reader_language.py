"""Which language a page shows a badge in: the one place pages ask for the reader's languages.

Pages that show a badge's name, description and criteria (the learner's pages, the public
verification page) call :func:`shown_badge_text`; the choice itself is the pure
:func:`app.openbadges.translations.best_language`.
"""

from __future__ import annotations

from flask import request

from app.openbadges.models import Badge
from app.openbadges.translations import BadgeText, badge_text


def reader_languages() -> list[str]:
    """The reader's language tags, most wanted first.

    Today: the browser's ``Accept-Language`` (inside an LMS iframe the browser is the
    learner's, so it usually agrees with the LMS). The launch's locale
    (``launch_presentation.locale``, then the ``locale`` claim) goes first once the
    application knows it for the current request (``app.i18n.current_locale()``).
    """
    return [tag for tag, _quality in request.accept_languages]


def shown_badge_text(badge: Badge) -> BadgeText:
    """``badge``'s name, description and criteria in the reader's language where it has a
    variant, else in its own language (a template global: ``badge_text(badge)``)."""
    return badge_text(badge, reader_languages())
