"""Token endpoint: client_credentials with a tool-signed JWT, per RFC 7523 and LTI Security."""

from __future__ import annotations

import uuid

import pytest
import requests

from lti.sandbox import vocab as v
from lti.sandbox.seed import register_tool
from tests.sandbox.conftest import Sandbox, new_key

TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def ask(sb: Sandbox, slug: str, assertion: str, scope: str = v.SCOPE_LINEITEM) -> requests.Response:
    return requests.post(
        sb.info(slug).auth_token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": TYPE,
            "client_assertion": assertion,
            "scope": scope,
        },
        timeout=10,
    )


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_good_assertion_gets_a_bearer_token(sandbox: Sandbox, slug: str) -> None:
    info = sandbox.info(slug)
    scope = f"{v.SCOPE_LINEITEM} {v.SCOPE_NRPS}"
    resp = ask(sandbox, slug, sandbox.tool.assertion(info.client_id, info.auth_audience), scope)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {v.SCOPE_LINEITEM, v.SCOPE_NRPS}
    assert body["access_token"]


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_wrong_audience_is_refused(sandbox: Sandbox, slug: str) -> None:
    info = sandbox.info(slug)
    resp = ask(sandbox, slug, sandbox.tool.assertion(info.client_id, info.issuer))
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_client"


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_audience_list_naming_the_token_url_is_accepted(sandbox: Sandbox, slug: str) -> None:
    info = sandbox.info(slug)
    assertion = sandbox.tool.assertion(info.client_id, [info.issuer, info.auth_token_url])
    assert ask(sandbox, slug, assertion).status_code == 200


def test_replayed_jti_is_refused(sandbox: Sandbox) -> None:
    info = sandbox.canvas
    assertion = sandbox.tool.assertion(info.client_id, info.auth_token_url, jti="same")
    assert ask(sandbox, "canvas", assertion).status_code == 200
    again = ask(sandbox, "canvas", assertion)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_client"


def test_unknown_kid_is_refused(sandbox: Sandbox) -> None:
    info = sandbox.moodle
    kid, key = new_key()  # not published by the tool
    resp = ask(
        sandbox,
        "moodle",
        sandbox.tool.assertion(info.client_id, info.auth_token_url, kid=kid, key=key),
    )
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_client"}


def test_rotated_key_is_fetched_again(sandbox: Sandbox) -> None:
    info = sandbox.moodle
    assert (
        ask(
            sandbox, "moodle", sandbox.tool.assertion(info.client_id, info.auth_token_url)
        ).status_code
        == 200
    )
    hits = sandbox.tool.jwks_hits
    assert (
        ask(
            sandbox, "moodle", sandbox.tool.assertion(info.client_id, info.auth_token_url)
        ).status_code
        == 200
    )
    assert sandbox.tool.jwks_hits == hits, "the key set should be cached"
    sandbox.tool.keys.append(new_key())  # the tool rotates: new kid signs from now on
    resp = ask(sandbox, "moodle", sandbox.tool.assertion(info.client_id, info.auth_token_url))
    assert resp.status_code == 200, resp.text
    assert sandbox.tool.jwks_hits == hits + 1


def test_signature_by_another_key_under_a_known_kid_is_refused(sandbox: Sandbox) -> None:
    info = sandbox.canvas
    _kid, other = new_key()
    resp = ask(
        sandbox, "canvas", sandbox.tool.assertion(info.client_id, info.auth_token_url, key=other)
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


def test_iss_must_be_the_client_id(sandbox: Sandbox) -> None:
    info = sandbox.canvas
    resp = ask(
        sandbox,
        "canvas",
        sandbox.tool.assertion(info.client_id, info.auth_token_url, iss="someone-else"),
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


def test_expired_assertion_is_refused(sandbox: Sandbox) -> None:
    info = sandbox.canvas
    resp = ask(
        sandbox,
        "canvas",
        sandbox.tool.assertion(info.client_id, info.auth_token_url, exp=1000, iat=900),
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client"


def test_only_registered_scopes_are_granted(sandbox: Sandbox, tmp_path: object) -> None:
    info = sandbox.canvas
    register_tool(
        sandbox.app,
        "canvas",
        sandbox.tool.url,
        client_id=info.client_id,
        deployment_id=info.deployment_id,
        scopes=[v.SCOPE_LINEITEM_READONLY],
    )
    mixed = ask(
        sandbox,
        "canvas",
        sandbox.tool.assertion(info.client_id, info.auth_token_url),
        f"{v.SCOPE_SCORE} {v.SCOPE_LINEITEM_READONLY}",
    )
    assert mixed.status_code == 200
    assert mixed.json()["scope"] == v.SCOPE_LINEITEM_READONLY
    none = ask(
        sandbox,
        "canvas",
        sandbox.tool.assertion(info.client_id, info.auth_token_url),
        v.SCOPE_SCORE,
    )
    assert none.status_code == 400 and none.json()["error"] == "invalid_scope"


def test_wrong_grant_type_and_missing_fields(sandbox: Sandbox) -> None:
    info = sandbox.moodle
    resp = requests.post(
        info.auth_token_url,
        data={
            "grant_type": "password",
            "client_assertion_type": TYPE,
            "client_assertion": sandbox.tool.assertion(info.client_id, info.auth_token_url),
            "scope": v.SCOPE_SCORE,
        },
        timeout=10,
    )
    assert resp.json()["error"] == "unsupported_grant_type"
    resp = requests.post(
        info.auth_token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": TYPE,
            "scope": v.SCOPE_SCORE,
        },
        timeout=10,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_services_need_a_token_with_the_right_scope(sandbox: Sandbox, slug: str) -> None:
    info = sandbox.info(slug)
    course = info.course_ids[0]
    url = {
        "moodle": f"{info.issuer}/mod/lti/services.php/{course}/lineitems?type_id=1",
        "canvas": f"{info.issuer}/api/lti/courses/{course}/line_items",
    }[slug]
    assert requests.get(url, timeout=10).status_code == 401
    bad = requests.get(url, headers={"Authorization": f"Bearer {uuid.uuid4().hex}"}, timeout=10)
    assert bad.status_code == 401
    nrps_only = sandbox.token(slug, [v.SCOPE_NRPS])
    resp = requests.get(url, headers={"Authorization": f"Bearer {nrps_only}"}, timeout=10)
    assert resp.status_code == 403
    ok = sandbox.token(slug, [v.SCOPE_LINEITEM_READONLY])
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {ok}"}, timeout=10).status_code == 200
    )


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_openid_configuration_shape(sandbox: Sandbox, slug: str) -> None:
    from tests.sandbox.conftest import load_capture

    info = sandbox.info(slug)
    doc = requests.get(info.openid_configuration_url, timeout=10).json()
    ref = load_capture(
        {
            "moodle": "moodle-4.5/openid-configuration.template.json",
            "canvas": "canvas/openid-configuration.example.json",
        }[slug]
    )
    ref.pop("_source", None)
    assert set(doc) == set(ref)
    assert doc["issuer"] == info.issuer
    assert doc["token_endpoint"] == info.auth_token_url
    assert doc["authorization_endpoint"] == info.auth_login_url
    assert doc["jwks_uri"] == info.key_set_url
    jwks = requests.get(doc["jwks_uri"], timeout=10).json()
    assert jwks["keys"] and all(k["kty"] == "RSA" and k["kid"] for k in jwks["keys"])
