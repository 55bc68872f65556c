"""Launch flow: login initiation, authorization endpoint, and the id_token's claims compared
with what real Moodle 4.5 and Canvas send."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import requests

from lti.sandbox import vocab as v
from lti.sandbox.seed import add_column
from tests.sandbox.conftest import Sandbox, load_capture

# Canvas claims of features the sandbox does not offer (platform notifications, EULA).
CANVAS_NOT_OFFERED = {
    "https://purl.imsglobal.org/spec/lti/claim/platformnotificationservice",
    "https://purl.imsglobal.org/spec/lti/claim/eulaservice",
}


def graded_moodle_link(sb: Sandbox) -> int:
    """A Moodle activity with its own (single) grade item, like the captured one."""
    course = sb.moodle.course_ids[0]
    li = add_column(sb.app, "moodle", course, "Flask tool activity", 10, for_tool=True)
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import LineItem

    with session_scope(sb.app) as s:
        return int(s.get(LineItem, li).resource_link_id)


def shape(d: Any) -> Any:
    """Keys (ordered) of a dict and of its nested dicts."""
    if isinstance(d, dict):
        return [(k, shape(val)) for k, val in d.items()]
    return type(d).__name__ if d is not None else None


@pytest.mark.parametrize(
    ("user", "capture"),
    [("student1", "launch-learner.claims.json"), ("teacher1", "launch-instructor.claims.json")],
)
def test_moodle_launch_matches_capture(sandbox: Sandbox, user: str, capture: str) -> None:
    link = graded_moodle_link(sandbox)
    claims = sandbox.launch("moodle", sandbox.moodle.course_ids[0], user, resource_link_id=link)
    ref = load_capture(f"moodle-4.5/{capture}")
    assert list(claims) == list(ref)
    for key in ref:
        if isinstance(ref[key], dict):
            assert list(claims[key]) == list(ref[key]), key
    assert claims[v.CLAIM_ROLES] == ref[v.CLAIM_ROLES]
    assert claims["exp"] - claims["iat"] == 60
    assert claims["iss"] == sandbox.moodle.issuer
    assert claims["aud"] == sandbox.moodle.client_id
    assert claims[v.CLAIM_DEPLOYMENT_ID] == "1"
    assert claims[v.CLAIM_LIS] == {"person_sourcedid": "", "course_section_sourcedid": ""}
    assert claims[v.CLAIM_EXT] == {"user_username": user, "lms": "moodle-2"}
    assert claims[v.CLAIM_CONTEXT]["type"] == ["CourseSection"]
    assert claims[v.CLAIM_TOOL_PLATFORM]["product_family_code"] == "moodle"
    nrps = claims[v.CLAIM_NRPS]["context_memberships_url"]
    assert claims[v.CLAIM_CUSTOM] == {"context_memberships_url": nrps}
    assert "/CourseSection/" in nrps and nrps.endswith("/bindings/1/memberships")
    ags = claims[v.CLAIM_AGS]
    assert ags["scope"] == ref[v.CLAIM_AGS]["scope"]
    assert ags["lineitems"].endswith("/lineitems?type_id=1")
    assert "/lineitem?type_id=1" in ags["lineitem"]
    assert (claims["sub"] == claims[v.CLAIM_EXT] and False) or claims["sub"].isdigit()


def test_moodle_activity_with_several_columns_names_no_lineitem(sandbox: Sandbox) -> None:
    claims = sandbox.launch("moodle", sandbox.moodle.course_ids[0], "student1")
    assert "lineitem" not in claims[v.CLAIM_AGS]
    assert claims[v.CLAIM_MESSAGE_TYPE] == v.MSG_RESOURCE_LINK


def test_moodle_ta_is_an_instructor(sandbox: Sandbox) -> None:
    claims = sandbox.launch("moodle", sandbox.moodle.course_ids[0], "ta1")
    assert claims[v.CLAIM_ROLES] == [v.ROLE_INSTRUCTOR]


def test_canvas_launch_matches_capture(sandbox: Sandbox) -> None:
    info = sandbox.canvas
    course = info.course_ids[0]
    # The captured launch is of an assignment: its line item is named.
    claims = sandbox.launch(
        "canvas", course, "student1", resource_link_id=info.resource_link_ids[course][1]
    )
    ref = load_capture("canvas/launch-learner.claims.json")
    ref.pop("_source")
    assert set(claims) == set(ref) - CANVAS_NOT_OFFERED
    for key in ref:
        if isinstance(ref[key], dict) and key in claims and key != v.CLAIM_CUSTOM:
            assert set(claims[key]) <= set(ref[key]), key
    assert set(claims[v.CLAIM_AGS]) == set(ref[v.CLAIM_AGS])
    assert claims[v.CLAIM_ROLES] == ref[v.CLAIM_ROLES]
    assert claims["azp"] == claims["aud"] == info.client_id
    assert claims["exp"] - claims["iat"] == 3600
    assert claims[v.CLAIM_DEPLOYMENT_ID] == info.deployment_id
    assert claims[v.CLAIM_CONTEXT]["type"] == ref[v.CLAIM_CONTEXT]["type"]
    assert len(claims[v.CLAIM_CONTEXT]["id"]) == 40
    assert claims[v.CLAIM_TOOL_PLATFORM]["product_family_code"] == "canvas"
    assert claims[v.CLAIM_NRPS]["service_versions"] == ["2.0"]
    assert claims[v.CLAIM_CUSTOM]["canvas_course_id"] == str(course)
    assert claims[v.CLAIM_CUSTOM]["canvas_user_id"].isdigit()
    assert len(claims[v.CLAIM_LTI11_LEGACY_USER_ID]) == 40
    assert claims[v.CLAIM_CANVAS_PLACEMENT] is None
    assert claims[v.CLAIM_LIS]["course_offering_sourcedid"] == "$CourseSection.sourcedId"
    assert claims[v.CLAIM_AGS]["lineitem"].startswith(
        f"{info.issuer}/api/lti/courses/{course}/line_items/"
    )


@pytest.mark.parametrize(
    ("user", "expected"), [("teacher1", "launch-instructor.roles.json"), ("ta1", None)]
)
def test_canvas_staff_roles(sandbox: Sandbox, user: str, expected: str | None) -> None:
    claims = sandbox.launch("canvas", sandbox.canvas.course_ids[0], user)
    if expected:
        assert claims[v.CLAIM_ROLES] == load_capture(f"canvas/{expected}")[v.CLAIM_ROLES]
    else:
        assert v.ROLE_TA in claims[v.CLAIM_ROLES] and v.ROLE_INSTRUCTOR in claims[v.CLAIM_ROLES]


def test_canvas_login_initiation_fields(sandbox: Sandbox) -> None:
    login = sandbox.start("canvas", sandbox.canvas.course_ids[0], "student1")
    ref = load_capture("canvas/oidc-login-initiation.json")
    expected = {k for k in ref if not k.startswith("_")}
    assert set(login) == expected
    assert login["lti_storage_target"] == "post_message_forwarding"
    assert login["iss"] == sandbox.canvas.issuer
    fields = sandbox.authorize("canvas", login)
    assert fields["lti_storage_target"] == "post_message_forwarding"
    assert fields["state"] == "st-123"
    assert fields["_action"] == f"{sandbox.tool.url}/lti/launch"


def test_moodle_login_initiation_fields(sandbox: Sandbox) -> None:
    login = sandbox.start("moodle", sandbox.moodle.course_ids[0], "student1")
    assert set(login) == {
        "iss",
        "target_link_uri",
        "login_hint",
        "lti_message_hint",
        "client_id",
        "lti_deployment_id",
    }
    assert login["lti_deployment_id"] == "1"


def test_nonce_is_echoed(sandbox: Sandbox) -> None:
    login = sandbox.start("moodle", sandbox.moodle.course_ids[0], "student2")
    fields = sandbox.authorize("moodle", login, nonce="n-42")
    claims = sandbox.verify_id_token("moodle", fields["id_token"])
    assert claims["nonce"] == "n-42"
    assert claims["sub"] != ""


# ---- authorization errors -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"scope": "profile"}, "invalid_scope"),
        ({"response_type": "code"}, "unsupported_response_type"),
        ({"prompt": "login"}, "invalid_request"),
        ({"nonce": ""}, "invalid_request"),
        ({"lti_message_hint": "forged"}, "invalid_request"),
        ({"login_hint": "someone-else"}, "access_denied"),
    ],
)
@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_auth_errors_post_back(
    sandbox: Sandbox, slug: str, override: dict[str, str], error: str
) -> None:
    login = sandbox.start(slug, sandbox.info(slug).course_ids[0], "student1")
    fields = sandbox.authorize(slug, login, **override)
    assert fields.get("error") == error, fields
    assert fields["state"] == "st-123"
    assert "id_token" not in fields
    assert fields["_action"] == login["target_link_uri"]


def test_auth_wrong_response_mode_redirects_with_error(sandbox: Sandbox) -> None:
    login = sandbox.start("moodle", sandbox.moodle.course_ids[0], "student1")
    sandbox.authorize("moodle", login, response_mode="query")
    resp = sandbox.last_auth
    assert resp.status_code == 302
    assert "error=invalid_request" in resp.headers["Location"]


@pytest.mark.parametrize(
    ("override", "status"),
    [
        ({"client_id": "nope"}, "400"),
        ({"redirect_uri": "https://evil.example/steal"}, "400"),
    ],
)
def test_auth_errors_that_cannot_go_back(
    sandbox: Sandbox, override: dict[str, str], status: str
) -> None:
    login = sandbox.start("canvas", sandbox.canvas.course_ids[0], "student1")
    fields = sandbox.authorize("canvas", login, **override)
    assert fields == {"_status": status}
    assert "evil.example" not in sandbox.last_auth.text.split("<p")[0]


def test_hint_of_another_platform_is_refused(sandbox: Sandbox) -> None:
    login = sandbox.start("moodle", sandbox.moodle.course_ids[0], "student1")
    canvas = sandbox.start("canvas", sandbox.canvas.course_ids[0], "student1")
    fields = sandbox.authorize("canvas", canvas, lti_message_hint=login["lti_message_hint"])
    assert fields["error"] == "unauthorized_client"


def test_course_page_embeds_tool_and_storage_frame(sandbox: Sandbox) -> None:
    info = sandbox.canvas
    course = info.course_ids[0]
    s = requests.Session()
    page = s.get(f"{info.issuer}/course/{course}?as=student1", timeout=10).text
    assert 'name="post_message_forwarding"' in page

    from tests.sandbox.conftest import parse_form  # noqa: F401

    link = re.search(r'href="(/canvas/course/\d+\?link=\d+)"', page).group(1)
    page = s.get(sandbox.url + link, timeout=10).text
    src = re.search(r'<iframe class="tool-frame"[^>]*src="([^"]+)"', page).group(1)
    start = s.get(sandbox.url + src.replace("&amp;", "&"), timeout=10)
    assert start.status_code == 200 and f'action="{sandbox.tool.url}/lti/login"' in start.text
    frame = s.get(f"{info.issuer}/post_message_forwarding", timeout=10).text
    for subject in ("lti.put_data.response", "lti.get_data.response", "lti.capabilities.response"):
        assert subject in frame
    moodle_page = s.get(
        f"{sandbox.moodle.issuer}/course/{sandbox.moodle.course_ids[0]}?as=student1", timeout=10
    ).text
    assert "post_message_forwarding" not in moodle_page


def test_user_switcher_tells_people_with_the_same_first_name_apart(sandbox: Sandbox) -> None:
    """The demo has a TA and a learner both called Amara: each entry names the person fully."""
    info = sandbox.moodle
    page = requests.get(f"{info.issuer}/course/{info.course_ids[0]}?as=teacher1", timeout=10).text
    switcher = unescape(page.split("Switch to:", 1)[1].split("</p>", 1)[0])
    entries = re.findall(r'<a href="\?as=([^"]+)">([^<]+)</a> <small>\(([^)]+)\)</small>', switcher)
    assert len(entries) > 2, switcher
    assert all(login == shown and len(name.split()) >= 2 for login, name, shown in entries)
    labels = [f"{name} ({shown})" for _, name, shown in entries]
    assert len(set(labels)) == len(labels)
