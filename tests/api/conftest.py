"""API fixtures: three keys (admin, and one for each of two registrations)."""

from __future__ import annotations

import json

import pytest

from tests.factories import RegistrationFactory


@pytest.fixture
def keys(app, runner):
    def key(*args):
        result = runner.invoke(args=["api", "create-key", *args, "--json"])
        return {"Authorization": f"Bearer {json.loads(result.output)['key']}"}

    first, second = RegistrationFactory(), RegistrationFactory()
    return key(), key("--registration", first.public_id), key("--registration", str(second.id))
