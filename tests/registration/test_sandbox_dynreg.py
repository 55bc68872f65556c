"""LTI Dynamic Registration end to end over real HTTP: the tool's ``/lti/register`` against the
sandbox LMS's platform side, both flavours, then activation and a real launch.

Each test makes its own sandbox platform (a fresh slug) on the session's sandbox, so the
seeded ``moodle``/``canvas`` platforms other tests launch from stay untouched; the failure
cases that need a misbehaving LMS start a fresh sandbox app of their own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from app.audit import SYSTEM
from app.extensions import db
from app.models import Context, Deployment, Registration, RegistrationSource
from app.registrations.operations import set_registration_status
from lti.services import CourseServices
from tests.support.live import serve

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
FLAVOURS = ["moodle", "canvas"]


@pytest.fixture(autouse=True)
def _live_tool(app, lti_env) -> None:
    """The tool's public URL is the live server's (the ``app`` fixture resets it per test)."""
    app.config["PUBLIC_BASE_URL"] = lti_env.tool_url


# ---- helpers ---------------------------------------------------------------------------
def _platform(env, flavour: str) -> str:
    """A new sandbox platform of ``flavour`` with a course and no tool; its slug."""
    from lti.sandbox import operations as ops
    from lti.sandbox.db import session_scope
    from lti.sandbox.seed import create_platform

    slug = f"dr-{flavour}-{uuid.uuid4().hex[:8]}"
    create_platform(env.sandbox, slug, flavour)
    with session_scope(env.sandbox) as s:
        ops.create_course(
            s, ops.get_platform(s, slug), "Registration 101", learners=3, teachers=1, tas=0
        )
    return slug


def _register(env, configuration_url: str, token: str | None) -> requests.Response:
    """What the LMS's iframe/dialog does: open the tool's registration URL."""
    params = {"openid_configuration": configuration_url}
    if token is not None:
        params["registration_token"] = token
    return requests.get(env.tool_url + "/lti/register", params=params, timeout=30)


def _registrations() -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).order_by(Registration.id)))


def _release() -> None:
    """End the test's own transaction: SQLite's BEGIN IMMEDIATE would hold the write lock
    the tool's server thread needs for the next HTTP request."""
    db.session.rollback()


def _course(env, slug: str) -> tuple[int, str, str]:
    """(course id, teacher login, learner login) of the platform's course."""
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Course, Enrollment, Platform, User

    with session_scope(env.sandbox) as s:
        platform = s.scalars(select(Platform).where(Platform.slug == slug)).one()
        course = s.scalars(select(Course).where(Course.platform_id == platform.id)).one()
        rows = s.execute(
            select(User.login, Enrollment.role)
            .join(Enrollment)
            .where(Enrollment.course_id == course.id)
        ).all()
        teacher = next(login for login, role in rows if role == "teacher")
        learner = next(login for login, role in rows if role == "student")
        return course.id, teacher, learner


def _refused(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:800]
    assert f"<code>{code}</code>" in response.text
    assert _registrations() == []


@contextmanager
def _own_sandbox(tmp_path: Path, base_url: str | None = None) -> Iterator[tuple[object, str]]:
    """A fresh sandbox app served on 127.0.0.1; ``base_url`` overrides the URL it believes
    it has (an LMS whose configured address is not where it answers)."""
    from lti.sandbox import create_app as create_sandbox

    sandbox = create_sandbox(
        {
            "SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sbx.db'}",
            "SECRET_KEY": "own-sandbox-secret",
            "TESTING": True,
        }
    )
    with serve(sandbox, "127.0.0.1") as url:
        sandbox.config["SANDBOX_BASE_URL"] = base_url or url
        yield sandbox, url


