"""Deep linking: the request's settings per flavour and the verification of the response."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import requests

from lti.sandbox import vocab as v
from lti.sandbox.seed import write_tool_config
from tests.sandbox.conftest import Sandbox, load_capture, new_key


def dl_request(sb: Sandbox, slug: str, **kw: Any) -> dict[str, Any]:
    return sb.launch(
        slug, sb.info(slug).course_ids[0], "teacher1", message_type=v.MSG_DEEP_LINKING, **kw
    )


def response_jwt(sb: Sandbox, slug: str, request_claims: dict[str, Any], **over: Any) -> str:
    info = sb.info(slug)
    settings = request_claims[v.CLAIM_DL_SETTINGS]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": info.client_id,
        "aud": info.issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        v.CLAIM_DEPLOYMENT_ID: info.deployment_id,
        v.CLAIM_MESSAGE_TYPE: v.MSG_DEEP_LINKING_RESPONSE,
        v.CLAIM_VERSION: "1.3.0",
        v.CLAIM_DL_CONTENT_ITEMS: [
            {
                "type": "ltiResourceLink",
                "title": "Badge: Lab safety",
                "url": f"{sb.tool.url}/lti/launch",
                "custom": {"badge": "abc"},
                "lineItem": {"scoreMaximum": 20, "label": "Lab safety", "tag": "badge"},
            }
        ],
        v.CLAIM_DL_MSG: "Badge added",
    }
    if "data" in settings:
        claims[v.CLAIM_DL_DATA] = settings["data"]
    kid = over.pop("kid", None)
    key = over.pop("key", None)
    claims.update(over)
    claims = {k: val for k, val in claims.items() if val is not None}
    return sb.tool.sign(claims, kid=kid, key=key)


def post(settings: dict[str, Any], token: str) -> requests.Response:
    return requests.post(settings["deep_link_return_url"], data={"JWT": token}, timeout=10)


def test_moodle_request_matches_capture(sandbox: Sandbox) -> None:
    claims = dl_request(sandbox, "moodle")
    ref = load_capture("moodle-4.5/deep-linking-request.claims.json")
    assert list(claims) == list(ref)
    settings = claims[v.CLAIM_DL_SETTINGS]
    assert list(settings) == list(ref[v.CLAIM_DL_SETTINGS])
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert "/mod/lti/contentitem_return.php?course=" in settings["deep_link_return_url"]
    assert "lineitem" not in claims[v.CLAIM_AGS]


@pytest.mark.parametrize("placement", ["link_selection", "assignment_selection"])
def test_canvas_request_settings(sandbox: Sandbox, placement: str) -> None:
    claims = dl_request(sandbox, "canvas", placement=placement)
    settings = claims[v.CLAIM_DL_SETTINGS]
    ref = load_capture("canvas/deep-linking-placement-settings.json")[placement]
    assert settings["accept_types"] == ref["accept_types"]
    assert settings["accept_presentation_document_targets"] == ref["document_targets"]
    assert settings["accept_multiple"] == ref["accept_multiple"]
    assert settings["data"]
    assert claims[v.CLAIM_CANVAS_PLACEMENT] == placement
    assert v.CLAIM_RESOURCE_LINK not in claims


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_response_places_a_graded_link(sandbox: Sandbox, slug: str) -> None:
    claims = dl_request(sandbox, slug)
    resp = post(claims[v.CLAIM_DL_SETTINGS], response_jwt(sandbox, slug, claims))
    assert resp.status_code == 200, resp.text
    assert "Badge: Lab safety" in resp.text and "Badge added" in resp.text
    token = sandbox.token(slug, [v.SCOPE_LINEITEM_READONLY])
    items = requests.get(
        claims[v.CLAIM_AGS]["lineitems"], timeout=10, headers={"Authorization": f"Bearer {token}"}
    ).json()
    new = next(i for i in items if i["label"] == "Lab safety")
    assert new["scoreMaximum"] == 20 and new["tag"] == "badge" and new["resourceLinkId"]
    # The new link launches with its custom parameter and its line item.
    launch = sandbox.launch(
        slug, sandbox.info(slug).course_ids[0], "student1", resource_link_id=new["resourceLinkId"]
    )
    assert launch[v.CLAIM_CUSTOM]["badge"] == "abc"
    assert launch[v.CLAIM_AGS]["lineitem"] == new["id"]


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_response_verification(sandbox: Sandbox, slug: str) -> None:
    claims = dl_request(sandbox, slug)
    settings = claims[v.CLAIM_DL_SETTINGS]
    info = sandbox.info(slug)
    bad = {
        "wrong aud": response_jwt(sandbox, slug, claims, aud=info.auth_token_url),
        "wrong iss": response_jwt(sandbox, slug, claims, iss="other-client"),
        "wrong deployment": response_jwt(sandbox, slug, claims, **{v.CLAIM_DEPLOYMENT_ID: "999"}),
        "no nonce": response_jwt(sandbox, slug, claims, nonce=None),
        "wrong type": response_jwt(
            sandbox, slug, claims, **{v.CLAIM_MESSAGE_TYPE: v.MSG_RESOURCE_LINK}
        ),
        "foreign key": response_jwt(sandbox, slug, claims, key=new_key()[1]),
        "expired": response_jwt(sandbox, slug, claims, exp=int(time.time()) - 3600),
        "html item": response_jwt(
            sandbox,
            slug,
            claims,
            **{v.CLAIM_DL_CONTENT_ITEMS: [{"type": "html", "html": "<b>x</b>"}]},
        ),
    }
    if slug == "canvas":
        bad["no data"] = response_jwt(sandbox, slug, claims, **{v.CLAIM_DL_DATA: None})
    for why, token in bad.items():
        resp = post(settings, token)
        assert resp.status_code == 400, why
        assert 'role="alert"' in resp.text, why
    good = response_jwt(sandbox, slug, claims, nonce="once")
    assert post(settings, good).status_code == 200
    replay = post(settings, good)
    assert replay.status_code == 400 and "nonce" in replay.text


def test_moodle_return_needs_its_sesskey(sandbox: Sandbox) -> None:
    claims = dl_request(sandbox, "moodle")
    settings = dict(claims[v.CLAIM_DL_SETTINGS])
    settings["deep_link_return_url"] = (
        settings["deep_link_return_url"].split("&sesskey=")[0] + "&sesskey=forged"
    )
    assert post(settings, response_jwt(sandbox, "moodle", claims)).status_code == 400


def test_write_tool_config(sandbox: Sandbox, tmp_path: Any) -> None:
    path = tmp_path / "config.json"
    write_tool_config([sandbox.moodle, sandbox.canvas], path)
    doc = json.loads(path.read_text())
    assert set(doc) == {sandbox.moodle.issuer, sandbox.canvas.issuer}
    entry = doc[sandbox.canvas.issuer][0]
    assert entry["client_id"] == "10000000000001" and entry["default"] is True
    assert entry["deployment_ids"] == [sandbox.canvas.deployment_id]
    assert entry["auth_audience"] == entry["auth_token_url"]
    assert "private_key_file" not in entry
