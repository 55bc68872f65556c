"""Moodle's web service endpoint, ``/webservice/rest/server.php`` (REST protocol, JSON)."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from lti.sandbox import moodle_ws, seed
from lti.sandbox.db import session
from lti.sandbox.models import Activity, Course, WsSite, WsToken
from lti.sandbox.views.common import bp, iss, only


@bp.route("/webservice/rest/server.php", methods=["GET", "POST"])
@only("moodle")
def rest_server() -> Response:
    """Answer one function call; 403 with an empty HTML body while web services or REST are
    off, as Moodle does (the one answer that is not JSON)."""
    s = session()
    site = s.get(WsSite, g.platform.id)
    if site is None or not site.rest_enabled:
        return Response("", status=403, mimetype="text/html")
    if (request.values.get("moodlewsrestformat") or "xml") != "json":
        # Moodle's default format is XML; this sandbox speaks only JSON.
        return Response("", status=400, mimetype="text/html")
    return jsonify(moodle_ws.answer(s, g.platform, request.values, iss()))


@bp.route("/admin/webservices", methods=["GET", "POST"])
@only("moodle")
def admin_webservices() -> Any:
    """Site administration > Server > Web services, in one page: the REST switch, tokens of
    the web-service user (with its service's functions and its role's capabilities), and
    native activities with completion for the courses (what an LMS admin and teacher set)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy
    slug, form, message = g.platform.slug, request.form, None
    if request.method == "POST":
        action = form.get("action")
        try:
            if action == "rest":
                seed.set_web_services(app, slug, rest_enabled=form.get("enabled") == "on")
                message = "Web services and REST " + ("on." if form.get("enabled") else "off.")
            elif action == "token":
                token = seed.create_ws_token(
                    app,
                    slug,
                    functions=form.getlist("functions"),
                    capabilities=form.getlist("capabilities"),
                )
                message = f"Token created: {token}"
            elif action == "delete":
                seed.delete_ws_token(app, form.get("token", ""))
                message = "Token deleted."
            elif action == "activity":
                cmid, _item = seed.add_activity(
                    app,
                    slug,
                    int(form.get("course") or 0),
                    form.get("name", "").strip(),
                    modname=form.get("modname", "assign"),
                    maximum=float(form.get("maximum") or 0) or None,
                    completion=1,
                    course_criterion=form.get("criterion") == "on",
                )
                message = f"Activity added (cmid {cmid})."
            elif action == "complete":
                seed.set_completion(
                    app,
                    slug,
                    int(form.get("cmid") or 0),
                    form.get("learner", "").strip(),
                    1 if form.get("state") == "1" else 0,
                )
                message = "Completion saved."
        except (LookupError, ValueError) as exc:
            message = f"Not saved: {exc}"
        return redirect(url_for("sandbox.admin_webservices", msg=message))
    s = session()
    site = s.get(WsSite, g.platform.id)
    return render_template(
        "sandbox/webservices.html",
        platform=g.platform,
        message=request.args.get("msg"),
        rest_enabled=bool(site and site.rest_enabled),
        tokens=list(s.scalars(select(WsToken).where(WsToken.platform_id == g.platform.id))),
        functions=moodle_ws.KNOWN,
        implemented=moodle_ws.IMPLEMENTED,
        capabilities=seed.WS_CAPABILITIES,
        courses=list(s.scalars(select(Course).where(Course.platform_id == g.platform.id))),
        activities=list(
            s.scalars(
                select(Activity)
                .join(Course)
                .where(Course.platform_id == g.platform.id)
                .order_by(Activity.id)
            )
        ),
    )