# ---- the whole handshake ---------------------------------------------------------------
@pytest.mark.parametrize("flavour", FLAVOURS)
def test_handshake_activation_and_launch(app, lti_env, browser, flavour):
    from lti.sandbox.seed import activate_tool, launch_url, start_registration, tool_state

    slug = _platform(lti_env, flavour)
    issuer = f"{lti_env.sandbox_url}/{slug}"
    configuration_url, token = start_registration(lti_env.sandbox, slug)

    page = _register(lti_env, configuration_url, token)
    assert page.status_code == 200, page.text[:800]
    assert "org.imsglobal.lti.close" in page.text

    [row] = _registrations()
    assert (row.issuer, row.status, row.product_family) == (issuer, "pending", flavour)
    assert row.auth_login_url.startswith(issuer) and row.key_set_url.startswith(issuer)
    state = tool_state(lti_env.sandbox, slug, row.client_id)
    assert state["active"] is False and state["status"] == "pending"
    assert state["redirect_uris"] == [lti_env.tool_url + "/lti/launch"]
    assert state["jwks_url"] == lti_env.tool_url + "/lti/jwks.json"
    assert {
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    } <= set(state["scopes"])
    # Both ask to share names and emails: Moodle from the claims, Canvas's privacy level.
    assert state["privacy_level"] == "public"
    source = db.session.scalars(select(RegistrationSource)).one()
    client_id, public_id, registration_id = row.client_id, row.public_id, row.id
    auth_login_url = row.auth_login_url
    registered_deployments = [d.deployment_id for d in row.deployments]
    if flavour == "moodle":
        assert re.fullmatch(r"[A-Za-z0-9]{15}", client_id)
        assert registered_deployments == [state["deployment_id"]]
        assert not source.adopt_deployments
    else:
        assert registered_deployments == [] and source.adopt_deployments  # none yet
        assert state["custom"]  # Canvas's custom fields came with the registration
    _release()

    # Pending in the sandbox: the platform refuses to launch the tool.
    course_id, teacher, learner = _course(lti_env, slug)
    with pytest.raises(LookupError):
        launch_url(lti_env.sandbox, slug, course_id, teacher, client_id=client_id)
    refused = requests.get(
        auth_login_url,
        timeout=10,
        params={
            "client_id": client_id,
            "redirect_uri": lti_env.tool_url + "/lti/launch",
            "response_type": "id_token",
            "scope": "openid",
            "response_mode": "form_post",
            "prompt": "none",
            "nonce": "n",
            "login_hint": "1",
            "lti_message_hint": "x",
        },
    )
    assert refused.status_code == 400 and "No active tool" in refused.text

    set_registration_status(public_id, "active", actor=SYSTEM)  # the tool's admin approves
    _release()
    deployment_id = activate_tool(lti_env.sandbox, slug, client_id)
    if flavour == "moodle":
        assert deployment_id == registered_deployments[0]
    else:
        assert re.fullmatch(r"\d+:[0-9a-f]{40}", deployment_id)

    final = browser.walk(
        browser.get(launch_url(lti_env.sandbox, slug, course_id, teacher, client_id=client_id))
    )
    assert final.status_code == 200, final.text[:800]
    assert final.url.startswith(lti_env.tool_url + "/course/staff")
    assert "Registration 101" in final.text
    learner_page = browser.walk(
        browser.get(launch_url(lti_env.sandbox, slug, course_id, learner, client_id=client_id))
    )
    assert learner_page.url.startswith(lti_env.tool_url + "/course/learner")

    db.session.expire_all()
    assert [
        d.deployment_id
        for d in db.session.scalars(select(Deployment).filter_by(registration_id=registration_id))
    ] == [deployment_id]
    # Services work with the scopes granted at registration (client assertion, real token).
    context = db.session.scalars(select(Context).filter_by(registration_id=registration_id)).one()
    services = CourseServices(context, db.session.get(Registration, registration_id))
    members = list(services.members())
    assert len(members) == 4 and all(m.get("email") for m in members)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_auto_approve_makes_the_registration_active(app, lti_env, flavour, monkeypatch):
    from lti.sandbox.seed import start_registration

    monkeypatch.setitem(app.config, "LTI_REGISTRATION_AUTO_APPROVE", True)
    slug = _platform(lti_env, flavour)
    assert _register(lti_env, *start_registration(lti_env.sandbox, slug)).status_code == 200
    [row] = _registrations()
    assert row.status == "active"


def test_sandbox_register_page_opens_the_tool_and_lists_it(app, lti_env):
    """The admin's page: paste the URL, the tool opens in a frame with both parameters, the
    page listens for the close message; afterwards the tool is Pending with an Activate button
    that activates it."""
    from urllib.parse import parse_qs, urlsplit

    slug = _platform(lti_env, "moodle")
    http = requests.Session()
    page_url = f"{lti_env.sandbox_url}/{slug}/admin/tools/register"
    form = http.get(page_url, timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    opened = http.post(
        page_url, data={"url": lti_env.tool_url + "/lti/register", "csrf": csrf}, timeout=10
    )
    assert opened.status_code == 200
    assert "org.imsglobal.lti.close" in opened.text
    src = re.search(r'<iframe[^>]+id="registration"[^>]+src="([^"]+)"', opened.text)[1]
    src = src.replace("&amp;", "&")
    query = parse_qs(urlsplit(src).query)
    assert query["openid_configuration"] == [
        f"{lti_env.sandbox_url}/{slug}/mod/lti/openid-configuration.php"
    ]
    assert http.get(src, timeout=30).status_code == 200  # what the iframe does

    listing = http.get(page_url, timeout=10).text
    [row] = _registrations()
    client_id = row.client_id
    _release()
    assert f'data-client-id="{client_id}"' in listing and "Pending" in listing
    assert "Activate</button>" in listing
    activated = http.post(
        f"{lti_env.sandbox_url}/{slug}/admin/tools/{client_id}/activate",
        data={"csrf": csrf},
        timeout=10,
    )
    assert activated.status_code == 200 and "is active" in activated.text
    assert "Activate</button>" not in activated.text
    forged = http.post(
        f"{lti_env.sandbox_url}/{slug}/admin/tools/{client_id}/activate",
        data={"csrf": "forged"},
        timeout=10,
    )
    assert forged.status_code == 400


# ---- the platform's endpoints as each product answers ------------------------------------
def _registration_body(env) -> dict:
    """A registration like the tool's (what both products must accept)."""
    base = env.tool_url
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base}/lti/login",
        "redirect_uris": [f"{base}/lti/launch"],
        "jwks_uri": f"{base}/lti/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": "Hand-made tool",
        "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        TOOL_CONFIGURATION: {
            "domain": "localhost",
            "target_link_uri": f"{base}/lti/launch",
            "claims": ["sub", "iss"],
            "messages": [{"type": "LtiResourceLinkRequest"}],
        },
    }


