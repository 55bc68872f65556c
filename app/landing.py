"""The tool's root URL and its icon: a short page saying what Badgebridge is (a person who
opens the tool's address, or an LMS admin following a link, lands somewhere useful) and
``/favicon.ico``, which browsers ask every host for."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, send_from_directory

from lti.tool_urls import tool_urls

bp = Blueprint("landing", __name__)


@bp.get("/")
def index() -> str:
    return render_template("landing.html", urls=tool_urls())


@bp.get("/favicon.ico")
def favicon() -> Response:
    folder = current_app.static_folder
    assert folder is not None  # the app is created with its static folder
    response = send_from_directory(
        folder,
        "favicon.ico",
        mimetype="image/vnd.microsoft.icon",
        max_age=86_400,
    )
    return response
