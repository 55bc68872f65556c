"""Security headers on every response: a nonce-based Content-Security-Policy, HSTS over https,
``Referrer-Policy``, ``Permissions-Policy`` and ``X-Content-Type-Options``.

Who may frame a page depends on what it is:

- pages that live inside the LMS (course, designer, learner, launch) may be framed by the
  registered platforms' origins only;
- the admin console, the learner's accept page (opened from an email) and the public
  verification pages may be framed by nobody (clickjacking of the accept button or of an
  admin form; a verification page framed on a forger's site);
- dynamic registration is opened by an LMS that is not registered yet, so it stays framable.

Inline ``<script>`` and ``<style>`` elements carry ``nonce="{{ csp_nonce() }}"``; nothing else
inline runs.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from app import registration_cache
from app.extensions import db

log = logging.getLogger(__name__)

#: Paths whose pages nobody may frame.
UNFRAMABLE_PREFIXES = ("/admin", "/ob/", "/ob3/", "/learner/accept/")
#: Paths an unregistered LMS opens in its own frame (dynamic registration).
OPEN_FRAME_PREFIXES = ("/lti/register",)
#: Canvas cloud registrations share one issuer; the courses live on each school's subdomain.
CANVAS_CLOUD_ISSUERS = {
    "https://canvas.instructure.com": "https://*.instructure.com",
    "https://canvas.beta.instructure.com": "https://*.instructure.com",
    "https://canvas.test.instructure.com": "https://*.instructure.com",
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's CSP nonce (one per request, made on first use)."""
    # Kept in the WSGI environ, which lives exactly as long as the request (``g`` belongs to
    # the app context, which one test can hold across many requests).
    environ = request.environ
    nonce = environ.get("badgebridge.csp_nonce")
    if nonce is None:  # (setdefault would draw a new one on every call)
        nonce = environ["badgebridge.csp_nonce"] = secrets.token_urlsafe(16)
    return nonce


def _origin(url: str | None) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _origins_of(snapshot: registration_cache.Snapshot) -> tuple[str, ...]:
    origins: set[str] = set()
    for reg in snapshot.by_id.values():
        origins.update(o for o in (_origin(reg.issuer), _origin(reg.auth_login_url)) if o)
        if (wildcard := CANVAS_CLOUD_ISSUERS.get((reg.issuer or "").rstrip("/"))) is not None:
            origins.add(wildcard)
    return tuple(origins)


def platform_origins() -> list[str]:
    """The origins that may frame the tool: every active registration's LMS, plus settings."""
    origins = set(current_app.config.get("FRAME_ANCESTORS") or ())
    try:
        snapshot = registration_cache.snapshot()
    except SQLAlchemyError:
        # The error page of a database outage still gets a policy: the narrowest one.
        log.warning("frame-ancestors without the registered platforms: database unavailable")
        db.session.rollback()
        return sorted(origins)
    return sorted(origins.union(snapshot.derive("frame_origins", _origins_of)))


def frame_ancestors(path: str) -> str | None:
    """The ``frame-ancestors`` source list for a page at ``path`` (None: anyone)."""
    if path.startswith(UNFRAMABLE_PREFIXES):
        return "'none'"
    if path.startswith(OPEN_FRAME_PREFIXES):
        return None
    return " ".join(["'self'", *platform_origins()])


_POLICY_TAIL = "img-src 'self' data: blob: https:; object-src 'none'; base-uri 'none'"


def content_security_policy(nonce: str, ancestors: str | None) -> str:
    """The policy of an HTML page: own scripts and styles plus the nonce, nothing inline."""
    return _with_nonce(nonce, _policy_tail(ancestors))


def _policy_tail(ancestors: str | None) -> str:
    if ancestors is None:
        return _POLICY_TAIL
    return f"{_POLICY_TAIL}; frame-ancestors {ancestors}"


def _with_nonce(nonce: str, tail: str) -> str:
    scripts = f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'"
    return f"default-src 'self'; {scripts}; {tail}"


def _lms_page_tail() -> str:
    """The policy after the nonce for pages inside the LMS: the same for each of them until a
    registration changes, so it is joined once per registrations snapshot."""
    try:
        snapshot = registration_cache.snapshot()
    except SQLAlchemyError:
        return _policy_tail(frame_ancestors("/"))  # (logs, and the narrowest list)
    extra = " ".join(current_app.config.get("FRAME_ANCESTORS") or ())
    return snapshot.derive(f"csp {extra}", lambda _: _policy_tail(frame_ancestors("/")))


def add_security_headers(response: Response) -> Response:
    """Set the security headers of ``response`` (the CSP on HTML pages only)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if request.is_secure or current_app.config["PUBLIC_BASE_URL"].startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/html" and "Content-Security-Policy" not in headers:
        path = request.path
        if path.startswith((*UNFRAMABLE_PREFIXES, *OPEN_FRAME_PREFIXES)):
            ancestors = frame_ancestors(path)
            policy = content_security_policy(csp_nonce(), ancestors)
            if ancestors == "'none'":
                headers["X-Frame-Options"] = "DENY"  # for browsers without frame-ancestors
        else:
            policy = _with_nonce(csp_nonce(), _lms_page_tail())
        headers["Content-Security-Policy"] = policy
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response and ``csp_nonce()`` to every template."""
    app.add_template_global(csp_nonce)
    app.after_request(add_security_headers)
