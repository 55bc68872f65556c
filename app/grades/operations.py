"""Grades in: the one `GradeEvent` every source produces, and storing only what changed.

AGS syncs, pushed webhooks, CSV imports and manual entries all build `GradeEvent`s and hand
them to `app.awards.pipeline.ingest`, which calls :func:`record_grades` here and evaluates the
learners whose grades changed. This module also keeps the course's columns and roster
(from AGS line items and NRPS) without writing anything when nothing changed.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from app import secret_box
from app.course.operations import is_staff_role
from app.criteria.titles import AmbiguousTitle, column_for_title
from app.database import CHUNK, as_utc, upsert
from app.extensions import db
from app.grades.models import Column, Grade, GradeEventSecret
from app.models import Context, LtiUser, Membership
from app.models.base import new_public_id, utcnow


@dataclass(frozen=True, slots=True)
class GradeEvent:
    """One learner's grade in one column of one course, from any source.

    ``timestamp`` is when the grade was given (the platform's time when it has one).
    """

    context_id: int
    column_id: int
    user_id: int
    score: float | None
    maximum: float | None
    timestamp: datetime | None
    source: str
    comment: str | None = None


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` allowed) as an aware datetime, or None."""
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def _same(grade: tuple[Any, ...], event: GradeEvent) -> bool:
    score, maximum, timestamp, comment = grade
    return (
        score == event.score
        and maximum == event.maximum
        and timestamp == as_utc(event.timestamp)
        and (comment or None) == event.comment
    )


def _stale(grade: tuple[Any, ...], event: GradeEvent) -> bool:
    # An event older than what we hold (a replayed or out-of-order webhook) never rolls back.
    stored = grade[2]
    return stored is not None and event.timestamp is not None and as_utc(event.timestamp) < stored


def record_grades(events: Sequence[GradeEvent]) -> list[GradeEvent]:
    """Store the events that change a grade; return them (unchanged ones write nothing).

    Within one call the newest event per (column, learner) wins. Does not commit.
    """
    latest: dict[tuple[int, int], GradeEvent] = {}
    for event in events:
        key = (event.column_id, event.user_id)
        held = latest.get(key)
        if held is None or not (
            held.timestamp and event.timestamp and as_utc(event.timestamp) < as_utc(held.timestamp)
        ):
            latest[key] = event
    keys = sorted(latest)  # a fixed order: concurrent writers lock rows alike (no deadlock)
    current: dict[tuple[int, int], tuple[Any, ...]] = {}
    users = sorted({user for _column, user in keys})
    columns = sorted({column for column, _user in keys})
    for start in range(0, len(users), CHUNK):
        # By learner (indexed) and column, not by (column, learner) pairs: SQLite scans the
        # whole table for a row-value IN list.
        rows = db.session.execute(
            select(
                Grade.column_id,
                Grade.user_id,
                Grade.score,
                Grade.maximum,
                Grade.timestamp,
                Grade.comment,
            ).where(Grade.user_id.in_(users[start : start + CHUNK]), Grade.column_id.in_(columns))
        )
        for row in rows:
            current[(row[0], row[1])] = tuple(row[2:])
    changed = []
    for key in keys:
        event = latest[key]
        stored = current.get(key)
        if stored is None:
            if event.score is None:
                continue  # "not graded yet" for a grade we never had: nothing to record
        elif _same(stored, event) or _stale(stored, event):
            continue
        changed.append(event)
    now = utcnow()
    # A grade from elsewhere (CSV, webhook) in a column makes its AGS results worth
    # comparing again at the next sync.
    touched = sorted({e.column_id for e in changed if e.source != "ags"})
    if touched:
        db.session.execute(
            update(Column)
            .where(Column.id.in_(touched), Column.results_digest.is_not(None))
            .values(results_digest=None)
            .execution_options(synchronize_session=False)
        )
    upsert(
        Grade,
        [
            {
                "column_id": e.column_id,
                "user_id": e.user_id,
                "score": e.score,
                "maximum": e.maximum,
                "timestamp": e.timestamp,
                "comment": e.comment,
                "source": e.source,
                "updated_at": now,
            }
            for e in changed
        ],
        keys=("column_id", "user_id"),
        update_columns=("score", "maximum", "timestamp", "comment", "source", "updated_at"),
    )
    return changed


# --- columns ---------------------------------------------------------------------------------


def mirror_columns(
    context_id: int, source: str, facts_by_key: dict[str, dict[str, Any]]
) -> dict[str, Column]:
    """Mirror one source's columns of a course (AGS line items, a gradebook connector's
    columns): new keys become columns, changed facts are written, columns the source no
    longer lists turn inactive and keep their grades. Writes only changes; returns every
    column of the source by key."""
    existing = {
        c.lti_lineitem_id: c
        for c in db.session.scalars(
            select(Column).where(Column.context_id == context_id, Column.source == source)
        )
    }
    for key, listed in facts_by_key.items():
        facts = {**listed, "active": True}
        column = existing.get(key)
        if column is None:
            column = Column(context_id=context_id, lti_lineitem_id=key, source=source, **facts)
            db.session.add(column)
            existing[key] = column
            continue
        for name, value in facts.items():
            if getattr(column, name) != value:
                setattr(column, name, value)
    for key, column in existing.items():
        if key not in facts_by_key and column.active:
            column.active = False
    db.session.flush()
    return existing


def upsert_columns(context: Context, line_items: Iterable[dict[str, Any]]) -> list[Column]:
    """Mirror the AGS line items as columns; returns the active ones. Writes only changes."""
    facts_by_key = {
        str(item["id"]): {
            "label": str(item.get("label") or ""),
            "score_maximum": to_float(item.get("scoreMaximum")),
            "tag": str(item.get("tag") or ""),
            "resource_link_id": str(item.get("resourceLinkId") or ""),
        }
        for item in line_items
        if item.get("id")
    }
    return [c for c in mirror_columns(context.id, "ags", facts_by_key).values() if c.active]


def to_float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


# --- roster ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    """One person of an NRPS roster."""

    sub: str
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str | None = None
    roles: tuple[str, ...] = ()
    active: bool = True

    @classmethod
    def from_nrps(cls, member: dict[str, Any]) -> Member:
        return cls(
            sub=str(member["user_id"]),
            name=member.get("name") or "",
            given_name=member.get("given_name") or "",
            family_name=member.get("family_name") or "",
            email=member.get("email") or None,
            roles=tuple(member.get("roles") or ()),
            active=(member.get("status") or "Active") == "Active",
        )


def user_ids_by_sub(issuer: str, subs: Iterable[str]) -> dict[str, int]:
    """Our user ids for platform ``sub``s, creating bare users for unknown ones."""
    wanted = sorted(set(subs))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        found.update(
            db.session.execute(
                select(LtiUser.sub, LtiUser.id).where(
                    LtiUser.issuer == issuer, LtiUser.sub.in_(part)
                )
            ).all()
        )
    missing = [s for s in wanted if s not in found]
    if missing:
        now = utcnow()
        upsert(
            LtiUser,
            [
                {
                    "issuer": issuer,
                    "sub": s,
                    "public_id": new_public_id(),
                    "name": "",
                    "given_name": "",
                    "family_name": "",
                    "email": None,
                    "created_at": now,
                    "updated_at": now,
                }
                for s in missing
            ],
            keys=("issuer", "sub"),
        )
        for start in range(0, len(missing), CHUNK):
            found.update(
                db.session.execute(
                    select(LtiUser.sub, LtiUser.id).where(
                        LtiUser.issuer == issuer, LtiUser.sub.in_(missing[start : start + CHUNK])
                    )
                ).all()
            )
    return found


def upsert_roster(context: Context, issuer: str, members: Sequence[Member]) -> dict[str, int]:
    """Mirror an NRPS roster: people (names and emails never erased by empty values) and
    memberships; people no longer listed become inactive and keep their badges; someone a
    launch showed as staff in the course stays staff (the next launch decides).
    Returns sub -> user id. Writes only what changed, in bulk statements (a roster is read
    on every sync, so unchanged people cost one read each)."""
    ids = user_ids_by_sub(issuer, (m.sub for m in members))
    by_id = {ids[m.sub]: m for m in members}
    people = LtiUser.__table__
    changed_people = []
    for row in _rows(people, ("id", "name", "given_name", "family_name", "email"), list(by_id)):
        member, held = by_id[row[0]], dict(zip(_PERSON, row[1:], strict=True))
        wanted = {attr: getattr(member, attr) or held[attr] for attr in _PERSON}
        if not wanted["name"] and (member.given_name or member.family_name):
            wanted["name"] = f"{member.given_name} {member.family_name}".strip()
        if wanted != held:
            changed_people.append({"b_id": row[0], **wanted})
    now = utcnow()
    _update_by_id(people, changed_people, _PERSON, now)
    memberships = {
        row.user_id: row
        for row in db.session.execute(
            select(
                Membership.id,
                Membership.user_id,
                Membership.roles,
                Membership.is_staff,
                Membership.active,
                Membership.launch_staff,
            ).where(Membership.context_id == context.id)
        )
    }
    new_rows, changed_memberships = [], []
    for user_id, member in by_id.items():
        roles, staff = list(member.roles), is_staff_role(list(member.roles))
        membership = memberships.get(user_id)
        if membership is None:
            new_rows.append(
                {
                    "context_id": context.id,
                    "user_id": user_id,
                    "roles": roles,
                    "is_staff": staff,
                    "active": member.active,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        if membership.launch_staff:
            # Staff status is the launch's word: Moodle's NRPS calls a non-editing teacher a
            # Learner while its launch calls them an Instructor. Their launch roles stay too.
            staff, roles = True, list(membership.roles or [])
        if (
            membership.is_staff != staff
            or membership.active != member.active
            or sorted(membership.roles or []) != sorted(roles)
        ):
            changed_memberships.append(
                {"b_id": membership.id, "is_staff": staff, "active": member.active, "roles": roles}
            )
    _update_by_id(Membership.__table__, changed_memberships, ("is_staff", "active", "roles"), now)
    upsert(Membership, new_rows, keys=("context_id", "user_id"))
    gone = [uid for uid, m in memberships.items() if uid not in by_id and m.active]
    for start in range(0, len(gone), CHUNK):
        db.session.execute(
            update(Membership)
            .where(
                Membership.context_id == context.id,
                Membership.user_id.in_(gone[start : start + CHUNK]),
            )
            .values(active=False, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


_PERSON = ("name", "given_name", "family_name", "email")


def _rows(table: Any, names: Sequence[str], ids: Sequence[int]) -> Iterator[Any]:
    for start in range(0, len(ids), CHUNK):
        yield from db.session.execute(
            select(*(table.c[n] for n in names)).where(table.c.id.in_(ids[start : start + CHUNK]))
        )


def _update_by_id(
    table: Any, rows: list[dict[str, Any]], names: Sequence[str], now: datetime
) -> None:
    """One executemany UPDATE of ``names`` (and ``updated_at``) for rows keyed ``b_id``."""
    if not rows:
        return
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({**{n: bindparam(n) for n in names}, "updated_at": now})
    )
    for start in range(0, len(rows), CHUNK):
        db.session.execute(stmt, rows[start : start + CHUNK])


# --- pushed-event secrets --------------------------------------------------------------------


def event_secret(registration_id: int, *, rotate: bool = False) -> str:
    """The registration's HMAC secret for pushed grade events (created on first use)."""
    row = db.session.get(GradeEventSecret, registration_id)
    if row is None or rotate:
        secret = "bbwh_" + secrets.token_urlsafe(32)
        if row is None:
            row = GradeEventSecret(registration_id=registration_id, secret_encrypted="")
            db.session.add(row)
        row.secret_encrypted = secret_box.encrypt(secret.encode())
        db.session.commit()
        return secret
    return secret_box.decrypt(row.secret_encrypted).decode()


def has_event_secret(registration_id: int) -> bool:
    """True when the registration has a grade-event secret."""
    return db.session.get(GradeEventSecret, registration_id) is not None


# --- pushed events: external references to one GradeEvent -----------------------------------


class EventError(ValueError):
    """A pushed or imported grade that cannot be applied; ``field`` names the bad part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _number(value: Any, field: str, *, required: bool) -> float | None:
    if value is None or value == "":
        if required:
            raise EventError(field, _("is required"))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise EventError(field, _("must be a number, not %(value)s", value=repr(value))) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise EventError(field, _("must be a finite number"))
    return number


def find_column(context: Context, ref: str) -> Column:
    """A course column by public id, AGS line item URL or title (case and spacing aside;
    an active column first). A title several columns share is refused, naming their ids."""
    ref = (ref or "").strip()
    for clause in (Column.public_id == ref, Column.lti_lineitem_id == ref):
        found = db.session.scalars(
            select(Column).where(Column.context_id == context.id, clause).order_by(Column.id)
        ).first()
        if found is not None:
            return found
    columns = list(
        db.session.scalars(
            select(Column).where(Column.context_id == context.id).order_by(Column.id)
        )
    )
    for pool in ([c for c in columns if c.active], columns):
        try:
            public_id = column_for_title(ref, [(c.public_id, c.label) for c in pool])
        except AmbiguousTitle as exc:
            raise EventError("column", str(exc)) from None
        if public_id is not None:
            return next(c for c in pool if c.public_id == public_id)
    raise EventError("column", _("no column %(ref)s in this course", ref=repr(ref)))


def find_learner(
    context: Context, issuer: str, *, sub: str | None = None, email: str | None = None
) -> int:
    """A learner's user id by platform ``sub`` (made a member if new) or by email (must be
    known in the course)."""
    if sub:
        user_id = user_ids_by_sub(issuer, [sub])[sub]
        member = db.session.scalar(
            select(Membership.id).where(
                Membership.context_id == context.id, Membership.user_id == user_id
            )
        )
        if member is None:  # read first: the common case writes nothing
            now = utcnow()
            upsert(
                Membership,
                [
                    {
                        "context_id": context.id,
                        "user_id": user_id,
                        "roles": [],
                        "is_staff": False,
                        "active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
                keys=("context_id", "user_id"),
            )
        return user_id
    if email:
        found = db.session.scalar(
            select(LtiUser.id)
            .join(Membership, Membership.user_id == LtiUser.id)
            .where(
                Membership.context_id == context.id,
                db.func.lower(LtiUser.email) == email.strip().lower(),
            )
            .limit(1)
        )
        if found is None:
            raise EventError(
                "user", _("no learner with email %(email)s in this course", email=repr(email))
            )
        return found
    raise EventError("user", _("give the learner's sub (platform user id) or email"))


def event_from_fields(
    context: Context,
    issuer: str,
    *,
    column: str,
    user_sub: str | None,
    user_email: str | None,
    score: Any,
    maximum: Any = None,
    timestamp: Any = None,
    comment: str | None = None,
    source: str,
) -> GradeEvent:
    """Build the `GradeEvent` of a pushed or imported grade (raises `EventError`)."""
    target = find_column(context, column)
    value = _number(score, "score", required=True)
    top = _number(maximum, "maximum", required=False)
    when = parse_timestamp(timestamp) if timestamp else utcnow()
    if timestamp and when is None:
        raise EventError(
            "timestamp", _("%(timestamp)s is not an ISO 8601 date-time", timestamp=repr(timestamp))
        )
    user_id = find_learner(context, issuer, sub=user_sub, email=user_email)
    return GradeEvent(
        context_id=context.id,
        column_id=target.id,
        user_id=user_id,
        score=value,
        maximum=top if top is not None else target.score_maximum,
        timestamp=when,
        source=source,
        comment=comment or None,
    )


@dataclass
class CsvReport:
    """A CSV import: the events of the good rows, and each bad row's line and reason."""

    events: list[GradeEvent]
    errors: list[tuple[int, str]]


CSV_HEADER = ("user", "column", "score")


def parse_csv(context: Context, issuer: str, text: str) -> CsvReport:
    """Read a grades CSV (header ``user,column,score`` plus optional ``maximum``,
    ``timestamp``, ``comment``; ``user`` is an email or a platform user id) row by row."""
    report = CsvReport([], [])
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [h for h in CSV_HEADER if h not in header]
    if missing:
        report.errors.append(
            (
                1,
                f"the header needs the columns {', '.join(CSV_HEADER)} "
                f"(missing: {', '.join(missing)})",
            )
        )
        return report
    for row in reader:
        line = reader.line_num
        fields = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        user = fields.get("user", "")
        try:
            with db.session.begin_nested():
                report.events.append(
                    event_from_fields(
                        context,
                        issuer,
                        column=fields.get("column", ""),
                        user_sub=None if "@" in user else user or None,
                        user_email=user if "@" in user else None,
                        score=fields.get("score"),
                        maximum=fields.get("maximum"),
                        timestamp=fields.get("timestamp"),
                        comment=fields.get("comment"),
                        source="csv",
                    )
                )
        except EventError as exc:
            report.errors.append((line, str(exc)))
    return report