def test_moodle_endpoints_match_moodle(lti_env):
    from lti.sandbox.seed import start_registration

    slug = _platform(lti_env, "moodle")
    configuration_url, token = start_registration(lti_env.sandbox, slug)
    # Moodle serves its configuration to anyone; the registration needs the token.
    config = requests.get(configuration_url, timeout=10).json()
    endpoint = config["registration_endpoint"]
    assert endpoint.endswith("/mod/lti/openid-registration.php")
    body = _registration_body(lti_env)
    missing = requests.post(endpoint, json=body, timeout=10)
    assert (missing.status_code, missing.text) == (401, "missing_registration_token")
    auth = {"Authorization": f"Bearer {token}"}
    incomplete = requests.post(
        endpoint, json={k: v for k, v in body.items() if k != "jwks_uri"}, headers=auth, timeout=10
    )
    assert (incomplete.status_code, incomplete.text) == (400, "missing required attribute jwks_uri")
    wrong = requests.post(
        endpoint, json={**body, "token_endpoint_auth_method": "none"}, headers=auth, timeout=10
    )
    assert wrong.status_code == 400 and "invalid_token_endpoint_auth_method" in wrong.text

    answer = requests.post(endpoint, json=body, headers=auth, timeout=10)  # not spent above
    assert answer.status_code == 200, answer.text
    data = answer.json()
    capture = {
        "client_id",
        "response_types",
        "jwks_uri",
        "initiate_login_uri",
        "grant_types",
        "redirect_uris",
        "application_type",
        "token_endpoint_auth_method",
        "client_name",
        "logo_uri",
        "scope",
        TOOL_CONFIGURATION,
    }
    assert set(data) == capture  # moodle-4.5/dynamic-registration-response.json
    assert data["scope"] == "https://purl.imsglobal.org/spec/lti-ags/scope/score"
    assert data[TOOL_CONFIGURATION]["deployment_id"].isdigit()
    assert data[TOOL_CONFIGURATION]["version"] == "1.3.0"
    again = requests.post(endpoint, json=body, headers=auth, timeout=10)
    assert (again.status_code, again.text) == (401, "token_already_used")


