"""Short-lived HS256 tokens the sandbox gives itself: the ``lti_message_hint`` (who launches
what, like Canvas's), Moodle's ``sesskey`` stand-in and Canvas's deep linking ``data``."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import jwt
from flask import Flask, current_app


class HintError(Exception):
    """A hint that is forged, expired or for another purpose."""


def _secret(app: Flask | None) -> bytes:
    # Derived, so a short demo SECRET_KEY still gives HS256 a full-length key.
    secret = str((app or current_app).config["SECRET_KEY"])
    return hashlib.sha256(b"lti-sandbox-hints:" + secret.encode()).digest()


def make(purpose: str, payload: dict[str, Any], ttl: int = 600, app: Flask | None = None) -> str:
    """Sign ``payload`` for ``purpose``, valid ``ttl`` seconds."""
    now = int(time.time())
    claims = {**payload, "pur": purpose, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, _secret(app), algorithm="HS256")


def read(purpose: str, token: str, app: Flask | None = None) -> dict[str, Any]:
    """Verify a token made by :func:`make` for ``purpose``."""
    try:
        claims = jwt.decode(
            token, _secret(app), algorithms=["HS256"], options={"require": ["exp", "pur"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise HintError("the hint has expired") from exc
    except jwt.PyJWTError as exc:
        raise HintError(f"the hint is not valid: {exc}") from exc
    if claims.get("pur") != purpose:
        raise HintError("the hint was issued for something else")
    return claims
