"""The staff side of the award pipeline inside the LMS iframe: badges and their criteria,
preview and enabling, last sync and "check now", the review queue, manual award and revoke,
CSV import, and creating a graded column in the LMS gradebook.

Every view parses the request, calls one operation, renders or redirects; every link and
form carries the launch token ``lt`` (no cookies in the iframe; a POST carrying it is
CSRF-safe). Staff act only on the course their launch names.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import func, select

from app.awards import operations as awards
from app.awards.models import ReviewItem
from app.awards.pipeline import ingest
from app.criteria import CriteriaError, describe, parse_criteria
from app.extensions import db
from app.grades import jobs
from app.grades.models import Column, Job, JobState
from app.grades.operations import parse_csv
from app.grades.sync import create_column
from app.launch_session import current_session, launch_required
from app.models import Context, LtiUser, Membership, Registration
from app.notifications.queries import learners_without_email
from app.openbadges.models import Assertion, Badge
from app.openbadges.operations import OperationError, update_badge
from app.security.json_input import load_json
from app.security.limits import body_limit
from lti.services import PlatformError

bp = Blueprint("course_awards", __name__, url_prefix="/course/awards")
MAX_CSV_BYTES = 5 * 1024 * 1024
# Outcomes shown after a redirect, by code: no cookie session (hence no flash) in the iframe.
NOTES = {
    "sync_queued": "Checking the gradebook now; reload to see when it finished.",
    "column_created": "Column created in the LMS gradebook. Grade it there; the tool reads it "
                      "on the next sync.",
    "column_invalid": "A new column needs a name and a maximum score above 0.",
    "column_refused": "The LMS refused to create the column.",
    "csv_missing": "Choose a CSV file (at most 5 MB).",
    "criteria_saved": "Criteria saved.",
    "enabled": "Automatic awards are on: existing grades were evaluated.",
    "disabled": "Automatic awards are off.",
    "needs_criteria": "Set criteria before enabling automatic awards.",
    "evidence_scores_on": "New automatic awards show the learner's scores in their evidence.",
    "evidence_scores_off": "New automatic awards say which criteria were met, without scores.",
    "awarded": "Badge awarded.",
    "needs_reason": "Give a reason: every manual decision is recorded.",
    "revoked": "Badge revoked.",
    "review_decided": "Review decided.",
    "review_already": "That review was already decided.",
}


def _context() -> Context:
    return db.get_or_404(Context, current_session().context_id)


def _actor() -> str:
    user = db.session.get(LtiUser, current_session().user_id)
    return f"staff:{user.public_id} {user.name}".strip()


def _badge(public_id: str) -> Badge:
    badge = db.session.scalar(select(Badge).where(Badge.public_id == public_id))
    if badge is None or badge.context_id != current_session().context_id:
        abort(404)
    return badge


def _back(note: str, endpoint: str = "course_awards.index", **values: Any):
    return redirect(url_for(endpoint, lt=request.values.get("lt"), note=note, **values), 303)


@bp.context_processor
def _note() -> dict[str, Any]:
    code = request.args.get("note", "")
    return {"note": NOTES.get(code), "note_is_error": code in {
        "column_invalid", "column_refused", "csv_missing", "needs_criteria", "needs_reason",
        "review_already"}}


@bp.get("/")
@launch_required(staff=True)
def index():
    context = _context()
    badges = list(db.session.scalars(select(Badge).where(Badge.context_id == context.id)
                                     .order_by(Badge.id)))
    counts = dict(db.session.execute(
        select(Assertion.badge_id, func.count()).where(
            Assertion.badge_id.in_([b.id for b in badges]), Assertion.revoked_at.is_(None))
        .group_by(Assertion.badge_id)).all())
    columns = list(db.session.scalars(select(Column).where(
        Column.context_id == context.id, Column.active.is_(True)).order_by(Column.id)))
    last_job = db.session.scalars(select(Job).where(
        Job.context_id == context.id, Job.kind == jobs.SYNC).order_by(Job.id.desc())).first()
    dead = list(db.session.scalars(select(Job).where(
        Job.context_id == context.id, Job.state == JobState.DEAD).order_by(Job.id.desc())
        .limit(10)))
    return render_template(
        "course/awards/index.html", context=context, badges=badges, counts=counts,
        columns=columns, last_synced=jobs.last_synced(context.id), last_job=last_job,
        reviews=awards.pending_reviews(context.id), dead=dead,
        no_email=learners_without_email(context.id))


@bp.post("/sync")
@launch_required(staff=True)
def check_now():
    jobs.request_job(jobs.SYNC, _context().id, requested_by=_actor())
    return _back("sync_queued")


@bp.post("/columns")
@launch_required(staff=True)
def new_column():
    label = (request.form.get("label") or "").strip()
    try:
        maximum = float(request.form.get("score_maximum") or 0)
    except ValueError:
        maximum = 0
    if not label or maximum <= 0:
        return _back("column_invalid")
    try:
        create_column(_context().id, label, maximum)
    except PlatformError:
        return _back("column_refused")
    return _back("column_created")


@bp.post("/import")
@body_limit(MAX_CSV_BYTES + 64 * 1024)  # the file plus the form's fields
@launch_required(staff=True)
def import_csv():
    upload = request.files.get("file")
    data = upload.read(MAX_CSV_BYTES + 1) if upload else b""
    if not data or len(data) > MAX_CSV_BYTES:
        return _back("csv_missing")
    context = _context()
    registration = db.session.get(Registration, context.registration_id)
    report = parse_csv(context, registration.issuer, data.decode("utf-8", errors="replace"))
    db.session.commit()
    result = ingest(report.events)
    return render_template("course/awards/import.html", context=context, report=report,
                           result=result)


@bp.get("/badge/<public_id>")
@launch_required(staff=True)
def badge_page(public_id: str):
    badge = _badge(public_id)
    context = _context()
    columns = list(db.session.scalars(select(Column).where(
        Column.context_id == context.id, Column.active.is_(True)).order_by(Column.id)))
    draft = request.args.get("criteria")
    error, preview, text = None, None, ""
    doc = badge.criteria
    if draft is not None:
        try:
            doc = awards.check_criteria(json.loads(draft), context.id, badge.public_id)
        except (ValueError, CriteriaError) as exc:
            error, doc = str(exc), None
    if doc:
        labels = {c.public_id: c.label for c in columns}
        names = {b.public_id: b.name for b in db.session.scalars(
            select(Badge).where(Badge.context_id == context.id))}
        text = describe(parse_criteria(doc), labels, names)
        preview = awards.preview(badge, doc)
    holders = list(db.session.scalars(select(Assertion).where(Assertion.badge_id == badge.id)
                                      .order_by(Assertion.id.desc()).limit(500)))
    learners = list(db.session.scalars(
        select(LtiUser).join(Membership, Membership.user_id == LtiUser.id)
        .where(Membership.context_id == context.id, Membership.is_staff.is_(False))
        .order_by(LtiUser.name)))
    return render_template(
        "course/awards/badge.html", context=context, badge=badge, columns=columns,
        criteria_json=draft if draft is not None else json.dumps(badge.criteria or {}, indent=2),
        error=error, preview=preview, criteria_text=text, holders=holders, learners=learners,
        draft=draft is not None and error is None)


@bp.post("/badge/<public_id>/criteria")
@launch_required(staff=True)
def save_criteria(public_id: str):
    badge = _badge(public_id)
    try:
        doc = awards.check_criteria(load_json(request.form.get("criteria") or "null"),
                                    badge.context_id, badge.public_id)
    except (ValueError, CriteriaError):
        # Back to the editor with the draft: the page names what is wrong with it.
        return redirect(url_for("course_awards.badge_page", public_id=public_id,
                                lt=request.values.get("lt"),
                                criteria=request.form.get("criteria") or ""), 303)
    update_badge(badge, criteria=doc)
    awards.badge_saved(badge, requested_by=_actor())
    return _back("criteria_saved", "course_awards.badge_page", public_id=public_id)


@bp.post("/badge/<public_id>/enabled")
@launch_required(staff=True)
def set_enabled(public_id: str):
    badge = _badge(public_id)
    enable = request.form.get("enabled") == "1"
    if enable and not badge.criteria:
        return _back("needs_criteria", "course_awards.badge_page", public_id=public_id)
    update_badge(badge, enabled=enable)
    awards.badge_saved(badge, requested_by=_actor())
    return _back("enabled" if enable else "disabled", "course_awards.badge_page",
                 public_id=public_id)


@bp.post("/badge/<public_id>/evidence-scores")
@launch_required(staff=True)
def set_evidence_scores(public_id: str):
    """Choose whether automatic awards put the learner's scores into the public evidence."""
    shows = request.form.get("scores") == "1"
    update_badge(_badge(public_id), evidence_shows_scores=shows)
    return _back("evidence_scores_on" if shows else "evidence_scores_off",
                 "course_awards.badge_page", public_id=public_id)


