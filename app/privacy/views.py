"""The console's people page: find a person, download their data, erase them."""

from __future__ import annotations

import json

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import auth
from app.audit import Actor
from app.privacy import operations
from app.privacy.operations import PersonNotFound

bp = auth.console_blueprint("admin_people", "/admin/people")


def _lookup() -> dict[str, str]:
    return {
        k: request.values.get(k, "").strip()[:320]
        for k in ("email", "user_id")
        if request.values.get(k, "").strip()
    }


@bp.get("/")
@auth.admin_required
def index():
    """Find a person by email or LMS identity; show what is held and the actions."""
    lookup, summary, error = _lookup(), None, None
    if lookup:
        try:
            data = operations.export_person(operations.find_person(**lookup), None)
        except PersonNotFound as exc:
            error = str(exc)
        else:
            summary = {k: len(v) for k, v in data.items() if isinstance(v, list)}
    return render_template(
        "admin/people.html", lookup=lookup, summary=summary, error=error, notice=auth.take_notice()
    ), 404 if error else 200


@bp.get("/export")
@auth.admin_required
def export():
    """The person's data as a JSON download."""
    try:
        data = operations.export_person(operations.find_person(**_lookup()), Actor.from_request())
    except PersonNotFound:
        return redirect(url_for("admin_people.index", **_lookup()))
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="person-export.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/erase")
@auth.admin_required
def erase():
    """Revoke the person's awards and forget them."""
    try:
        done = operations.erase_person(operations.find_person(**_lookup()), Actor.from_request())
    except PersonNotFound as exc:
        auth.flash(str(exc))
    else:
        auth.flash(
            _(
                "Erased: %(awards_revoked)s awards revoked, %(awards_forgotten)s awards "
                "forgotten, %(lms_identities_deleted)s LMS identities deleted.",
                awards_revoked=done["awards_revoked"],
                awards_forgotten=done["awards_forgotten"],
                lms_identities_deleted=done["lms_identities_deleted"],
            )
        )
    return redirect(url_for("admin_people.index"))
