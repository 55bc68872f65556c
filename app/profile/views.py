"""The learner's profile settings (inside the LMS) and the public profile page (thin views)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.launch_session import current_session, launch_required, launch_url
from app.learner import service
from app.models import Context
from app.profile import operations

bp = Blueprint("profile", __name__)


@bp.get("/learner/profile")
@launch_required()
def settings():
    """Turn the public profile on or off and choose the badges it shows."""
    session = current_session()
    profile = operations.profile_of(session.user_id)
    return render_template(
        "profile/settings.html",
        context=db.get_or_404(Context, session.context_id),
        profile=profile,
        chosen=operations.chosen_ids(session.user_id),
        groups=service.all_my_badges(session.context_id, session.user_id),
        public_url=url_for("profile.public", slug=profile.slug, _external=True)
        if profile
        else None,
        saved=request.args.get("saved") == "1",
    )


@bp.post("/learner/profile")
@launch_required()
def save():
    """Save the choice; back to the settings (POST, redirect, GET)."""
    operations.save_profile(
        current_session().user_id,
        public=request.form.get("public") == "on",
        assertion_public_ids=request.form.getlist("badge"),
    )
    return redirect(launch_url("profile.settings", saved="1"), 303)


@bp.get("/profile/<slug>")
def public(slug: str):
    """The public profile: the learner's chosen, valid badges. Off or unknown: an HTML 404."""
    found = operations.public_profile(slug)
    if found is None:
        abort(404, description=_("There is no public profile at this address."))
    return render_template("profile/public.html", profile=found)
