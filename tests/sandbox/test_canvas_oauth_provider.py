"""The sandbox's Canvas OAuth 2 provider answers as Canvas's ``oauth2_provider_controller`` and
``lib/canvas/oauth`` do: error bodies and statuses, the consent page, an hour-long access token
with a refresh token, refreshes that keep the refresh token, DELETE revoking both, scopes
enforced on the API with 401 "Insufficient scopes on access token." (no WWW-Authenticate)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests

from lti.sandbox import seed
from tests.sandbox.conftest import Sandbox
from tests.sandbox.test_canvas_api import _get, _teacher

REDIRECT = "https://tool.example/connectors/canvas/callback"
ASSIGNMENTS = "url:GET|/api/v1/courses/:course_id/assignments"


def _code(sb: Sandbox, client_id: str, scope: str = "") -> str:
    """Sign in as the course's teacher, ask, authorize: the code Canvas sends back."""
    s = requests.Session()
    s.get(seed.course_url(sb.app, "canvas", sb.canvas.course_ids[0], _teacher(sb)), timeout=10)
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "xyz",
    }
    if scope:
        params["scope"] = scope
    consent = s.get(f"{sb.canvas.issuer}/login/oauth2/auth", params=params, timeout=10)
    assert "is requesting access to your account" in consent.text
    back = s.post(consent.url, data={"decision": "accept"}, allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    assert back.headers["Location"].startswith(REDIRECT) and query["state"] == ["xyz"]
    return query["code"][0]


def _token(sb: Sandbox, **form: str) -> requests.Response:
    return requests.post(f"{sb.canvas.issuer}/login/oauth2/token", data=form, timeout=10)


def test_code_refresh_and_revocation(sandbox):
    client_id, secret = seed.create_developer_key(sandbox.app, "canvas", REDIRECT)
    code = _code(sandbox, client_id)
    creds = {"client_id": client_id, "client_secret": secret}
    first = _token(sandbox, grant_type="authorization_code", code=code, **creds).json()
    assert first["token_type"] == "Bearer" and first["expires_in"] == 3600
    assert first["refresh_token"] and first["user"]["id"]
    # A code is single use.
    again = _token(sandbox, grant_type="authorization_code", code=code, **creds)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert _get(sandbox, "/assignments", first["access_token"]).status_code == 200
    refreshed = _token(
        sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"], **creds
    ).json()
    assert "refresh_token" not in refreshed and refreshed["expires_in"] == 3600
    old = _get(sandbox, "/assignments", first["access_token"])
    assert old.status_code == 401 and old.headers["WWW-Authenticate"] == 'Bearer realm="canvas-lms"'
    assert old.json() == {"errors": [{"message": "Invalid access token."}]}
    # DELETE /login/oauth2/token: the token and its refresh token are gone.
    gone = requests.delete(
        f"{sandbox.canvas.issuer}/login/oauth2/token",
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        timeout=10,
    )
    assert gone.status_code == 200 and gone.json() == {}
    dead = _token(
        sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"], **creds
    )
    assert dead.status_code == 400
    assert dead.json() == {
        "error": "invalid_request",
        "error_description": "refresh_token not found",
    }


def test_error_shapes(sandbox):
    client_id, secret = seed.create_developer_key(sandbox.app, "canvas", REDIRECT)
    unknown = requests.get(
        f"{sandbox.canvas.issuer}/login/oauth2/auth",
        params={"client_id": "170000000099999", "response_type": "code", "redirect_uri": REDIRECT},
        timeout=10,
    )
    assert unknown.status_code == 401 and unknown.headers["WWW-Authenticate"] == "Canvas OAuth 2.0"
    assert unknown.json() == {"error": "invalid_client", "error_description": "unknown client"}
    elsewhere = requests.get(
        f"{sandbox.canvas.issuer}/login/oauth2/auth",
        params={
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": "https://x.example/",
        },
        timeout=10,
    )
    assert elsewhere.status_code == 400
    assert elsewhere.json()["error_description"] == "redirect_uri does not match client settings"
    wrong = _token(
        sandbox,
        grant_type="refresh_token",
        refresh_token="x",
        client_id=client_id,
        client_secret="no",
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_client", "error_description": "invalid client"}
    bare = _token(sandbox, grant_type="refresh_token", client_id=client_id, client_secret=secret)
    assert bare.json()["error"] == "invalid_request"
    assert "must provide the refresh_token" in bare.json()["error_description"]


def test_scopes_are_enforced(sandbox):
    client_id, secret = seed.create_developer_key(
        sandbox.app, "canvas", REDIRECT, scopes=[ASSIGNMENTS], require_scopes=True
    )
    # Asking for a scope the key does not allow: back to the tool with invalid_scope.
    s = requests.Session()
    refused = s.get(
        f"{sandbox.canvas.issuer}/login/oauth2/auth",
        params={
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "state": "s1",
            "scope": "url:GET|/api/v1/courses/:course_id/enrollments",
        },
        allow_redirects=False,
        timeout=10,
    )
    query = parse_qs(urlsplit(refused.headers["Location"]).query)
    assert query["error"] == ["invalid_scope"] and "state" not in query  # as Canvas does
    # A key enforcing scopes refuses an authorization that asks for none.
    bare = s.get(
        f"{sandbox.canvas.issuer}/login/oauth2/auth",
        params={"client_id": client_id, "response_type": "code", "redirect_uri": REDIRECT},
        allow_redirects=False,
        timeout=10,
    )
    assert parse_qs(urlsplit(bare.headers["Location"]).query)["error"] == ["invalid_scope"]
    code = _code(sandbox, client_id, scope=ASSIGNMENTS)
    token = _token(
        sandbox,
        grant_type="authorization_code",
        code=code,
        client_id=client_id,
        client_secret=secret,
    ).json()["access_token"]
    assert _get(sandbox, "/assignments", token).status_code == 200
    outside = _get(sandbox, "/enrollments", token)
    assert outside.status_code == 401 and "WWW-Authenticate" not in outside.headers
    assert outside.json() == {"errors": [{"message": "Insufficient scopes on access token."}]}


def test_the_developer_keys_page_creates_keys_and_turning_one_off_stops_its_tokens(sandbox):
    page = f"{sandbox.canvas.issuer}/accounts/site_admin/developer_keys"
    made = requests.post(
        page,
        data={"action": "create", "name": "Gradebook", "redirect_uri": REDIRECT, "scopes": ""},
        timeout=10,
    )
    client_id = re.search(r"Developer key (\d+) created", made.text)[1]
    secret = re.search(rf"{client_id}</code><br>Key <code>([^<]+)</code>", made.text)[1]
    code = _code(sandbox, client_id)
    token = _token(
        sandbox,
        grant_type="authorization_code",
        code=code,
        client_id=client_id,
        client_secret=secret,
    ).json()["access_token"]
    assert _get(sandbox, "/assignments", token).status_code == 200
    requests.post(page, data={"action": "state", "client_id": client_id, "active": "0"}, timeout=10)
    assert _get(sandbox, "/assignments", token).status_code == 401
