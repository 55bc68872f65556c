"""The staff side of the award pipeline inside the LMS iframe: badges and their criteria,
preview and enabling, last sync and "check now", the review queue, manual award and revoke,
CSV import, and creating a graded column in the LMS gradebook.

Every view parses the request, calls one operation, renders or redirects; every link and
form carries the launch token ``lt`` (no cookies in the iframe; a POST carrying it is
CSRF-safe). Staff act only on the course their launch names.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.audit import Actor
from app.awards import lifecycle
from app.awards import operations as awards
from app.awards.models import ReviewItem
from app.awards.pipeline import ingest
from app.connectors.operations import connector_of
from app.course import rules
from app.course.progress import JobProgress, job_progress
from app.course.scope import course_row, course_row_or_404
from app.criteria import CriteriaError, describe, parse_criteria
from app.criteria.titles import name_column_titles
from app.extensions import db
from app.grades import jobs
from app.grades.models import Column, Job, JobState
from app.grades.pushed import parse_csv
from app.grades.sync import create_column
from app.launch_session import current_session, launch_required, launch_url
from app.models import Context, LtiUser, Membership, Registration
from app.notifications.queries import learners_without_email
from app.openbadges.badges import update_badge
from app.openbadges.errors import OperationError
from app.openbadges.models import Assertion, Badge
from app.security.json_input import load_json
from app.security.limits import body_limit
from lti.services import PlatformError

log = logging.getLogger(__name__)
bp = Blueprint("course_awards", __name__, url_prefix="/course/awards")
MAX_CSV_BYTES = 5 * 1024 * 1024
# Outcomes shown after a redirect, by code: no cookie session (hence no flash) in the iframe.
NOTES = {
    "sync_queued": _l("Checking the gradebook now."),
    "column_created": _l(
        "Column created in the LMS gradebook. Grade it there; the tool reads it on the next sync."
    ),
    "column_invalid": _l("A new column needs a name and a maximum score above 0."),
    "column_refused": _l("The LMS refused to create the column."),
    "csv_missing": _l("Choose a CSV file (at most 5 MB)."),
    "criteria_saved": _l("Criteria saved."),
    "criteria_saved_checking": _l(
        "Criteria saved: whoever qualifies under the new rule is awarded the badge."
    ),
    "enabled": _l("Automatic awards are on: whoever qualifies is awarded the badge."),
    "published_enabled": _l(
        "Published, with automatic awards on: learners can see the badge, "
        "and whoever qualifies is awarded it."
    ),
    "disabled": _l("Automatic awards are off. Learners keep the badges they hold."),
    "needs_criteria": _l("Set criteria before enabling automatic awards."),
    "published": _l("Published: learners can see this badge, and you can award it."),
    "restored": _l("Restored: the badge is live again."),
    "archived": _l("Archived: nobody new can earn this badge; awards already given stay valid."),
    "archive_draft": _l("A draft has never been awarded, so there is nothing to archive."),
    "enable_archived": _l("This badge is archived: restore it before turning automatic awards on."),
    "details_saved": _l(
        "Badge details saved. New awards carry them; awards already given keep "
        "what they were issued with."
    ),
    "language_saved": _l(
        "Language version saved. Learners and visitors who read that language "
        "see it; new awards link it."
    ),
    "language_removed": _l("Language version removed."),
    "evidence_scores_on": _l("New automatic awards show the learner's scores in their evidence."),
    "evidence_scores_off": _l("New automatic awards say which criteria were met, without scores."),
    "awarded": _l("Badge awarded."),
    "already_held": _l("That learner already holds this badge; nothing changed."),
    "award_reason": _l("Give a reason for the award: every manual decision is recorded."),
    "award_draft": _l(
        "This badge is still a draft, so it cannot be awarded yet. Publish it, then award it again."
    ),
    "award_archived": _l(
        "This badge is archived, so it cannot be awarded. Restore it first if "
        "it should be earned again."
    ),
    "award_learner": _l(
        "That person is not a learner of this course (any more), so nothing was "
        "awarded. Choose someone from the list."
    ),
    "award_busy": _l("The tool was busy and nothing was awarded. Press Award again."),
    "award_no_key": _l(
        "The issuer of this course has no signing key, so nothing can be awarded. "
        "Ask your Badgebridge administrator to add one."
    ),
    "award_failed": _l(
        "The badge could not be awarded and nothing was saved. Try again; if it "
        "keeps failing, tell your Badgebridge administrator."
    ),
    "revoked": _l("Badge revoked."),
    "revoke_reason": _l(
        "Give a reason for revoking: the learner and anyone verifying the badge "
        "see it, and it is recorded."
    ),
    "already_revoked": _l("That award was already revoked; nothing changed."),
    "revoke_failed": _l(
        "The award could not be revoked and nothing changed. Try again; if it "
        "keeps failing, tell your Badgebridge administrator."
    ),
    "review_decided": _l("Review decided."),
    "review_already": _l("That review was already decided."),
}
ERROR_NOTES = {
    "column_invalid",
    "column_refused",
    "csv_missing",
    "needs_criteria",
    "archive_draft",
    "enable_archived",
    "award_reason",
    "award_draft",
    "award_archived",
    "award_learner",
    "award_busy",
    "award_no_key",
    "award_failed",
    "revoke_reason",
    "already_revoked",
    "revoke_failed",
    "review_already",
}
# An operation's error code -> the note that tells staff what happened and what to do.
AWARD_NOTES = {
    "reason_required": "award_reason",
    "badge_draft": "award_draft",
    "badge_archived": "award_archived",
    "busy": "award_busy",
    "no_key": "award_no_key",
}
REVOKE_NOTES = {"reason_required": "revoke_reason", "already_revoked": "already_revoked"}


def _context() -> Context:
    return db.get_or_404(Context, current_session().context_id)


def _staff() -> Actor:
    """The staff member on the page, as their awards, revocations and reviews record them."""
    return Actor.staff(db.session.get_one(LtiUser, current_session().user_id))


def _changed_by() -> tuple[Actor, str]:
    """Who changes a badge: the launched user the audit trail records, and the staff member
    the change and its job name as ``requested_by``."""
    return Actor.from_request(), str(_staff())


def _badge(public_id: str) -> Badge:
    return course_row_or_404(Badge, public_id)


def _back(note: str, endpoint: str = "course_awards.index", **values: Any):
    return redirect(launch_url(endpoint, note=note, **values), 303)


@bp.context_processor
def _note() -> dict[str, Any]:
    code = request.args.get("note", "")
    return {
        "note": NOTES.get(code),
        "note_code": code if code in NOTES else "",
        "note_is_error": code in ERROR_NOTES,
    }


@bp.get("/")
@launch_required(staff=True)
def index():
    context = _context()
    badges = list(
        db.session.scalars(select(Badge).where(Badge.context_id == context.id).order_by(Badge.id))
    )
    counts = dict(
        db.session.execute(
            select(Assertion.badge_id, func.count())
            .where(Assertion.badge_id.in_([b.id for b in badges]), Assertion.revoked_at.is_(None))
            .group_by(Assertion.badge_id)
        ).all()
    )
    columns = list(
        db.session.scalars(
            select(Column)
            .where(Column.context_id == context.id, Column.active.is_(True))
            .order_by(Column.id)
        )
    )
    dead = list(
        db.session.scalars(
            select(Job)
            .where(Job.context_id == context.id, Job.state == JobState.DEAD)
            .order_by(Job.id.desc())
            .limit(10)
        )
    )
    return render_template(
        "course/awards/index.html",
        context=context,
        badges=badges,
        counts=counts,
        state_name=lifecycle.state_name,
        next_step=lifecycle.next_step,
        job=_followed_job(),
        columns=columns,
        last_synced=jobs.last_synced(context.id),
        last_sync=jobs.last_sync_outcome(context.id),
        reviews=awards.pending_reviews(context.id),
        dead=dead,
        no_email=learners_without_email(context.id),
        connector=connector_of(context.registration_id),
    )


@bp.post("/sync")
@launch_required(staff=True)
def check_now():
    job = jobs.request_job(jobs.SYNC, _context().id, requested_by=str(_staff()))
    if request.form.get("badge"):  # pressed on a badge's page: back there
        return _back(
            "sync_queued",
            "course_awards.badge_page",
            public_id=_badge(request.form["badge"]).public_id,
            job=job.public_id,
        )
    return _back("sync_queued", job=job.public_id)


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
    return render_template(
        "course/awards/import.html", context=context, report=report, result=result
    )


@bp.get("/badge/<public_id>")
@launch_required(staff=True)
def badge_page(public_id: str):
    return render_badge_page(_badge(public_id))


def render_badge_page(
    badge: Badge,
    *,
    details_error: str | None = None,
    language_error: str | None = None,
    rule_error: str | None = None,
    rule: rules.RuleForm | None = None,
    json_draft: str | None = None,
    saving: bool = False,
    status: int = 200,
):
    """The badge page: its state and lifecycle actions, details, criteria (builder and JSON)
    and the preview of who qualifies, the job it is running, and who holds it.

    A draft rule comes from the builder's fields (``?builder=1``), from JSON (``?criteria=``)
    or from a refused save (``rule``/``json_draft`` with ``saving``); errors of a preview say
    so, only a refused save says "Not saved".
    """
    context = _context()
    columns = list(
        db.session.scalars(
            select(Column)
            .where(Column.context_id == context.id, Column.active.is_(True))
            .order_by(Column.id)
        )
    )
    titles = [(c.public_id, c.label) for c in columns]
    if json_draft is None and rule is None:
        json_draft = request.args.get("criteria")
    error, preview, text, doc, previewing = None, None, "", badge.criteria, False
    if rule is None and request.args.get("builder") and request.args.get("add"):
        # "Add" only grows the form by a row of the chosen kind: nothing to preview yet.
        rule = rules.rule_form(request.args.to_dict(flat=False))
        kind, column = request.args.get("new_row", ""), ""
        if kind == "course_total":  # "course total at least N %": a score row on that column
            totals = [c.public_id for c in columns if c.kind == "course_total"]
            kind, column = "score", totals[0] if totals else ""
        rule = rule.with_row(kind, column)
    elif rule is None and request.args.get("builder"):
        rule, previewing = rules.rule_form(request.args.to_dict(flat=False)), True
        try:
            doc = awards.check_criteria(rule.as_criteria(), context.id, badge.public_id)
        except (ValueError, CriteriaError) as exc:
            rule_error, doc = str(exc), None
    elif rule is not None:
        doc = None  # a refused save: show what was typed, preview nothing
    elif json_draft is not None:
        previewing = True
        try:
            doc = awards.check_criteria(load_json(json_draft), context.id, badge.public_id)
        except (ValueError, CriteriaError) as exc:
            error, doc = str(exc), None
    badges = list(
        db.session.scalars(select(Badge).where(Badge.context_id == context.id).order_by(Badge.id))
    )
    if doc:
        names = {b.public_id: b.name for b in badges}
        kinds = {c.public_id: c.kind for c in columns}
        text = describe(parse_criteria(doc), dict(titles), names, kinds)
        preview = awards.preview(badge, doc)
    if rule is None:
        rule = rules.form_of_criteria(doc if previewing else badge.criteria)
    if json_draft is None or (doc and not error):
        json_draft = json.dumps(name_column_titles(doc or badge.criteria or {}, titles), indent=2)
    rule_fits = rule is not None
    holders = list(
        db.session.scalars(
            select(Assertion)
            .where(Assertion.badge_id == badge.id)
            .order_by(Assertion.id.desc())
            .limit(500)
        )
    )
    learners = list(
        db.session.scalars(
            select(LtiUser)
            .join(Membership, Membership.user_id == LtiUser.id)
            .where(Membership.context_id == context.id, Membership.is_staff.is_(False))
            .order_by(LtiUser.name)
        )
    )
    return render_template(
        "course/awards/badge.html",
        context=context,
        badge=badge,
        columns=columns,
        criteria_json=json_draft,
        error=error,
        preview=preview,
        criteria_text=text,
        holders=holders,
        learners=learners,
        draft=previewing and doc is not None,
        state=lifecycle.state_name(badge),
        next_step=lifecycle.next_step(badge),
        rule=rule or rules.RuleForm(),
        rule_fits=rule_fits,
        other_badges=[b for b in badges if b.id != badge.id],
        error_prefix=_("Not saved") if saving else _("Cannot preview"),
        details_error=details_error,
        language_error=language_error,
        rule_error=rule_error,
        job=_followed_job(),
        tags=", ".join(badge.tags or []),
    ), status


def _followed_job() -> JobProgress | None:
    """The job named by ``?job=`` (one the page started), if it belongs to this course."""
    public_id = request.args.get("job")
    if not public_id:
        return None
    job = course_row(Job, public_id)
    return job_progress(job) if job is not None else None


@bp.post("/badge/<public_id>/criteria")
@launch_required(staff=True)
def save_criteria(public_id: str):
    badge = _badge(public_id)
    draft = request.form.get("criteria") or "null"
    try:
        doc = awards.check_criteria(load_json(draft), badge.context_id, badge.public_id)
    except (ValueError, CriteriaError) as exc:
        # Back to the editor with the draft: the page names what is wrong with it.
        log.info("criteria of badge %s refused: %s", public_id, exc)
        return render_badge_page(badge, json_draft=draft, saving=True, status=422)
    changed = lifecycle.set_criteria(badge, doc, *_changed_by())
    return _after(changed, "criteria_saved_checking" if changed.job else "criteria_saved")


@bp.post("/badge/<public_id>/enabled")
@launch_required(staff=True)
def set_enabled(public_id: str):
    badge = _badge(public_id)
    enable = request.form.get("enabled") == "1"
    try:
        changed = lifecycle.set_enabled(badge, enable, *_changed_by())
    except lifecycle.LifecycleError as exc:
        return _back(
            {"archived": "enable_archived"}.get(exc.code, "needs_criteria"),
            "course_awards.badge_page",
            public_id=public_id,
        )
    if not enable:
        return _after(changed, "disabled")
    return _after(changed, "published_enabled" if changed.published else "enabled")


def _after(changed: lifecycle.Changed, note: str):
    """Back to the badge page; with the evaluation job it started, which the page follows."""
    job = {"job": changed.job.public_id} if changed.job is not None else {}
    return _back(note, "course_awards.badge_page", public_id=changed.badge.public_id, **job)


@bp.post("/badge/<public_id>/evidence-scores")
@launch_required(staff=True)
def set_evidence_scores(public_id: str):
    """Choose whether automatic awards put the learner's scores into the public evidence."""
    shows = request.form.get("scores") == "1"
    update_badge(_badge(public_id), evidence_shows_scores=shows)
    return _back(
        "evidence_scores_on" if shows else "evidence_scores_off",
        "course_awards.badge_page",
        public_id=public_id,
    )


