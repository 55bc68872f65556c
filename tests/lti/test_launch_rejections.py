"""Every rejected launch gets a specific, readable error page with the right status.

Each test walks a real launch from the sandbox up to the POST to /lti/launch, tampers with
what the platform sent, and posts it.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.audit import SYSTEM
from tests.support.lti_env import login_of, start_launch

SLUG = "moodle"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


@pytest.fixture
def launch_form(registered, browser):
    """The platform's auto-submitting launch form, stopped before it reaches the tool."""
    login = login_of(registered, SLUG, "#Instructor")
    form = browser.walk(browser.get(start_launch(registered, SLUG, login)), stop_at="/lti/launch")
    assert not hasattr(form, "status_code"), "expected to stop at the launch form"
    return form


def _platform_key(env):
    from lti.sandbox.seed import platform_private_key

    return platform_private_key(env.sandbox, SLUG)


def _claims(form) -> dict:
    return jwt.decode(form.fields["id_token"], options={"verify_signature": False})


def _resign(env, form, **changes) -> None:
    """Re-sign the id_token with the platform's own key after changing claims."""
    kid, pem = _platform_key(env)
    claims = _claims(form)
    for key, value in changes.items():
        name = CLAIM + key[6:] if key.startswith("claim_") else key
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    form.fields["id_token"] = jwt.encode(claims, pem, "RS256", headers={"kid": kid})


def _post(browser, form):
    return browser.session.post(form.action, data=form.fields, allow_redirects=False)


def _assert_rejected(response, status: int, code: str, words: str) -> None:
    assert response.status_code == status, response.text[:400]
    assert f"<code>{code}</code>" in response.text
    assert words in response.text
    assert "Traceback" not in response.text


def test_untouched_launch_is_accepted(launch_form, browser):
    assert _post(browser, launch_form).status_code == 302  # the control case


