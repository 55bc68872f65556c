"""Staff routes of a badge's lifecycle on the awards blueprint: publish, archive, restore,
edit its details, save the criteria builder's rule, and the JSON status of a job the page follows.

Like the rest of the blueprint: every form carries the launch token ``lt`` (the polling
script sends it as ``Authorization: Bearer``); staff act only on their launch's course.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify, request
from flask_babel import gettext as _

from app.awards import lifecycle
from app.awards import operations as awards
from app.awards.views import _after, _back, _badge, _changed_by, bp, render_badge_page
from app.course.progress import job_progress
from app.course.rules import rule_form
from app.course.scope import course_row_or_404
from app.criteria import CriteriaError
from app.extensions import db
from app.grades.models import Job
from app.launch_session import launch_required
from app.openbadges.errors import OperationError
from app.openbadges.models import ExpiryPolicy
from app.openbadges.translations import TranslationError


@bp.post("/badge/<public_id>/publish")
@launch_required(staff=True)
def publish(public_id: str):
    changed = lifecycle.publish(_badge(public_id), *_changed_by())
    return _after(changed, "published_enabled" if changed.job else "published")


@bp.post("/badge/<public_id>/archive")
@launch_required(staff=True)
def archive(public_id: str):
    try:
        changed = lifecycle.archive(_badge(public_id), *_changed_by())
    except lifecycle.LifecycleError:
        return _back("archive_draft", "course_awards.badge_page", public_id=public_id)
    return _after(changed, "archived")


@bp.post("/badge/<public_id>/restore")
@launch_required(staff=True)
def restore(public_id: str):
    changed = lifecycle.publish(_badge(public_id), *_changed_by())
    return _after(changed, "restored")


def _details_from_form() -> lifecycle.BadgeDetails:
    """The details form as plain values; ValueError names the field that is wrong."""
    form = request.form
    policy = form.get("expiry_policy") or ExpiryPolicy.NONE
    expires_on, expires_days = None, None
    if policy == ExpiryPolicy.FIXED:
        try:
            expires_on = datetime.strptime(form.get("expires_on") or "", "%Y-%m-%d").replace(
                tzinfo=UTC
            )
        except ValueError:
            raise ValueError(_("Give the date every award expires on.")) from None
    elif policy == ExpiryPolicy.DAYS:
        try:
            expires_days = int(form.get("expires_days") or "")
        except ValueError:
            raise ValueError(_("Give the number of days an award stays valid.")) from None
    return lifecycle.BadgeDetails(
        name=form.get("name") or "",
        description=form.get("description") or "",
        tags=(form.get("tags") or "").split(","),
        expiry_policy=policy,
        expires_on=expires_on,
        expires_days=expires_days,
        language=form.get("language"),
    )


@bp.post("/badge/<public_id>/details")
@launch_required(staff=True)
def edit_details(public_id: str):
    badge = _badge(public_id)
    try:
        lifecycle.edit_details(badge, _details_from_form(), *_changed_by())
    except (ValueError, OperationError) as exc:
        db.session.rollback()
        message = str(exc)
        return render_badge_page(badge, details_error=message[:1].upper() + message[1:], status=422)
    return _back("details_saved", "course_awards.badge_page", public_id=public_id)


@bp.post("/badge/<public_id>/languages")
@launch_required(staff=True)
def save_language(public_id: str):
    """Add or replace a language variant of the badge's name, description and criteria."""
    badge = _badge(public_id)
    form = request.form
    try:
        lifecycle.save_language_variant(
            badge,
            form.get("language") or "",
            form.get("name") or "",
            form.get("description") or "",
            form.get("criteria_narrative") or "",
            *_changed_by(),
        )
    except TranslationError as exc:
        message = str(exc)
        return render_badge_page(
            badge, language_error=message[:1].upper() + message[1:], status=422
        )
    return _back("language_saved", "course_awards.badge_page", public_id=public_id)


@bp.post("/badge/<public_id>/languages/<language>/remove")
@launch_required(staff=True)
def remove_language(public_id: str, language: str):
    lifecycle.remove_language_variant(_badge(public_id), language, *_changed_by())
    return _back("language_removed", "course_awards.badge_page", public_id=public_id)


@bp.post("/badge/<public_id>/rule")
@launch_required(staff=True)
def save_rule(public_id: str):
    """Save the criteria builder's rule (conditions, how many are needed, prerequisites,
    deadline, review band)."""
    badge = _badge(public_id)
    form = rule_form(request.form.to_dict(flat=False))
    try:
        doc = awards.check_criteria(form.as_criteria(), badge.context_id, badge.public_id)
    except (ValueError, CriteriaError) as exc:
        return render_badge_page(badge, rule=form, rule_error=str(exc), saving=True, status=422)
    changed = lifecycle.set_criteria(badge, doc, *_changed_by())
    return _after(changed, "criteria_saved_checking" if changed.job else "criteria_saved")


@bp.get("/jobs/<public_id>")
@launch_required(staff=True)
def job_status(public_id: str):
    """A job of this course as the page shows it (polled until ``finished``)."""
    job = course_row_or_404(Job, public_id)
    response = jsonify(job_progress(job).as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response