@bp.post("/badge/<public_id>/award")
@launch_required(staff=True)
def award(public_id: str):
    badge = _badge(public_id)
    user = db.session.scalar(
        select(LtiUser)
        .join(Membership, Membership.user_id == LtiUser.id)
        .where(
            Membership.context_id == badge.context_id,
            Membership.is_staff.is_(False),
            LtiUser.public_id == request.form.get("user_id", ""),
        )
    )
    if user is None:
        return _back("award_learner", "course_awards.badge_page", public_id=public_id)
    held = db.session.scalar(
        select(Assertion.id).where(
            Assertion.badge_id == badge.id,
            Assertion.lti_user_id == user.id,
            Assertion.revoked_at.is_(None),
        )
    )
    try:
        awards.award_manually(badge, user, _staff(), request.form.get("reason", ""))
    except OperationError as exc:
        db.session.rollback()
        log.warning("manual award of badge %s refused: %s (%s)", badge.public_id, exc.code, exc)
        return _back(
            AWARD_NOTES.get(exc.code, "award_failed"),
            "course_awards.badge_page",
            public_id=public_id,
        )
    return _back(
        "already_held" if held else "awarded", "course_awards.badge_page", public_id=public_id
    )


@bp.post("/assertion/<public_id>/revoke")
@launch_required(staff=True)
def revoke(public_id: str):
    assertion = course_row_or_404(Assertion, public_id)
    badge_id = assertion.badge.public_id
    try:
        awards.revoke_award(assertion, _staff(), request.form.get("reason", ""))
    except OperationError as exc:
        db.session.rollback()
        log.warning("revocation of %s refused: %s (%s)", public_id, exc.code, exc)
        return _back(
            REVOKE_NOTES.get(exc.code, "revoke_failed"),
            "course_awards.badge_page",
            public_id=badge_id,
        )
    return _back("revoked", "course_awards.badge_page", public_id=badge_id)


@bp.post("/review/<public_id>")
@launch_required(staff=True)
def decide(public_id: str):
    item = course_row_or_404(ReviewItem, public_id)
    try:
        awards.decide_review(
            item,
            request.form.get("decision") == "approve",
            _staff(),
            request.form.get("reason", ""),
            current_session().user_id,
        )
    except OperationError as exc:
        db.session.rollback()
        return _back(
            "review_already" if exc.code == "invalid" else AWARD_NOTES.get(exc.code, "award_failed")
        )
    return _back("review_decided")
