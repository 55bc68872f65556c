"""Designer routes under ``/course/designer``: the page, the live preview, save and upload."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.launch_session import launch_required

bp = Blueprint("designer", __name__, url_prefix="/course/designer")


@bp.get("/")
@launch_required(staff=True)
def index() -> str:
    """The designer page."""
    return render_template("designer/index.html")