def test_canvas_endpoints_match_canvas(lti_env):
    from lti.sandbox.seed import start_registration, tool_state

    slug = _platform(lti_env, "canvas")
    configuration_url, token = start_registration(lti_env.sandbox, slug)
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(configuration_url, timeout=10).status_code == 401
    bad = requests.get(configuration_url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert bad.status_code == 401 and bad.json()["errors"][0]["message"]
    config = requests.get(configuration_url, headers=auth, timeout=10).json()
    endpoint = config["registration_endpoint"]
    assert endpoint.endswith("/api/lti/registrations")
    body = _registration_body(lti_env)
    assert requests.post(endpoint, json=body, timeout=10).status_code == 401
    incomplete = requests.post(
        endpoint, json={**body, "redirect_uris": "x"}, headers=auth, timeout=10
    )
    assert incomplete.status_code == 422
    assert "redirect_uris" in incomplete.json()["errors"][0]["message"]

    answer = requests.post(endpoint, json=body, headers=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["client_id"].isdigit()
    assert "deployment_id" not in data[TOOL_CONFIGURATION]
    # No privacy level asked: Canvas registers an anonymous tool.
    assert (
        data[TOOL_CONFIGURATION]["https://canvas.instructure.com/lti/privacy_level"] == "anonymous"
    )
    assert tool_state(lti_env.sandbox, slug, data["client_id"])["privacy_level"] == "anonymous"
    # The token is spent: neither the configuration nor a second registration answers.
    assert requests.get(configuration_url, headers=auth, timeout=10).status_code == 401
    assert requests.post(endpoint, json=body, headers=auth, timeout=10).status_code == 401


def test_canvas_privacy_level_is_honoured(lti_env):
    from lti.sandbox.seed import start_registration, tool_state

    slug = _platform(lti_env, "canvas")
    configuration_url, token = start_registration(lti_env.sandbox, slug)
    auth = {"Authorization": f"Bearer {token}"}
    endpoint = requests.get(configuration_url, headers=auth, timeout=10).json()[
        "registration_endpoint"
    ]
    body = _registration_body(lti_env)
    body[TOOL_CONFIGURATION]["https://canvas.instructure.com/lti/privacy_level"] = "name_only"
    data = requests.post(endpoint, json=body, headers=auth, timeout=10).json()
    assert tool_state(lti_env.sandbox, slug, data["client_id"])["privacy_level"] == "name_only"


# ---- failures, each with a readable page ------------------------------------------------
def test_issuer_mismatch_is_refused(app, lti_env, tmp_path):
    from lti.sandbox.seed import create_platform, start_registration

    # The LMS believes it is lms.example.edu but answers on loopback: its issuer is not the
    # configuration URL's site.
    with _own_sandbox(tmp_path, base_url="http://lms.example.edu") as (sandbox, url):
        create_platform(sandbox, "moodle", "moodle")
        configuration_url, token = start_registration(sandbox, "moodle")
        configuration_url = configuration_url.replace("http://lms.example.edu", url)
        response = _register(lti_env, configuration_url, token)
    _refused(response, 502, "issuer_mismatch")
    assert "http://lms.example.edu/moodle" in response.text


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_bad_token_is_refused(app, lti_env, flavour):
    from lti.sandbox.seed import start_registration

    slug = _platform(lti_env, flavour)
    configuration_url, _token = start_registration(lti_env.sandbox, slug)
    response = _register(lti_env, configuration_url, "not-a-registration-token")
    _refused(response, 401, "registration_token_rejected")
    assert "expired or been used already" in response.text


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_missing_token_is_refused(app, lti_env, flavour):
    """Moodle's configuration needs no token, but its registration endpoint does."""
    from lti.sandbox.seed import start_registration

    slug = _platform(lti_env, flavour)
    configuration_url, _token = start_registration(lti_env.sandbox, slug)
    _refused(_register(lti_env, configuration_url, None), 401, "registration_token_rejected")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_expired_token_is_refused(app, lti_env, flavour):
    from lti.sandbox.seed import start_registration

    slug = _platform(lti_env, flavour)
    configuration_url, token = start_registration(lti_env.sandbox, slug, ttl=-60)
    _refused(_register(lti_env, configuration_url, token), 401, "registration_token_rejected")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_reused_token_cannot_register_twice(app, lti_env, flavour):
    """A duplicate registration (the admin reloads the dialog, a replay) is refused by the
    platform, and the tool keeps the one registration it has."""
    from lti.sandbox.db import session_scope
    from lti.sandbox.dynreg import all_tools
    from lti.sandbox.operations import get_platform
    from lti.sandbox.seed import start_registration

    slug = _platform(lti_env, flavour)
    configuration_url, token = start_registration(lti_env.sandbox, slug)
    assert _register(lti_env, configuration_url, token).status_code == 200
    again = _register(lti_env, configuration_url, token)
    assert again.status_code == 401, again.text[:800]
    assert "<code>registration_token_rejected</code>" in again.text
    assert "Start the registration again from the LMS" in again.text
    assert len(_registrations()) == 1
    _release()
    with session_scope(lti_env.sandbox) as s:
        assert len(all_tools(s, get_platform(s, slug))) == 1


def test_registering_again_with_a_new_token_makes_a_second_tool(app, lti_env):
    """As in Moodle and Canvas, a second registration is a second tool (a new client_id),
    never a silent overwrite of the first; the tool keeps them apart."""
    from lti.sandbox.seed import start_registration

    slug = _platform(lti_env, "moodle")
    for _ in range(2):
        assert _register(lti_env, *start_registration(lti_env.sandbox, slug)).status_code == 200
        _release()
    first, second = _registrations()
    assert first.issuer == second.issuer and first.client_id != second.client_id
    assert first.deployments[0].deployment_id != second.deployments[0].deployment_id


def test_platform_down_is_refused(app, lti_env, tmp_path):
    from lti.sandbox.seed import create_platform, start_registration

    with _own_sandbox(tmp_path) as (sandbox, _url):
        create_platform(sandbox, "canvas", "canvas")
        configuration_url, token = start_registration(sandbox, "canvas")
    # The server is gone now: the tool cannot reach the LMS.
    response = _register(lti_env, configuration_url, token)
    _refused(response, 502, "platform_unreachable")
    assert "got no answer" in response.text
