"""What changes Open Badges state once a badge exists: issuing awards and revoking them.

Callable without a request (CLI, API views, background jobs). ``issue_many(..., commit=False)``,
``revoke`` and ``accept`` work in the caller's transaction, so ``app.awards`` adds what the
change owes (decision, audit record, outbox rows) to the same commit. This core imports neither
the audit trail nor webhooks. Issuers and keys are in ``issuers``, badges in ``badges``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import JSON, Text, bindparam, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import OperationalError

from app.database import (
    CHUNK,
    among,
    as_utc,
    dialect_insert,
    in_transaction,
    is_lock_conflict,
    planned_per_call,
    table_of,
)
from app.extensions import db
from app.models.base import utcnow
from app.openbadges import bitstring, documents, stamps
from app.openbadges.errors import OperationError
from app.openbadges.issuers import jwt_signer, signing_key
from app.openbadges.models import (
    STATUS_LIST_SIZE,
    Assertion,
    Badge,
    BadgeStatus,
    ExpiryPolicy,
    Issuer,
    StatusList,
    StoredAssertion,
)
from app.openbadges.signing import add_proof
from app.openbadges.signing_pool import Item, sign_many
from app.openbadges.stamps import Stamp, slot

# --- issuing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who receives an award: an LTI user and/or an email address."""

    email: str | None = None
    name: str = ""
    lti_user_id: int | None = None

    @property
    def key(self) -> str:
        """The identity the one-live-award rule is about."""
        if self.lti_user_id is not None:
            return f"user:{self.lti_user_id}"
        if self.email:
            return f"email:{normalize_email(self.email)}"
        raise OperationError("invalid", _("a recipient needs an email or an LTI user"))


@dataclass(frozen=True)
class Award:
    """One award request: the recipient, the evidence, an optional explicit expiry, and the
    scores behind it (``results``: ``{"criterion", "name", "percent"}``), signed into the
    credential only for badges whose instructor shows scores (``evidence_shows_scores``)."""

    recipient: Recipient
    evidence: Sequence[dict[str, Any]] = ()
    expires_at: datetime | None = None
    results: Sequence[dict[str, Any]] = ()


@dataclass
class Issued:
    """The live assertion for an award request; ``created`` is False when it already was.

    A new one comes back as it was stored (``record``), not loaded: :attr:`assertion`
    loads it when asked for."""

    record: Assertion | StoredAssertion
    created: bool = field(default=True)

    @property
    def assertion(self) -> Assertion:
        """The assertion as an ORM object (a new one is loaded on first use)."""
        if not isinstance(self.record, Assertion):
            self.record = db.session.get_one(Assertion, self.record.id)
        return self.record


