"""The documents wallets read: credential issuer and authorization server metadata, the
credential offer, the VC-API presentation request and the deep links. Pure (values in, dicts
and strings out)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from app.openbadges.issuers import DEFAULT_JWT_ALG
from app.openbadges.signing import CRYPTOSUITE
from app.wallets import urls
from app.wallets.proofs import PROOF_ALGORITHMS
from app.wallets.registry import Offerable

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
#: Learner Credential Wallet's registered deep link (its ``request`` parameter: a VC-API
#: credential request naming the exchange).
LCW_SCHEME = "dccrequest://request"
DISPLAY_NAME = "Badgebridge"


def _configuration(entry: Offerable, fmt: str) -> dict[str, Any]:
    definition: dict[str, Any] = {"type": ["VerifiableCredential", entry.credential_type]}
    if fmt == "ldp_vc":
        definition = {"@context": list(entry.context), **definition}
    return {
        "format": fmt,
        "cryptographic_binding_methods_supported": ["did:key", "jwk"],
        "credential_signing_alg_values_supported": [
            CRYPTOSUITE if fmt == "ldp_vc" else DEFAULT_JWT_ALG
        ],
        "proof_types_supported": {
            "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}
        },
        "credential_definition": definition,
        "credential_metadata": {"display": [{"name": entry.credential_type, "locale": "en"}]},
    }


def issuer_metadata(entries: list[Offerable], formats: tuple[str, ...]) -> dict[str, Any]:
    """Credential Issuer Metadata (OID4VCI 1.0 section 12.2): every registered kind in every
    format, the pre-authorized flow's authorization server, credential and nonce endpoints."""
    return {
        "credential_issuer": urls.base(),
        "authorization_servers": [urls.authorization_server()],
        "credential_endpoint": urls.absolute(urls.CREDENTIAL),
        "nonce_endpoint": urls.absolute(urls.NONCE),
        "display": [{"name": DISPLAY_NAME, "locale": "en"}],
        "credential_configurations_supported": {
            entry.configuration_id(fmt): _configuration(entry, fmt)
            for entry in entries
            for fmt in formats
        },
    }


def authorization_server_metadata() -> dict[str, Any]:
    """RFC 8414 metadata of the authorization server: the pre-authorized code grant only,
    for wallets that have no client registration (anonymous access)."""
    return {
        "issuer": urls.authorization_server(),
        "token_endpoint": urls.absolute(urls.TOKEN),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


def credential_offer(
    configuration_ids: list[str], code: str, tx_code_length: int | None
) -> dict[str, Any]:
    """The Credential Offer (OID4VCI 1.0 section 4.1.1) with its pre-authorized code."""
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if tx_code_length:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": tx_code_length,
            "description": "Enter the PIN shown next to the QR code.",
        }
    return {
        "credential_issuer": urls.base(),
        "credential_configuration_ids": configuration_ids,
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


def offer_link(key: str) -> str:
    """The offer by reference, as the QR code and the same-device link carry it."""
    uri = urls.absolute(urls.OFFER, key=key)
    return f"{OFFER_SCHEME}?{urlencode({'credential_offer_uri': uri})}"


def lcw_link(key: str) -> str:
    """Learner Credential Wallet's deep link to the VC-API exchange."""
    request = {
        "credentialRequestOrigin": urls.base(),
        "protocols": {"vcapi": urls.absolute(urls.EXCHANGE, key=key)},
    }
    return f"{LCW_SCHEME}?request={quote(json.dumps(request, separators=(',', ':')), safe='')}"


def presentation_request(key: str, challenge: str) -> dict[str, Any]:
    """The VC-API exchange's first answer: authenticate with your DID over this challenge."""
    return {
        "verifiablePresentationRequest": {
            "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}]}],
            "challenge": challenge,
            "domain": urls.base(),
            "interact": {
                "service": [
                    {
                        "type": "UnmediatedPresentationService2021",
                        "serviceEndpoint": urls.absolute(urls.EXCHANGE, key=key),
                    }
                ]
            },
        }
    }


def delivery(credential: dict[str, Any]) -> dict[str, Any]:
    """The exchange's last answer: the bound credential in a presentation."""
    return {
        "verifiablePresentation": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "verifiableCredential": [credential],
        }
    }
