"""Wallet routes: the OID4VCI issuer and the VC-API exchange (public, rate limited, their
errors in the protocols' codes), and the learner's "Add to wallet" page, reached from My
badges (launch token: CSRF-safe, the learner's own awards only) or from the award email's
signed link.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app.extensions import db
from app.launch_session import current_session, launch_required, launch_url
from app.learner.tokens import emailed_assertion
from app.models import Context
from app.models.base import utcnow
from app.security.json_input import JsonInputError, load_json
from app.security.limits import rate_limit
from app.wallets import badge, documents, operations, urls
from app.wallets.operations import FORMATS, WalletError
from app.wallets.proofs import ProofError, verify_did_auth, verify_key_proof
from app.wallets.registry import all_offerables, offerable

log = logging.getLogger(__name__)

bp = Blueprint("wallets", __name__)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
JWT_TYPES = ("application/vc+jwt", "application/jwt")


def _error(exc: WalletError | ProofError, status: int | None = None) -> Response:
    """An OAuth-style error body (``error``, ``error_description``); never a remote body."""
    log.info("wallet request refused: %s (%s)", exc.code, exc)
    response = jsonify({"error": exc.code, "error_description": str(exc)})
    response.status_code = status or (exc.status if isinstance(exc, WalletError) else 400)
    response.headers.update(NO_STORE)
    if exc.code == "invalid_token":
        response.headers["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description="{exc}"'
        )
    return response


def _json_body() -> dict[str, Any]:
    try:
        body = load_json(request.get_data() or b"{}")
    except JsonInputError as exc:
        raise WalletError("invalid_request", f"The body is {exc}.") from None
    if not isinstance(body, dict):
        raise WalletError("invalid_request", "The body must be a JSON object.")
    return body


# --- metadata and the offer ---------------------------------------------------------------------


@bp.get(urls.ISSUER_METADATA)
@rate_limit("RATE_LIMIT_PUBLIC_PAGES")
def issuer_metadata():
    return jsonify(documents.issuer_metadata(all_offerables(), FORMATS))


@bp.get(urls.AS_METADATA)
@rate_limit("RATE_LIMIT_PUBLIC_PAGES")
def authorization_server_metadata():
    return jsonify(documents.authorization_server_metadata())


@bp.get(urls.OFFER)
@rate_limit("RATE_LIMIT_PUBLIC_PAGES")
def credential_offer(key: str):
    """The offer by reference: what the QR code's ``credential_offer_uri`` answers."""
    try:
        offer = operations.offer_by_key(key)
    except WalletError as exc:
        return _error(exc)
    body = documents.credential_offer(
        operations.configuration_ids(offer),
        operations.pre_authorized_code(key),
        operations.TX_CODE_LENGTH if offer.tx_code_hash else None,
    )
    return jsonify(body), 200, NO_STORE


# --- OID4VCI endpoints --------------------------------------------------------------------------


@bp.post(urls.TOKEN)
@rate_limit("RATE_LIMIT_PUBLIC_PAGES")
def token():
    """The token endpoint: the pre-authorized code grant only (form-encoded, RFC 6749)."""
    grant = request.form.get("grant_type")
    if grant != documents.PRE_AUTHORIZED_GRANT:
        return _error(WalletError("unsupported_grant_type", "Only the pre-authorized code grant."))
    code = request.form.get("pre-authorized_code")
    if not code:
        return _error(WalletError("invalid_request", "pre-authorized_code is missing."))
    try:
        access = operations.redeem_code(code, request.form.get("tx_code"))
    except WalletError as exc:
        return _error(exc)
    body = {
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        # OID4VCI 1.0 wallets ask the nonce endpoint; earlier drafts read it from here.
        "c_nonce": operations.new_nonce(),
        "c_nonce_expires_in": operations.NONCE_MAX_AGE,
    }
    return jsonify(body), 200, NO_STORE


@bp.post(urls.NONCE)
@rate_limit("RATE_LIMIT_PUBLIC_PAGES")
def nonce():
    """The nonce endpoint (OID4VCI 1.0 section 7)."""
    return jsonify({"c_nonce": operations.new_nonce()}), 200, NO_STORE


def _bearer() -> str:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not auth[7:].strip():
        raise WalletError("invalid_token", "A Bearer access token is required.", 401)
    return auth[7:].strip()


def _requested_format(body: dict[str, Any], kind: str) -> tuple[str, bool]:
    """(format, draft?) of a credential request: ``credential_configuration_id`` (1.0) or
    ``format`` (draft 13, which wallets in the field still send)."""
    entry = offerable(kind)
    if "credential_configuration_id" in body:
        by_id = {entry.configuration_id(fmt): fmt for fmt in FORMATS} if entry else {}
        fmt = by_id.get(body["credential_configuration_id"])
        if fmt is None:
            raise WalletError(
                "unknown_credential_configuration", "This offer is not for that credential."
            )
        return fmt, False
    if "format" in body:
        if body["format"] not in FORMATS:
            raise WalletError("unsupported_credential_format", "Only ldp_vc and jwt_vc_json.")
        return body["format"], True
    if "credential_identifier" in body:
        raise WalletError("unknown_credential_identifier", "No credential identifiers are issued.")
    raise WalletError("invalid_credential_request", "Name a credential_configuration_id.")


def _proof_jwt(body: dict[str, Any]) -> str:
    proofs = body.get("proofs")
    if isinstance(proofs, dict):
        jwts = proofs.get("jwt")
        if set(proofs) != {"jwt"} or not isinstance(jwts, list):
            raise WalletError("invalid_proof", "Only jwt proofs are supported.")
        if len(jwts) != 1:
            raise WalletError("invalid_credential_request", "Send exactly one proof.")
        return jwts[0]
    proof = body.get("proof")  # draft 13
    if isinstance(proof, dict) and proof.get("proof_type") == "jwt":
        return str(proof.get("jwt") or "")
    raise WalletError("invalid_proof", "A jwt proof of possession is required.")


