"""CLR 2.0 course records: one signed ``ClrCredential`` listing a learner's badges.

A record covers one course (My badges) or every course of the learner's LMS (All my badges).
Its ``credentialSubject`` (a ``ClrSubject``) embeds the signed OB 3.0 credential of each award
as it was issued, so each still verifies on its own; its ``achievement`` list describes the
courses (achievements of type ``Course``) the badges are ``isPartOf``. Scores
appear only where they already are: in credentials of badges whose instructor turned
"evidence shows scores" on (the credential then carries the ``result`` and the achievement
its ``resultDescription``); nothing is added here. Prerequisite badges become ``precedes``
associations between achievements.

The record is built on demand and signed like the badges (Data Integrity ``eddsa-rdfc-2022``
and VC-JWT) by the course's issuer (the institution's for a cross-course record). Only awards
that hold now (not revoked, replaced or expired) are listed, so the record verifies as a
whole. :func:`build_clr` returns the unsigned record (a wallet flow may set the subject to the
holder's DID before signing); :func:`sign_clr` signs it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.criteria import CriteriaError, parse_criteria, referenced_badges
from app.database import as_utc
from app.extensions import db
from app.i18n import format_date
from app.models import Context, LtiUser, Registration
from app.models.base import utcnow
from app.openbadges import documents, issuers, operations
from app.openbadges.jsonld import CLR_CONTEXT
from app.openbadges.models import Assertion, Badge, Issuer
from app.openbadges.signing import add_proof, sign_jwt

CLR_SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json"
)


class ClrError(ValueError):
    """No record can be made (the learner holds no badge there yet)."""


@dataclass(frozen=True)
class CourseRecord:
    """A signed CLR: the Data Integrity form, the VC-JWT form, and a name for the file."""

    credential: dict[str, Any]
    jwt: str
    name: str


def held_awards(user_id: int, context_ids: Sequence[int], now: datetime) -> list[Assertion]:
    """The learner's awards in these courses that hold now, oldest first."""
    rows = db.session.scalars(
        select(Assertion)
        .join(Badge, Badge.id == Assertion.badge_id)
        .where(
            Assertion.lti_user_id == user_id,
            Badge.context_id.in_(context_ids),
            Assertion.revoked_at.is_(None),
            Assertion.replaced_at.is_(None),
        )
        .order_by(Assertion.issued_on, Assertion.id)
    )
    return [a for a in rows if not a.is_expired(now)]


def course_achievement(context: Context, platform: str) -> dict[str, Any]:
    """A course as an OB 3.0 ``Achievement`` of type ``Course``: not itself asserted, it is
    what the record's badges are part of (``isPartOf`` associations)."""
    title = context.title or _("A course")
    description = (
        _("The course %(course)s at %(platform)s.", course=title, platform=platform)
        if platform
        else _("The course %(course)s.", course=title)
    )
    return {
        # Stable per course, and says nothing more than the course's random public id.
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'course:{context.public_id}')}",
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": title,
        "description": description,
        "criteria": {"narrative": _("Taking the course; the badges earned in it are listed here.")},
    }


def _associations(
    assertions: Sequence[Assertion], courses: dict[int, dict[str, Any]]
) -> list[dict[str, str]]:
    """Each badge ``isPartOf`` its course; each prerequisite badge ``precedes`` the badge
    requiring it (both listed)."""
    achievement_ids = {
        a.badge.public_id: a.credential["credentialSubject"]["achievement"]["id"]
        for a in assertions
    }
    links = []
    for assertion in assertions:
        badge = assertion.badge
        if badge.context_id in courses:
            links.append(
                {
                    "type": "Association",
                    "associationType": "isPartOf",
                    "sourceId": achievement_ids[badge.public_id],
                    "targetId": courses[badge.context_id]["id"],
                }
            )
        if not badge.criteria:
            continue
        try:
            required = referenced_badges(parse_criteria(badge.criteria))
        except CriteriaError:
            continue
        for prerequisite in sorted(required & achievement_ids.keys()):
            links.append(
                {
                    "type": "Association",
                    "associationType": "precedes",
                    "sourceId": achievement_ids[prerequisite],
                    "targetId": achievement_ids[badge.public_id],
                }
            )
    return links


