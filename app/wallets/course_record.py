"""The CLR 2.0 course record as an offerable kind (``"clr"``): the wallet gets a record built
for it, whose subject is the wallet's DID, signed by the same issuer as the download.

A record's source id names its scope, course and learner by public ids
(``course~<context>~<learner>`` or ``all~<context>~<learner>``), so an offer can check that the
record is the learner's own and within their LMS, exactly as for a badge.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.database import by_public_id
from app.extensions import db
from app.models import Context, LtiUser
from app.models.base import utcnow
from app.openbadges import clr
from app.openbadges.jsonld import CLR_CONTEXT
from app.wallets.registry import Bound, Source, register_offerable

KIND = "clr"
SCOPES = ("course", "all")


@dataclass(frozen=True)
class _Record:
    scope: str
    context: Context
    user: LtiUser
    context_ids: list[int]


def source_id(scope: str, context_id: int, user_id: int) -> str:
    """The source id of the learner's record of this course (``course``) or of every course
    of its LMS (``all``)."""
    context = db.session.get_one(Context, context_id)
    user = db.session.get_one(LtiUser, user_id)
    return "~".join((scope if scope in SCOPES else "course", context.public_id, user.public_id))


def _record(source: str) -> _Record | None:
    scope, _sep, rest = source.partition("~")
    context_ref, _sep, user_ref = rest.partition("~")
    if scope not in SCOPES:
        return None
    context, user = by_public_id(Context, context_ref), by_public_id(LtiUser, user_ref)
    if context is None or user is None:
        return None
    ids = clr.platform_context_ids(user.id, context.id) if scope == "all" else [context.id]
    return _Record(scope, context, user, ids)


def find(source: str) -> Source | None:
    """The record ``source`` as an offer source: available while the learner holds a badge
    it would list."""
    record = _record(source)
    if record is None:
        return None
    held = clr.held_awards(record.user.id, record.context_ids, utcnow())
    single = record.context.id if record.scope == "course" else None
    title = (
        _("Course record: %(course)s", course=record.context.title or _("course"))
        if record.scope == "course"
        else _("Record of all your courses")
    )
    return Source(
        title=title,
        lti_user_id=record.user.id,
        registration_id=record.context.registration_id,
        issuer_name=clr.record_issuer(record.context.registration_id, single, held).name
        if held
        else "",
        available=bool(held),
    )


def build(source: str, holder: str, credential_id: str) -> Bound:
    """Build and sign the record ``source`` for ``holder`` in both forms."""
    record = _record(source)
    if record is None:
        raise LookupError(f"no record {source}")
    document, issuer = clr.build_clr(record.user.id, record.context_ids, subject_id=holder)
    signed = clr.sign_clr({**document, "id": credential_id}, issuer)
    return Bound(signed.credential, signed.jwt)


def register() -> None:
    """Register the course record as kind ``"clr"``."""
    register_offerable(KIND, build, find=find, credential_type="ClrCredential", context=CLR_CONTEXT)
