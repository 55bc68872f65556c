"""Learner routes: My badges (rendered at the course's learner landing page), accepting an
award and choosing its visibility — from the page (launch token) or from the email's signed
accept link (no login).

Every award is looked up through the launch session's learner *and* course, so another
learner's award is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.awards import operations as awards
from app.downloads import as_download
from app.extensions import db
from app.launch_session import current_membership, current_session, launch_required, launch_url
from app.learner import service
from app.learner.tokens import emailed_assertion
from app.models import Context
from app.openbadges import clr, documents, operations, urls
from app.openbadges.models import Assertion, Badge
from app.sharing.models import ShareChannel, ShareSource
from app.sharing.operations import linkedin_profile_url, verify_url

bp = Blueprint("learner", __name__, url_prefix="/learner")

NOTICES = {
    "accepted": _l("Badge accepted. It is yours to share."),
    "public": _l("Your name now shows on the badge's public page."),
    "hidden": _l("Your name is now hidden on the badge's public page. The badge still verifies."),
    "app-approved": _l("Approved. Go back to the app's page: it continues by itself."),
    "app-denied": _l("Denied. The app gets no access to your badges."),
}


def share_links(assertion: Assertion, source: str = ShareSource.COURSE) -> dict[str, str]:
    """The counted share and download links of one award (public: no launch token in them,
    so none leaks to LinkedIn or into a saved file's origin)."""
    base = url_for("sharing.follow", public_id=assertion.public_id, channel="_")[:-1]
    links = {channel: f"{base}{channel}?from={source}" for channel in ShareChannel.ALL}
    links["public_url"] = verify_url(assertion)
    return links


def render_my_badges():
    """The learner's landing page in the course (the course blueprint's learner route)."""
    session = current_session()
    membership = current_membership()  # read with its course and person by the check
    context, user = membership.context, membership.user
    page = service.my_badges(context.id, user.id)
    return render_template(
        "course/learner.html",
        context=context,
        user=user,
        membership=membership,
        session=session,
        page=page,
        share_links=share_links,
        notice=NOTICES.get(request.args.get("notice", "")),
    )


@bp.get("/all")
@launch_required()
def all_badges():
    """The learner's badges across every course of this LMS, this course's first."""
    session = current_session()
    context = db.get_or_404(Context, session.context_id)
    return render_template(
        "learner/all.html",
        context=context,
        groups=service.all_my_badges(session.context_id, session.user_id),
        share_links=share_links,
    )


@bp.post("/record")
@launch_required()
def course_record():
    """Download the learner's signed CLR 2.0 record: of this course, or (``scope=all``) of
    every course of this LMS; ``format=jwt`` for the VC-JWT form. A POST, so the launch token
    rides in the form and never in a saved file's origin URL."""
    session = current_session()
    build = clr.platform_record if request.form.get("scope") == "all" else clr.course_record
    try:
        record = build(session.user_id, session.context_id)
    except clr.ClrError as exc:
        abort(404, description=str(exc))
    if request.form.get("format") == "jwt":
        response = Response(record.jwt, mimetype="application/vc+jwt")
        return as_download(response, record.name, "jwt", "course-record")
    body = json.dumps(record.credential, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/vc+ld+json")
    return as_download(response, record.name, "json", "course-record")


def _own_assertion(public_id: str) -> Assertion:
    session = current_session()
    assertion = db.session.scalar(
        select(Assertion)
        .join(Badge, Badge.id == Assertion.badge_id)
        .where(
            Assertion.public_id == public_id,
            Assertion.lti_user_id == session.user_id,
            Badge.context_id == session.context_id,
        )
    )
    if assertion is None:
        abort(404, description=_("No such badge in your course."))
    return assertion


def _back(notice: str, assertion: Assertion):
    return redirect(
        launch_url(
            "course.learner_home",
            notice=notice,
            _anchor=f"award-{assertion.public_id}",
        ),
        303,
    )


@bp.post("/assertions/<public_id>/accept")
@launch_required()
def accept(public_id: str):
    assertion = _own_assertion(public_id)
    if assertion.revoked:
        abort(409, description=_("This badge was revoked and cannot be accepted."))
    awards.accept(assertion)
    return _back("accepted", assertion)


@bp.post("/assertions/<public_id>/visibility")
@launch_required()
def visibility(public_id: str):
    assertion = _own_assertion(public_id)
    public = request.form.get("public") == "1"
    operations.set_public(assertion, public)
    return _back("public" if public else "hidden", assertion)


# --- the email's accept link -------------------------------------------------------------------


def _accept_page(assertion: Assertion, token: str, notice: str | None = None):
    badge = assertion.badge
    context = db.session.get(Context, badge.context_id) if badge.context_id else None
    return render_template(
        "learner/accept.html",
        assertion=assertion,
        badge=badge,
        issuer=badge.issuer,
        course=context,
        token=token,
        notice=notice,
        links=share_links(assertion, ShareSource.EMAIL),
        linkedin_url=linkedin_profile_url(assertion),
        image_url=documents.badge_image_url(badge, assertion.image_version),
        verify=urls.public_url(urls.VERIFY_PAGE, assertion.public_id),
        revoked=assertion.revoked,
        expired=assertion.is_expired(),
    )


@bp.get("/accept/<token>")
def accept_link(token: str):
    """Show the award with an Accept button. A GET never accepts: mail scanners follow links."""
    response = _accept_page(emailed_assertion(token), token)
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.post("/accept/<token>")
def accept_by_link(token: str):
    """Accept (and optionally set the visibility) with the email's token."""
    assertion = emailed_assertion(token)
    if assertion.revoked:
        abort(409, description=_("This badge was revoked and cannot be accepted."))
    notice = None
    if request.form.get("action") == "accept":
        awards.accept(assertion)
        notice = NOTICES["accepted"]
    elif request.form.get("action") == "visibility":
        public = request.form.get("public") == "1"
        operations.set_public(assertion, public)
        notice = NOTICES["public" if public else "hidden"]
    return (
        _accept_page(assertion, token, notice),
        200,
        {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
