"""API fixtures: three keys (admin, and one for each of two registrations)."""

from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.models import Registration


def _registration(name: str) -> Registration:
    registration = Registration(
        name=name,
        issuer=f"https://{name}.example",
        client_id=name,
        auth_login_url="https://x/login",
        auth_token_url="https://x/t",
    )
    db.session.add(registration)
    db.session.commit()
    return registration


@pytest.fixture
def keys(app, runner):
    def key(*args):
        result = runner.invoke(args=["api", "create-key", *args, "--json"])
        return {"Authorization": f"Bearer {json.loads(result.output)['key']}"}

    first, second = _registration("one"), _registration("two")
    return key(), key("--registration", first.public_id), key("--registration", str(second.id))
