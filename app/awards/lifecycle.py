"""A badge's lifecycle as staff see it: draft → live → archived, what it takes to go live,
and every staff change of a badge (publish, archive, restore, automatic awards on or off, a
new rule, its name, description and other fields), callable without a request.

A draft is invisible to learners and cannot be awarded; a live badge is awarded (by hand, and
automatically when its automatic awards are on); an archived badge awards nobody new and its
awards stay valid. Every change is recorded in the audit trail in the transaction that makes
it, under the :class:`~app.audit.Actor` the page passes down (each change also names the
staff member who ``requested_by`` it, as their tracked jobs do); a change after which a live
badge's automatic awards are on (going live, turning them on,
a new rule) evaluates every learner against the grades already held, as a tracked job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import audit
from app.audit import Actor
from app.awards.operations import badge_saved, request_evaluation
from app.database import begins_writing
from app.extensions import db
from app.grades.models import Job
from app.openbadges import badges, translations
from app.openbadges.errors import OperationError
from app.openbadges.models import Badge, BadgeStatus, ExpiryPolicy

#: The word pages use for each stored status (the API keeps the stored ``active``).
STATE_NAMES = {
    BadgeStatus.DRAFT: "draft",
    BadgeStatus.ACTIVE: "live",
    BadgeStatus.ARCHIVED: "archived",
}


#: What pages show for each state word, in the reader's language.
STATE_LABELS = {"draft": _l("Draft"), "live": _l("Live"), "archived": _l("Archived")}


def state_label(state: str) -> str:
    """The state word (``draft``, ``live``, ``archived``) as pages show it."""
    return str(STATE_LABELS.get(state, state))


class LifecycleError(OperationError):
    """A change that the badge's state does not allow; the message says what to do."""


def state_name(badge: Badge) -> str:
    """``draft``, ``live`` or ``archived``: what every page calls the badge's state."""
    return STATE_NAMES.get(badge.status, badge.status)


def next_step(badge: Badge) -> str:
    """One sentence shown beside the state: what it means for learners and what it takes to
    go (or stay) live."""
    if badge.status == BadgeStatus.DRAFT:
        if not badge.criteria:
            return _(
                "Learners do not see it yet. Set its criteria and enable automatic "
                "awards to publish it, or publish it now to award it by hand."
            )
        if not badge.enabled:
            return _(
                "Learners do not see it yet. Enable automatic awards to publish it "
                "and award everyone who already qualifies."
            )
        return _("Learners do not see it yet. Publish it to award everyone who already qualifies.")
    if badge.status == BadgeStatus.ARCHIVED:
        return _(
            "Nobody new can earn it; awards already given stay valid. Restore it to award it again."
        )
    if badge.enabled and badge.criteria:
        return _("Awarded automatically the moment a learner meets the criteria.")
    if badge.criteria:
        return _("Automatic awards are off, so it is awarded by hand only.")
    return _("Awarded by hand only. Set criteria to award it automatically.")


@dataclass(frozen=True)
class Changed:
    """What a change did: the badge, whether it went live, the evaluation job it started."""

    badge: Badge
    published: bool = False
    job: Job | None = None


def _status_change(badge: Badge, to: str, actor: Actor, requested_by: str, action: str) -> None:
    before = badge.status
    badge.status = to
    audit.record(
        action,
        f"badge:{badge.public_id}",
        {"from": before, "to": to, "requested_by": requested_by},
        actor=actor,
        tenant=audit.tenant_of_badge(badge),
    )
    try:
        badges.update_badge(badge)  # validates and commits the change with its record
    except OperationError:
        db.session.rollback()
        raise


@begins_writing
def publish(badge: Badge, actor: Actor, requested_by: str) -> Changed:
    """Make a draft (or archived) badge live; with automatic awards on, award everyone who
    qualifies now (a tracked job)."""
    if badge.status == BadgeStatus.ACTIVE:
        return Changed(badge)
    _status_change(
        badge,
        BadgeStatus.ACTIVE,
        actor,
        requested_by,
        "badge.published" if badge.status == BadgeStatus.DRAFT else "badge.restored",
    )
    return Changed(badge, published=True, job=request_evaluation(badge, requested_by))


@begins_writing
def archive(badge: Badge, actor: Actor, requested_by: str) -> Changed:
    """Stop awarding a live badge (by hand and automatically); awards given stay valid."""
    if badge.status == BadgeStatus.DRAFT:
        raise LifecycleError(
            "draft",
            _(
                "A draft has never been awarded: there is nothing to "
                "archive. Publish it, or leave it as a draft."
            ),
        )
    if badge.status != BadgeStatus.ARCHIVED:
        _status_change(badge, BadgeStatus.ARCHIVED, actor, requested_by, "badge.archived")
    return Changed(badge)


