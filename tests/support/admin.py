"""Admin console fixtures (a pytest plugin loaded by tests/conftest.py): a signed-in admin."""

from __future__ import annotations

import re

import pytest

ADMIN_EMAIL = "admin@example.edu"
ADMIN_PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    """The console form's CSRF token."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def admin_user(app):
    from app.admin.operations import create_user

    user, _ = create_user(ADMIN_EMAIL, ADMIN_PASSWORD)
    return user


@pytest.fixture
def admin(client, admin_user):
    """A test client signed in to the console."""
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 302, response.text
    return client
