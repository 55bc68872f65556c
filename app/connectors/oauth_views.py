"""Staff authorize Badgebridge to read their course in Canvas (OAuth 2, thin views).

``/connectors/canvas/authorize`` opens in a new window from the staff course page (Canvas's
authorization page refuses to be framed) and sends the browser to Canvas with a ``state``
bound to the launch; Canvas returns to ``/connectors/canvas/callback``, which needs no launch
token: the single-use state names the course and instructor.
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.connectors import canvas_oauth
from app.connectors.base import ConnectorError
from app.extensions import db
from app.i18n import shown
from app.launch_session import current_session, launch_required
from app.models import Context

log = logging.getLogger(__name__)

bp = Blueprint("canvas_oauth", __name__, url_prefix="/connectors/canvas")


def _callback_url() -> str:
    return url_for("canvas_oauth.callback", _external=True)


def _page(title: str, message: str, status: int = 200, ok: bool = False):
    return render_template(
        "connectors/canvas_authorized.html", title=title, message=message, ok=ok
    ), status


@bp.get("/authorize")
@launch_required(staff=True)
def authorize():
    """Send the instructor to Canvas to authorize the course."""
    session = current_session()
    connector = canvas_oauth.oauth_connector(session.registration_id)
    if connector is None:
        return _page(
            _("Canvas OAuth is off"),
            _(
                "An admin has not set up a Canvas API developer key for this registration in the "
                "Badgebridge console (Gradebook connector), so there is nothing to authorize."
            ),
            409,
        )
    state = canvas_oauth.start(session.context_id, session.user_id, session.launch_id)
    return redirect(canvas_oauth.authorize_url(connector, state, _callback_url()))


@bp.get("/callback")
def callback():
    """Canvas's answer: a code to trade for tokens, or an error (Canvas sends some errors,
    such as ``invalid_scope``, without the state, so they are explained without a course)."""
    pending = canvas_oauth.take(request.args.get("state", ""))
    error = request.args.get("error")
    if error:
        log.info("canvas authorization refused: %s", error[:60])
        return _page(_("Not authorized"), _refusal(error), 400)
    if pending is None:
        return _page(
            _("Authorization expired"),
            _(
                "This authorization was already used or took longer than 10 minutes (or you no "
                "longer teach the course). Go back to the course page in the LMS and choose "
                "\u201cAuthorize Canvas\u201d again."
            ),
            400,
        )
    context = db.session.get(Context, pending.context_id)
    connector = canvas_oauth.oauth_connector(context.registration_id) if context else None
    if connector is None:
        return _page(
            _("Canvas OAuth is off"), _("The Canvas connector was turned off meanwhile."), 409
        )
    try:
        canvas_oauth.complete(connector, pending, request.args.get("code", ""), _callback_url())
    except ConnectorError as exc:
        return _page(_("Not authorized"), shown(exc.args[0]), 400)
    return _page(
        _("Canvas authorized"),
        _(
            "Badgebridge may now read the Canvas gradebook of \u201c%(course)s\u201d. Close "
            "this window and choose Check now on the course page.",
            course=context.title,
        ),
        ok=True,
    )


def _refusal(error: str) -> str:
    """The sentence for an ``error`` Canvas sent back instead of a code."""
    if error == "access_denied":
        return _(
            "You chose Cancel in Canvas, so Badgebridge cannot read this course's Canvas "
            "gradebook. Choose \u201cAuthorize Canvas\u201d again to allow it."
        )
    if error == "invalid_scope":
        return _(
            "Canvas refused the authorization because the developer key enforces scopes that do "
            "not match what Badgebridge asked for: an admin allows the scopes the README lists "
            "on the key and ticks \u201cThe key enforces scopes\u201d in the Badgebridge "
            "console, then you choose \u201cAuthorize Canvas\u201d again."
        )
    return _(
        "Canvas refused the authorization (%(error)s); an admin checks the developer key "
        "(state ON, redirect URI) in Canvas.",
        error=error[:60],
    )