@begins_writing
def set_enabled(badge: Badge, enabled: bool, actor: Actor, requested_by: str) -> Changed:
    """Turn automatic awards on or off. Turning them on needs criteria, publishes a draft and
    evaluates every learner; an archived badge must be restored first."""
    if enabled and not badge.criteria:
        raise LifecycleError("needs_criteria", _("Set criteria before enabling automatic awards."))
    if enabled and badge.status == BadgeStatus.ARCHIVED:
        raise LifecycleError(
            "archived", _("This badge is archived: restore it before turning automatic awards on.")
        )
    published = enabled and badge.status == BadgeStatus.DRAFT
    if published:
        # One transaction: the badge goes live with its automatic awards on, or neither.
        badge.status = BadgeStatus.ACTIVE
        audit.record(
            "badge.published",
            f"badge:{badge.public_id}",
            {"from": BadgeStatus.DRAFT, "to": BadgeStatus.ACTIVE, "requested_by": requested_by},
            actor=actor,
            tenant=audit.tenant_of_badge(badge),
        )
    badges.update_badge(badge, enabled=enabled)
    return Changed(badge, published=published, job=badge_saved(badge, actor, requested_by))


@begins_writing
def set_criteria(
    badge: Badge, criteria: dict[str, Any] | None, actor: Actor, requested_by: str
) -> Changed:
    """Save a checked criteria document (``app.awards.operations.check_criteria``); on a live
    badge with automatic awards on, everyone who qualifies under the new rule is awarded."""
    badges.update_badge(badge, criteria=criteria)
    return Changed(badge, job=badge_saved(badge, actor, requested_by))


@dataclass(frozen=True)
class BadgeDetails:
    """The fields staff edit on the badge page (criteria narrative is generated, artwork is
    the designer's)."""

    name: str
    description: str
    tags: list[str] = field(default_factory=list)
    expiry_policy: str = ExpiryPolicy.NONE
    expires_on: datetime | None = None
    expires_days: int | None = None
    #: The language (BCP 47) these texts are in; ``None`` keeps the badge's.
    language: str | None = None


@begins_writing
def edit_details(badge: Badge, details: BadgeDetails, actor: Actor, requested_by: str) -> Changed:
    """Change a badge's name, description, tags and expiry policy (validated, recorded).

    Awards already issued keep what they were signed with; new awards carry the new fields.
    """
    changes: dict[str, Any] = {
        "name": details.name.strip(),
        "description": details.description.strip(),
        "tags": sorted({t.strip() for t in details.tags if t.strip()}),
        "expiry_policy": details.expiry_policy,
        "expires_on": details.expires_on if details.expiry_policy == ExpiryPolicy.FIXED else None,
        "expires_days": details.expires_days
        if details.expiry_policy == ExpiryPolicy.DAYS
        else None,
    }
    if details.language is not None:
        changes["language"] = _own_language(badge, details.language)
    changed = {k: v for k, v in changes.items() if getattr(badge, k) != v}
    if not changed:
        return Changed(badge)
    if len(changes["name"]) > 300:
        raise LifecycleError("invalid", _("A badge name has at most 300 characters."))
    audit.record(
        "badge.edited",
        f"badge:{badge.public_id}",
        {
            "changed": {
                k: v.isoformat() if isinstance(v, datetime) else v for k, v in changed.items()
            },
            "requested_by": requested_by,
        },
        actor=actor,
        tenant=audit.tenant_of_badge(badge),
    )
    try:
        badges.update_badge(badge, **changed)
    except OperationError:
        db.session.rollback()
        raise
    return Changed(badge)


def _own_language(badge: Badge, raw: str) -> str:
    """The badge's own language from what staff typed, checked as Open Badges needs it."""
    tag = translations.normalize_language_tag(raw)
    if tag is None:
        raise LifecycleError(
            "invalid",
            f"“{raw.strip()}” is not a language tag Open Badges accepts: use a language code "
            "such as en, ar or pt-BR.",
        )
    if tag != badge.language and tag in {v.language for v in badge.translations}:
        raise LifecycleError(
            "invalid", f"The badge already has a version in {tag} below: remove it first."
        )
    return tag


@begins_writing
def save_language_variant(
    badge: Badge,
    language: str,
    name: str,
    description: str,
    criteria_narrative: str,
    actor: Actor,
    requested_by: str,
) -> None:
    """Add or replace the badge's name, description and criteria text in one more language
    (recorded); raises ``TranslationError`` with the reason for a refused variant."""
    audit.record(
        "badge.language_saved",
        f"badge:{badge.public_id}",
        {"language": language.strip(), "requested_by": requested_by},
        actor=actor,
        tenant=audit.tenant_of_badge(badge),
    )
    try:
        translations.save_translation(badge, language, name, description, criteria_narrative)
    except translations.TranslationError:
        db.session.rollback()
        raise


@begins_writing
def remove_language_variant(badge: Badge, language: str, actor: Actor, requested_by: str) -> bool:
    """Remove the badge's variant in ``language`` (recorded); False if it had none."""
    if language not in {variant.language for variant in badge.translations}:
        return False
    audit.record(
        "badge.language_removed",
        f"badge:{badge.public_id}",
        {"language": language, "requested_by": requested_by},
        actor=actor,
        tenant=audit.tenant_of_badge(badge),
    )
    return translations.remove_translation(badge, language)
