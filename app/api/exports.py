"""Streamed exports over the API: awards and metrics, CSV or JSON, for a date range."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import select

from app.analytics import exports, params
from app.analytics.metrics import Scope, compute
from app.api.auth import ApiError, check_tenant
from app.api.badges import badge_registration
from app.api.common import scoped_registration
from app.api.registry import endpoint
from app.extensions import db
from app.models import Context, Registration
from app.openbadges.models import Badge

QUERY = ("format", "from", "to", "badge_id", "context_id", "registration_id")


def _scope() -> Scope:
    """The narrowest scope named (badge, course, registration), checked against the key."""
    try:
        first, last = params.date_range(request.args)
    except params.RangeError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    args = request.args
    if args.get("badge_id"):
        badge = db.session.scalar(select(Badge).where(Badge.public_id == args["badge_id"]))
        if badge is None:
            raise ApiError(404, "not_found", "no such badge")
        check_tenant(badge_registration(badge))
        return Scope.from_dates(first, last, badge_id=badge.id)
    if args.get("context_id"):
        context = db.session.scalar(select(Context).where(Context.public_id == args["context_id"]))
        if context is None:
            raise ApiError(404, "not_found", "no such context")
        check_tenant(context.registration_id)
        return Scope.from_dates(first, last, context_id=context.id)
    registration_id = scoped_registration()
    if args.get("registration_id"):
        row = db.session.scalar(
            select(Registration).where(Registration.public_id == args["registration_id"])
        )
        if row is None:
            raise ApiError(404, "not_found", "no such registration")
        check_tenant(row.id)
        registration_id = row.id
    if registration_id is None:
        raise ApiError(
            400, "bad_request", "an admin key must name badge_id, context_id or registration_id"
        )
    return Scope.from_dates(first, last, registration_id=registration_id)


def _format() -> str:
    try:
        return params.export_format(request.args)
    except params.RangeError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None


@endpoint(
    "GET",
    "/exports/assertions",
    "Export awards issued in a date range (streamed)",
    tag="exports",
    query=QUERY,
    response={"type": "array", "items": {"type": "object"}},
)
def export_assertions() -> Any:
    scope, fmt = _scope(), _format()
    return params.streamed(
        exports.assertion_rows(scope), exports.ASSERTION_FIELDS, fmt, "assertions"
    )


@endpoint(
    "GET",
    "/exports/metrics",
    "Export the dashboard metrics of a scope",
    tag="exports",
    query=QUERY,
    response={"type": "object"},
)
def export_metrics() -> Any:
    scope, fmt = _scope(), _format()
    metrics = compute(scope, with_close=scope.registration_id is None)
    if fmt == "json":
        return jsonify(metrics.as_dict())
    return params.streamed(exports.metric_rows(metrics), exports.METRIC_FIELDS, fmt, "metrics")
