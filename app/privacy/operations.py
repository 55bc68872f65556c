"""One person's data: everything the tool holds about them (export), and forgetting them
(erasure). Callable without a request; the console, the API and ``flask people`` call these.

A person is found by their LMS identity (an ``lti_user`` public id) or by email address; an
email gathers every LMS identity with that address and every award sent to it.

Erasure **revokes and forgets**:

- every live award of the person is revoked ("erased at the learner's request"): OB 2.0
  documents answer ``revoked``, the OB 3.0 status-list bit flips, so anyone who kept the
  credential sees it is no longer vouched for;
- the award rows stay (their signed documents cannot change without breaking the signature,
  and verifiers must keep getting "revoked"), stripped of name, email, evidence and the link
  to the person; the signed documents hold only a salted hash of the email;
- grades, course memberships, review items, e-mail delivery records, queued messages and
  the person's LMS identities are deleted; decision records lose their data; stored webhook
  events lose the person's name and email;
- the audit chain is append-only and hash-linked: its records name learners by opaque
  public id only, so they are kept unchanged (the chain stays verifiable) and the id no
  longer leads to anyone. The erasure itself is recorded there (counts only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select

from app import audit
from app.audit import Actor
from app.awards import operations as awards
from app.awards.models import AwardDecision, OutboxMessage, ReviewItem
from app.database import affected_rows
from app.extensions import db
from app.grades.models import Column, Grade
from app.models import Context, LtiUser, Membership
from app.models.base import new_public_id, utcnow
from app.notifications.models import MailKind
from app.openbadges import documents
from app.openbadges.models import Assertion
from app.sharing.models import ShareEvent
from app.wallets.models import WalletCredential
from app.webhooks.models import WebhookEvent

ERASED_REASON = "Erased at the learner's request"


class PersonNotFound(LookupError):
    """Nothing is held for the email or id given."""


@dataclass(frozen=True)
class Person:
    """Who an export or erasure is about: LMS identities and email addresses."""

    user_ids: tuple[int, ...]
    emails: tuple[str, ...]


def find_person(*, user_id: str | None = None, email: str | None = None) -> Person:
    """The person with LMS identity ``user_id`` (public id) or address ``email``."""
    users: list[LtiUser] = []
    emails: set[str] = set()
    if user_id:
        users = list(db.session.scalars(select(LtiUser).where(LtiUser.public_id == user_id)))
    elif email and email.strip():
        emails.add(email.strip().lower())
        users = list(
            db.session.scalars(
                select(LtiUser).where(
                    LtiUser.email.is_not(None), LtiUser.email.ilike(email.strip())
                )
            )
        )
    emails.update(u.email.lower() for u in users if u.email)
    person = Person(tuple(u.id for u in users), tuple(sorted(emails)))
    if not person.user_ids and not _assertions(person):
        raise PersonNotFound(_("no learner or award is held for that email or id"))
    return person


def _assertions(person: Person) -> list[Assertion]:
    return list(
        db.session.scalars(
            select(Assertion)
            .where(
                or_(
                    Assertion.lti_user_id.in_(person.user_ids),
                    Assertion.recipient_email.in_(person.emails),
                )
            )
            .order_by(Assertion.id)
        )
    )


def _iso(moment: Any) -> str | None:
    return documents.iso(moment) if moment else None


def _emails_of(person: Person, assertion_ids: list[int]) -> Any:
    # The outbox rows of the emails owed to the person: to them, or about their awards.
    return and_(
        OutboxMessage.kind.in_(MailKind.ALL),
        or_(
            OutboxMessage.user_id.in_(person.user_ids),
            OutboxMessage.recipient.in_(person.emails),
            OutboxMessage.assertion_id.in_(assertion_ids),
        ),
    )


def export_person(person: Person, actor: Actor | None) -> dict[str, Any]:
    """Everything held about ``person``, as one JSON-ready document, handed to ``actor`` and
    written to the audit trail under their name (counts only), as handing out personal data
    should be; ``None`` for a look that hands nothing out (the console's summary)."""
    users = db.session.scalars(select(LtiUser).where(LtiUser.id.in_(person.user_ids)))
    memberships = db.session.execute(
        select(Membership, Context)
        .join(Context, Context.id == Membership.context_id)
        .where(Membership.user_id.in_(person.user_ids))
    )
    grades = db.session.execute(
        select(Grade, Column, Context)
        .join(Column, Column.id == Grade.column_id)
        .join(Context, Context.id == Column.context_id)
        .where(Grade.user_id.in_(person.user_ids))
    )
    assertions = _assertions(person)
    ids = [a.id for a in assertions]
    decisions = db.session.scalars(
        select(AwardDecision).where(
            or_(AwardDecision.user_id.in_(person.user_ids), AwardDecision.assertion_id.in_(ids))
        )
    )
    reviews = db.session.scalars(select(ReviewItem).where(ReviewItem.user_id.in_(person.user_ids)))
    mails = db.session.scalars(select(OutboxMessage).where(_emails_of(person, ids)))
    shares = db.session.scalars(select(ShareEvent).where(ShareEvent.assertion_id.in_(ids)))
    document = {
        "exported_at": documents.iso(utcnow()),
        "lms_identities": [
            {
                "id": u.public_id,
                "platform": u.issuer,
                "sub": u.sub,
                "name": u.name,
                "given_name": u.given_name,
                "family_name": u.family_name,
                "email": u.email,
                "first_seen": _iso(u.created_at),
            }
            for u in users
        ],
        "courses": [
            {"course": c.title, "course_id": c.public_id, "roles": m.roles, "active": m.active}
            for m, c in memberships
        ],
        "grades": [
            {
                "course": ctx.title,
                "column": col.label,
                "score": g.score,
                "maximum": g.maximum,
                "graded_at": _iso(g.timestamp),
                "comment": g.comment,
                "source": g.source,
            }
            for g, col, ctx in grades
        ],
        "awards": [
            {
                "id": a.public_id,
                "badge": a.badge.name,
                "recipient_name": a.recipient_name,
                "recipient_email": a.recipient_email,
                "issued_on": _iso(a.issued_on),
                "expires": _iso(a.expires_at),
                "accepted_at": _iso(a.accepted_at),
                "name_public": a.public,
                "revoked_at": _iso(a.revoked_at),
                "revocation_reason": a.revocation_reason,
                "evidence": a.evidence,
                "credential": a.credential,
            }
            for a in assertions
        ],
        "award_decisions": [
            {"action": d.action, "reason": d.reason, "data": d.data, "at": _iso(d.created_at)}
            for d in decisions
        ],
        "reviews": [
            {"status": r.status, "data": r.data, "at": _iso(r.created_at)} for r in reviews
        ],
        "emails": [
            {"kind": m.kind, "to": m.recipient, "state": m.state, "sent_at": _iso(m.sent_at)}
            for m in mails
        ],
        "shares": [
            {"channel": s.channel, "from": s.source, "at": _iso(s.created_at)} for s in shares
        ],
    }
    if actor is not None:
        audit.record(
            "person.exported",
            f"export:{new_public_id()}",
            {k: len(v) for k, v in document.items() if isinstance(v, list)},
            actor=actor,
            commit=True,
        )
    return document


def erase_person(person: Person, actor: Actor) -> dict[str, int]:
    """Revoke and forget ``person`` at ``actor``'s request (see the module's docstring);
    returns what was done."""
    assertions = _assertions(person)
    revoked = 0
    for assertion in assertions:
        if not assertion.revoked:
            awards.revoke(assertion, ERASED_REASON, actor=actor)  # commits; recorded, announced
            revoked += 1
    ids = [a.id for a in assertions]
    public_ids = [a.public_id for a in assertions]
    for assertion in assertions:
        assertion.recipient_email = None
        assertion.recipient_name = ""
        assertion.recipient_key = f"erased:{assertion.public_id}"
        assertion.lti_user_id = None
        assertion.evidence = []
        assertion.public = False
    for decision in db.session.scalars(
        select(AwardDecision).where(
            or_(AwardDecision.user_id.in_(person.user_ids), AwardDecision.assertion_id.in_(ids))
        )
    ):
        decision.data, decision.reason = {}, ""
    for event in db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.assertion_public_id.in_(public_ids))
    ):
        event.data = {**event.data, "recipient_email": None, "recipient_name": ""}
    mails = affected_rows(delete(OutboxMessage).where(_emails_of(person, ids)))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.assertion_id.in_(ids)))
    # Wallet copies (revoked with their awards above) name the person's wallet key: forget
    # them; offers go with the LMS identity (ON DELETE CASCADE).
    db.session.execute(
        delete(WalletCredential).where(
            or_(
                WalletCredential.lti_user_id.in_(person.user_ids),
                WalletCredential.source_id.in_(public_ids),
            )
        )
    )
    users = affected_rows(delete(LtiUser).where(LtiUser.id.in_(person.user_ids)))
    summary = {
        "awards_revoked": revoked,
        "awards_forgotten": len(assertions),
        "lms_identities_deleted": users,
        "emails_deleted": mails,
    }
    audit.record("person.erased", f"erasure:{new_public_id()}", summary, actor=actor)
    db.session.commit()
    return summary
