"""A small OB 3.0 API client, as another party writes one: discovery, RFC 7591 registration,
the authorization code grant with PKCE (S256), tokens with HTTP Basic client authentication.

It drives a Flask test client (the tool in-process); the learner's part (approving in My
badges) is a callback, since that happens in the learner's LMS, not in the client."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from app.ob3api import spec

REDIRECT_URI = "https://wallet.example/ob3/callback"

METADATA = {
    "client_name": "Example Wallet",
    "client_uri": "https://wallet.example/",
    "logo_uri": "https://wallet.example/logo.png",
    "tos_uri": "https://wallet.example/terms",
    "policy_uri": "https://wallet.example/privacy",
    "software_id": "c88b6ed8-269e-448e-99be-7e2ff47167d1",
    "software_version": "1.0",
    "redirect_uris": [REDIRECT_URI],
    "token_endpoint_auth_method": "client_secret_basic",
    "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"],
    "scope": " ".join(spec.SCOPES) + " offline_access",
}


def path(url: str) -> str:
    """The path and query of an absolute URL (the test client speaks paths)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class ObClient:
    http: Any  # the Flask test client
    discovery: dict[str, Any] = field(default_factory=dict)
    client_id: str = ""
    client_secret: str = ""

    @property
    def flows(self) -> dict[str, Any]:
        return self.discovery["components"]["securitySchemes"]["OAuth2ACG"]["flows"][
            "authorizationCode"
        ]

    @property
    def api(self) -> str:
        return self.discovery["servers"][0]["url"]

    def discover(self) -> None:
        response = self.http.get(spec.DISCOVERY_PATH, headers={"Accept": "application/json"})
        assert response.status_code == 200
        self.discovery = response.get_json()

    def register(self, **changes: Any):
        scheme = self.discovery["components"]["securitySchemes"]["OAuth2ACG"]
        response = self.http.post(
            path(scheme["x-imssf-registrationUrl"]), json={**METADATA, **changes}
        )
        if response.status_code == 201:
            body = response.get_json()
            self.client_id, self.client_secret = body["client_id"], body["client_secret"]
        return response

    def start(self, scope: str, *, method: str = "S256", redirect_uri: str = REDIRECT_URI):
        """Send the learner's browser to the authorization URL; returns (response, verifier,
        state)."""
        verifier = secrets.token_urlsafe(48)
        state = secrets.token_urlsafe(12)
        challenge = create_s256_code_challenge(verifier) if method == "S256" else verifier
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": method,
        }
        response = self.http.get(path(self.flows["authorizationUrl"]), query_string=query)
        return response, verifier, state

    def basic(self, client_id: str | None = None, secret: str | None = None) -> dict[str, str]:
        raw = f"{client_id or self.client_id}:{secret or self.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def token(self, form: dict[str, str], **basic: str):
        return self.http.post(path(self.flows["tokenUrl"]), data=form, headers=self.basic(**basic))

    def exchange(self, code: str, verifier: str, scope: str):
        return self.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "scope": scope,
                "code_verifier": verifier,
            }
        )

    def get(self, resource: str, access_token: str | None, **query: Any):
        headers = {"Accept": "application/json"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        return self.http.get(path(f"{self.api}{resource}"), query_string=query, headers=headers)


def query_of(location: str) -> dict[str, str]:
    """The query of a redirect's Location as a flat dict."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
