"""The benchmark course: 10,000 learners x 10 columns must be quick to make and to page."""

from __future__ import annotations

import time

import pytest
import requests

from lti.sandbox import vocab as v
from lti.sandbox.seed import create_course
from tests.sandbox.conftest import Sandbox


@pytest.mark.slow
def test_ten_thousand_learners(sandbox: Sandbox) -> None:
    started = time.perf_counter()
    info = create_course(
        sandbox.app,
        "moodle",
        "Benchmark",
        learners=10_000,
        columns=[(f"Quiz {n}", 10) for n in range(10)],
        score_fraction=1.0,
    )
    assert time.perf_counter() - started < 20
    token = sandbox.token("moodle", [v.SCOPE_RESULT_READONLY, v.SCOPE_NRPS])
    auth = {"Authorization": f"Bearer {token}"}
    base = f"{sandbox.moodle.issuer}/mod/lti/services.php"
    started = time.perf_counter()
    # Moodle 4.5 cannot page results for LTI 1.3 tools: a tool reads a column in one page.
    url = f"{base}/{info.course_id}/lineitems/{info.line_item_ids[-1]}/lineitem/results?type_id=1"
    page = requests.get(url, headers=auth, timeout=30)
    assert page.status_code == 200 and len(page.json()) == 10_000
    members = requests.get(
        f"{base}/CourseSection/{info.course_id}/bindings/1/memberships?limit=500&from=9500",
        headers=auth,
        timeout=30,
    )
    assert len(members.json()["members"]) == 500
    assert time.perf_counter() - started < 5
