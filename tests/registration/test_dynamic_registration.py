"""LTI Dynamic Registration against fake Moodle 4.5 and Canvas platforms over real HTTP."""

from __future__ import annotations

import logging
from html import unescape

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Deployment, Registration, RegistrationSource
from lti.canvas_config import SCOPE_SCORE, TOOL_SCOPES
from lti.dynamic_registration.configuration import issuer_matches
from lti.registrations import adopt_deployment
from tests.registration.conftest import closed_port_url, register_url
from tests.registration.fake_platform import TOKEN, TOOL_CONFIGURATION

CANVAS_PRIVACY = "https://canvas.instructure.com/lti/privacy_level"


def _registrations() -> list[Registration]:
    return list(db.session.scalars(select(Registration)))


def _posted(behaviour) -> dict:
    posts = [r for r in behaviour.received if r["method"] == "POST"]
    assert len(posts) == 1
    assert posts[0]["auth"] == f"Bearer {TOKEN}"
    return posts[0]["body"]


def test_moodle_handshake_stores_pending_registration_with_deployment(client, platform):
    behaviour, config_url = platform("moodle", client_id="PxN9IQlMBFtB7Dg", deployment_id="4")
    response = client.get(register_url(config_url))

    assert response.status_code == 200, response.text
    # The page tells the LMS we are done, to opener (Moodle dialog) or parent (iframe).
    assert "org.imsglobal.lti.close" in response.text
    assert "(window.opener || window.parent).postMessage" in response.text
    assert '"*"' in response.text

    body = _posted(behaviour)
    assert body["application_type"] == "web"
    assert body["response_types"] == ["id_token"]
    assert set(body["grant_types"]) == {"implicit", "client_credentials"}
    assert body["initiate_login_uri"] == "http://localhost/lti/login"
    assert body["redirect_uris"] == ["http://localhost/lti/launch"]
    assert body["jwks_uri"] == "http://localhost/lti/jwks.json"
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["client_name"] == "Badgebridge"
    assert body["logo_uri"].startswith("http://localhost/")
    assert set(body["scope"].split()) == set(TOOL_SCOPES)  # Moodle supports all of them
    tool = body[TOOL_CONFIGURATION]
    assert tool["domain"] == "localhost"
    assert tool["target_link_uri"] == "http://localhost/lti/launch"
    assert {"sub", "iss", "name", "email"} <= set(tool["claims"])
    assert [m["type"] for m in tool["messages"]] == [
        "LtiResourceLinkRequest",
        "LtiDeepLinkingRequest",
    ]
    # Canvas-only fields stay out of a Moodle registration.
    assert all("placements" not in m for m in tool["messages"])
    assert CANVAS_PRIVACY not in tool

    [row] = _registrations()
    base = config_url.split("/mod/")[0]
    assert (row.issuer, row.client_id, row.status) == (base, "PxN9IQlMBFtB7Dg", "pending")
    assert row.auth_login_url == base + "/mod/lti/auth.php"
    assert row.auth_token_url == base + "/mod/lti/token.php"
    assert row.key_set_url == base + "/mod/lti/certs.php"
    assert row.product_family == "moodle"
    assert [(d.deployment_id, d.status) for d in row.deployments] == [("4", "active")]
    source = db.session.scalars(select(RegistrationSource)).one()
    assert source.method == "dynamic" and not source.adopt_deployments
    assert source.platform_version.startswith("4.5")


def test_registration_without_a_token_sends_no_authorization(client, platform):
    behaviour, config_url = platform("moodle", token=None)
    response = client.get(register_url(config_url, token=None))
    assert response.status_code == 200, response.text
    assert [r["auth"] for r in behaviour.received] == [None, None]
    assert len(_registrations()) == 1


def test_canvas_handshake_sends_token_placements_and_public_privacy(client, platform):
    behaviour, config_url = platform("canvas", client_id="10000000000001")
    response = client.get(register_url(config_url))

    assert response.status_code == 200, response.text
    assert behaviour.received[0] == {"method": "GET", "auth": f"Bearer {TOKEN}"}
    tool = _posted(behaviour)[TOOL_CONFIGURATION]
    assert tool[CANVAS_PRIVACY] == "public"
    placements = {m["type"]: m["placements"] for m in tool["messages"]}
    assert placements["LtiResourceLinkRequest"] == ["course_navigation"]
    assert set(placements["LtiDeepLinkingRequest"]) == {"link_selection", "assignment_selection"}
    assert tool["custom_parameters"]["canvas_course_id"] == "$Canvas.course.id"

    [row] = _registrations()
    assert row.client_id == "10000000000001" and row.status == "pending"
    assert row.auth_audience == "canvas.instructure.com"  # the spec's authorization_server
    assert row.deployments == []  # Canvas names the deployment only at launch
    assert db.session.scalars(select(RegistrationSource)).one().adopt_deployments


