"""Moodle's web service endpoint, ``/webservice/rest/server.php`` (REST protocol, JSON)."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from lti.sandbox import moodle_ws
from lti.sandbox.db import session
from lti.sandbox.models import WsSite
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
