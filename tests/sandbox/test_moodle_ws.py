"""The sandbox's Moodle web services answer as the captured Moodle 4.5 does
(shared/lti/moodle-4.5/ws-*.json): the same error bodies, the same row shapes, no friendlier."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

import pytest
import requests

from lti.sandbox import seed
from tests.sandbox.conftest import Sandbox, load_capture


def _capture(name: str) -> Any:
    return load_capture(f"moodle-4.5/{name}")


class Ws:
    def __init__(self, sb: Sandbox, **token: Any) -> None:
        self.sb = sb
        seed.set_web_services(sb.app, "moodle", rest_enabled=True)
        self.token = seed.create_ws_token(sb.app, "moodle", **token)
        self.course = sb.moodle.course_ids[0]
        self.cmid, self.item = seed.add_activity(
            sb.app, "moodle", self.course, "Essay 1", completion=1, course_criterion=True
        )

    def post(self, function: str, token: str | None = None, **params: Any) -> requests.Response:
        return requests.post(
            f"{self.sb.moodle.issuer}/webservice/rest/server.php",
            data={
                "wstoken": token or self.token,
                "wsfunction": function,
                "moodlewsrestformat": "json",
                **params,
            },
            timeout=10,
        )

    def call(self, function: str, **params: Any) -> Any:
        response = self.post(function, **params)
        assert response.status_code == 200
        return response.json()


def _without(capability: str) -> list[str]:
    return [c for c in seed.WS_CAPABILITIES if c != capability]


def test_rest_off_is_403_with_an_empty_html_body(sandbox):
    ws = Ws(sandbox)
    seed.set_web_services(sandbox.app, "moodle", rest_enabled=False)
    response = ws.post("core_course_get_contents", courseid=ws.course)
    expected = _capture("ws-error-rest-disabled.json")
    assert response.status_code == expected["_http_status"] == 403
    assert response.text == expected["response"] == ""
    assert response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("capture", "function", "token", "params"),
    [
        (
            "ws-error-invalid-token.json",
            "core_course_get_contents",
            {},
            {"wstoken": "0123456789abcdef0123456789abcdef"},
        ),
        ("ws-error-function-not-in-service.json", "core_user_get_users_by_field", {}, {}),
        (
            "ws-error-missing-capability.json",
            "gradereport_user_get_grade_items",
            {"capabilities": _without("moodle/grade:viewall")},
            {"userid": 0},
        ),
        (
            "ws-error-cannotviewreport.json",
            "core_completion_get_course_completion_status",
            {"capabilities": _without("report/completion:view")},
            {},
        ),
    ],
)
def test_error_bodies_match_the_captures(sandbox, capture, function, token, params):
    ws = Ws(sandbox, **token)
    if "userid" not in params and function.startswith("core_completion"):
        params["userid"] = _learner_id(sandbox, ws.course)
    params.setdefault("courseid", ws.course)
    body = ws.call(function, **params)
    assert body == _capture(capture)["response"]


def test_course_not_accessible_matches_except_the_course_id(sandbox):
    ws = Ws(sandbox, capabilities=_without("moodle/course:view"))
    body = ws.call("core_course_get_contents", courseid=ws.course)
    expected = _capture("ws-error-course-not-accessible.json")["response"]
    assert body == {
        **expected,
        "message": expected["message"].replace("course id:2", f"course id:{ws.course}"),
    }
    report = ws.call("gradereport_user_get_grade_items", courseid=ws.course, userid=0)
    assert report["errorcode"] == "requireloginerror"


def _learner_id(sb: Sandbox, course: int) -> int:
    from sqlalchemy import select

    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Enrollment

    with session_scope(sb.app) as s:
        return s.scalars(
            select(Enrollment.user_id)
            .where(Enrollment.course_id == course, Enrollment.role == "student")
            .order_by(Enrollment.id)
        ).first()


def test_grade_report_rows_have_the_captured_keys(sandbox):
    ws = Ws(sandbox)
    learner = _learner_id(sandbox, ws.course)
    seed.set_score(sandbox.app, "moodle", ws.course, ws.item, learner, 85.0)
    body = ws.call("gradereport_user_get_grade_items", courseid=ws.course, userid=0)
    captured = _capture("ws-gradereport-user-grade-items.json")["response"]
    assert set(body) == set(captured)
    assert set(body["usergrades"][0]) == set(captured["usergrades"][0])
    rows = {
        (r["itemtype"], r["graderaw"] is None): r
        for u in captured["usergrades"]
        for r in u["gradeitems"]
    }
    ours = [r for u in body["usergrades"] for r in u["gradeitems"]]
    for row in ours:
        like = (
            rows.get((row["itemtype"], row["graderaw"] is None)) or rows[(row["itemtype"], False)]
        )
        # Weights are not emulated (they need the whole aggregation tree).
        assert set(row) == set(like) - {"weightraw", "weightformatted"}
    essay = next(
        r
        for u in body["usergrades"]
        if u["userid"] == learner
        for r in u["gradeitems"]
        if r["itemname"] == "Essay 1"
    )
    assert (essay["itemmodule"], essay["cmid"], essay["graderaw"], essay["grademax"]) == (
        "assign",
        ws.cmid,
        85,
        100,
    )
    assert body["usergrades"][-1]["gradeitems"][-1]["itemtype"] == "course"


def test_without_mod_view_the_rows_are_silently_left_out(sandbox):
    ws = Ws(sandbox, capabilities=_without("mod/assign:view"))
    learner = _learner_id(sandbox, ws.course)
    seed.set_score(sandbox.app, "moodle", ws.course, ws.item, learner, 85.0)
    seed.set_completion(sandbox.app, "moodle", ws.cmid, learner, 1)
    body = ws.call("gradereport_user_get_grade_items", courseid=ws.course, userid=0)
    mine = next(u for u in body["usergrades"] if u["userid"] == learner)["gradeitems"]
    assert "Essay 1" not in {r["itemname"] for r in mine}
    assert mine[-1]["graderaw"] >= 85  # the course total still counts it
    statuses = ws.call(
        "core_completion_get_activities_completion_status", courseid=ws.course, userid=learner
    )
    assert statuses == _capture("ws-activities-completion-status-without-mod-view.json")["response"]


def test_completion_answers_have_the_captured_shapes(sandbox):
    ws = Ws(sandbox)
    learner = _learner_id(sandbox, ws.course)
    before = ws.call(
        "core_completion_get_activities_completion_status", courseid=ws.course, userid=learner
    )
    incomplete = _capture("ws-activities-completion-status-incomplete.json")["response"]
    assert set(before["statuses"][0]) == set(incomplete["statuses"][0])
    assert before["statuses"][0]["state"] == 0 and before["statuses"][0]["timecompleted"] == 0
    seed.set_completion(sandbox.app, "moodle", ws.cmid, learner, 1)
    course = ws.call(
        "core_completion_get_course_completion_status", courseid=ws.course, userid=learner
    )
    captured = _capture("ws-course-completion-status.json")["response"]
    assert course["completionstatus"]["completed"] is True
    assert set(course["completionstatus"]["completions"][0]) == set(
        captured["completionstatus"]["completions"][0]
    )
    assert (
        ws.call("core_completion_get_activities_completion_status", courseid=ws.course, userid=0)[
            "errorcode"
        ]
        == "invaliduser"
    )
    assert ws.call("gradereport_user_get_grade_items", courseid="x", userid=0) == {
        "exception": "core\\exception\\invalid_parameter_exception",
        "errorcode": "invalidparameter",
        "message": "Invalid parameter value detected",
    }


def test_the_admin_page_sets_up_web_services(sandbox):
    page = f"{sandbox.moodle.issuer}/admin/webservices"
    http = requests.Session()
    assert http.get(page, timeout=10).status_code == 200
    http.post(page, data={"action": "rest", "enabled": "on"}, timeout=10)
    made = http.post(
        page,
        data={
            "action": "token",
            "functions": ["core_course_get_contents"],
            "capabilities": ["webservice/rest:use", "moodle/course:view"],
        },
        timeout=10,
    )
    token = re.search(r"Token created: ([0-9a-f]{32})", unquote_plus(made.url)).group(1)
    course = sandbox.moodle.course_ids[0]
    answer = requests.post(
        f"{sandbox.moodle.issuer}/webservice/rest/server.php",
        data={
            "wstoken": token,
            "wsfunction": "core_course_get_contents",
            "moodlewsrestformat": "json",
            "courseid": course,
        },
        timeout=10,
    ).json()
    assert isinstance(answer, list)
    other = requests.post(
        f"{sandbox.moodle.issuer}/webservice/rest/server.php",
        data={
            "wstoken": token,
            "wsfunction": "core_grades_get_gradeitems",
            "moodlewsrestformat": "json",
            "courseid": course,
        },
        timeout=10,
    ).json()
    assert other["errorcode"] == "accessexception"  # not among the ticked functions
