"""Designer routes under ``/course/designer``: the page, the live preview, save and upload.

Every route needs a staff launch token (``lt`` field or ``Authorization: Bearer``), which is
also what makes the POSTs CSRF-safe inside the cookie-less LMS iframe. Views parse the
request, call one function of ``preview`` or ``operations``, and answer; JSON for the page's
script, with ``errors`` keyed by the form field each message belongs next to.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext as _

from app.awards import lifecycle
from app.designer import operations
from app.designer.operations import DesignerError, NewBadge, SavedArtwork
from app.designer.preview import icon_choices, preview
from app.extensions import db
from app.launch_session import current_session, launch_required, launch_url
from app.models import Context
from app.openbadges import documents
from app.openbadges.badges import Upload
from app.security.json_input import JsonInputError, load_json
from app.security.limits import body_limit
from badge_design.design import (
    DEFAULT_DESIGN,
    GRADIENT_DIRECTIONS,
    MAX_ALT_TEXT_CHARS,
    MAX_BORDER_WIDTH,
    MAX_SUBTITLE_CHARS,
    MAX_TITLE_CHARS,
    TEMPLATES,
    TIERS,
    design_to_dict,
)
from badge_design.raster import MAX_RASTER_BYTES

bp = Blueprint("designer", __name__, url_prefix="/course/designer")

#: A design document is a few hundred bytes; anything far larger is not one.
MAX_DESIGN_BYTES = 64 * 1024
#: The largest upload body: the biggest raster the checker accepts plus the form's fields.
MAX_UPLOAD_BYTES = MAX_RASTER_BYTES + 64 * 1024


def _context() -> Context:
    return db.get_or_404(Context, current_session().context_id)


def _no_store(response: Response) -> Response:
    # Answers are bound to one launch; no shared cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


def _errors(errors: dict[str, str], status: int = 422) -> Response:
    response = jsonify(errors=errors)
    response.status_code = status
    return _no_store(response)


def _json_body(limit: int = MAX_DESIGN_BYTES) -> dict[str, Any]:
    if (request.content_length or 0) > limit:
        abort(_errors({"design": _("The request is too large.")}, 413))
    try:
        body = load_json(request.get_data())
    except JsonInputError:
        body = None
    if not isinstance(body, dict):
        abort(_errors({"design": _("Expected a JSON object.")}, 400))
    return body


def _saved_json(saved: SavedArtwork) -> Response:
    badge = saved.badge
    return _no_store(
        jsonify(
            badge=badge.public_id,
            name=badge.name,
            version=saved.version,
            png_url=saved.png_url,
            svg_url=saved.svg_url,
            design=badge.design,
            warnings=list(saved.warnings),
            state=lifecycle.state_name(badge),
            next_step=lifecycle.next_step(badge),
            badge_url=launch_url("course_awards.badge_page", public_id=badge.public_id),
            message=_(
                "Saved “%(badge)s”, artwork version %(version)s.",
                badge=badge.name,
                version=saved.version,
            ),
        )
    )


def _target(values: dict[str, Any]) -> tuple[str | None, NewBadge | None]:
    """Which badge a save is for: an existing one of the course, or a new draft."""
    public_id = str(values.get("badge") or "").strip() or None
    if public_id:
        return public_id, None
    return None, NewBadge(
        name=str(values.get("name") or ""), description=str(values.get("description") or "")
    )


@bp.get("/")
@launch_required(staff=True)
def index() -> Response:
    """The designer page: pick a badge (or a new one), design it, preview it, save it."""
    context = _context()
    badges = [
        {
            "id": badge.public_id,
            "name": badge.name,
            "description": badge.description,
            "design": badge.design,
            "version": badge.image_version,
            "png_url": documents.badge_image_url(badge) if badge.image_version else None,
            "state": lifecycle.state_name(badge),
        }
        for badge in operations.course_badges(context.id)
    ]
    html = render_template(
        "designer/index.html",
        context=context,
        badges=badges,
        icons=icon_choices(),
        templates=TEMPLATES,
        tiers=TIERS,
        directions=GRADIENT_DIRECTIONS,
        # The placeholder title in the instructor's language (badge_design has no catalogue).
        default_design={**design_to_dict(DEFAULT_DESIGN), "title": _("Badge title")},
        selected=request.args.get("badge", ""),
        limits={
            "title": MAX_TITLE_CHARS,
            "subtitle": MAX_SUBTITLE_CHARS,
            "alt_text": MAX_ALT_TEXT_CHARS,
            "border": MAX_BORDER_WIDTH,
        },
    )
    return _no_store(Response(html, mimetype="text/html"))


@bp.post("/preview")
@launch_required(staff=True)
def preview_design() -> Response:
    """JSON design in; the SVG out (or, asked for JSON, the SVG with contrast warnings)."""
    try:
        result = preview(_json_body().get("design", {}))
    except DesignerError as exc:
        return _errors(exc.errors)
    if (
        request.accept_mimetypes.best_match(["image/svg+xml", "application/json"])
        == "application/json"
    ):
        return _no_store(
            jsonify(
                svg=result.svg, warnings=result.warnings, accessible_name=result.accessible_name
            )
        )
    return _no_store(Response(result.svg, mimetype="image/svg+xml"))


@bp.post("/save")
@launch_required(staff=True)
def save() -> Response:
    """Save the design as a new artwork version of a course badge (or a new draft badge)."""
    body = _json_body()
    public_id, new_badge = _target(body)
    try:
        saved = operations.save_design(
            _context(), body.get("design", {}), badge_public_id=public_id, new_badge=new_badge
        )
    except DesignerError as exc:
        return _errors(exc.errors)
    return _saved_json(saved)


@bp.post("/upload")
@body_limit(MAX_UPLOAD_BYTES)
@launch_required(staff=True)
def upload() -> Response:
    """Save an uploaded PNG, JPEG or SVG as the badge's artwork, or say why it was refused."""
    if (request.content_length or 0) > MAX_UPLOAD_BYTES:
        return _errors(
            {"file": _("The file is larger than %(mb)s MB.", mb=MAX_RASTER_BYTES // 2**20)}, 413
        )
    file = request.files.get("file")
    if file is None or not file.filename:
        return _errors({"file": _("Choose a PNG, JPEG or SVG file to upload.")})
    public_id, new_badge = _target(request.form.to_dict())
    try:
        saved = operations.save_upload(
            _context(),
            Upload(filename=file.filename, data=file.read(MAX_UPLOAD_BYTES)),
            badge_public_id=public_id,
            new_badge=new_badge,
        )
    except DesignerError as exc:
        return _errors(exc.errors)
    return _saved_json(saved)
