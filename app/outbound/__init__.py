"""One way out to the network, for every URL that came from outside the tool.

Platform documents and key sets, token endpoints, AGS/NRPS and their paging links, webhook
receivers, and whatever comes later all go through :func:`session`: http(s) only, one DNS
resolution whose address is checked (global addresses only; private and loopback ones only
where ``OUTBOUND_ALLOW_PRIVATE_NETWORKS`` is on) and then connected to, redirects only when
each hop passes the same checks, connect/read/total timeouts, a size cap on every answer, and
errors that name the host, the status and the content type but never the body.

This package imports nothing of the product, so ``lti/`` and every area of ``app/`` can use it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

from app.outbound.addresses import embedded_ipv4, refusal
from app.outbound.client import (
    MAX_BYTES,
    OutboundRefused,
    OutboundSession,
    ResponseTooLarge,
    check_url,
    describe,
    system_resolver,
)

__all__ = [
    "MAX_BYTES",
    "OutboundRefused",
    "OutboundSession",
    "ResponseTooLarge",
    "allow_private_networks",
    "check_url",
    "describe",
    "embedded_ipv4",
    "refusal",
    "session",
    "system_resolver",
]


def allow_private_networks() -> bool:
    """The deployment's ``OUTBOUND_ALLOW_PRIVATE_NETWORKS`` (off outside an application)."""
    return bool(has_app_context() and current_app.config.get("OUTBOUND_ALLOW_PRIVATE_NETWORKS"))


def session(**options: Any) -> OutboundSession:
    """A guarded session with the running application's address policy.

    ``options`` are :class:`OutboundSession`'s limits (``total_timeout``, ``max_bytes``,
    ``max_redirects``, ``user_agent``…) for callers whose answers are smaller or slower.
    """
    options.setdefault("allow_private", allow_private_networks())
    return OutboundSession(**options)
