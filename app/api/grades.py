"""Courses, their columns, syncs and jobs, and pushed grade events over the API."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.api.auth import ApiError, authenticate, check_tenant
from app.api.common import body, get_owned, paged, scoped
from app.api.registry import endpoint
from app.api.validation import MAX_NUMBER, text
from app.awards.pipeline import ingest
from app.database import in_transaction
from app.extensions import db
from app.grades import jobs
from app.grades.models import COLUMN_KINDS, Column, Job
from app.grades.operations import GradeEvent
from app.grades.pushed import EventError, event_from_fields, event_secret
from app.grades.queries import has_event_secret
from app.i18n import in_english
from app.models import Context, LtiUser, Registration
from app.openbadges import documents

CONTEXT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "lti_context_id": {"type": "string"},
        "title": {"type": "string"},
        "registration_id": {"type": "string"},
        "deployment_id": {"type": "string"},
    },
}
COLUMN = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "label": {"type": "string"},
        "score_maximum": {"type": ["number", "null"]},
        "lti_lineitem_id": {"type": "string"},
        "active": {"type": "boolean"},
        "source": {"type": "string", "description": "ags, moodle or canvas"},
        "kind": {"enum": list(COLUMN_KINDS), "description": "what the column measures"},
    },
}
JOB = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kind": {"enum": [jobs.SYNC, jobs.EVALUATE]},
        "state": {"enum": ["queued", "running", "retrying", "done", "dead"]},
        "context_id": {"type": ["string", "null"]},
        "attempts": {"type": "integer"},
        "requested_by": {"type": "string"},
        "created_at": {"type": "string"},
        "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]},
        "next_attempt_at": {"type": ["string", "null"]},
        "last_error": {"type": ["string", "null"]},
        "result": {"type": ["object", "null"]},
    },
}
SCORE = {"type": "number", "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER}
GRADE_EVENT = {
    "type": "object",
    "required": ["column", "score"],
    "properties": {
        "context_id": {
            "type": "string",
            "maxLength": 36,
            "description": "course id (or lti_context_id)",
        },
        "lti_context_id": text(Context.lti_context_id),
        "column": {
            **text(Column.lti_lineitem_id),
            "description": "column id, AGS line item URL or title (a title several columns "
            "share is refused with a 422 naming their ids)",
        },
        "user_sub": {**text(LtiUser.sub), "description": "the learner's platform user id"},
        "user_email": text(LtiUser.email),
        "score": SCORE,
        "maximum": SCORE,
        "timestamp": {"type": "string", "format": "date-time", "maxLength": 64},
        "comment": {"type": "string", "maxLength": 5000},
    },
}
SIGNATURE_TOLERANCE = 300  # seconds a signed request stays valid (replays beyond it refused)


def context_json(context: Context) -> dict[str, Any]:
    """The API form of a course."""
    return {
        "id": context.public_id,
        "lti_context_id": context.lti_context_id,
        "title": context.title,
        "registration_id": context.registration.public_id,
        "deployment_id": context.deployment.deployment_id,
    }


def job_json(job: Job) -> dict[str, Any]:
    """The API form of a tracked job."""
    context = db.session.get(Context, job.context_id) if job.context_id else None

    def when(moment: Any) -> str | None:
        return documents.iso(moment) if moment else None

    return {
        "id": job.public_id,
        "kind": job.kind,
        "state": job.state,
        "context_id": context.public_id if context else None,
        "attempts": job.attempts,
        "requested_by": job.requested_by,
        "created_at": when(job.created_at),
        "started_at": when(job.started_at),
        "finished_at": when(job.finished_at),
        "next_attempt_at": when(job.next_attempt_at),
        "last_error": job.last_error and in_english(job.last_error),
        "result": job.result,
    }


def _context(public_id: str) -> Context:
    return get_owned(Context, public_id, lambda c: c.registration_id)


@endpoint(
    "GET",
    "/contexts",
    "List courses",
    tag="courses",
    response={"type": "array", "items": CONTEXT},
    query=("page", "per_page"),
)
def list_contexts():
    return paged(
        scoped(select(Context).order_by(Context.id), Context.registration_id), context_json
    )


@endpoint(
    "GET",
    "/contexts/<public_id>/columns",
    "The course's grade columns",
    tag="courses",
    response={"type": "array", "items": COLUMN},
)
def list_columns(public_id: str) -> list[dict[str, Any]]:
    context = _context(public_id)
    return [
        {
            "id": c.public_id,
            "label": c.label,
            "score_maximum": c.score_maximum,
            "lti_lineitem_id": c.lti_lineitem_id,
            "active": c.active,
            "source": c.source,
            "kind": c.kind,
        }
        for c in db.session.scalars(
            select(Column).where(Column.context_id == context.id).order_by(Column.id)
        )
    ]


@endpoint(
    "POST",
    "/contexts/<public_id>/sync",
    "Sync the course's roster and grades now",
    tag="courses",
    response={
        "type": "object",
        "properties": {"job_id": {"type": "string"}, "state": {"type": "string"}},
    },
    status=202,
)
def sync_context(public_id: str) -> tuple[dict[str, Any], int]:
    context = _context(public_id)
    job = jobs.request_job(jobs.SYNC, context.id, requested_by=f"api:{g.api_key.public_id}")
    job = db.session.get_one(Job, job.id)
    return {"job_id": job.public_id, "state": job.state}, 202


@endpoint("GET", "/jobs/<public_id>", "A background job's state", tag="jobs", response=JOB)
def get_job(public_id: str) -> dict[str, Any]:
    job = db.session.scalar(select(Job).where(Job.public_id == public_id))
    if job is None:
        raise ApiError(404, "not_found", f"no job {public_id}")
    check_tenant(
        db.session.get_one(Context, job.context_id).registration_id if job.context_id else None
    )
    return job_json(job)


@endpoint(
    "GET",
    "/jobs",
    "List jobs (state=dead is the dead-letter list)",
    tag="jobs",
    response={"type": "array", "items": JOB},
    query=("state", "context_id", "page", "per_page"),
)
def list_jobs():
    query = select(Job).join(Context, Context.id == Job.context_id).order_by(Job.id.desc())
    query = scoped(query, Context.registration_id)
    if request.args.get("state"):
        query = query.where(Job.state == request.args["state"])
    if request.args.get("context_id"):
        query = query.where(Context.public_id == request.args["context_id"])
    return paged(query, job_json)


def _signed_registration() -> Registration | None:
    """The registration whose secret signed this request (``Badgebridge-Signature:
    t=UNIX,v1=HEX``, HMAC-SHA256 over ``"{t}.{body}"``), or None when it is not signed."""
    header = request.headers.get("Badgebridge-Signature", "")
    if not header:
        return None
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    registration = db.session.scalar(
        select(Registration).where(
            Registration.public_id == request.headers.get("Badgebridge-Registration", "")
        )
    )
    if registration is None or not has_event_secret(registration.id):
        raise ApiError(401, "unauthorized", "unknown registration or no grade-event secret")
    try:
        stamp = int(parts.get("t", ""))
    except ValueError:
        raise ApiError(401, "unauthorized", "the signature needs t=UNIX_TIME") from None
    if abs(time.time() - stamp) > SIGNATURE_TOLERANCE:
        raise ApiError(401, "unauthorized", "the signature is too old (or from the future)")
    secret = event_secret(registration.id).encode()
    expected = hmac.new(secret, f"{stamp}.".encode() + request.get_data(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), parts.get("v1", "")):
        raise ApiError(401, "unauthorized", "the signature does not match the body")
    return registration


def _event_context(item: dict[str, Any], registration_id: int | None) -> Context:
    query = select(Context)
    if item.get("context_id"):
        query = query.where(Context.public_id == str(item["context_id"]))
    elif item.get("lti_context_id"):
        query = query.where(Context.lti_context_id == str(item["lti_context_id"]))
    else:
        raise EventError("context_id", _("is required"))
    if registration_id is not None:
        query = query.where(Context.registration_id == registration_id)
    context = db.session.scalars(query.order_by(Context.id)).first()
    if context is None:
        raise EventError("context_id", _("no such course"))
    return context


@endpoint(
    "POST",
    "/grade-events",
    "Push grade events (HMAC-signed or with an API key)",
    tag="grades",
    public=True,
    request={
        "oneOf": [
            GRADE_EVENT,
            {
                "type": "object",
                "required": ["events"],
                "properties": {
                    "events": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 10_000,
                        "items": GRADE_EVENT,
                    }
                },
            },
        ]
    },
    response={
        "type": "object",
        "properties": {k: {"type": "integer"} for k in ("received", "changed", "issued", "review")},
    },
)
def grade_events() -> dict[str, Any]:
    registration = _signed_registration()
    if registration is None:
        key = authenticate()
        registration_id = key.registration_id
    else:
        registration_id = registration.id
    data = body()
    items = data.get("events", [data])
    if not isinstance(items, list) or not items or len(items) > 10_000:
        raise ApiError(422, "invalid", "events must be a list of 1 to 10,000 events")
    # Resolving may add learners named by sub: its own short transaction, replayed on locks.
    events = in_transaction(lambda: _resolve(items, "events" in data, registration_id))
    result = ingest(events)
    return {
        "received": len(events),
        **{k: v for k, v in result.as_dict().items() if k != "evaluated"},
    }


def _resolve(items: list[Any], batch: bool, registration_id: int | None) -> list[GradeEvent]:
    events = []
    for i, item in enumerate(items):
        prefix = f"/events/{i}" if batch else ""
        try:
            if not isinstance(item, dict):
                raise EventError("", _("must be an object"))
            context = _event_context(item, registration_id)
            events.append(
                event_from_fields(
                    context,
                    context.registration.issuer,
                    column=str(item.get("column") or ""),
                    user_sub=str(item["user_sub"]) if item.get("user_sub") else None,
                    user_email=item.get("user_email"),
                    score=item.get("score"),
                    maximum=item.get("maximum"),
                    timestamp=item.get("timestamp"),
                    comment=item.get("comment"),
                    source="webhook",
                )
            )
        except EventError as exc:
            raise ApiError(
                422,
                "invalid_event",
                f"{prefix}/{exc.field}: {exc.message}",
                f"{prefix}/{exc.field}",
            ) from None
    return events