def test_canvas_deployment_is_adopted_at_first_launch_once_approved(client, platform):
    _, config_url = platform("canvas", client_id="10000000000001")
    client.get(register_url(config_url))
    [row] = _registrations()

    assert adopt_deployment(row.issuer, row.client_id, "1:abc") is False  # still pending
    row.status = "active"
    db.session.commit()
    assert adopt_deployment(row.issuer, row.client_id, "1:abc") is True
    assert adopt_deployment(row.issuer, row.client_id, "1:abc") is True  # idempotent
    assert [(d.deployment_id, d.status) for d in row.deployments] == [("1:abc", "active")]
    assert adopt_deployment(row.issuer, "another-client", "1:abc") is False

    deployment = db.session.scalars(select(Deployment)).one()
    deployment.status = "disabled"
    db.session.commit()
    assert adopt_deployment(row.issuer, row.client_id, "1:abc") is False  # an admin said no

    # Registering again keeps adopting: Canvas deploys one key in many accounts.
    assert client.get(register_url(config_url)).status_code == 200
    assert adopt_deployment(row.issuer, row.client_id, "2:def") is True


def test_moodle_registration_does_not_adopt_unknown_deployments(client, platform, app, monkeypatch):
    monkeypatch.setitem(app.config, "LTI_REGISTRATION_AUTO_APPROVE", True)
    _, config_url = platform("moodle", deployment_id="4")
    client.get(register_url(config_url))
    [row] = _registrations()
    assert row.status == "active"
    assert adopt_deployment(row.issuer, row.client_id, "4") is True
    assert adopt_deployment(row.issuer, row.client_id, "5") is False


def test_auto_approve_makes_the_registration_active(client, platform, app, monkeypatch):
    monkeypatch.setitem(app.config, "LTI_REGISTRATION_AUTO_APPROVE", True)
    _, config_url = platform("canvas")
    response = client.get(register_url(config_url))
    assert response.status_code == 200
    assert "registration is active" in response.text
    assert _registrations()[0].status == "active"


def test_only_scopes_the_platform_supports_are_requested(client, platform):
    behaviour, config_url = platform("canvas", drop_scopes=(SCOPE_SCORE,))
    client.get(register_url(config_url))
    scopes = _posted(behaviour)["scope"].split()
    assert SCOPE_SCORE not in scopes and len(scopes) == len(TOOL_SCOPES) - 1


def test_duplicate_registration_updates_rather_than_duplicates(client, platform, app, monkeypatch):
    _, config_url = platform("canvas", client_id="42")
    assert client.get(register_url(config_url)).status_code == 200
    [row] = _registrations()
    row.name = "Renamed by an admin"
    row.status = "disabled"
    db.session.commit()

    monkeypatch.setitem(app.config, "LTI_REGISTRATION_AUTO_APPROVE", True)
    assert client.get(register_url(config_url)).status_code == 200
    db.session.expire_all()
    [row] = _registrations()
    assert row.name == "Renamed by an admin"
    assert row.status == "disabled"  # auto-approval never re-enables what an admin disabled
    assert db.session.scalars(select(RegistrationSource)).all().__len__() == 1


def _assert_refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert f"<code>{code}</code>" in response.text
    assert _registrations() == []


def test_issuer_mismatch_is_refused(client, platform, caplog, monkeypatch):
    # migrations/env.py's fileConfig() disables loggers that existed before the test upgrade.
    monkeypatch.setattr(logging.getLogger("app.registrations.views"), "disabled", False)
    _, config_url = platform("moodle", issuer="https://lms.example.edu")
    with caplog.at_level(logging.WARNING, logger="app.registrations.views"):
        response = client.get(register_url(config_url))
    _assert_refused(response, 502, "issuer_mismatch")
    assert "https://lms.example.edu" in response.text
    assert "issuer_mismatch" in caplog.text


def test_bad_token_is_refused_readably(client, platform):
    behaviour, config_url = platform("canvas")
    response = client.get(register_url(config_url, token="expired-token"))
    _assert_refused(response, 401, "registration_token_rejected")
    assert "expired" in response.text
    assert [r["method"] for r in behaviour.received] == ["GET"]  # never POSTed


def test_platform_down_is_refused_readably(client):
    response = client.get(register_url(closed_port_url()))
    _assert_refused(response, 502, "platform_unreachable")


