"""What the designer changes: a course's badges and their artwork versions.

Callable without a request. Saving checks and renders the artwork once, in
``badge_design.artwork``'s limited child process and before any row is written, then hands
the finished bytes to the Open Badges core's ``save_artwork``; awards and public image
fetches only read stored bytes, so no render ever happens on the issuing path.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.database import retry_on_lock
from app.extensions import db
from app.i18n import translated
from app.models import Context, Registration
from app.openbadges import urls
from app.openbadges.badges import Upload, create_badge, save_artwork
from app.openbadges.errors import OperationError
from app.openbadges.issuers import create_issuer, find_issuer
from app.openbadges.models import Badge, BadgeImage, BadgeStatus, Issuer
from badge_design.artwork import Artwork, artwork_from_design, artwork_from_upload
from badge_design.design import (
    MAX_ALT_TEXT_CHARS,
    Design,
    DesignError,
    validate_design,
)
from badge_design.render import RenderError
from badge_design.upload_errors import UploadError

#: A badge made in the designer has no criteria yet; the OB core requires a narrative, and
#: this one says plainly that the instructor still has to set them.
DRAFT_CRITERIA = "Criteria have not been set yet."
MAX_NAME_CHARS = 300


class DesignerError(ValueError):
    """A save was refused; ``errors`` maps each form field to a message for the instructor."""

    def __init__(self, errors: dict[str, str]) -> None:
        # badge_design's messages are English: shown here in the instructor's language.
        self.errors = {field: translated(text) for field, text in errors.items()}
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


@dataclass(frozen=True)
class NewBadge:
    """The name and description of a draft badge created by the designer."""

    name: str
    description: str


@dataclass(frozen=True)
class SavedArtwork:
    """A stored artwork version and where the public serves it."""

    badge: Badge
    version: int
    png_url: str
    svg_url: str | None
    #: What the upload checker removed or changed (an SVG's script, a photo's rotation).
    warnings: tuple[str, ...] = ()


def course_badges(context_id: int) -> list[Badge]:
    """The badges of one course, oldest first."""
    return list(
        db.session.scalars(select(Badge).where(Badge.context_id == context_id).order_by(Badge.id))
    )


def course_badge(context_id: int, public_id: str) -> Badge:
    """A badge of this course by its public id; another course's badge is not found."""
    badge = db.session.scalar(
        select(Badge).where(Badge.public_id == public_id, Badge.context_id == context_id)
    )
    if badge is None:
        raise DesignerError({"badge": _("No such badge in this course.")})
    return badge


def course_issuer(context: Context) -> Issuer:
    """The issuer awarding this course's badges: the course's own, else the institution's.

    The first staff member to save artwork in an institution without an issuer creates one
    from the registration (the LMS's name and address), so designing never waits on an admin.
    """
    issuer = find_issuer(context.registration_id, context.id)
    if issuer is not None:
        return issuer

    registration = db.session.get(Registration, context.registration_id)
    assert registration is not None
    platform_url = registration.issuer
    if not platform_url.startswith(("http://", "https://")):
        platform_url = current_app.config["PUBLIC_BASE_URL"]
    name = (
        registration.platform_name
        or registration.name
        or urlsplit(platform_url).hostname
        or "Badgebridge"
    )
    email = parseaddr(current_app.config["MAIL_FROM"])[1] or "badges@localhost"
    return create_issuer(name, platform_url, email, registration_id=registration.id)


def with_default_alt_text(design: dict[str, Any], name: str, description: str) -> dict[str, Any]:
    """The design with alt text filled from the badge's name and description when empty.

    Screen reader users hear the alt text instead of seeing the artwork, so a badge without
    any would be announced as a bare "image".
    """
    if isinstance(design, dict) and not str(design.get("alt_text") or "").strip():
        words = " ".join(f"{name.strip()}: {description.strip()}".split()).strip(": ")
        design = {**design, "alt_text": words[:MAX_ALT_TEXT_CHARS] or None}
    return design


def check_design(document: Any) -> Design:
    """Validate a design document; DesignerError names each bad field."""
    try:
        return validate_design(document)
    except DesignError as exc:
        raise DesignerError(exc.errors) from None


def _check_new_badge(new: NewBadge) -> NewBadge:
    errors = {}
    name, description = new.name.strip(), new.description.strip()
    if not name:
        errors["name"] = _("A new badge needs a name.")
    elif len(name) > MAX_NAME_CHARS:
        errors["name"] = _("At most %(limit)s characters.", limit=MAX_NAME_CHARS)
    if not description:
        errors["description"] = _("Say in a sentence what the badge recognises.")
    if errors:
        raise DesignerError(errors)
    return NewBadge(name, description)


