"""The learner's public profile: what they chose, and what the public page may show."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from app.database import as_utc
from app.extensions import db
from app.models import Context, LtiUser
from app.models.base import utcnow
from app.openbadges import documents
from app.openbadges.models import Assertion, Badge
from app.profile.models import LearnerProfile, ProfileBadge
from app.sharing.operations import verify_url


def _shown(assertion: Assertion, now: datetime) -> bool:
    """Only a valid award is shown: never a revoked, replaced or expired one."""
    return not assertion.revoked and assertion.replaced_at is None and not assertion.is_expired(now)


def profile_of(user_id: int) -> LearnerProfile | None:
    """The learner's profile, if they ever saved one."""
    return db.session.get(LearnerProfile, user_id)


def chosen_ids(user_id: int) -> set[int]:
    """The ids of the awards the learner chose to show."""
    return set(
        db.session.scalars(select(ProfileBadge.assertion_id).where(ProfileBadge.user_id == user_id))
    )


def save_profile(
    user_id: int, *, public: bool, assertion_public_ids: Iterable[str]
) -> LearnerProfile:
    """Turn the page on or off and set the awards it shows. Only the learner's own valid
    awards can be chosen; other ids are ignored. The page's address never changes. Commits."""
    profile = profile_of(user_id)
    if profile is None:
        profile = LearnerProfile(user_id=user_id)
        db.session.add(profile)
    profile.public = public
    now = utcnow()
    wanted = set(assertion_public_ids)
    own = db.session.scalars(
        select(Assertion).where(
            Assertion.lti_user_id == user_id, Assertion.public_id.in_(wanted or {""})
        )
    )
    keep = {a.id for a in own if _shown(a, now)}
    db.session.flush()
    db.session.execute(delete(ProfileBadge).where(ProfileBadge.user_id == user_id))
    db.session.add_all(ProfileBadge(user_id=user_id, assertion_id=i) for i in sorted(keep))
    db.session.commit()
    return profile


@dataclass(frozen=True)
class ProfileCard:
    """One badge on the public profile."""

    name: str
    description: str
    issuer: str
    course: str
    image_url: str
    issued_on: datetime
    verify_url: str


@dataclass(frozen=True)
class PublicProfile:
    """What the public page shows: the learner's name and their chosen valid badges."""

    name: str
    cards: list[ProfileCard]


def public_profile(slug: str, now: datetime | None = None) -> PublicProfile | None:
    """The profile at ``slug`` when its learner made it public (else None: a 404)."""
    profile = db.session.scalar(select(LearnerProfile).where(LearnerProfile.slug == slug))
    if profile is None or not profile.public:
        return None
    now = as_utc(now or utcnow())
    user = db.session.get_one(LtiUser, profile.user_id)
    rows = db.session.execute(
        select(Assertion, Badge, Context)
        .join(ProfileBadge, ProfileBadge.assertion_id == Assertion.id)
        .join(Badge, Badge.id == Assertion.badge_id)
        .join(Context, Context.id == Badge.context_id, isouter=True)
        .where(ProfileBadge.user_id == profile.user_id)
        .order_by(Assertion.issued_on.desc())
    ).all()
    cards = [
        ProfileCard(
            badge.name,
            badge.description,
            badge.issuer.name,
            context.title if context else "",
            documents.badge_image_url(badge, assertion.image_version),
            assertion.issued_on,
            verify_url(assertion),
        )
        for assertion, badge, context in rows
        if _shown(assertion, now)
    ]
    return PublicProfile(user.name or "A learner", cards)
