"""The dashboards: staff per course and per badge (inside the LMS iframe, launch token), and
admins per registration (the console, its own session). Views parse, call, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.admin import auth as admin_auth
from app.analytics import charts, exports, params
from app.analytics.metrics import Metrics, Scope, compute
from app.extensions import db
from app.launch_session import current_session, launch_required
from app.models import Context, Registration
from app.openbadges.models import Badge

staff_bp = Blueprint("analytics", __name__, url_prefix="/course/analytics")
admin_bp = admin_auth.console_blueprint("admin_analytics", "/admin/analytics")


#: How pages name each share channel (the stored values stay the API's words).
CHANNEL_LABELS = {
    "linkedin_profile": _l("LinkedIn profile"),
    "linkedin_post": _l("LinkedIn post"),
    "copy_link": _l("Copied link"),
    "download_png": _l("PNG download"),
    "download_svg": _l("SVG download"),
    "download_json": _l("JSON download"),
}


def channel_label(channel: str) -> str:
    """A share channel as people read it, in their language."""
    return str(CHANNEL_LABELS.get(channel, channel.replace("_", " ")))


def _charts(metrics: Metrics) -> dict[str, Any]:
    daily = metrics.bucket == "day"
    return {
        "issued": charts.bar_chart(
            _("Badges issued per day") if daily else _("Badges issued per month"),
            metrics.issued_over_time,
            unit=_("badges issued"),
        ),
        "accepted": charts.bar_chart(
            _("Badges accepted per day") if daily else _("Badges accepted per month"),
            metrics.accepted_over_time,
            unit=_("badges accepted"),
        ),
        "views": charts.bar_chart(
            _("Verification page views per day")
            if daily
            else _("Verification page views per month"),
            metrics.views_over_time,
            unit=_("views"),
        ),
        "channels": charts.bar_chart(
            _("Shares and downloads by channel"),
            [(channel_label(c), n) for c, n in metrics.shares_by_channel.items()],
            unit=_("shares and downloads"),
        ),
    }


def _range() -> tuple[Any, Any, str | None]:
    try:
        first, last = params.date_range(request.args)
        return first, last, None
    except params.RangeError as exc:
        first, last = params.date_range({})
        return (
            first,
            last,
            _("%(error)s; showing the last %(days)s days.", error=exc, days=params.DEFAULT_DAYS),
        )


# --- staff, inside the LMS ---------------------------------------------------------------------


def _course_badge(context_id: int) -> Badge | None:
    public_id = request.args.get("badge")
    if not public_id:
        return None
    badge = db.session.scalar(
        select(Badge).where(Badge.public_id == public_id, Badge.context_id == context_id)
    )
    if badge is None:
        abort(404)  # another course's badge is simply not here
    return badge


@staff_bp.get("/")
@launch_required(staff=True)
def course_dashboard():
    session = current_session()
    context = db.get_or_404(Context, session.context_id)
    badge = _course_badge(context.id)
    first, last, error = _range()
    scope = (
        Scope.from_dates(first, last, badge_id=badge.id)
        if badge
        else Scope.from_dates(first, last, context_id=context.id)
    )
    metrics = compute(scope)
    badges = list(
        db.session.scalars(select(Badge).where(Badge.context_id == context.id).order_by(Badge.name))
    )
    return render_template(
        "analytics/staff.html",
        context=context,
        badge=badge,
        badges=badges,
        metrics=metrics,
        charts=_charts(metrics),
        first=first,
        last=last,
        error=error,
    )


@staff_bp.get("/export/<kind>.<fmt>")
@launch_required(staff=True)
def course_export(kind: str, fmt: str):
    session = current_session()
    context = db.get_or_404(Context, session.context_id)
    badge = _course_badge(context.id)
    try:
        first, last = params.date_range(request.args)
        fmt = params.export_format({"format": fmt})
    except params.RangeError as exc:
        abort(400, description=str(exc))
    scope = (
        Scope.from_dates(first, last, badge_id=badge.id)
        if badge
        else Scope.from_dates(first, last, context_id=context.id)
    )
    return _export(kind, fmt, scope, f"{kind}-{first}-{last}")


def _export(kind: str, fmt: str, scope: Scope, filename: str):
    if kind == "assertions":
        return params.streamed(
            exports.assertion_rows(scope),
            exports.ASSERTION_FIELDS,
            fmt,
            filename,
            labels=exports.header_labels(exports.ASSERTION_FIELDS),
        )
    if kind == "metrics":
        metrics = compute(scope, with_close=scope.registration_id is None)
        if fmt == "json":
            from flask import jsonify

            return jsonify(metrics.as_dict())
        return params.streamed(
            exports.metric_rows(metrics),
            exports.METRIC_FIELDS,
            fmt,
            filename,
            labels=exports.header_labels(exports.METRIC_FIELDS),
        )
    abort(404)


# --- admins, in the console --------------------------------------------------------------------


@admin_bp.get("/")
@admin_auth.admin_required
def index():
    registrations = list(db.session.scalars(select(Registration).order_by(Registration.name)))
    return render_template(
        "admin/insight_index.html", registrations=registrations, notice=admin_auth.take_notice()
    )


@admin_bp.get("/<public_id>")
@admin_auth.admin_required
def registration_dashboard(public_id: str):
    registration = admin_auth.console_registration(public_id)
    first, last, error = _range()
    # "Close to the threshold" evaluates every learner of every course: per course only.
    metrics = compute(
        Scope.from_dates(first, last, registration_id=registration.id), with_close=False
    )
    return render_template(
        "admin/analytics.html",
        registration=registration,
        metrics=metrics,
        charts=_charts(metrics),
        first=first,
        last=last,
        error=error,
        notice=admin_auth.take_notice(),
    )


@admin_bp.get("/<public_id>/export/<kind>.<fmt>")
@admin_auth.admin_required
def registration_export(public_id: str, kind: str, fmt: str):
    registration = admin_auth.console_registration(public_id)
    try:
        first, last = params.date_range(request.args)
        fmt = params.export_format({"format": fmt})
    except params.RangeError as exc:
        abort(400, description=str(exc))
    scope = Scope.from_dates(first, last, registration_id=registration.id)
    return _export(kind, fmt, scope, f"{kind}-{first}-{last}")