def test_bad_signature(launch_form, browser):
    header, payload, signature = launch_form.fields["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    launch_form.fields["id_token"] = f"{header}.{forged}.{signature}"
    _assert_rejected(_post(browser, launch_form), 401, "bad_signature", "does not verify")


def test_alg_none(launch_form, browser):
    launch_form.fields["id_token"] = jwt.encode(_claims(launch_form), None, algorithm="none")
    _assert_rejected(_post(browser, launch_form), 401, "unsupported_alg", "requires RS256")


def test_hs256_signed_with_the_platform_public_key(registered, launch_form, browser):
    kid, pem = _platform_key(registered)
    public_pem = (
        serialization.load_pem_private_key(pem.encode(), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    # The classic key-confusion attack: HMAC keyed with the (public) RSA key.
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = (
        b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        + "."
        + b64(json.dumps(_claims(launch_form)).encode())
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    launch_form.fields["id_token"] = f"{signing_input}.{b64(mac)}"
    _assert_rejected(_post(browser, launch_form), 401, "unsupported_alg", "HS256")


def test_unknown_kid(launch_form, browser):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    launch_form.fields["id_token"] = jwt.encode(
        _claims(launch_form), other, "RS256", headers={"kid": "not-a-platform-key"}
    )
    _assert_rejected(_post(browser, launch_form), 401, "unknown_key", "not-a-platform-key")


def test_expired_token(registered, launch_form, browser):
    now = int(time.time())
    _resign(registered, launch_form, iat=now - 600, exp=now - 300)
    _assert_rejected(_post(browser, launch_form), 401, "token_expired", "expired")


def test_future_dated_token(registered, launch_form, browser):
    now = int(time.time())
    _resign(registered, launch_form, iat=now + 3600, exp=now + 7200)
    _assert_rejected(_post(browser, launch_form), 401, "token_not_yet_valid", "in the future")


@pytest.mark.parametrize(
    ("iat_offset", "exp_offset"),
    [
        (0, 365 * 86400),  # valid for a year
        (-7100, 100),  # issued two hours ago, valid for nearly two hours: replayable that long
    ],
)
def test_id_token_lifetime_is_capped(registered, launch_form, browser, iat_offset, exp_offset):
    now = int(time.time())
    _resign(registered, launch_form, iat=now + iat_offset, exp=now + exp_offset)
    _assert_rejected(
        _post(browser, launch_form), 401, "token_lifetime_too_long", "accepts at most 3600"
    )


def test_wrong_audience(registered, launch_form, browser):
    _resign(registered, launch_form, aud="some-other-tool")
    _assert_rejected(_post(browser, launch_form), 403, "unknown_registration", "some-other-tool")


def test_several_audiences_without_azp(registered, launch_form, browser):
    client_id = _claims(launch_form)["aud"]
    _resign(registered, launch_form, aud=[client_id, "another"], azp=None)
    _assert_rejected(_post(browser, launch_form), 400, "audience_invalid", "azp")


def test_wrong_issuer(registered, launch_form, browser):
    _resign(registered, launch_form, iss="https://evil.example")
    _assert_rejected(
        _post(browser, launch_form), 403, "unknown_registration", "https://evil.example"
    )


def test_unregistered_deployment(registered, launch_form, browser):
    _resign(registered, launch_form, claim_deployment_id="999")
    _assert_rejected(_post(browser, launch_form), 403, "unknown_deployment", "999")


def test_disabled_registration(registered, launch_form, browser):
    from app.extensions import db
    from app.models import Registration, RegistrationStatus

    Registration.query.filter_by(issuer=registered.platforms[SLUG].issuer).update(
        {"status": RegistrationStatus.DISABLED}
    )
    db.session.commit()
    _assert_rejected(_post(browser, launch_form), 403, "registration_disabled", "disabled")


def test_reused_nonce(launch_form, browser):
    assert _post(browser, launch_form).status_code == 302
    _assert_rejected(_post(browser, launch_form), 401, "nonce_invalid", "already used")


def test_state_mismatch(launch_form, browser):
    launch_form.fields["state"] = "state-forged"
    _assert_rejected(_post(browser, launch_form), 400, "state_mismatch", "does not match")


def test_missing_state(launch_form, browser):
    del launch_form.fields["state"]
    _assert_rejected(_post(browser, launch_form), 400, "state_missing", "no OIDC state")


def test_missing_id_token(launch_form, browser):
    del launch_form.fields["id_token"]
    _assert_rejected(_post(browser, launch_form), 400, "id_token_missing", "no id_token")


def test_malformed_id_token(launch_form, browser):
    launch_form.fields["id_token"] = "not.a-jwt"
    _assert_rejected(_post(browser, launch_form), 400, "id_token_malformed", "not a JWT")


@pytest.mark.parametrize(
    ("claim", "named"),
    [
        ("claim_roles", "roles"),
        ("claim_context", "context"),
        ("sub", "sub"),
        ("claim_resource_link", "resource_link.id"),
    ],
)
def test_missing_required_claims(registered, launch_form, browser, claim, named):
    _resign(registered, launch_form, **{claim: None})
    _assert_rejected(_post(browser, launch_form), 400, "claims_missing", named)


def test_missing_exp(registered, launch_form, browser):
    _resign(registered, launch_form, exp=None)
    _assert_rejected(_post(browser, launch_form), 400, "claims_missing", "exp")


def test_wrong_message_type(registered, launch_form, browser):
    _resign(registered, launch_form, claim_message_type="LtiSubmissionReviewRequest")
    _assert_rejected(
        _post(browser, launch_form), 400, "wrong_message_type", "LtiSubmissionReviewRequest"
    )


def test_wrong_version(registered, launch_form, browser):
    _resign(registered, launch_form, claim_version="1.1.0")
    _assert_rejected(_post(browser, launch_form), 400, "wrong_version", "1.1.0")


def test_login_from_unknown_platform(registered, browser):
    response = browser.session.post(
        registered.tool_url + "/lti/login",
        data={
            "iss": "https://unknown.example",
            "login_hint": "1",
            "client_id": "x",
            "target_link_uri": registered.tool_url + "/lti/launch",
        },
    )
    _assert_rejected(response, 403, "unknown_registration", "https://unknown.example")


def test_login_without_login_hint(registered, browser):
    info = registered.platforms[SLUG]
    response = browser.session.post(
        registered.tool_url + "/lti/login", data={"iss": info.issuer, "client_id": info.client_id}
    )
    _assert_rejected(response, 400, "login_incomplete", "login hint")


@pytest.mark.parametrize(
    "return_url",
    [
        "javascript:alert(document.domain)",
        "https://attacker.example/collect",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_deep_link_return_url_must_be_on_a_host_of_the_lms(registered, browser, return_url):
    login = login_of(registered, SLUG, "#Instructor")
    url = start_launch(registered, SLUG, login, message_type="LtiDeepLinkingRequest")
    form = browser.walk(browser.get(url), stop_at="/lti/launch")
    settings = _claims(form)["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    _resign(
        registered,
        form,
        **{
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
                **settings,
                "deep_link_return_url": return_url,
            }
        },
    )
    response = _post(browser, form)
    _assert_rejected(response, 400, "deep_link_return_url_invalid", "not an http(s) address")
    assert 'action="javascript' not in response.text


def test_canvas_cloud_return_url_on_the_schools_domain_is_known(app):
    """Canvas cloud: issuer canvas.instructure.com, endpoints on sso.canvaslms.com, the deep
    linking return URL on the school's domain, where dynamic registration started."""
    from app.extensions import db
    from app.models import RegistrationSource
    from app.registrations.operations import PlatformSpec, save_platform
    from lti.launch import return_url_allowed

    row = save_platform(
        PlatformSpec(
            issuer="https://canvas.instructure.com",
            client_id="10000000000042",
            auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
            auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
            key_set_url="https://sso.canvaslms.com/api/lti/security/jwks",
        ),
        actor=SYSTEM,
    )
    school = "https://school.instructure.com/courses/7/deep_linking_response?modal=true"
    assert not return_url_allowed(school, row)
    db.session.add(
        RegistrationSource(
            registration_id=row.id,
            method="dynamic",
            openid_configuration_url="https://school.instructure.com/api/lti/security/"
            "openid-configuration?registration_token=x",
        )
    )
    db.session.commit()
    assert return_url_allowed(school, row)
    assert not return_url_allowed("javascript://school.instructure.com/%0aalert(1)", row)
    assert not return_url_allowed("https://school.instructure.com.evil.example/x", row)
