"""The wallet area's public paths, spelled once (the blueprint registers these patterns and the
documents are built from them on ``PUBLIC_BASE_URL``, as :mod:`app.openbadges.urls` does)."""

from __future__ import annotations

from flask import current_app

ISSUER_METADATA = "/.well-known/openid-credential-issuer"
# The authorization server of the pre-authorized flow has an identifier of its own (RFC 8414
# inserts the well-known segment before its path), apart from any other OAuth server here.
AS_PATH = "/wallet"
AS_METADATA = "/.well-known/oauth-authorization-server/wallet"
TOKEN = "/wallet/token"
NONCE = "/wallet/nonce"
CREDENTIAL = "/wallet/credential"
OFFER = "/wallet/offers/<key>"
EXCHANGE = "/wallet/exchanges/<key>"
BOUND_CREDENTIAL = "/wallet/credentials/<public_id>"


def base() -> str:
    """The Credential Issuer Identifier: the tool's public base URL."""
    return current_app.config["PUBLIC_BASE_URL"]


def absolute(pattern: str, **values: str) -> str:
    """The absolute URL of ``pattern`` with its ``<name>`` parts filled in."""
    path = pattern
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
    return base() + path


def authorization_server() -> str:
    """The identifier of the pre-authorized flow's authorization server."""
    return base() + AS_PATH


def bound_credential_url(public_id: str) -> str:
    """Where a bound copy is served again (its credential ``id``)."""
    return absolute(BOUND_CREDENTIAL, public_id=public_id)