def test_platform_timeout_reads_like_any_unreachable_platform(client, platform, app, monkeypatch):
    # A slow server and a closed port give one answer: the page is no port scanner.
    monkeypatch.setitem(app.config, "LTI_REGISTRATION_TIMEOUT", 0.3)
    _, config_url = platform("moodle", config_delay=1.5)
    slow = client.get(register_url(config_url))
    _assert_refused(slow, 502, "platform_unreachable")
    closed = client.get(register_url(closed_port_url()))
    _assert_refused(closed, 502, "platform_unreachable")
    assert "got no answer" in slow.text and "got no answer" in closed.text


def test_platform_refusing_the_registration_names_status_and_type_only(client, platform):
    _, config_url = platform(
        "canvas",
        registration_error=(
            422,
            '{"errors": [{"message": "Unknown placement: course_navigation"}]}',
        ),
    )
    response = client.get(register_url(config_url))
    _assert_refused(response, 502, "platform_error")
    assert "HTTP 422 (application/json)" in response.text
    assert "Unknown placement" not in response.text


def test_platform_error_bodies_are_not_echoed(client, platform):
    # The error page must not let anyone read what an arbitrary server answers.
    _, config_url = platform("moodle", registration_error=(500, "secret internal page"))
    response = client.get(register_url(config_url))
    _assert_refused(response, 502, "platform_error")
    assert "secret internal page" not in response.text


def test_invalid_json_is_refused(client, platform):
    _, config_url = platform("moodle", config_body="<html>Moodle maintenance</html>")
    _assert_refused(client.get(register_url(config_url)), 502, "invalid_json")


def test_incomplete_configuration_is_refused(client, platform):
    _, config_url = platform("moodle", config_body='{"issuer": "x"}')
    _assert_refused(client.get(register_url(config_url)), 502, "configuration_incomplete")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://lms.example.edu/config",
        "http://user:secret@lms.example.edu/config",
        "/relative",
    ],
)
def test_only_http_urls_are_fetched(client, url):
    _assert_refused(client.get(register_url(url)), 400, "invalid_url")


def test_platform_announcing_a_non_http_registration_endpoint_is_refused(client, platform):
    _, config_url = platform("moodle", registration_endpoint="gopher://127.0.0.1/register")
    _assert_refused(client.get(register_url(config_url)), 502, "invalid_url")


def test_register_url_opened_directly_explains_itself(client):
    response = client.get("/lti/register")
    assert response.status_code == 400
    assert "paste into your LMS" in response.text


@pytest.mark.parametrize(
    ("issuer", "url", "ok"),
    [
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/mod/lti/openid-configuration.php", True),
        ("https://lms.example.edu/moodle", "https://lms.example.edu:443/moodle/x", True),
        ("https://lms.example.edu", "http://lms.example.edu/x", False),
        ("https://lms.example.edu", "https://lms.example.edu:8443/x", False),
        ("https://evil.example", "https://lms.example.edu/x", False),
        # Instructure's hosted Canvas: one issuer, the school's own host serves the configuration.
        ("https://canvas.instructure.com", "https://school.instructure.com/api/lti/x", True),
        ("https://canvas.instructure.com", "https://school.example.edu/api/lti/x", False),
    ],
)
def test_issuer_must_match_the_configuration_url(issuer, url, ok):
    assert issuer_matches(issuer, url) is ok


def test_the_registration_page_answers_in_the_admins_language(client, platform):
    # Opened directly (no openid_configuration), and a failed handshake: the page's own words
    # come in the browser's language; the code to quote stays as it is.
    bare = client.get("/lti/register", headers={"Accept-Language": "es"})
    assert bare.status_code == 400
    assert "URL de registro de Badgebridge" in bare.text
    assert "openid_configuration_missing" in bare.text

    failed = client.get(register_url(closed_port_url()), headers={"Accept-Language": "fr"})
    assert failed.status_code == 502
    assert "<h1 id=\"error-title\">L'enregistrement n'a pas abouti</h1>" in failed.text
    assert "platform_unreachable" in failed.text
    # The failure itself, and what to do about it, are in French too: not only the title.
    text = unescape(failed.text)
    assert "Badgebridge n\u2019a reçu aucune réponse à la requête « configuration OpenID »" in text
    assert "puis relancez l\u2019enregistrement depuis le LMS" in text
    assert "got no answer" not in text and "Check that" not in text


def test_a_refused_registration_token_is_explained_in_the_admins_language(client, platform):
    _, config_url = platform("canvas")
    response = client.get(
        register_url(config_url, token="expired-token"), headers={"Accept-Language": "ar"}
    )
    _assert_refused(response, 401, "registration_token_rejected")
    text = unescape(response.text)
    assert "انتهت صلاحية رابط التسجيل" in text  # the title
    assert "رفض نظام إدارة التعلم رمز التسجيل في طلب إعدادات OpenID (HTTP 401)" in text
    assert "رابط التسجيل صالح لمرة واحدة فقط" in text  # the hint
    assert "expired" not in text and "single-use" not in text
