"""Security headers: nonce CSP on every page, who may frame what, HSTS, referrer, permissions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.factories import RegistrationFactory

TEMPLATE_DIRS = [Path("templates"), Path("lti/templates")]


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in header.split("; ")}


def _register(issuer: str, login: str) -> None:
    RegistrationFactory(issuer=issuer, auth_login_url=login, auth_token_url=login + "/token")


@pytest.mark.parametrize(
    "path", ["/admin/login", "/ob/verify/no-such-award", "/learner/accept/not-a-token"]
)
def test_console_accept_and_verification_pages_are_framed_by_nobody(client, path):
    _register("https://moodle.example", "https://moodle.example/mod/lti/auth.php")
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.mimetype == "text/html"
    assert _policy(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_inside_the_lms_are_framed_only_by_registered_platforms(client):
    _register("https://moodle.example", "https://moodle.example/mod/lti/auth.php")
    _register(
        "https://canvas.instructure.com", "https://sso.canvaslms.com/api/lti/authorize_redirect"
    )
    response = client.get("/course/staff", headers={"Accept": "text/html"})
    ancestors = _policy(response)["frame-ancestors"].split()
    assert set(ancestors) == {
        "'self'",
        "https://moodle.example",
        "https://sso.canvaslms.com",
        "https://canvas.instructure.com",
        "https://*.instructure.com",
    }
    assert "X-Frame-Options" not in response.headers


def test_every_page_gets_a_fresh_nonce_that_its_inline_style_carries(client):
    first, second = client.get("/admin/login"), client.get("/admin/login")
    nonces = [
        re.search(r"'nonce-([^']+)'", _policy(r)["script-src"]).group(1) for r in (first, second)
    ]
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16
    assert f'<style nonce="{nonces[0]}">' in first.get_data(as_text=True)
    policy = _policy(first)
    assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
    assert policy["object-src"] == "'none'"


def test_every_inline_script_and_style_in_the_templates_carries_the_nonce():
    unmarked = []
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            if "email" in template.parts:
                continue  # mail clients, not browsers of this site, render these
            text = template.read_text()
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
                if "src=" in tag or 'type="application/json"' in tag:
                    continue
                if 'nonce="{{ csp_nonce() }}"' not in tag:
                    unmarked.append(f"{template}: {tag}")
    assert unmarked == []


def test_referrer_permissions_and_sniffing_headers_everywhere(client):
    for path in ("/admin/login", "/healthz", "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in response.headers  # plain http


def test_hsts_over_https(client):
    response = client.get("/admin/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
