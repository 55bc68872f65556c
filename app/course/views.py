"""Course landing pages after a launch: one for staff, one for learners."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.awards import lifecycle
from app.connectors.canvas_oauth import course_status
from app.designer.operations import course_badges
from app.extensions import db
from app.launch_session import current_session, launch_required
from app.learner.views import render_my_badges
from app.models import Context, LtiUser, Membership

bp = Blueprint("course", __name__, url_prefix="/course")


def _page_data() -> dict[str, object]:
    session = current_session()
    context = db.get_or_404(Context, session.context_id)
    user = db.get_or_404(LtiUser, session.user_id)
    membership = (
        db.session.query(Membership).filter_by(context_id=context.id, user_id=user.id).one_or_none()
    )
    return {"context": context, "user": user, "membership": membership, "session": session}


@bp.get("/staff")
@launch_required(staff=True)
def staff_home():
    session = current_session()
    return render_template(
        "course/staff.html",
        badges=course_badges(session.context_id),
        state_name=lifecycle.state_name,
        next_step=lifecycle.next_step,
        canvas_oauth=course_status(session.registration_id, session.context_id),
        **_page_data(),
    )


@bp.get("/learner")
@launch_required()
def learner_home():
    # The learner's side lives in app.learner (My badges); this URL stays the launch target.
    return render_my_badges()
