"""What changes a badge: its fields (validated) and its artwork versions.

Callable without a request (CLI, API views, the designer); ``create_badge`` and
``update_badge`` commit, ``save_artwork`` works in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from app.database import as_utc
from app.extensions import db
from app.models.base import utcnow
from app.openbadges.errors import OperationError
from app.openbadges.jsonld import ob3_schema
from app.openbadges.models import (
    Badge,
    BadgeImage,
    BadgeStatus,
    ExpiryPolicy,
    Issuer,
)

if TYPE_CHECKING:  # the core only stores artwork; loading the renderer is not its business
    from badge_design.artwork import Artwork


@dataclass(frozen=True)
class Upload:
    """An uploaded image file for a badge's artwork."""

    filename: str
    data: bytes


def save_artwork(badge: Badge, artwork: Artwork) -> BadgeImage:
    """Store finished artwork as the badge's next version; later awards use it.

    Nothing here draws: ``artwork`` was checked and rendered by ``badge_design.artwork``
    before the caller's transaction began, so no render ever runs while rows are locked.
    """
    if artwork.design is not None:
        badge.design = artwork.design
        badge.design_version = (badge.design_version or 0) + 1
    version = (badge.image_version or 0) + 1
    image = BadgeImage(
        badge_id=badge.id,
        version=version,
        svg=artwork.svg,
        png_512=artwork.png,
        png_128=artwork.thumbnail_png,
    )
    badge.image_version = version
    db.session.add(image)
    return image


def _check_alignments(alignments: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    out = []
    for item in alignments:
        if not item.get("name") or not str(item.get("url", "")).startswith(("http://", "https://")):
            raise OperationError("invalid", _("each alignment needs a name and an http(s) url"))
        out.append({k: str(item[k]) for k in ("name", "url", "framework") if item.get(k)})
    return out


def update_badge(badge: Badge, **changes: Any) -> Badge:
    """Change a badge's fields (validated); commits. Artwork goes through ``save_artwork``."""
    editable = {
        "name",
        "description",
        "criteria_narrative",
        "tags",
        "alignments",
        "expiry_policy",
        "expires_on",
        "expires_days",
        "status",
        "criteria",
        "enabled",
        "context_id",
        "evidence_shows_scores",
        "achievement_type",
        "language",
    }
    unknown = set(changes) - editable
    if unknown:
        raise OperationError(
            "invalid", _("cannot change %(unknown)s", unknown=", ".join(sorted(unknown)))
        )
    if "alignments" in changes:
        changes["alignments"] = _check_alignments(changes["alignments"] or [])
    for name, value in changes.items():
        setattr(badge, name, value)
    _check_badge(badge, expiry_changed=bool({"expiry_policy", "expires_on"} & set(changes)))
    db.session.commit()
    return badge


def _check_badge(badge: Badge, expiry_changed: bool = True) -> None:
    for label in ("name", "description", "criteria_narrative"):
        if not (getattr(badge, label) or "").strip():
            raise OperationError(
                "invalid", _("badge %(value)s is required", value=label.replace("_", " "))
            )
    if badge.status not in BadgeStatus.ALL:
        raise OperationError(
            "invalid", _("status must be one of %(value)s", value=", ".join(BadgeStatus.ALL))
        )
    if badge.expiry_policy not in ExpiryPolicy.ALL:
        raise OperationError(
            "invalid",
            _("expiry policy must be one of %(value)s", value=", ".join(ExpiryPolicy.ALL)),
        )
    if badge.expiry_policy == ExpiryPolicy.FIXED and badge.expires_on is None:
        raise OperationError("invalid", _("a fixed expiry needs a date"))
    if expiry_changed and fixed_expiry_passed(badge):
        # A date that passed while the badge was live is kept; choosing one is refused.
        raise OperationError(
            "expiry_in_past",
            _(
                "the fixed expiry date %(expires_on)s is in the past: every award would be "
                "expired at once",
                expires_on=badge.expires_on.strftime("%Y-%m-%d") if badge.expires_on else "",
            ),
        )
    if badge.expiry_policy == ExpiryPolicy.DAYS and not (badge.expires_days or 0) > 0:
        raise OperationError("invalid", _("an expiry in days needs a positive number of days"))
    if not isinstance(badge.tags, list) or not all(isinstance(t, str) for t in badge.tags):
        raise OperationError("invalid", _("tags must be a list of strings"))
    if badge.achievement_type not in achievement_types() and not _EXT_TYPE.fullmatch(
        badge.achievement_type or ""
    ):
        raise OperationError(
            "invalid",
            _(
                "achievement type must be one of Open Badges 3.0's "
                "(Badge, Certificate, Course, …) or ext:Name"
            ),
        )
    if not _LANGUAGE.fullmatch(badge.language or ""):
        raise OperationError("invalid", _("language must be a BCP 47 tag such as en or fr-CA"))


# OB 3.0 AchievementType extensions, and BCP 47 language tags (language[-subtags]).
_EXT_TYPE = re.compile(r"ext:[A-Za-z0-9._-]{1,56}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")


def achievement_types() -> list[str]:
    """OB 3.0's AchievementType vocabulary, as the bundled schema enumerates it."""
    return ob3_schema()["$defs"]["Achievement"]["properties"]["achievementType"]["oneOf"][0]["enum"]


def create_badge(
    issuer: Issuer,
    name: str,
    description: str,
    criteria_narrative: str,
    *,
    context_id: int | None = None,
    tags: Sequence[str] = (),
    alignments: Sequence[dict[str, str]] = (),
    expiry_policy: str = ExpiryPolicy.NONE,
    expires_on: datetime | None = None,
    expires_days: int | None = None,
    status: str = BadgeStatus.ACTIVE,
    criteria: dict[str, Any] | None = None,
    enabled: bool = False,
    achievement_type: str = "Badge",
    language: str = "en",
    artwork: Artwork,
) -> Badge:
    """Create a badge with ``artwork`` (rendered beforehand) as its first artwork version."""
    badge = Badge(
        issuer=issuer,
        name=(name or "").strip(),
        description=description or "",
        criteria_narrative=criteria_narrative or "",
        context_id=context_id,
        tags=list(tags),
        alignments=_check_alignments(alignments),
        expiry_policy=expiry_policy,
        expires_on=expires_on,
        expires_days=expires_days,
        status=status,
        criteria=criteria,
        enabled=enabled,
        image_version=0,
        design_version=0,
        achievement_type=achievement_type,
        language=language,
    )
    _check_badge(badge)
    db.session.add(badge)
    db.session.flush()
    save_artwork(badge, artwork)
    db.session.commit()
    return badge


def fixed_expiry_passed(badge: Badge, now: datetime | None = None) -> bool:
    """True when the badge's fixed expiry date has passed: a new award would be expired."""
    return (
        badge.expiry_policy == ExpiryPolicy.FIXED
        and badge.expires_on is not None
        and badge.expires_on <= as_utc(now or utcnow())
    )