def _uuid_text(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def random_identities(count: int) -> list[tuple[str, str, str]]:
    """For ``count`` new assertions: a salt (16 random bytes in hex, as
    ``secrets.token_hex(16)`` writes), a subject UUID and a public id (random version 4
    UUIDs as text, as :func:`app.models.base.new_public_id` makes them), from one read of
    the system's randomness: a read per value cost about a tenth of preparing a row."""
    raw = bytearray(os.urandom(48 * count))  # per assertion: salt, subject UUID, public id
    for start in (16, 32):
        version, variant = start + 6, start + 8
        raw[version::48] = bytes(b & 0x0F | 0x40 for b in raw[version::48])  # version 4
        raw[variant::48] = bytes(b & 0x3F | 0x80 for b in raw[variant::48])  # RFC 4122
    text = raw.hex()
    return [
        (
            text[at : at + 32],
            _uuid_text(text[at + 32 : at + 64]),
            _uuid_text(text[at + 64 : at + 96]),
        )
        for at in range(0, len(text), 96)
    ]


def normalize_email(email: str) -> str:
    """Emails are compared and hashed trimmed and lower-cased."""
    return email.strip().lower()


def identity_hash(identity: str, salt: str) -> str:
    """OB ``sha256$`` hash of a recipient identity with its salt."""
    return "sha256$" + hashlib.sha256((identity + salt).encode()).hexdigest()


def _check_evidence(evidence: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for entry in evidence:
        item = {
            k: str(entry[k]) for k in ("url", "name", "narrative", "description") if entry.get(k)
        }
        if "url" in item and not item["url"].startswith(("http://", "https://")):
            raise OperationError("invalid", _("evidence urls must be http(s) URLs"))
        if not item:
            raise OperationError("invalid", _("evidence needs a url, name or narrative"))
        out.append(item)
    return out


def expiry_for(badge: Badge, issued_on: datetime, explicit: datetime | None) -> datetime | None:
    """When an award issued at ``issued_on`` expires: an explicit date wins, else the badge's
    policy. OperationError (``expiry_before_issue``, ``expiry_in_past``) for a date that
    would make the credential expired from the start."""
    if explicit is not None:
        expires, source = as_utc(explicit), "the expiry date"
    elif badge.expiry_policy == ExpiryPolicy.FIXED and badge.expires_on:
        expires, source = badge.expires_on, "the badge's fixed expiry date"
    elif badge.expiry_policy == ExpiryPolicy.DAYS and badge.expires_days:
        return issued_on + timedelta(days=badge.expires_days)
    else:
        return None
    if expires <= utcnow():
        raise OperationError(
            "expiry_in_past",
            _(
                "%(source)s %(expires)s is in the past",
                source=source,
                expires=documents.iso(expires),
            ),
        )
    if expires <= issued_on:
        raise OperationError(
            "expiry_before_issue",
            _(
                "%(source)s %(expires)s is not after the award's issue date %(issued_on)s",
                source=source,
                expires=documents.iso(expires),
                issued_on=documents.iso(issued_on),
            ),
        )
    return expires


def _new_status_list(issuer: Issuer, now: datetime) -> StatusList:
    status_list = StatusList(
        issuer_id=issuer.id,
        size=STATUS_LIST_SIZE,
        allocated=0,
        scramble=secrets.randbelow(STATUS_LIST_SIZE),
    )
    db.session.add(status_list)
    db.session.flush()
    publish_status_list(status_list, now)
    return status_list


def _allocate(issuer: Issuer, count: int, now: datetime) -> tuple[StatusList, list[int]]:
    """Reserve ``count`` status-list slots with one atomic UPDATE … RETURNING."""
    current = db.session.scalar(
        select(StatusList)
        .where(StatusList.issuer_id == issuer.id)
        .order_by(StatusList.id.desc())
        .limit(1)
    )
    for _attempt in range(2):
        if current is None:
            current = _new_status_list(issuer, now)
        end = db.session.execute(
            update(StatusList)
            .where(StatusList.id == current.id, StatusList.allocated + count <= StatusList.size)
            .values(allocated=StatusList.allocated + count)
            .returning(StatusList.allocated)
            .execution_options(synchronize_session=False)
        ).scalar()
        if end is not None:
            return current, [
                bitstring.scrambled_index(n, current.scramble, current.size)
                for n in range(end - count, end)
            ]
        current = None  # full: start the issuer's next list
    raise OperationError("status_list_full", _("could not allocate status list entries"))


def _live(badge: Badge, keys: Sequence[str]) -> dict[str, Assertion]:
    # Planned per call: a generic plan kept from when the badge had no assertions filtered
    # all of them per chunk (0.4-0.6 s per 10,000-learner cohort on PostgreSQL).
    rows = planned_per_call(
        select(Assertion).where(
            Assertion.badge_id == badge.id,
            Assertion.revoked_at.is_(None),
            Assertion.replaced_at.is_(None),
            among(Assertion.recipient_key, keys),
        )
    )
    return {a.recipient_key: a for (a,) in rows}


# What makes credentials share a stamp: an identifier (an email) or not, the expiry, the
# evidence's items and their fields, and how many scores are signed in.
_StampKey = tuple[bool, datetime | None, tuple[tuple[str, ...], ...], int]


class _SlotNumber:
    """A slot where the documents write a number with a format (a score's ``:g``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __format__(self, spec: str) -> str:
        return self.text


def _stampable(result: dict[str, Any]) -> bool:
    # What ``documents`` writes of a score: the criterion formatted into an id, the name as
    # a JSON string, the percent formatted with ``:g``; anything else is signed whole.
    return (
        isinstance(result.get("name"), str)
        and type(result.get("criterion")) in (str, int)
        and type(result.get("percent")) in (int, float)
    )


@dataclass
class _Batch:
    """What a chunk's credentials share, read once: the badge's columns, the status list,
    the achievement, the issue date; and what preparing them collects (rows, stamps)."""

    badge: Badge
    status_list: StatusList
    achievement: dict[str, Any]
    now: datetime
    rows: list[dict[str, Any]] = field(default_factory=list)
    stamps: dict[_StampKey, Stamp | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.badge_id, self.image_version = self.badge.id, self.badge.image_version
        self.shows_scores, self.status_list_id = (
            self.badge.evidence_shows_scores,
            self.status_list.id,
        )


def _prepare(
    batch: _Batch,
    award: Award,
    key: str,
    expires: datetime | None,
    index: int,
    identities: tuple[str, str, str],
) -> Item:
    """An assertion's unsigned OB 3.0 credential, as its batch's stamp and its values; its
    row (every column but the id and the signed documents) is appended to the batch's
    rows. ``key`` is the recipient's, ``expires`` what :func:`expiry_for` gave, and
    ``identities`` one of :func:`random_identities`."""
    recipient = award.recipient
    salt, subject_uuid, public_id = identities
    email = normalize_email(recipient.email) if recipient.email else None
    subject_id = f"urn:uuid:{subject_uuid}"
    evidence = _check_evidence(award.evidence)
    status_list, achievement = batch.status_list, batch.achievement
    row: dict[str, Any] = {
        "public_id": public_id,
        "badge_id": batch.badge_id,
        "lti_user_id": recipient.lti_user_id,
        "recipient_key": key,
        "recipient_email": email,
        "recipient_name": recipient.name or "",
        "salt": salt,
        "identity_hash": identity_hash(email or subject_id, salt),
        "subject_id": subject_id,
        "issued_on": batch.now,
        "expires_at": expires,
        "evidence": evidence,
        "revoked_at": None,
        "revocation_reason": None,
        "replaced_at": None,
        "status_list_id": batch.status_list_id,
        "status_index": index,
        "image_version": batch.image_version,
        "public": True,
        "accepted_at": None,
    }
    batch.rows.append(row)
    results = list(award.results) if batch.shows_scores else []
    if not all(_stampable(result) for result in results):
        return Stamp.of(documents.ob3_credential(row, achievement, status_list, results)), ()
    values = [public_id, subject_id, row["identity_hash"], salt, str(index)]
    values += [value for item in evidence for value in item.values()]
    values += [
        text for r in results for text in (f"{r['criterion']}", r["name"], f"{r['percent']:g}")
    ]
    stamp_key = (bool(email), expires, tuple(tuple(item) for item in evidence), len(results))
    if stamp_key not in batch.stamps:
        batch.stamps[stamp_key] = _stamp(row, achievement, status_list, values, results)
    stamp = batch.stamps[stamp_key]
    if stamp is None:
        return Stamp.of(documents.ob3_credential(row, achievement, status_list, results)), ()
    return stamp, values


def _stamp(
    row: dict[str, Any],
    achievement: dict[str, Any],
    status_list: StatusList,
    values: list[str],
    results: list[dict[str, Any]],
) -> Stamp | None:
    """The credential of ``row`` (and its scores) with slots for the values that differ
    between learners (in the order of ``values``), if it writes the very credential ``row``
    makes."""
    numbers = iter(range(len(values)))
    probe = {
        **row,
        **{name: slot(next(numbers)) for name in ("public_id", "subject_id", "identity_hash")},
        "salt": slot(next(numbers)),
        "status_index": slot(next(numbers)),
        "evidence": [{k: slot(next(numbers)) for k in item} for item in row["evidence"]],
    }
    scores = [
        {
            "criterion": slot(next(numbers)),
            "name": slot(next(numbers)),
            "percent": _SlotNumber(slot(next(numbers))),
        }
        for _result in results
    ]
    stamp = Stamp.of(documents.ob3_credential(probe, achievement, status_list, scores), len(values))
    credential = documents.ob3_credential(row, achievement, status_list, results)
    return stamp if stamps.matches(stamp, values, credential) else None


def issue_many(
    badge: Badge, awards: Sequence[Award], *, now: datetime | None = None, commit: bool = True
) -> list[Issued]:
    """Issue a badge to many recipients at once; idempotent per recipient.

    A recipient who already holds a live assertion of this badge gets it back
    (``created=False``); so does the loser of a concurrent race, thanks to the unique index.
    Results are in the order of ``awards``.
    """
    if not commit:
        return _issue_many(badge, awards, now)
    try:
        # When we commit, the whole transaction is ours to replay on a lock conflict.
        return in_transaction(lambda: _issue_many(badge, awards, now))
    except OperationalError as exc:
        if is_lock_conflict(exc):
            raise OperationError("busy", _("the database stayed locked; try again")) from exc
        raise


def _issue_many(badge: Badge, awards: Sequence[Award], now: datetime | None) -> list[Issued]:
    if badge.status != BadgeStatus.ACTIVE:
        raise OperationError(
            "badge_not_active",
            _("badge %(public_id)s is %(status)s", public_id=badge.public_id, status=badge.status),
        )
    now = as_utc(now or utcnow()).replace(microsecond=0)
    # Refused before anything is allocated or signed.
    expiries = [expiry_for(badge, now, award.expires_at) for award in awards]
    keys = [award.recipient.key for award in awards]
    results: dict[str, Issued] = {}
    for start in range(0, len(awards), CHUNK):
        chunk_keys = keys[start : start + CHUNK]
        for key, assertion in _live(badge, chunk_keys).items():
            if assertion.is_expired(now):
                # Awarded again after it expired: a new assertion replaces it (the old one
                # stays served, expired, and leaves the one-live-award index).
                assertion.replaced_at = now
            else:
                results[key] = Issued(assertion, created=False)
        db.session.flush()
        todo: dict[str, int] = {}  # recipient key: position in ``awards``
        for position, key in enumerate(chunk_keys, start):
            if key not in results and key not in todo:
                todo[key] = position
        if not todo:
            continue
        issuer = badge.issuer
        status_list, indexes = _allocate(issuer, len(todo), now)
        _key, signer = signing_key(issuer)
        jwt = jwt_signer(issuer)
        batch = _Batch(badge, status_list, documents.ob3_achievement(badge), now)
        unsigned = (
            _prepare(batch, awards[at], key, expiries[at], index, identities)
            for (key, at), index, identities in zip(
                todo.items(), indexes, random_identities(len(todo)), strict=True
            )
        )
        rows = batch.rows
        stored = 0
        # Credentials are built as the signing workers ask for them (each row kept for storing).
        for part in sign_many(unsigned, len(todo), signer, jwt, now):
            # Stored while the workers sign the next parts. A conflicting row means
            # a concurrent issuer won the race for this learner: theirs is kept.
            signed = rows[stored : stored + len(part)]
            for row, (credential, token) in zip(signed, part, strict=True):
                row["credential_json"], row["credential_jwt"] = credential, token
            stored += len(part)
            _insert(signed)
            # Only the ids are read back: what follows an award needs no more than the row.
            by_public_id = {row["public_id"]: row for row in signed}
            for public_id, assertion_id in db.session.execute(
                select(Assertion.public_id, Assertion.id).where(
                    Assertion.public_id.in_(by_public_id)
                )
            ):
                row = by_public_id[public_id]
                results[row["recipient_key"]] = Issued(_stored(assertion_id, row))
        lost = [key for key in todo if key not in results]
        for key, assertion in _live(badge, lost).items():
            results[key] = Issued(assertion, created=False)
    return [results[key] for key in keys]


def _stored(assertion_id: int, row: dict[str, Any]) -> StoredAssertion:
    return StoredAssertion(
        assertion_id,
        row["public_id"],
        row["badge_id"],
        row["lti_user_id"],
        row["recipient_key"],
        row["issued_on"],
        row["expires_at"],
    )


@dataclass(frozen=True)
class _InsertStatement:
    """The insert of signed rows for one dialect and set of columns: its SQL, the columns
    in parameter order, and the bind processors that change a value (by position, with
    what each makes of None)."""

    sql: str
    order: tuple[str, ...]
    named: bool  # PostgreSQL's ``%(name)s``; SQLite's are positional
    forms: tuple[tuple[int, Any, Any], ...]


# By dialect and columns: compiling costs about a millisecond, and each part of 64 rows
# inserts on its own.
_inserts: dict[tuple[Any, tuple[str, ...]], _InsertStatement] = {}


def _insert_statement(dialect: Any, names: tuple[str, ...]) -> _InsertStatement:
    found = _inserts.get((dialect, names))
    if found is None:
        table = table_of(Assertion)
        text_param: Any = bindparam("credential_json", type_=Text)
        if dialect.name == "postgresql":  # text into a json column only by a cast
            text_param = sql_cast(text_param, JSON)
        stmt = dialect_insert(table).values(credential=text_param).on_conflict_do_nothing()
        compiled = stmt.compile(dialect=dialect, column_keys=list(names))
        if compiled.positional:
            order = tuple(compiled.positiontup or ())
        else:
            order = (*names, "credential_json")
        forms = []
        for position, name in enumerate(order):
            if name in table.c:
                form = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                if form is not None:
                    forms.append((position, form, form(None)))
        found = _InsertStatement(str(compiled), order, not compiled.positional, tuple(forms))
        if len(_inserts) >= 16:
            _inserts.clear()
        _inserts[(dialect, names)] = found
    return found


def _insert(rows: list[dict[str, Any]]) -> None:
    """INSERT the signed rows; one that conflicts (a concurrent issuer's) is left out.

    :func:`app.database.upsert`'s statement, compiled once and handed to the driver's
    ``executemany`` as plain parameters: bind processing runs only on the columns whose
    type changes a value, and once per distinct date (a batch shares its issue date and
    mostly its expiry), instead of SQLAlchemy's per-row, per-column parameter building."""
    if not rows:
        return
    connection = db.session.connection()
    statement = _insert_statement(
        connection.dialect, tuple(name for name in rows[0] if name != "credential_json")
    )
    values_of = itemgetter(*statement.order)
    dates: dict[tuple[int, datetime], Any] = {}
    for start in range(0, len(rows), CHUNK):
        params: list[Any] = []
        for row in rows[start : start + CHUNK]:
            values = list(values_of(row))
            for position, form, for_none in statement.forms:
                value = values[position]
                if value is None:
                    values[position] = for_none
                elif isinstance(value, datetime):
                    key = (position, value)
                    if key not in dates:
                        dates[key] = form(value)
                    values[position] = dates[key]
                else:
                    values[position] = form(value)
            params.append(
                dict(zip(statement.order, values, strict=True))
                if statement.named
                else tuple(values)
            )
        connection.exec_driver_sql(statement.sql, params)


def issue(
    badge: Badge,
    recipient: Recipient,
    *,
    evidence: Sequence[dict[str, Any]] = (),
    expires_at: datetime | None = None,
    now: datetime | None = None,
    commit: bool = True,
) -> Issued:
    """Issue ``badge`` to one recipient (idempotent: returns the live assertion if any)."""
    return issue_many(badge, [Award(recipient, evidence, expires_at)], now=now, commit=commit)[0]


# --- revocation --------------------------------------------------------------------------------


def publish_status_list(status_list: StatusList, now: datetime | None = None) -> None:
    """Rebuild the list from the revoked assertions and sign it (no commit)."""
    now = as_utc(now or utcnow())
    revoked = db.session.scalars(
        select(Assertion.status_index).where(
            Assertion.status_list_id == status_list.id, Assertion.revoked_at.is_not(None)
        )
    )
    issuer = db.session.get_one(Issuer, status_list.issuer_id)
    _key, signer = signing_key(issuer)
    unsigned = documents.status_list_credential(
        status_list, issuer, bitstring.encode_list(revoked, status_list.size), now
    )
    status_list.credential = add_proof(unsigned, signer, now)
    status_list.signed_at = now


def revoke(assertion: Assertion, reason: str, *, now: datetime | None = None) -> bool:
    """Revoke an award in the caller's transaction (no commit): OB 2.0 answers ``revoked``,
    the OB 3.0 status bit flips. False when it was revoked already (nothing changes).

    What a revocation owes besides (its decision, audit record, webhook) is announced by
    ``app.awards``, which every path revokes through."""
    if not (reason or "").strip():
        raise OperationError("invalid", _("a revocation needs a reason"))
    if assertion.revoked:
        return False
    now = as_utc(now or utcnow())
    # Lock the list row first (PostgreSQL) so two revocations cannot publish stale bits.
    status_list = db.session.scalars(
        select(StatusList).where(StatusList.id == assertion.status_list_id).with_for_update()
    ).one()
    assertion.revoked_at = now
    assertion.revocation_reason = reason.strip()
    db.session.flush()
    publish_status_list(status_list, now)
    return True


def set_public(assertion: Assertion, public: bool) -> None:
    """Show or hide the learner's name on the public page; the credential still verifies."""
    assertion.public = public
    db.session.commit()


def accept(assertion: Assertion, now: datetime | None = None) -> bool:
    """Record that the learner accepted the award, the first time only (True then), in the
    caller's transaction; ``app.awards`` announces it."""
    if assertion.accepted_at is not None:
        return False
    assertion.accepted_at = now or utcnow()
    return True
