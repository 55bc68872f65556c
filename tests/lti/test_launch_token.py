"""Launch tokens: short-lived, renewed by every page, and only as good as the launch behind them.

Tokens come from real launches through the sandbox LMS; later requests go to the same app.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from freezegun import freeze_time

from app.audit import SYSTEM
from app.extensions import db
from app.models import Deployment, Registration
from app.registrations.operations import set_deployment_status
from tests.support.admin import csrf_of
from tests.support.lti_env import login_of, start_launch


def _launch(env, browser, role="#Instructor", slug="moodle"):
    """Launch from the sandbox; (landing URL, launch token)."""
    final = browser.walk(browser.get(start_launch(env, slug, login_of(env, slug, role))))
    assert final.status_code == 200, final.text[:300]
    return final.url, parse_qs(urlsplit(final.url).query)["lt"][0]


def test_staff_page_requires_a_token(client):
    response = client.get("/course/staff")
    assert response.status_code == 401
    assert b"Launch it there" in response.data


def test_forged_token_is_refused(registered, browser, client):
    _url, token = _launch(registered, browser)
    response = client.get("/course/staff", query_string={"lt": token[:-8] + "A" * 8})
    assert response.status_code == 401
    assert b"not valid" in response.data


def test_learner_token_cannot_open_staff_page(registered, browser, client):
    _url, token = _launch(registered, browser, "#Learner")
    response = client.get("/course/staff", query_string={"lt": token})
    assert response.status_code == 403
    assert b"<code>not_staff</code>" in response.data


def test_token_is_short_lived_and_every_page_renews_it(registered, browser, client):
    _url, token = _launch(registered, browser)
    start = time.time()
    # Ten minutes on the token is still valid, and the page renews it.
    with freeze_time(datetime.fromtimestamp(start + 600, UTC)):
        page = client.get("/course/staff", headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200
        renewed = page.headers["X-Launch-Token"]
        assert renewed != token and renewed in page.text  # links and forms carry the new one
        assert page.headers["Cache-Control"] == "no-store"
    # Twenty minutes on the idle token is gone, the renewed one is not.
    with freeze_time(datetime.fromtimestamp(start + 1200, UTC)):
        stale = client.get("/course/staff", headers={"Authorization": f"Bearer {token}"})
        assert stale.status_code == 401
        assert b"<code>launch_token_expired</code>" in stale.data
        assert client.get("/course/staff", query_string={"lt": renewed}).status_code == 200


def test_disabling_the_registration_ends_open_sessions(registered, browser, admin):
    url, _token = _launch(registered, browser)
    assert browser.get(url).status_code == 200
    row = Registration.query.filter_by(issuer=registered.platforms["moodle"].issuer).one()
    db.session.rollback()  # end this read: the console and the live server write next
    page = admin.get("/admin/")
    response = admin.post(
        f"/admin/registrations/{row.public_id}/status",
        data={"status": "disabled", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code in (302, 303)
    refused = browser.get(url)
    assert refused.status_code == 403
    assert "<code>registration_disabled</code>" in refused.text
    assert "has been disabled" in refused.text


def test_disabling_the_deployment_ends_open_sessions(registered, browser):
    url, _token = _launch(registered, browser, "#Learner")
    row = Registration.query.filter_by(issuer=registered.platforms["moodle"].issuer).one()
    deployment = Deployment.query.filter_by(registration_id=row.id).one()
    set_deployment_status(row, deployment.id, "disabled", actor=SYSTEM)
    refused = browser.get(url)
    assert refused.status_code == 403
    assert "<code>deployment_disabled</code>" in refused.text


@pytest.mark.parametrize("role", ["#Instructor", "#Learner"])
def test_launch_tokens_never_reach_the_request_log(registered, browser, caplog, role):
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        url, token = _launch(registered, browser, role)
        browser.get(url)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("lt=[redacted]" in line for line in lines)
    assert not any(token in line for line in lines)


def test_a_role_lost_in_the_lms_ends_staff_access_of_older_tokens(registered, browser):
    """The instructor's role is changed to Learner in the LMS; their next launch says so, and
    the token from their earlier launch opens no staff page any more."""
    import jwt

    from lti.sandbox.seed import platform_private_key

    staff_url, _token = _launch(registered, browser)
    assert browser.get(staff_url).status_code == 200
    login = login_of(registered, "moodle", "#Instructor")
    form = browser.walk(
        browser.get(start_launch(registered, "moodle", login)), stop_at="/lti/launch"
    )
    kid, pem = platform_private_key(registered.sandbox, "moodle")
    claims = jwt.decode(form.fields["id_token"], options={"verify_signature": False})
    claims["https://purl.imsglobal.org/spec/lti/claim/roles"] = [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    ]
    form.fields["id_token"] = jwt.encode(claims, pem, "RS256", headers={"kid": kid})
    landed = browser.walk(browser.submit(form, form.action))
    assert landed.url.startswith(registered.tool_url + "/course/learner")
    refused = browser.get(staff_url)
    assert refused.status_code == 403
    assert "<code>not_staff</code>" in refused.text


def test_launch_links_and_forms_carry_this_requests_token_and_only_they_do(app):
    from flask import g, render_template_string

    from app.launch_session import launch_field, launch_url

    with app.test_request_context("/"):
        assert launch_url("course.staff_home") == "/course/staff"  # outside a launch: none
        g.launch_token = "t<k>"
        link = urlsplit(launch_url("course.staff_home", note="saved"))
        assert link.path == "/course/staff"
        assert parse_qs(link.query) == {"lt": ["t<k>"], "note": ["saved"]}
        assert str(launch_field()) == '<input type="hidden" name="lt" value="t&lt;k&gt;">'
        page = render_template_string(
            "{{ launch_url('designer.index') }}|{{ launch_field() }}"
            "|{{ url_for('health.healthz') }}"
        )
    designer, field, public = page.split("|")
    assert parse_qs(urlsplit(designer).query) == {"lt": ["t<k>"]}
    assert field.startswith("<input") and "lt=" not in public
