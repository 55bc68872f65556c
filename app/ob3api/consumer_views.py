"""The consumer's routes: a learner sends a badge to a host from My badges, and the host
sends their browser back here."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from app.launch_session import current_session, launch_required
from app.ob3api import consumer, spec

bp = Blueprint("ob3consumer", __name__)


@bp.post("/learner/assertions/<public_id>/send")
@launch_required()
def send(public_id: str):
    """Discover and register at the host the learner named, then offer the sign-in link
    (opened in a new tab: the host's sign-in never runs inside the LMS frame)."""
    session = current_session()
    host = request.form.get("host", "")
    try:
        url = consumer.start_push(public_id, session.user_id, session.context_id, host)
    except LookupError:
        abort(404, description=_("No such badge in your course."))
    except consumer.PushError as exc:
        return render_template("ob3api/send.html", error=str(exc), url=None), 502
    return render_template("ob3api/send.html", error=None, url=url, host=host)


@bp.get(consumer.CALLBACK_PATH)
def callback():
    """The host's answer: exchange the code and send the credential."""
    try:
        push = consumer.finish_push(
            request.args.get("state", ""), request.args.get("code"), request.args.get("error")
        )
    except consumer.PushError as exc:
        return render_template(
            "error.html", title=_("The badge was not sent"), message=str(exc), status=502
        ), 502
    return render_template("ob3api/sent.html", push=push), 200, {"Cache-Control": "no-store"}


@bp.get(spec.TERMS_PATH)
@bp.get(spec.PRIVACY_PATH)
def policy():
    """What the OB 3.0 API shares and keeps: the SDD's terms and privacy policy."""
    return render_template("ob3api/policy.html")
