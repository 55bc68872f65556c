"""OIDC state is bound to the login that issued it, and platform storage counts only where the
platform offers it. Each test walks real launches from the sandbox and posts what an attacker
could post.
"""

from __future__ import annotations

import pytest

from tests.support.browser import Browser
from tests.support.lti_env import login_of, start_launch


def _launch_form(env, slug: str, role: str, browser: Browser):
    form = browser.walk(
        browser.get(start_launch(env, slug, login_of(env, slug, role))), stop_at="/lti/launch"
    )
    assert not hasattr(form, "status_code"), "expected to stop at the launch form"
    return form


@pytest.mark.parametrize("slug", ["moodle", "canvas"])
def test_victims_id_token_with_the_attackers_own_state_and_cookie_is_refused(registered, slug):
    """The attacker holds a victim's unused id_token (e.g. from a log or a shared screen) and
    posts it with the state and cookie of a login they started themselves."""
    victim, attacker = Browser(), Browser()
    stolen = _launch_form(registered, slug, "#Instructor", victim)
    own = _launch_form(registered, slug, "#Learner", attacker)
    fields = {**own.fields, "id_token": stolen.fields["id_token"]}
    response = attacker.session.post(own.action, data=fields, allow_redirects=False)
    assert response.status_code == 401, response.text[:300]
    assert "<code>state_nonce_mismatch</code>" in response.text
    assert "lt=" not in response.text and "Location" not in response.headers
    # The victim's own launch still works: the refused attempt did not burn their token.
    assert (
        victim.session.post(stolen.action, data=stolen.fields, allow_redirects=False).status_code
        == 302
    )


def test_state_the_tool_never_issued_is_refused(registered):
    browser = Browser()
    form = _launch_form(registered, "canvas", "#Learner", browser)
    forged = "state-00000000-0000-0000-0000-000000000000"
    browser.session.cookies.set("lti1p3-" + forged, forged)
    response = browser.session.post(
        form.action, data={**form.fields, "state": forged}, allow_redirects=False
    )
    assert response.status_code == 401
    assert "<code>state_unknown</code>" in response.text


def test_platform_storage_is_not_honoured_where_the_platform_offers_none(registered):
    """Moodle offers no postMessage storage: a launch without the state cookie that claims
    platform storage is refused, and no launch token reaches the page."""
    browser = Browser()
    form = _launch_form(registered, "moodle", "#Instructor", browser)
    cookieless = Browser()
    response = cookieless.session.post(
        form.action, data={**form.fields, "lti_storage_target": "_parent"}, allow_redirects=False
    )
    assert response.status_code == 400, response.text[:300]
    assert "<code>state_mismatch</code>" in response.text
    assert "no platform storage" in response.text
    assert "lt=" not in response.text


def test_platform_storage_is_honoured_where_the_platform_offers_it(registered):
    """Canvas offers it: without the cookie the launch answers the page that checks the state
    in the platform's storage before going on."""
    browser = Browser()
    form = _launch_form(registered, "canvas", "#Instructor", browser)
    cookieless = Browser()
    response = cookieless.session.post(form.action, data=form.fields, allow_redirects=False)
    assert response.status_code == 200, response.text[:300]
    assert 'data-target="post_message_forwarding"' in response.text