def learner_subject_id(user: LtiUser) -> str:
    """The learner's stable id in course records and the OB 3.0 API (derived from their
    random public id, so it tells nothing about them)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, user.public_id)}"


def _subject(
    user: LtiUser,
    assertions: Sequence[Assertion],
    courses: dict[int, dict[str, Any]],
    subject_id: str | None,
) -> dict[str, Any]:
    subject: dict[str, Any] = {
        "id": subject_id or learner_subject_id(user),
        "type": ["ClrSubject"],
    }
    if user.email:
        salt = uuid.uuid4().hex
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityHash": operations.identity_hash(
                    operations.normalize_email(user.email), salt
                ),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ]
    subject["verifiableCredential"] = [a.credential for a in assertions]
    # The badges' own achievements are inside their credentials; listed here are the courses
    # they belong to (the record's structure), which no credential asserts.
    subject["achievement"] = list(courses.values())
    if links := _associations(assertions, courses):
        subject["association"] = links
    return subject


def record_issuer(
    registration_id: int, context_id: int | None, assertions: Sequence[Assertion]
) -> Issuer:
    """Who signs a record: the course's issuer (one course), else the institution's."""
    return issuers.find_issuer(registration_id, context_id) or assertions[0].badge.issuer


def build_clr(
    user_id: int,
    context_ids: Sequence[int],
    *,
    subject_id: str | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], Issuer]:
    """The unsigned ClrCredential of a learner over these courses (all of one LMS), and the
    issuer that signs it. ``subject_id`` replaces the learner's id (a holder's DID).
    Raises :class:`ClrError` when the learner holds no badge there."""
    now = as_utc(now or utcnow()).replace(microsecond=0)
    user = db.session.get(LtiUser, user_id)
    contexts = list(db.session.scalars(select(Context).where(Context.id.in_(context_ids))))
    assertions = held_awards(user_id, [c.id for c in contexts], now)
    if user is None or not contexts or not assertions:
        raise ClrError(_("You hold no badge here yet, so there is nothing to put in a record."))
    single = contexts[0] if len(contexts) == 1 else None
    issuer = record_issuer(contexts[0].registration_id, single.id if single else None, assertions)
    registration = db.session.get(Registration, contexts[0].registration_id)
    platform = (registration.platform_name or registration.name) if registration else ""
    held = {a.badge.context_id for a in assertions}
    courses = {
        c.id: course_achievement(c, platform)
        for c in sorted(contexts, key=lambda c: (c.title or "").lower())
        if c.id in held
    }
    # In the learner's language (the request's): the record is theirs to read and share.
    learner, day = user.name or _("this learner"), format_date(now.date())
    if single is not None:
        name = _("Course record: %(course)s", course=single.title or _("course"))
        description = (
            _(
                "The badges %(name)s holds in the course %(course)s, as of %(date)s.",
                name=learner,
                course=single.title,
                date=day,
            )
            if single.title
            else _(
                "The badges %(name)s holds in one course, as of %(date)s.", name=learner, date=day
            )
        )
    else:
        name = (
            _("Course record: all courses at %(platform)s", platform=platform)
            if platform
            else _("Course record: all courses")
        )
        description = ngettext(
            "The badges %(name)s holds in %(num)d course, as of %(date)s.",
            "The badges %(name)s holds in %(num)d courses, as of %(date)s.",
            len(courses),
            name=learner,
            date=day,
        )
    document = {
        "@context": CLR_CONTEXT,
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": documents.ob3_profile(issuer),
        "validFrom": documents.iso(now),
        "awardedDate": documents.iso(now),
        "name": name,
        "description": description,
        "credentialSubject": _subject(user, assertions, courses, subject_id),
        "credentialSchema": [{"id": CLR_SCHEMA_ID, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    return document, issuer


def sign_clr(document: dict[str, Any], issuer: Issuer, now: datetime | None = None) -> CourseRecord:
    """Sign a record with the issuer's active keys: Data Integrity proof and VC-JWT."""
    now = as_utc(now or utcnow()).replace(microsecond=0)
    _key, signer = issuers.signing_key(issuer)
    signed = add_proof(document, signer, now)
    token = sign_jwt(document, issuers.jwt_signer(issuer))
    db.session.commit()  # an issuer's first P-256 key is created with its first JWT
    return CourseRecord(signed, token, document["name"])


def course_record(user_id: int, context_id: int, now: datetime | None = None) -> CourseRecord:
    """The signed record of one course (the builder a wallet offer can register)."""
    document, issuer = build_clr(user_id, [context_id], now=now)
    return sign_clr(document, issuer, now)


def platform_context_ids(user_id: int, context_id: int) -> list[int]:
    """Every course of ``context_id``'s LMS (registration) the learner holds badges in."""
    registration_id = db.session.scalar(
        select(Context.registration_id).where(Context.id == context_id)
    )
    return [
        c
        for c in db.session.scalars(
            select(Badge.context_id)
            .distinct()
            .join(Assertion, Assertion.badge_id == Badge.id)
            .join(Context, Context.id == Badge.context_id)
            .where(Assertion.lti_user_id == user_id, Context.registration_id == registration_id)
        )
        if c is not None
    ]


def platform_record(user_id: int, context_id: int, now: datetime | None = None) -> CourseRecord:
    """The signed record of every course of ``context_id``'s LMS (registration) the learner
    holds badges in."""
    document, issuer = build_clr(user_id, platform_context_ids(user_id, context_id), now=now)
    return sign_clr(document, issuer, now)
