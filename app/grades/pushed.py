"""Grades pushed to us (signed grade events) or uploaded (CSV): the registration's secret
for signing them, and turning their external references (a column by id, URL or title; a
learner by platform id or email) into `GradeEvent`s."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app import secret_box
from app.criteria.titles import AmbiguousTitle
from app.database import upsert
from app.extensions import db
from app.grades.models import Column, GradeEventSecret
from app.grades.operations import GradeEvent, parse_timestamp
from app.grades.queries import find_column
from app.grades.roster import user_ids_by_sub
from app.models import Context, LtiUser, Membership
from app.models.base import utcnow


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


def _column(context: Context, ref: str) -> Column:
    # The column a pushed or imported grade names, or the EventError saying why not.
    ref = (ref or "").strip()
    try:
        found = find_column(context.id, ref)
    except AmbiguousTitle as exc:
        raise EventError("column", str(exc)) from None
    if found is None:
        raise EventError("column", _("no column %(ref)s in this course", ref=repr(ref)))
    return found


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
    target = _column(context, column)
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
                _(
                    "the header needs the columns %(columns)s (missing: %(missing)s)",
                    columns=", ".join(CSV_HEADER),
                    missing=", ".join(missing),
                ),
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
