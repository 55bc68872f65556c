"""A badge's name, description and criteria text in several languages.

The badge's own fields are its default language (``Badge.language``); each
:class:`~app.openbadges.models.BadgeTranslation` adds one more. Open Badges publishes each
language as a variant of the BadgeClass / Achievement, linked both ways with ``related``.

Which language a reader sees is chosen by :func:`best_language`, a pure function over plain
values (the reader's preferred tags, the tags a badge has), so pages, documents and tests
all choose the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.openbadges.models import Badge, BadgeTranslation

#: The BCP 47 subset Open Badges 3.0 accepts for ``inLanguage`` (its JSON schema's pattern):
#: a language, an optional script and an optional region ("ar", "zh-Hant-TW", "es-419").
OB_LANGUAGE_TAG = re.compile(r"^[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
MAX_NAME = 300


class TranslationError(ValueError):
    """A language variant was refused; the message says why, for the instructor."""


def normalize_language_tag(raw: str) -> str | None:
    """``raw`` as an Open Badges language tag in its canonical case, or ``None``.

    Accepts what LMSs and browsers send: any case and ``_`` for ``-`` ("pt_br" gives
    "pt-BR", "ZH-hant-tw" gives "zh-Hant-TW").
    """
    parts = raw.strip().replace("_", "-").split("-")
    if not parts or not parts[0]:
        return None
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        else:
            out.append(part.upper())
    tag = "-".join(out)
    return tag if OB_LANGUAGE_TAG.match(tag) else None


def _truncations(tag: str) -> Iterable[str]:
    """RFC 4647 lookup: the tag, then shorter and shorter prefixes of it."""
    parts = tag.lower().replace("_", "-").split("-")
    while parts:
        yield "-".join(parts)
        parts.pop()
        # A single-letter subtag (an extension's singleton) never ends a prefix.
        while parts and len(parts[-1]) == 1:
            parts.pop()


def best_language(preferred: Sequence[str], available: Sequence[str], default: str) -> str:
    """The language to show: the first of ``preferred`` a variant exists for, else ``default``.

    ``preferred`` are BCP 47 tags, most wanted first (a launch's locale, then the browser's
    Accept-Language order); ``available`` are the tags a badge has. Matching is RFC 4647
    lookup, case-insensitive (a reader asking "ar-EG" gets "ar"); when no preference
    matches that way, a variant of the same primary language is taken ("pt" gets "pt-BR").
    The result is always one of ``available`` or ``default``.
    """
    by_lower = {tag.lower(): tag for tag in available}
    wanted = [tag.strip() for tag in preferred if tag.strip() and tag.strip() != "*"]
    for tag in wanted:
        for prefix in _truncations(tag):
            if prefix in by_lower:
                return by_lower[prefix]
    primaries = {tag.split("-")[0]: original for tag, original in sorted(by_lower.items())}
    for tag in wanted:
        primary = tag.lower().replace("_", "-").split("-")[0]
        if primary in primaries:
            return primaries[primary]
    return default


@dataclass(frozen=True)
class BadgeText:
    """What a badge says in one language."""

    language: str
    name: str
    description: str
    criteria_narrative: str


def badge_texts(badge: Badge) -> dict[str, BadgeText]:
    """Every language of ``badge``: its own fields first, then its variants by tag.

    A variant without criteria text shows the default language's.
    """
    texts = {
        badge.language: BadgeText(
            badge.language, badge.name, badge.description, badge.criteria_narrative
        )
    }
    for variant in badge.translations:
        texts[variant.language] = BadgeText(
            variant.language,
            variant.name,
            variant.description,
            variant.criteria_narrative or badge.criteria_narrative,
        )
    return texts


def badge_text(badge: Badge, preferred: Sequence[str]) -> BadgeText:
    """What ``badge`` says in the language ``preferred`` asks for (see
    :func:`best_language`), falling back to the badge's own language."""
    wanted = [tag.strip().lower() for tag in preferred if tag.strip() and tag.strip() != "*"]
    if not wanted or wanted[0] == badge.language.lower():
        # The badge's own language wins before any variant: no need to load them.
        return BadgeText(badge.language, badge.name, badge.description, badge.criteria_narrative)
    texts = badge_texts(badge)
    return texts[best_language(preferred, list(texts), badge.language)]


def save_translation(
    badge: Badge, language: str, name: str, description: str, criteria_narrative: str
) -> BadgeTranslation:
    """Add or replace ``badge``'s variant in ``language``; commits.

    Raises :class:`TranslationError` for a tag Open Badges does not accept, the badge's own
    language, or an empty name or description.
    """
    tag = normalize_language_tag(language)
    if tag is None:
        raise TranslationError(
            _(
                "“%(tag)s” is not a language tag Open Badges accepts: use a language "
                "code such as ar, es or pt-BR",
                tag=language.strip(),
            )
        )
    if tag.lower() == badge.language.lower():
        raise TranslationError(
            _("%(tag)s is the badge's own language: change its details above instead", tag=tag)
        )
    name, description = name.strip(), description.strip()
    if not name or not description:
        raise TranslationError(_("a language variant needs a name and a description"))
    if len(name) > MAX_NAME:
        raise TranslationError(_("a badge name has at most %(most)s characters", most=MAX_NAME))
    variant = db.session.scalar(
        select(BadgeTranslation).where(
            BadgeTranslation.badge_id == badge.id, BadgeTranslation.language == tag
        )
    )
    if variant is None:
        variant = BadgeTranslation(badge_id=badge.id, language=tag)
        badge.translations.append(variant)
    variant.name = name
    variant.description = description
    variant.criteria_narrative = criteria_narrative.strip()
    db.session.commit()
    return variant


def remove_translation(badge: Badge, language: str) -> bool:
    """Remove ``badge``'s variant in ``language``; commits. False if it had none."""
    for variant in badge.translations:
        if variant.language == language:
            badge.translations.remove(variant)
            db.session.commit()
            return True
    return False
