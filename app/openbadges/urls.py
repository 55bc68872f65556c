"""Public URLs of the Open Badges documents: the one place the ``/ob/…`` paths are spelled.

The blueprint registers these same patterns, and the documents are built from them without a
request (issuing runs in CLI commands and background jobs), on ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

from flask import current_app

ISSUER_OB2 = "/ob/v2/issuers/<public_id>"
ISSUER_OB3 = "/ob/v3/issuers/<public_id>"  # the controller document (keys)
ISSUER_JWKS = "/ob/v3/issuers/<public_id>/jwks.json"
# One key as a Multikey document: a credential's verificationMethod, fetched as it is
# (verifiers built on Digital Bazaar's libraries never select a fragment of a document).
ISSUER_KEY = "/ob/v3/issuers/<public_id>/keys/<key>"
# The same key as a bare JWK: a VC-JWT's ``kid`` (JOSE verifiers dereference it to a JWK).
ISSUER_KEY_JWK = "/ob/v3/issuers/<public_id>/keys/<key>/jwk"
BADGE_OB2 = "/ob/v2/badges/<public_id>"
ACHIEVEMENT_OB3 = "/ob/v3/achievements/<public_id>"
# A badge's language variants (BCP 47 tag), linked from the documents above by ``related``.
BADGE_OB2_LANGUAGE = "/ob/v2/badges/<public_id>/<language>"
ACHIEVEMENT_OB3_LANGUAGE = "/ob/v3/achievements/<public_id>/<language>"
BADGE_IMAGE = "/ob/badges/<public_id>/image/<int:version>.<ext>"
ASSERTION_OB2 = "/ob/v2/assertions/<public_id>"
CREDENTIAL_OB3 = "/ob/v3/credentials/<public_id>"
BAKED_OB2 = "/ob/v2/assertions/<public_id>/badge.<ext>"
BAKED_OB3 = "/ob/v3/credentials/<public_id>/badge.<ext>"
VERIFY_PAGE = "/ob/verify/<public_id>"
CERTIFICATE = "/ob/verify/<public_id>/certificate.pdf"  # the page as a printable PDF
STATUS_LIST = "/ob/v3/status/<public_id>"


def public_url(pattern: str, public_id: str, **values: object) -> str:
    """The absolute URL of ``pattern`` for ``public_id`` (and ``version``/``ext`` if any)."""
    path = pattern.replace("<public_id>", public_id)
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return current_app.config["PUBLIC_BASE_URL"] + path


def assertion_links(public_id: str) -> dict[str, str]:
    """Every public link of one award (the CLI and the API print these)."""
    return {
        "ob2_assertion_url": public_url(ASSERTION_OB2, public_id),
        "ob3_credential_url": public_url(CREDENTIAL_OB3, public_id),
        "png_url": public_url(BAKED_OB3, public_id, ext="png"),
        "svg_url": public_url(BAKED_OB3, public_id, ext="svg"),
        "ob2_png_url": public_url(BAKED_OB2, public_id, ext="png"),
        "ob2_svg_url": public_url(BAKED_OB2, public_id, ext="svg"),
        "verify_url": public_url(VERIFY_PAGE, public_id),
    }
