"""The ``Badgebridge-Signature`` header: ``t=UNIX_TIME,v1=HEX``.

HEX is HMAC-SHA256 with the subscription's secret over ``"{t}.{raw body}"`` (the exact bytes
sent). Signing the timestamp with the body lets a receiver refuse old captures (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Badgebridge-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC of ``{timestamp}.{body}``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The header for ``body`` signed now (or at ``timestamp``)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, body, t)}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: parse the header, refuse stale times, compare in constant time.

    Several ``v1`` values may be present (during a secret rotation); one match suffices.
    """
    parts = [p.strip().split("=", 1) for p in (header or "").split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    candidates = [v for k, v in parts if k == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not candidates:
        return False
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = signature(secret, body, t)
    return any(hmac.compare_digest(expected, c) for c in candidates)
