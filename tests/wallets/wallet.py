"""A test wallet: the other party of the wallet flows, written from the specifications.

It holds its own Ed25519 key and names itself by that key's did:key. It speaks to the tool
only over HTTP (``requests``), as a wallet app on a phone would:

- OID4VCI 1.0 with a pre-authorized code: resolve the offer by reference, read the issuer's
  and the authorization server's metadata, get a token, a ``c_nonce``, then the credential
  with an ``openid4vci-proof+jwt`` key proof;
- Learner Credential Wallet's VC-API exchange: ``POST {}``, read the DID Authentication
  request, answer with a presentation signed ``Ed25519Signature2020`` over the challenge
  (what LCW's ``vc.signPresentation`` sends).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jws
from joserfc.jwk import OKPKey

from app.openbadges.jsonld import canonize
from app.openbadges.keys import b58encode

PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
TIMEOUT = 60  # the machine is shared: generous


def _did_key(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "did:key:z" + b58encode(b"\xed\x01" + raw)


@dataclass
class Answer:
    """One HTTP answer the wallet got: status and JSON body."""

    status: int
    body: dict[str, Any]


@dataclass
class Wallet:
    """A wallet with its own key (Ed25519) and DID (did:key)."""

    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def did(self) -> str:
        return _did_key(self.key)

    @property
    def kid(self) -> str:
        return f"{self.did}#{self.did.removeprefix('did:key:')}"

    # --- OID4VCI -----------------------------------------------------------------------------

    def resolve_offer(self, offer_link: str) -> dict[str, Any]:
        """The credential offer behind an ``openid-credential-offer://`` link (by reference)."""
        parts = urlsplit(offer_link)
        assert parts.scheme == "openid-credential-offer", offer_link
        uri = parse_qs(parts.query)["credential_offer_uri"][0]
        response = requests.get(uri, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    def metadata(self, issuer: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(credential issuer metadata, authorization server metadata), from well-known URLs."""
        issuer_meta = requests.get(
            issuer + "/.well-known/openid-credential-issuer", timeout=TIMEOUT
        ).json()
        server = issuer_meta["authorization_servers"][0]
        parts = urlsplit(server)
        as_url = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server"
        as_meta = requests.get(as_url + parts.path, timeout=TIMEOUT).json()
        assert as_meta["issuer"] == server
        return issuer_meta, as_meta

    def token(self, token_endpoint: str, code: str, tx_code: str | None = None) -> Answer:
        form = {"grant_type": PRE_AUTHORIZED, "pre-authorized_code": code}
        if tx_code is not None:
            form["tx_code"] = tx_code
        response = requests.post(token_endpoint, data=form, timeout=TIMEOUT)
        return Answer(response.status_code, response.json())

    def nonce(self, nonce_endpoint: str) -> str:
        response = requests.post(nonce_endpoint, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"
        return response.json()["c_nonce"]

    def key_proof(
        self, audience: str, nonce: str, *, signer: Ed25519PrivateKey | None = None
    ) -> str:
        """An ``openid4vci-proof+jwt`` naming this wallet's did:key (signed by ``signer``,
        this wallet's own key unless a test says otherwise)."""
        header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": self.kid}
        claims = {"aud": audience, "iat": int(time.time()), "nonce": nonce}
        key = OKPKey.import_key(signer or self.key)
        return jws.serialize_compact(header, json.dumps(claims).encode(), key, algorithms=["EdDSA"])

    def credential(
        self, endpoint: str, access_token: str, configuration_id: str, proof: str
    ) -> Answer:
        body = {"credential_configuration_id": configuration_id, "proofs": {"jwt": [proof]}}
        response = requests.post(
            endpoint,
            json=body,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=TIMEOUT,
        )
        return Answer(response.status_code, response.json())

    # --- the VC-API exchange (Learner Credential Wallet) --------------------------------------

    @staticmethod
    def lcw_request(lcw_link: str) -> dict[str, Any]:
        """The request a ``dccrequest://request?request=…`` deep link carries (LCW's parse)."""
        parts = urlsplit(lcw_link)
        assert (parts.scheme, parts.netloc) == ("dccrequest", "request"), lcw_link
        request = json.loads(parse_qs(parts.query)["request"][0])
        assert request["credentialRequestOrigin"] and request["protocols"]["vcapi"]
        return request

    def did_authentication(
        self,
        challenge: str,
        domain: str | None,
        *,
        holder: str | None = None,
        signer: Ed25519PrivateKey | None = None,
    ) -> dict[str, Any]:
        """A presentation signed ``Ed25519Signature2020`` for ``authentication`` over the
        challenge, as LCW's ``vc.createPresentation({holder})`` + ``vc.signPresentation``
        make it (the suite adds its context)."""
        holder = holder or self.did
        presentation = {
            "@context": [
                "https://www.w3.org/2018/credentials/v1",
                "https://w3id.org/security/suites/ed25519-2020/v1",
            ],
            "type": ["VerifiablePresentation"],
            "holder": holder,
        }
        multibase = holder.removeprefix("did:key:")
        proof = {
            "type": "Ed25519Signature2020",
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "verificationMethod": f"{holder}#{multibase}",
            "proofPurpose": "authentication",
            "challenge": challenge,
        }
        if domain is not None:
            proof["domain"] = domain
        # jsonld-signatures: sha256(c14n(proof options with the document's context)) +
        # sha256(c14n(document)), signed.
        data = (
            hashlib.sha256(
                canonize({"@context": presentation["@context"], **proof}).encode()
            ).digest()
            + hashlib.sha256(canonize(presentation).encode()).digest()
        )
        signature = (signer or self.key).sign(data)
        return {**presentation, "proof": {**proof, "proofValue": "z" + b58encode(signature)}}

    def exchange(self, url: str, body: dict[str, Any]) -> Answer:
        response = requests.post(url, json=body, timeout=TIMEOUT)
        return Answer(response.status_code, response.json())