def _saved(badge: Badge, warnings: tuple[str, ...] = ()) -> SavedArtwork:
    image = db.session.scalar(
        select(BadgeImage).where(
            BadgeImage.badge_id == badge.id, BadgeImage.version == badge.image_version
        )
    )
    assert image is not None
    svg_url = (
        urls.public_url(urls.BADGE_IMAGE, badge.public_id, version=image.version, ext="svg")
        if image.svg
        else None
    )
    return SavedArtwork(
        badge=badge,
        version=image.version,
        svg_url=svg_url,
        png_url=urls.public_url(
            urls.BADGE_IMAGE, badge.public_id, version=image.version, ext="png"
        ),
        warnings=tuple(translated(warning) for warning in warnings),
    )


def save_design(
    context: Context,
    design: Any,
    *,
    badge_public_id: str | None = None,
    new_badge: NewBadge | None = None,
) -> SavedArtwork:
    """Save ``design`` as the next artwork version of a course badge, or of a new draft badge.

    Assertions already issued keep the ``image_version`` they were issued with; awards made
    from now on use the new one. Commits.
    """
    return _save(
        context, design=design, upload=None, badge_public_id=badge_public_id, new_badge=new_badge
    )


def save_upload(
    context: Context,
    upload: Upload,
    *,
    badge_public_id: str | None = None,
    new_badge: NewBadge | None = None,
) -> SavedArtwork:
    """Save an uploaded PNG, JPEG or SVG (checked and cleaned) as the next artwork version."""
    return _save(
        context, design=None, upload=upload, badge_public_id=badge_public_id, new_badge=new_badge
    )


def _save(
    context: Context,
    *,
    design: Any,
    upload: Upload | None,
    badge_public_id: str | None,
    new_badge: NewBadge | None,
) -> SavedArtwork:
    badge = course_badge(context.id, badge_public_id) if badge_public_id else None
    if badge is not None:
        name, description = badge.name, badge.description
    elif new_badge is not None:
        new_badge = _check_new_badge(new_badge)
        name, description = new_badge.name, new_badge.description
    else:
        raise DesignerError({"badge": _("Choose a badge or name a new one.")})
    # Rendered before anything is written: a slow file holds no database lock.
    artwork = (
        _upload_artwork(upload)
        if upload is not None
        else _design_artwork(with_default_alt_text(design, name, description))
    )
    try:
        badge = retry_on_lock(_store)(context, badge, new_badge, artwork)
    except OperationError as exc:
        # The OB core's own badge rules; its message is written for people, so show it.
        db.session.rollback()
        raise DesignerError({"badge": str(exc)}) from None
    except IntegrityError:
        # Two saves of one badge at the same moment both chose the next version number;
        # the database kept the first (unique badge and version).
        db.session.rollback()
        raise DesignerError(
            {
                "badge": _(
                    "This badge was saved by someone else at the same moment; please save again."
                )
            }
        ) from None
    return _saved(badge, artwork.warnings)


def _store(
    context: Context, badge: Badge | None, new_badge: NewBadge | None, artwork: Artwork
) -> Badge:
    """Write the artwork (and the new draft badge with its course issuer). Run again from a
    fresh snapshot when SQLite refuses the write: the launch check read the database first,
    and the job worker may have committed since (found running `make run`)."""
    if badge is None:
        assert new_badge is not None
        return create_badge(
            course_issuer(context),
            new_badge.name,
            new_badge.description,
            DRAFT_CRITERIA,
            context_id=context.id,
            status=BadgeStatus.DRAFT,
            artwork=artwork,
        )
    save_artwork(badge, artwork)
    db.session.commit()
    return badge


def _upload_artwork(upload: Upload) -> Artwork:
    """Check, clean and render an upload once; the checker's words go to the "file" field."""
    try:
        return artwork_from_upload(upload.filename, upload.data)
    except UploadError as exc:
        raise DesignerError({"file": exc.args[0]}) from None


def _design_artwork(design: Any) -> Artwork:
    """Validate and render a design once; each bad field keeps its own message."""
    try:
        return artwork_from_design(design)
    except DesignError as exc:
        raise DesignerError(exc.errors) from None
    except RenderError as exc:
        raise DesignerError({"design": exc.args[0]}) from None
