"""The counting endpoint: every share and download link goes through here.

``GET /share/<assertion>/<channel>`` counts and redirects (or, for the credential JSON, answers
with the file so the browser saves it); ``POST`` only counts (the "copy link" button, which
copies in the browser and reports it). The endpoint is public on purpose: the email's links
work without a launch, and an award's public id is a 122-bit random value, so only people
who were given the award's links can reach it.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, redirect, request
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.downloads import as_download
from app.extensions import db
from app.openbadges.models import Assertion
from app.sharing import operations
from app.sharing.models import ShareChannel, ShareSource

bp = Blueprint("sharing", __name__, url_prefix="/share")


def _assertion(public_id: str, channel: str) -> Assertion:
    if channel not in ShareChannel.ALL:
        abort(404, description=_("no such share channel"))
    assertion = db.session.scalar(select(Assertion).where(Assertion.public_id == public_id))
    if assertion is None:
        abort(404, description=_("no such award"))
    if assertion.revoked:
        abort(410, description=_("This badge was revoked; it can no longer be shared."))
    return assertion


def _source() -> str:
    source = request.values.get("from", ShareSource.COURSE)
    return source if source in ShareSource.ALL else ShareSource.COURSE


@bp.get("/<public_id>/<channel>")
def follow(public_id: str, channel: str) -> BaseResponse:
    """Count the share, then send the browser where the channel leads."""
    assertion = _assertion(public_id, channel)
    if not operations.is_prefetch(request.headers.get("Sec-Purpose")):
        operations.record_share(
            assertion.id, channel, _source(), request.headers.get("User-Agent", "")
        )
    if channel == ShareChannel.DOWNLOAD_JSON:
        body = json.dumps(assertion.credential, ensure_ascii=False, indent=2)
        response = as_download(
            Response(body, mimetype="application/ld+json"), assertion.badge.name, "json"
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    moved = redirect(operations.destination(assertion, channel), 303)
    moved.headers["Cache-Control"] = "no-store"  # a cached redirect would not be counted
    return moved


@bp.post("/<public_id>/<channel>")
def count(public_id: str, channel: str) -> Response:
    """Count a share that happened in the browser (copying the public link)."""
    assertion = _assertion(public_id, channel)
    operations.record_share(assertion.id, channel, _source(), request.headers.get("User-Agent", ""))
    return Response(status=204)
