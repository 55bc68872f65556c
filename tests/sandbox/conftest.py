"""Fixtures: a sandbox served over real HTTP, and a fake tool (its own RSA key and JWKS server)."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti.sandbox import create_app
from lti.sandbox.seed import (
    CANVAS_CLIENT_ID,
    MOODLE_CLIENT_ID,
    PlatformInfo,
    launch_url,
    seed_demo,
)

SHARED = "/work/shared/lti"


def load_capture(name: str) -> dict[str, Any]:
    """A JSON capture from shared/lti."""
    with open(f"{SHARED}/{name}") as fh:
        return json.load(fh)


class ServerThread:
    """A WSGI app on 127.0.0.1:<random port> in a thread."""

    def __init__(self, app: Any) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


def new_key() -> tuple[str, rsa.RSAPrivateKey]:
    """A kid and an RSA key."""
    return uuid.uuid4().hex, rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeTool:
    """The tool side: publishes a JWKS (rotatable) and signs assertions and deep link
    responses. Counts JWKS fetches so caching can be checked."""

    keys: list[tuple[str, rsa.RSAPrivateKey]] = field(default_factory=lambda: [new_key()])
    jwks_hits: int = 0
    url: str = ""

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        req = Request(environ)
        if req.path == "/lti/jwks.json":
            self.jwks_hits += 1
            body = {"keys": [self.jwk(kid, key) for kid, key in self.keys]}
            return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
        return Response("fake tool", status=200)(environ, start_response)

    @staticmethod
    def jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
        d = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        d.update(kid=kid, alg="RS256", use="sig")
        return d

    @property
    def kid(self) -> str:
        return self.keys[-1][0]

    def pem(self, key: rsa.RSAPrivateKey | None = None) -> bytes:
        return (key or self.keys[-1][1]).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(
        self, claims: dict[str, Any], kid: str | None = None, key: rsa.RSAPrivateKey | None = None
    ) -> str:
        return jwt.encode(
            claims, self.pem(key), algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def assertion(self, client_id: str, aud: str, **over: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        }
        kid = over.pop("kid", None)
        key = over.pop("key", None)
        claims.update(over)
        return self.sign(claims, kid=kid, key=key)


@dataclass
class Sandbox:
    """A running sandbox with both demo platforms and the fake tool registered."""

    app: Any
    url: str
    tool: FakeTool
    moodle: PlatformInfo
    canvas: PlatformInfo

    def info(self, slug: str) -> PlatformInfo:
        return {"moodle": self.moodle, "canvas": self.canvas}[slug]

    def token(self, slug: str, scopes: list[str]) -> str:
        info = self.info(slug)
        resp = requests.post(
            info.auth_token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": self.tool.assertion(info.client_id, info.auth_token_url),
                "scope": " ".join(scopes),
            },
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def launch(self, slug: str, course_id: int, user: str, **kw: Any) -> dict[str, Any]:
        """Run the OIDC flow as the tool would; returns the verified id_token claims."""
        form = self.start(slug, course_id, user, **kw)
        fields = self.authorize(slug, form)
        assert "id_token" in fields, fields
        return self.verify_id_token(slug, fields["id_token"])

    def start(self, slug: str, course_id: int, user: str, **kw: Any) -> dict[str, str]:
        resp = requests.get(launch_url(self.app, slug, course_id, user, **kw), timeout=10)
        assert resp.status_code == 200, resp.text
        action, fields = parse_form(resp.text)
        assert action == f"{self.tool.url}/lti/login"
        return fields

    def authorize(self, slug: str, login: dict[str, str], **over: str) -> dict[str, str]:
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": login["client_id"],
            "redirect_uri": login["target_link_uri"],
            "login_hint": login["login_hint"],
            "lti_message_hint": login["lti_message_hint"],
            "state": "st-123",
            "nonce": uuid.uuid4().hex,
        }
        params.update(over)
        resp = requests.post(
            self.info(slug).auth_login_url, data=params, timeout=10, allow_redirects=False
        )
        self.last_auth = resp
        if resp.status_code != 200:
            return {"_status": str(resp.status_code)}
        action, fields = parse_form(resp.text)
        fields["_action"] = action
        return fields

    def verify_id_token(self, slug: str, token: str) -> dict[str, Any]:
        info = self.info(slug)
        jwks = requests.get(info.key_set_url, timeout=10).json()
        kid = jwt.get_unverified_header(token)["kid"]
        jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
        key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        return jwt.decode(
            token, key, algorithms=["RS256"], audience=info.client_id, options={"verify_iat": False}
        )


def parse_form(html: str) -> tuple[str, dict[str, str]]:
    """(action, fields) of an auto-submitting form."""
    action = re.search(r'<form[^>]*action="([^"]*)"', html)
    assert action, html
    fields = {
        unescape(n): unescape(val)
        for n, val in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', html)
    }
    return unescape(action.group(1)), fields


@pytest.fixture()
def tool() -> Iterator[FakeTool]:
    fake = FakeTool()
    server = ServerThread(fake.wsgi)
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture()
def sandbox(tmp_path: Any, tool: FakeTool) -> Iterator[Sandbox]:
    app = create_app(
        {
            "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}",
            "SECRET_KEY": "test-secret",
            "TESTING": True,
        }
    )
    server = ServerThread(app)
    app.config["SANDBOX_BASE_URL"] = server.url
    moodle, canvas = seed_demo(app, tool.url, learners=12)
    assert moodle.client_id == MOODLE_CLIENT_ID and canvas.client_id == CANVAS_CLIENT_ID
    yield Sandbox(app=app, url=server.url, tool=tool, moodle=moodle, canvas=canvas)
    server.stop()