@bp.post("/badge/<public_id>/award")
@launch_required(staff=True)
def award(public_id: str):
    badge = _badge(public_id)
    user = db.session.scalar(
        select(LtiUser).join(Membership, Membership.user_id == LtiUser.id)
        .where(Membership.context_id == badge.context_id,
               LtiUser.public_id == request.form.get("user_id", "")))
    if user is None:
        abort(404)
    try:
        awards.award_manually(badge, user, _actor(), request.form.get("reason", ""))
    except OperationError:
        return _back("needs_reason", "course_awards.badge_page", public_id=public_id)
    return _back("awarded", "course_awards.badge_page", public_id=public_id)


@bp.post("/assertion/<public_id>/revoke")
@launch_required(staff=True)
def revoke(public_id: str):
    assertion = db.session.scalar(select(Assertion).where(Assertion.public_id == public_id))
    if assertion is None or assertion.badge.context_id != current_session().context_id:
        abort(404)
    try:
        awards.revoke_award(assertion, _actor(), request.form.get("reason", ""))
    except OperationError:
        return _back("needs_reason", "course_awards.badge_page",
                     public_id=assertion.badge.public_id)
    return _back("revoked", "course_awards.badge_page", public_id=assertion.badge.public_id)


@bp.post("/review/<public_id>")
@launch_required(staff=True)
def decide(public_id: str):
    item = db.session.scalar(select(ReviewItem).where(ReviewItem.public_id == public_id))
    if item is None or item.badge.context_id != current_session().context_id:
        abort(404)
    try:
        awards.decide_review(item, request.form.get("decision") == "approve", _actor(),
                             request.form.get("reason", ""), current_session().user_id)
    except OperationError:
        return _back("review_already")
    return _back("review_decided")
