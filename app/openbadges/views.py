"""Public Open Badges endpoints under /ob/: JSON(-LD) for machines, a page for people.

Views are thin: look the row up by its public id, hand it to :mod:`documents`, answer with
an ETag and Cache-Control so a CDN can serve the documents.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from sqlalchemy import select

from app.database import by_public_id
from app.downloads import as_download
from app.extensions import db
from app.openbadges import documents, image_cache, issuers, urls
from app.openbadges.errors import OperationError
from app.openbadges.models import Assertion, Badge, BadgeImage, Issuer, IssuerKey, StatusList
from app.openbadges.reader_language import shown_badge_text
from badge_design.baking import OB2_KEYWORD, OB3_KEYWORD, bake_png, bake_svg

bp = Blueprint("openbadges", __name__)
# Every page showing a badge's texts asks for them in the reader's language this way.
bp.add_app_template_global(shown_badge_text, "badge_text")

JSON_TYPES = ["application/ld+json", "application/json", "application/vc+ld+json"]
JWT_TYPE = "application/vc+jwt"
# Documents that change only by revocation (assertions, status lists) are revalidated
# often; content-addressed ones (signed credentials, image versions) are immutable.
SHORT, LONG = 300, 31_536_000


def _by_public_id(model: type, public_id: str) -> Any:
    row = by_public_id(model, public_id)
    if row is None:
        abort(404, description=f"no such {model.__name__.lower()}")
    return row


def _respond(body: bytes | str, mimetype: str, max_age: int, etag: str | None = None) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # verifiers run in browsers too
    response.headers["Vary"] = "Accept"
    if etag:
        response.set_etag(etag)
    else:
        response.add_etag()
    response.make_conditional(request)  # answers 304 in place when the client has it
    return response


def _json(document: dict[str, Any], max_age: int = SHORT) -> Response:
    mimetype = request.accept_mimetypes.best_match(JSON_TYPES, default="application/ld+json")
    return _respond(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")), mimetype, max_age
    )


def _assertion(public_id: str, page: bool = False) -> Assertion:
    """The assertion, or a 404: a page a person can read for a browser (and for anyone at
    the human page ``page`` who does not ask for JSON), the JSON error for JSON clients."""
    row = db.session.scalar(select(Assertion).where(Assertion.public_id == public_id))
    if row is None:
        prefers_json = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES]) in JSON_TYPES
        if _wants_html() or (page and not prefers_json):
            abort(Response(render_template("openbadges/not_found.html"), 404, mimetype="text/html"))
        abort(404, description="no such assertion")
    return row


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", *JSON_TYPES, JWT_TYPE])
    return (
        best == "text/html"
        and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]
    )


@bp.get(urls.ISSUER_OB2)
def issuer_ob2(public_id: str) -> Response:
    return _json(documents.ob2_issuer(_by_public_id(Issuer, public_id)))


@bp.get(urls.ISSUER_OB3)
def issuer_ob3(public_id: str) -> Response:
    return _json(documents.controller_document(_by_public_id(Issuer, public_id)))


def _published_key(public_id: str, key: str) -> tuple[Issuer, IssuerKey]:
    issuer = _by_public_id(Issuer, public_id)
    found = next(
        (k for k in documents.published_keys(issuer) if k.public_key_multibase == key), None
    )
    if found is None:
        abort(404, description="no such key")
    return issuer, found


@bp.get(urls.ISSUER_KEY)
def issuer_key(public_id: str, key: str) -> Response:
    return _json(documents.key_document(*_published_key(public_id, key)))


@bp.get(urls.ISSUER_KEY_JWK)
def issuer_key_jwk(public_id: str, key: str) -> Response:
    return _respond(
        json.dumps(documents.key_jwk(*_published_key(public_id, key))),
        "application/jwk+json",
        SHORT,
    )


@bp.get(urls.ISSUER_JWKS)
def issuer_jwks(public_id: str) -> Response:
    return _respond(
        json.dumps(documents.jwks(_by_public_id(Issuer, public_id))),
        "application/jwk-set+json",
        SHORT,
    )


@bp.get(urls.BADGE_OB2)
def badge_ob2(public_id: str) -> Response:
    return _json(documents.ob2_badgeclass(_by_public_id(Badge, public_id)))


@bp.get(urls.ACHIEVEMENT_OB3)
def achievement_ob3(public_id: str) -> Response:
    return _json(documents.ob3_achievement(_by_public_id(Badge, public_id), context=True))


@bp.get(urls.BADGE_OB2_LANGUAGE)
def badge_ob2_language(public_id: str, language: str) -> Response:
    """One language variant of a BadgeClass (404 for a language the badge lacks)."""
    try:
        return _json(documents.ob2_badgeclass(_by_public_id(Badge, public_id), language))
    except KeyError:
        abort(404)


@bp.get(urls.ACHIEVEMENT_OB3_LANGUAGE)
def achievement_ob3_language(public_id: str, language: str) -> Response:
    """One language variant of an Achievement (404 for a language the badge lacks)."""
    badge = _by_public_id(Badge, public_id)
    try:
        return _json(documents.ob3_achievement(badge, context=True, language=language))
    except KeyError:
        abort(404)


def _image(badge_id: int, version: int) -> BadgeImage:
    image = db.session.scalar(
        select(BadgeImage).where(BadgeImage.badge_id == badge_id, BadgeImage.version == version)
    )
    if image is None:
        abort(404, description="no such image version")
    return image


def _cached_image(
    public_id: str,
    version: int,
    badge_id: int | None = None,
) -> image_cache.CachedImage:
    # A saved artwork version never changes: serve it from the process cache, so a fetch
    # costs no database trip and no re-hash (bench/render.py, "cached fetches/s").
    image = image_cache.get(public_id, version)
    if image is None:
        row = _image(badge_id or _by_public_id(Badge, public_id).id, version)
        image = image_cache.put(public_id, version, png=row.png_512, svg=row.svg)
    return image


@bp.get(urls.BADGE_IMAGE)
def badge_image(public_id: str, version: int, ext: str) -> Response:
    image = _cached_image(public_id, version)
    if ext == "png":
        return _respond(image.png, "image/png", LONG, etag=image.png_etag)
    if ext == "svg" and image.svg:
        return _respond(image.svg, "image/svg+xml", LONG, etag=image.svg_etag)
    abort(404)


@bp.get(urls.STATUS_LIST)
def status_list(public_id: str) -> Response:
    row = _by_public_id(StatusList, public_id)
    return _json(row.credential, max_age=SHORT)


def _status(assertion: Assertion) -> str:
    if assertion.revoked:
        return "revoked"
    return "expired" if assertion.is_expired() else "valid"


def public_name(assertion: Assertion) -> str:
    """The learner's name as the public page shows it: only once they accepted the badge
    (and left it public), unless the institution publishes names from the start."""
    seen = assertion.accepted_at is not None or current_app.config["PUBLIC_NAMES_BEFORE_ACCEPT"]
    return assertion.recipient_name if assertion.public and seen else ""


def _page(assertion: Assertion) -> Response:
    badge = assertion.badge
    if request.method == "GET":  # learner-side view counter (bots and prefetches excluded)
        from app.sharing.operations import record_view

        record_view(
            assertion.id,
            request.headers.get("User-Agent"),
            request.headers.get("Sec-Purpose") or request.headers.get("Purpose"),
        )
    html = render_template(
        "openbadges/verify.html",
        assertion=assertion,
        badge=badge,
        text=shown_badge_text(badge),
        issuer=badge.issuer,
        recipient_name=public_name(assertion),
        status=_status(assertion),
        links=urls.assertion_links(assertion.public_id),
        certificate_url=urls.public_url(urls.CERTIFICATE, assertion.public_id),
        image_url=documents.badge_image_url(badge, assertion.image_version),
        issuer_url=urls.public_url(urls.ISSUER_OB2, badge.issuer.public_id),
        now=datetime.now(UTC),
        issued_on=assertion.issued_on,
        expires_at=assertion.expires_at if assertion.expires_at else None,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "public, max-age=60"
    # The badge's texts follow the visitor's languages (see ``shown_badge_text``) and the page
    # speaks the visitor's language (app.i18n): caches keep one copy per choice.
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    return response


@bp.get(urls.VERIFY_PAGE)
def verify_page(public_id: str) -> Response:
    return _page(_assertion(public_id, page=True))


@bp.get(urls.CERTIFICATE)
def verify_certificate(public_id: str) -> Response:
    """The verification page as a printable PDF certificate (same facts, same privacy)."""
    assertion = _assertion(public_id, page=True)
    badge = assertion.badge
    artwork = _cached_image(badge.public_id, assertion.image_version, badge.id)
    # Imported here: reportlab, fontTools and segno (about 9 MiB) only in a process that
    # draws certificates.
    from app.openbadges import certificate

    pdf = certificate.render(
        certificate.CertificateFacts(
            badge_name=badge.name,
            description=badge.description,
            issuer_name=badge.issuer.name,
            recipient_name=public_name(assertion),
            issued_on=assertion.issued_on,
            expires_at=assertion.expires_at if assertion.expires_at else None,
            revoked_at=assertion.revoked_at,
            revocation_reason=assertion.revocation_reason,
            status=_status(assertion),
            verify_url=urls.public_url(urls.VERIFY_PAGE, public_id),
            badge_png=artwork.png,
        )
    )
    response = Response(pdf, mimetype="application/pdf")
    # As long as the page's: a revocation shows on a fresh download within a minute.
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return as_download(response, f"{badge.name} certificate", "pdf", fallback="certificate")


@bp.get(urls.ASSERTION_OB2)
def assertion_ob2(public_id: str) -> Response:
    assertion = _assertion(public_id)
    if _wants_html():
        return _page(assertion)
    response = _json(documents.ob2_assertion(assertion))
    if assertion.revoked and response.status_code == 200:
        # OB 2.0 hosted verification: a revoked assertion answers 410 Gone; the body still
        # carries the assertion with revoked and revocationReason.
        response.status_code = 410
    return response


def _jwt(assertion: Assertion) -> str:
    """The VC-JWT: ES256 as issued, or ``?alg=EdDSA`` for a verifier that asks for it."""
    try:
        return issuers.credential_jwt(assertion, request.args.get("alg", issuers.DEFAULT_JWT_ALG))
    except OperationError as exc:
        abort(400, description=str(exc))


@bp.get(urls.CREDENTIAL_OB3)
def credential_ob3(public_id: str) -> Response:
    assertion = _assertion(public_id)
    if _wants_html():
        return _page(assertion)
    if request.accept_mimetypes.best_match([*JSON_TYPES, JWT_TYPE]) == JWT_TYPE:
        return _respond(_jwt(assertion), JWT_TYPE, LONG)
    # The signed credential never changes (revocation lives in the status list).
    return _json(assertion.credential, max_age=LONG)


def _baked(assertion: Assertion, ext: str, keyword: str, text: str) -> Response:
    image = _image(assertion.badge_id, assertion.image_version)
    if ext == "png":
        response = _respond(bake_png(image.png_512, keyword, text), "image/png", SHORT)
    elif ext == "svg" and image.svg:
        response = _respond(bake_svg(image.svg, keyword, text), "image/svg+xml", SHORT)
    else:
        abort(404)
    if request.args.get("download"):
        as_download(response, assertion.badge.name, ext)
    return response


@bp.get(urls.BAKED_OB2)
def baked_ob2(public_id: str, ext: str) -> Response:
    assertion = _by_public_id(Assertion, public_id)
    # The assertion itself, not its URL (which the baking specification calls legacy).
    return _baked(
        assertion,
        ext,
        OB2_KEYWORD,
        json.dumps(documents.ob2_assertion(assertion), ensure_ascii=False),
    )


@bp.get(urls.BAKED_OB3)
def baked_ob3(public_id: str, ext: str) -> Response:
    assertion = _by_public_id(Assertion, public_id)
    text = (
        _jwt(assertion)
        if request.args.get("format") == "jwt"
        else json.dumps(assertion.credential, ensure_ascii=False)
    )
    return _baked(assertion, ext, OB3_KEYWORD, text)
