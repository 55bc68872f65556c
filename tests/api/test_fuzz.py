"""Fuzz every /api/v1 route from its own OpenAPI document (schemathesis): never a 500.

The budget is fixed and small (a few examples per operation, derandomized) so the test runs
in seconds and the same inputs are tried on every run; raise ``FUZZ_EXAMPLES`` locally to dig.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


import app.api.blueprint  # noqa: E402, F401  (registers every route in the registry)
from app.api.registry import openapi_document  # noqa: E402

# The same document /api/v1/openapi.json serves (a test below checks they are equal).
schema = schemathesis.openapi.from_dict(openapi_document())


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get("/api/v1/openapi.json").json == openapi_document()


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_route_answers_500(app, case, keys):
    _admin, one, _two = keys
    case.call_and_validate(app=app, headers=one, checks=[not_a_server_error])