@bp.post(urls.CREDENTIAL)
@rate_limit("RATE_LIMIT_PUBLIC_PAGES")
def credential():
    """The credential endpoint: proof of possession in, the bound copy out."""
    try:
        offer = operations.offer_by_access_token(_bearer())
        body = _json_body()
        fmt, draft = _requested_format(body, offer.kind)
        holder = verify_key_proof(
            _proof_jwt(body), audience=urls.base(), nonce_ok=operations.nonce_ok, now=utcnow()
        )
        row = operations.bind(offer, holder)
    except (WalletError, ProofError) as exc:
        return _error(exc)
    issued = row.credential if fmt == "ldp_vc" else row.credential_jwt
    response: dict[str, Any] = {"credentials": [{"credential": issued}]}
    if draft:
        response.update(credential=issued, format=fmt, c_nonce=operations.new_nonce())
    return jsonify(response), 200, NO_STORE


# --- the VC-API exchange ------------------------------------------------------------------------


@bp.post(urls.EXCHANGE)
@rate_limit("RATE_LIMIT_PUBLIC_PAGES")
def exchange(key: str):
    """Learner Credential Wallet's exchange: an empty POST gets the DID Authentication request;
    the signed presentation gets the bound credential."""
    try:
        offer = operations.offer_by_key(key)
        body = _json_body()
        if "verifiablePresentation" not in body:
            return jsonify(documents.presentation_request(key, offer.challenge)), 200, NO_STORE
        holder = verify_did_auth(
            body["verifiablePresentation"], challenge=offer.challenge, domain=urls.base()
        )
        row = operations.finish_exchange(offer, holder)
    except (WalletError, ProofError) as exc:
        return _error(exc)
    return jsonify(documents.delivery(row.credential)), 200, NO_STORE


@bp.get(urls.BOUND_CREDENTIAL)
@rate_limit("RATE_LIMIT_PUBLIC_PAGES")
def bound_credential(public_id: str):
    """A bound copy served again: JSON-LD, or the VC-JWT when asked for it."""
    row = operations.bound_copy(public_id)
    if row is None:
        abort(404, description=_("No such credential."))
    if request.accept_mimetypes.best_match(["application/json", *JWT_TYPES]) in JWT_TYPES:
        return Response(row.credential_jwt, mimetype="application/vc+jwt")
    return jsonify(row.credential)


# --- the learner's "Add to wallet" page ---------------------------------------------------------


def _qr_svg(text: str, label: str) -> Markup:
    import segno  # here: only a page that shows a QR code needs it

    # segno writes the SVG itself (no user text in it but the title we pass, escaped by it).
    svg = segno.make(text, error="m").svg_inline(scale=4, border=4, light="#fff", title=label)
    return Markup(svg)


def _offer_page(new: operations.NewOffer, back_url: str | None):
    offer_link = documents.offer_link(new.key)
    lcw_link = documents.lcw_link(new.key)
    title = new.title
    html = render_template(
        "wallets/offer.html",
        title=title,
        offer_link=offer_link,
        offer_qr=_qr_svg(offer_link, _("QR code to add %(name)s to a wallet", name=title)),
        lcw_link=lcw_link,
        lcw_qr=_qr_svg(
            lcw_link, _("QR code to add %(name)s to Learner Credential Wallet", name=title)
        ),
        tx_code=new.tx_code,
        minutes=round((new.offer.expires_at - new.offer.created_at).total_seconds() / 60),
        back_url=back_url,
    )
    return html, 200, {**NO_STORE, "Referrer-Policy": "no-referrer"}


@bp.post("/learner/wallet/<kind>/<source_id>")
@rate_limit("RATE_LIMIT_SHARE")
@launch_required()
def add_to_wallet(kind: str, source_id: str):
    """Make an offer of one of the learner's own credentials and show its codes."""
    session = current_session()
    try:
        new = operations.create_offer(
            kind,
            source_id,
            session.user_id,
            with_tx_code=request.form.get("pin") == "1",
            registration_id=session.registration_id,
        )
    except WalletError as exc:
        abort(exc.status, description=str(exc))
    back = request.form.get("back") == "all"
    back_url = launch_url("learner.all_badges" if back else "course.learner_home")
    return _offer_page(new, back_url)


@bp.get("/learner/accept/<token>/wallet")
def email_wallet(token: str):
    """From the award email: a button that makes the offer (a GET never does: mail scanners
    follow links, and an offer is single use)."""
    assertion = emailed_assertion(token)
    course = (
        db.session.get(Context, assertion.badge.context_id) if assertion.badge.context_id else None
    )
    html = render_template(
        "wallets/from_email.html", assertion=assertion, badge=assertion.badge, course=course
    )
    return html, 200, {**NO_STORE, "Referrer-Policy": "no-referrer"}


@bp.post("/learner/accept/<token>/wallet")
@rate_limit("RATE_LIMIT_SHARE")
def email_wallet_offer(token: str):
    """The email link's offer: whoever holds the award email may put the badge in a wallet."""
    assertion = emailed_assertion(token)
    if assertion.lti_user_id is None:
        abort(404, description=_("This badge cannot be added to a wallet from here."))
    try:
        new = operations.create_offer(
            badge.KIND,
            assertion.public_id,
            assertion.lti_user_id,
            with_tx_code=request.form.get("pin") == "1",
        )
    except WalletError as exc:
        abort(exc.status, description=str(exc))
    return _offer_page(new, url_for("learner.accept_link", token=token))
