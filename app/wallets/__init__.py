"""Add to wallet: a learner's credential, bound to a key their wallet holds.

Two ways in, one result. An OpenID for Verifiable Credential Issuance (OID4VCI 1.0) offer with
a pre-authorized code (QR code or same-device link), and the VC-API exchange that Learner
Credential Wallet opens from a deep link (DID Authentication). Either way the wallet proves
it holds a key and receives a *bound copy*: a new credential of the same award whose
``credentialSubject.id`` is the wallet's DID (same status list entry, evidence, achievement).

Rooms: ``models`` (offers and bound copies), ``dids`` (did:key), ``proofs`` (what a wallet
signs), ``registry`` (which kinds of credential can be offered), ``documents`` (metadata,
offers, deep links), ``operations`` (what changes state), ``views`` (HTTP only).
"""

from __future__ import annotations

from flask import Flask

# The model registry first (it loads every area's models, which import one another), so this
# package's modules import cold in any order.
import app.models  # noqa: F401


def init_app(app: Flask) -> None:
    """Register the award badge and the course record as offerable kinds, and the wallet
    routes."""
    from app.launch_session import current_session
    from app.wallets import badge, course_record
    from app.wallets.views import bp

    badge.register()
    course_record.register()

    @app.template_global()
    def wallet_record_source(scope: str) -> str:
        """The source id of this launch's learner's course record (for "Add to wallet")."""
        session = current_session()
        return course_record.source_id(scope, session.context_id, session.user_id)

    app.register_blueprint(bp)
