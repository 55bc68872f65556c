"""The platform key set at launch: fetched only from allowed addresses, quickly, and a failure
page that never shows what the key-set server answered. Each test is a real launch from the
sandbox LMS whose registration's key set URL an attacker (or a typo) pointed elsewhere."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask, Response, redirect
from sqlalchemy import select

from app.extensions import db
from app.models import Registration
from tests.support.live import serve
from tests.support.lti_env import login_of, start_launch

SLUG = "moodle"


class KeySetServer:
    """Plays a key-set URL: counts requests and answers what the test scripts."""

    def __init__(self) -> None:
        self.hits = 0
        self.release = threading.Event()
        self.app = Flask("key-set")
        self.app.add_url_rule("/jwks", "jwks", self.jwks)
        self.answer = lambda: Response("{}", content_type="application/json")

    def jwks(self):
        self.hits += 1
        return self.answer()


@pytest.fixture
def key_server():
    server = KeySetServer()
    with serve(server.app, "127.0.0.1") as base:
        server.url = base + "/jwks"
        yield server
        server.release.set()


@pytest.fixture
def launch_form(registered, browser):
    login = login_of(registered, SLUG, "#Instructor")
    form = browser.walk(browser.get(start_launch(registered, SLUG, login)), stop_at="/lti/launch")
    assert not hasattr(form, "status_code"), "expected to stop at the launch form"
    return form


def _point_key_set_at(env, url: str) -> None:
    info = env.platforms[SLUG]
    row = db.session.scalars(
        select(Registration).filter_by(issuer=info.issuer, client_id=info.client_id)
    ).one()
    row.key_set_url = url  # a URL no launch fetched before: nothing cached for it
    db.session.commit()


def _launch(browser, form):
    return browser.session.post(form.action, data=form.fields, allow_redirects=False)


def _assert_key_set_refused(response, *words: str) -> None:
    assert response.status_code == 502, response.text[:600]
    assert "<code>key_set_unavailable</code>" in response.text
    for word in words:
        assert word in response.text


def test_a_loopback_key_set_is_not_fetched_when_private_networks_are_off(
    app, registered, launch_form, browser, key_server, monkeypatch
):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE_NETWORKS", False)
    _point_key_set_at(registered, key_server.url)
    _assert_key_set_refused(_launch(browser, launch_form), "refused")
    assert key_server.hits == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
    ],
)
def test_a_metadata_key_set_is_never_fetched(registered, launch_form, browser, url, connections):
    _point_key_set_at(registered, url)
    _assert_key_set_refused(_launch(browser, launch_form), "cloud metadata")
    assert not [host for host, _ in connections if "254" in host]


def test_a_redirect_to_metadata_is_not_followed(
    registered, launch_form, browser, key_server, connections
):
    key_server.answer = lambda: redirect("http://169.254.169.254/latest/meta-data/iam/")
    _point_key_set_at(registered, key_server.url)
    _assert_key_set_refused(_launch(browser, launch_form), "refused")
    assert key_server.hits == 1
    assert not [host for host, _ in connections if "254" in host]


def test_the_answer_of_a_key_set_server_never_reaches_the_page(
    registered, launch_form, browser, key_server
):
    key_server.answer = lambda: Response(
        "<h1>Internal admin</h1> aws_secret=AKIA-LEAK-42", content_type="text/html"
    )
    _point_key_set_at(registered, key_server.url)
    response = _launch(browser, launch_form)
    _assert_key_set_refused(response, "HTTP 200 (text/html)")
    assert "AKIA-LEAK-42" not in response.text and "Internal admin" not in response.text


def test_an_error_answer_is_described_not_shown(registered, launch_form, browser, key_server):
    key_server.answer = lambda: Response(
        '{"error": "db_password=hunter2"}', 500, content_type="application/json"
    )
    _point_key_set_at(registered, key_server.url)
    response = _launch(browser, launch_form)
    _assert_key_set_refused(response, "HTTP 500 (application/json)")
    assert "hunter2" not in response.text


def test_a_slow_key_set_server_times_out_quickly(
    app, registered, launch_form, browser, key_server, monkeypatch
):
    monkeypatch.setitem(app.config, "LTI_KEY_SET_TIMEOUT", 1.0)

    def hang():
        key_server.release.wait(8)
        return Response("{}", content_type="application/json")

    key_server.answer = hang
    _point_key_set_at(registered, key_server.url)
    started = time.monotonic()
    response = _launch(browser, launch_form)
    elapsed = time.monotonic() - started
    key_server.release.set()
    _assert_key_set_refused(response)
    assert elapsed < 4, f"the launch waited {elapsed:.1f} s on the key set"
