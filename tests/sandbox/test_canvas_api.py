"""The sandbox's Canvas REST API behaves as Canvas documents it: bearer tokens, per_page capped
at 100 with a numbered-page Link header, 401 bodies, and the throttle's 403."""

from __future__ import annotations

import re
from datetime import timedelta

import requests

from lti.sandbox import seed
from tests.sandbox.conftest import Sandbox


def _teacher(sb: Sandbox, role: str = "teacher") -> str:
    from sqlalchemy import select

    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Enrollment, User

    with session_scope(sb.app) as s:
        return s.scalars(
            select(User.login)
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == sb.canvas.course_ids[0], Enrollment.role == role)
        ).first()


def _get(sb: Sandbox, path: str, token: str | None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(
        f"{sb.canvas.issuer}/api/v1/courses/{sb.canvas.course_ids[0]}{path}",
        headers=headers,
        params=params,
        timeout=10,
    )


def _links(response: requests.Response) -> dict[str, str]:
    return {
        rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    }


def test_pages_are_capped_at_100_and_linked(sandbox):
    token = seed.create_api_token(sandbox.app, "canvas", _teacher(sandbox))
    first = _get(
        sandbox, "/students/submissions", token, **{"student_ids[]": "all", "per_page": 500}
    )
    assert first.status_code == 200 and len(first.json()) == min(100, len(first.json()))
    links = _links(first)
    assert {"current", "first", "last"} <= set(links)
    default = _get(sandbox, "/enrollments", token)
    assert len(default.json()) == 10 and "next" in _links(default)  # 12 learners, 10 a page
    second = requests.get(
        _links(default)["next"], headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert len(second.json()) == 2 and "next" not in _links(second)
    assert float(first.headers["X-Rate-Limit-Remaining"]) < 700


def test_tokens_and_rights(sandbox):
    missing = _get(sandbox, "/assignments", None)
    assert missing.status_code == 401 and missing.json() == {
        "errors": [{"message": "Invalid access token."}]
    }
    assert "WWW-Authenticate" in missing.headers
    expired = seed.create_api_token(
        sandbox.app, "canvas", _teacher(sandbox), expires_in=timedelta(seconds=-1)
    )
    assert _get(sandbox, "/assignments", expired).status_code == 401
    learner = seed.create_api_token(sandbox.app, "canvas", _teacher(sandbox, "student"))
    refused = _get(sandbox, "/assignments", learner)
    assert refused.status_code == 401 and refused.json()["status"] == "unauthorized"
    assert "WWW-Authenticate" not in refused.headers


def test_the_throttle_answers_403(sandbox):
    token = seed.create_api_token(sandbox.app, "canvas", _teacher(sandbox), capacity=1.0, leak=0.0)
    assert _get(sandbox, "/assignments", token).status_code == 200
    throttled = _get(sandbox, "/assignments", token)
    assert throttled.status_code == 403 and "Rate Limit Exceeded" in throttled.text
    assert float(throttled.headers["X-Rate-Limit-Remaining"]) == 0
