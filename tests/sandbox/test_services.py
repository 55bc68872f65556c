"""AGS and NRPS with each product's semantics (shared/lti/*/service-semantics.json)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from lti.sandbox import vocab as v
from lti.sandbox.seed import add_column, set_score
from tests.sandbox.conftest import Sandbox, load_capture

ALL = [
    v.SCOPE_LINEITEM,
    v.SCOPE_LINEITEM_READONLY,
    v.SCOPE_RESULT_READONLY,
    v.SCOPE_SCORE,
    v.SCOPE_NRPS,
]


class Client:
    """A tool's service client for one platform."""

    def __init__(self, sb: Sandbox, slug: str) -> None:
        self.sb, self.slug, self.info = sb, slug, sb.info(slug)
        self.course = self.info.course_ids[0]
        self.auth = {"Authorization": f"Bearer {sb.token(slug, ALL)}"}

    @property
    def lineitems(self) -> str:
        if self.slug == "moodle":
            return f"{self.info.issuer}/mod/lti/services.php/{self.course}/lineitems?type_id=1"
        return f"{self.info.issuer}/api/lti/courses/{self.course}/line_items"

    @property
    def memberships(self) -> str:
        if self.slug == "moodle":
            return (
                f"{self.info.issuer}/mod/lti/services.php/CourseSection/{self.course}"
                "/bindings/1/memberships"
            )
        return f"{self.info.issuer}/api/lti/courses/{self.course}/names_and_roles"

    def get(self, url: str, **params: Any) -> requests.Response:
        return requests.get(url, params=params or None, headers=self.auth, timeout=10)

    def send(self, method: str, url: str, body: Any, media: str) -> requests.Response:
        return requests.request(
            method,
            url,
            data=json.dumps(body),
            timeout=10,
            headers={**self.auth, "Content-Type": media},
        )

    def sub(self, login: str) -> str:
        from lti.sandbox.db import session_scope
        from lti.sandbox.models import User

        platform_id = _platform_id(self.sb, self.slug)
        with session_scope(self.sb.app) as s:
            return s.scalars(
                select(User.lti_id).where(User.login == login, User.platform_id == platform_id)
            ).one()

    def all_pages(self, url: str, **params: Any) -> tuple[list[Any], list[str]]:
        out, nexts = [], []
        resp = self.get(url, **params)
        while True:
            assert resp.status_code == 200, resp.text
            body = resp.json()
            out += body["members"] if isinstance(body, dict) else body
            m = re.search(r'<([^>]+)>; rel="next"', resp.headers.get("Link", ""))
            if not m:
                return out, nexts
            nexts.append(m.group(1))
            resp = self.get(m.group(1))


def _platform_id(sb: Sandbox, slug: str) -> int:
    from lti.sandbox.db import session_scope
    from lti.sandbox.operations import get_platform

    with session_scope(sb.app) as s:
        return get_platform(s, slug).id


def item_url_of(c: Client, item: dict[str, Any]) -> str:
    return item["id"]


def suffix(c: Client, item_url: str, what: str) -> str:
    """Append a path segment before Moodle's query string."""
    if c.slug == "moodle":
        base, _, query = item_url.partition("?")
        return f"{base}/{what}?{query}"
    return f"{item_url}/{what}"


@pytest.fixture(params=["moodle", "canvas"])
def client(request: pytest.FixtureRequest, sandbox: Sandbox) -> Client:
    return Client(sandbox, request.param)


# ---- line items ---------------------------------------------------------------------------
def test_list_shows_only_the_tools_own_columns(client: Client) -> None:
    add_column(client.sb.app, client.slug, client.course, "Native quiz", 20)  # not the tool's
    resp = client.get(client.lineitems)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith(v.MT_LINEITEM_CONTAINER)
    labels = [i["label"] for i in resp.json()]
    assert labels == ["Quiz 1", "Quiz 2", "Project"]
    assert "Native quiz" not in labels


def test_moodle_line_item_shape(sandbox: Sandbox) -> None:
    c = Client(sandbox, "moodle")
    items = c.get(c.lineitems).json()
    ref = load_capture("moodle-4.5/ags-lineitems.json")[0]
    assert list(items[0]) == list(ref)
    assert items[0]["resourceId"] == "" and items[0]["tag"] == ""
    assert items[0]["resourceLinkId"] == items[0]["ltiLinkId"]
    assert re.search(r"/lineitems/\d+/lineitem\?type_id=1$", items[0]["id"])


def test_moodle_wrong_type_id_is_forbidden(sandbox: Sandbox) -> None:
    c = Client(sandbox, "moodle")
    assert c.get(c.lineitems.replace("type_id=1", "type_id=9")).status_code == 403


def test_create_get_update_delete(client: Client) -> None:
    body = {"label": "Badge check", "scoreMaximum": 50, "tag": "badges", "resourceId": "r1"}
    created = client.send("POST", client.lineitems, body, v.MT_LINEITEM)
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"].startswith(v.MT_LINEITEM)
    item = created.json()
    assert item["label"] == "Badge check" and item["scoreMaximum"] == 50
    assert item["tag"] == "badges" and item["resourceId"] == "r1"
    got = client.get(item["id"])
    assert got.status_code == 200 and got.json() == item
    put = client.send(
        "PUT", item["id"], {**item, "label": "Renamed", "scoreMaximum": 40}, v.MT_LINEITEM
    )
    assert put.status_code == 200 and put.json()["label"] == "Renamed"
    assert client.get(item["id"]).json()["scoreMaximum"] == 40
    filtered = client.get(client.lineitems, tag="badges").json()
    assert [i["id"] for i in filtered] == [item["id"]]
    assert [i["id"] for i in client.get(client.lineitems, resource_id="r1").json()] == [item["id"]]
    assert requests.delete(item["id"], headers=client.auth, timeout=10).status_code == 204
    assert client.get(item["id"]).status_code == 404


def test_create_needs_label_and_maximum(client: Client) -> None:
    resp = client.send("POST", client.lineitems, {"scoreMaximum": 10}, v.MT_LINEITEM)
    assert resp.status_code == 400
    resp = client.send("POST", client.lineitems, {"label": "x", "scoreMaximum": 0}, v.MT_LINEITEM)
    assert resp.status_code == 400


def test_resource_link_filter(client: Client) -> None:
    rl = client.info.resource_link_ids[client.course][0]
    items = client.get(client.lineitems, resource_link_id=rl).json()
    if client.slug == "moodle":
        assert [i["label"] for i in items] == ["Quiz 1", "Quiz 2", "Project"]
    else:
        assert items == []  # Canvas: the tool's link is not an assignment
        project_rl = client.info.resource_link_ids[client.course][1]
        items = client.get(client.lineitems, resource_link_id=project_rl).json()
        assert [i["label"] for i in items] == ["Project"]


def test_canvas_coupled_item_cannot_be_deleted(sandbox: Sandbox) -> None:
    c = Client(sandbox, "canvas")
    project = next(i for i in c.get(c.lineitems).json() if i["label"] == "Project")
    assert requests.delete(project["id"], headers=c.auth, timeout=10).status_code == 401


def test_line_item_paging(client: Client) -> None:
    for n in range(10):
        r = client.send(
            "POST", client.lineitems, {"label": f"Extra {n}", "scoreMaximum": 5}, v.MT_LINEITEM
        )
        assert r.status_code == 201
    items, nexts = client.all_pages(client.lineitems, limit=4)
    assert len(items) == 13 and len({i["id"] for i in items}) == 13
    assert len(nexts) == 3
    if client.slug == "moodle":
        assert all("?type_id=1&" in n and "from=" in n for n in nexts)
        assert "Link" not in client.get(client.lineitems).headers  # no limit, no paging
    else:
        assert all("per_page=4" in n for n in nexts)
        first = client.get(client.lineitems)  # Canvas pages at 10 by default
        assert len(first.json()) == 10 and 'rel="next"' in first.headers["Link"]


# ---- results ------------------------------------------------------------------------------
def test_results_and_teacher_override(client: Client) -> None:
    items = client.get(client.lineitems).json()
    quiz = items[0]
    results = client.get(suffix(client, quiz["id"], "results"))
    assert results.status_code == 200
    assert results.headers["Content-Type"].startswith(v.MT_RESULT_CONTAINER)
    sub = client.sub("student3")
    item_id = int(re.search(r"(?:lineitems|line_items)/(\d+)", quiz["id"]).group(1))
    set_score(
        client.sb.app, client.slug, client.course, item_id, "student3", 8.5, "set by the check"
    )
    mine = client.get(suffix(client, quiz["id"], "results"), user_id=sub).json()
    assert len(mine) == 1
    r = mine[0]
    assert r["userId"] == sub and r["resultScore"] == 8.5 and r["resultMaximum"] == 10
    assert r["comment"] == "set by the check" and r["scoreOf"] == quiz["id"]
    if client.slug == "moodle":
        ref = load_capture("moodle-4.5/ags-results-after-teacher-override.json")[0]
        assert list(r) == list(ref)
        assert r["id"].endswith(f"/lineitem/results?type_id=1&user_id={sub}")
        stamp = datetime.fromisoformat(r["timestamp"])
        assert abs(stamp - datetime.now(UTC)) < timedelta(seconds=30)
    else:
        assert r["id"].startswith(quiz["id"] + "/results/")
    teacher = client.sub("teacher1")
    assert client.get(suffix(client, quiz["id"], "results"), user_id=teacher).json() == []


def test_results_paging(client: Client) -> None:
    quiz = client.get(client.lineitems).json()[0]
    url = suffix(client, quiz["id"], "results")
    everything, _ = client.all_pages(url)
    assert len(everything) > 3
    if client.slug == "moodle":
        return  # Moodle 4.5 cannot page results: test_moodle_fails_paged_results_once_graded
    paged, nexts = client.all_pages(url, limit=3)
    assert [r["userId"] for r in paged] == [r["userId"] for r in everything]
    assert len(nexts) == (len(everything) - 1) // 3


def test_moodle_fails_paged_results_once_graded(sandbox: Sandbox) -> None:
    """As Moodle 4.5 does for an LTI 1.3 tool: `limit` on a column holding a grade is a PHP
    error answered as a 404 HTML page; on a column without grades it answers []."""
    c = Client(sandbox, "moodle")
    graded = c.get(c.lineitems).json()[0]
    for params in (
        {"limit": 1000},
        {"limit": 2, "from": 2},
        {"limit": 5, "user_id": c.sub("student1")},
    ):
        resp = c.get(suffix(c, graded["id"], "results"), **params)
        assert resp.status_code == 404 and resp.headers["Content-Type"].startswith("text/html")
        assert resp.text.startswith("<!DOCTYPE html>")
        assert "Call to a member function out() on null" in resp.text
    assert c.get(suffix(c, graded["id"], "results"), limit=0).status_code == 200
    empty = add_column(c.sb.app, "moodle", c.course, "Ungraded", 10, for_tool=True)
    url = c.lineitems.replace("lineitems?", f"lineitems/{empty}/lineitem/results?")
    resp = c.get(url, limit=10)
    assert resp.status_code == 200 and resp.json() == []


# ---- scores -------------------------------------------------------------------------------
def score(c: Client, item: dict[str, Any], **over: Any) -> requests.Response:
    body = {
        "userId": c.sub("student1"),
        "scoreGiven": 5,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": datetime.now(UTC).isoformat(),
    }
    body.update(over)
    body = {k: val for k, val in body.items() if val is not None}
    return c.send("POST", suffix(c, item["id"], "scores"), body, v.MT_SCORE)


def new_item(c: Client, maximum: float = 100) -> dict[str, Any]:
    return c.send(
        "POST", c.lineitems, {"label": "Scored", "scoreMaximum": maximum}, v.MT_LINEITEM
    ).json()


def result_of(c: Client, item: dict[str, Any], login: str = "student1") -> dict[str, Any]:
    rows = c.get(suffix(c, item["id"], "results"), user_id=c.sub(login)).json()
    return rows[0] if rows else {}


def test_moodle_scores(sandbox: Sandbox) -> None:
    c = Client(sandbox, "moodle")
    item = new_item(c, 100)
    t0 = datetime.now(UTC).replace(microsecond=100)
    assert score(c, item, timestamp=t0.isoformat()).status_code == 200
    assert result_of(c, item)["resultScore"] == 50  # rescaled to the item's maximum
    same_second = score(c, item, timestamp=t0.replace(microsecond=900000).isoformat())
    assert same_second.status_code == 409
    later = t0 + timedelta(seconds=2)
    assert score(c, item, timestamp=later.isoformat(), gradingProgress="Pending").status_code == 200
    assert "resultScore" not in result_of(c, item)  # scoreGiven ignored unless FullyGraded
    assert (
        score(
            c,
            item,
            timestamp=(later + timedelta(seconds=1)).isoformat(),
            scoreMaximum=None,
            scoreGiven=1,
        ).status_code
        == 200
    )
    assert result_of(c, item)["resultScore"] == 100  # scoreMaximum defaults to 1
    assert score(c, item, timestamp="yesterday").status_code == 400
    assert score(c, item, userId=None).status_code == 400
    assert score(c, item, userId=c.sub("teacher1")).status_code == 400
    wrong_type = c.send("POST", suffix(c, item["id"], "scores"), {}, "application/json")
    assert wrong_type.status_code == 400


def test_canvas_scores(sandbox: Sandbox) -> None:
    c = Client(sandbox, "canvas")
    item = new_item(c, 100)
    ok = score(c, item)
    assert ok.status_code == 200 and ok.json()["resultUrl"].startswith(item["id"] + "/results/")
    r = result_of(c, item)
    assert r["resultScore"] == 5 and r["resultMaximum"] == 10
    old = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert score(c, item, timestamp=old).status_code == 400
    assert score(c, item, scoreMaximum=None).status_code == 422
    assert score(c, item, scoreMaximum=-1).status_code == 422
    assert score(c, item, userId=c.sub("teacher1")).status_code == 422
    assert score(c, item, activityProgress=None).status_code == 400
    pending = score(c, item, gradingProgress="Pending", scoreGiven=9)
    assert pending.status_code == 200 and result_of(c, item)["resultScore"] == 5


def test_scores_on_a_column_not_the_tools(client: Client) -> None:
    li = add_column(client.sb.app, client.slug, client.course, "Manual", 10)
    url = (
        client.lineitems.replace("lineitems?", f"lineitems/{li}/lineitem?")
        if client.slug == "moodle"
        else f"{client.lineitems}/{li}"
    )
    assert client.get(url).status_code == (403 if client.slug == "moodle" else 404)


# ---- names and roles ----------------------------------------------------------------------
def test_moodle_memberships(sandbox: Sandbox) -> None:
    c = Client(sandbox, "moodle")
    resp = c.get(c.memberships)
    assert resp.status_code == 200 and "Link" not in resp.headers
    assert resp.headers["Content-Type"].startswith(v.MT_NRPS_V2)
    body = resp.json()
    ref = load_capture("moodle-4.5/nrps-memberships.json")
    assert list(body) == list(ref) and list(body["context"]) == list(ref["context"])
    assert list(body["members"][0]) == list(ref["members"][0])
    assert len(body["members"]) == 14
    roles = {m["ext_user_username"]: m["roles"] for m in body["members"]}
    assert roles["teacher1"] == ["Instructor"] and roles["student1"] == ["Learner"]
    # A non-editing teacher: Instructor at launch, Learner in Moodle's NRPS (Moodle 4.5).
    assert roles["ta1"] == ["Learner"]
    family = [m["family_name"] for m in body["members"]]
    assert family == sorted(family)  # Moodle orders by last name
    members, nexts = c.all_pages(c.memberships, limit=5)
    assert [m["user_id"] for m in members] == [m["user_id"] for m in body["members"]]
    assert len(nexts) == 2 and all("/CourseSection/" in n for n in nexts)
    learners = c.get(c.memberships, role="Learner").json()["members"]
    assert len(learners) == 13 and all(m["roles"] == ["Learner"] for m in learners)
    full = c.get(c.memberships, role=v.ROLE_INSTRUCTOR).json()["members"]
    assert len(full) == 1


def test_canvas_names_and_roles(sandbox: Sandbox) -> None:
    c = Client(sandbox, "canvas")
    body = c.get(c.memberships).json()
    assert len(body["members"]) == 14
    m = next(x for x in body["members"] if x["roles"] == [v.ROLE_LEARNER])
    assert set(m) == {
        "status",
        "name",
        "picture",
        "given_name",
        "family_name",
        "email",
        "lis_person_sourcedid",
        "user_id",
        "lti11_legacy_user_id",
        "roles",
    }
    ta = next(x for x in body["members"] if v.ROLE_TA in x["roles"])
    assert set(ta["roles"]) == {v.ROLE_TA, v.ROLE_INSTRUCTOR}
    members, nexts = c.all_pages(c.memberships, limit=4)
    assert len(members) == 14 and len(nexts) == 3
    assert all("page=" in n and "per_page=4" in n for n in nexts)
    learners = c.get(
        c.memberships, role="http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    ).json()["members"]
    assert len(learners) == 12


def test_canvas_default_nrps_page_is_50(sandbox: Sandbox) -> None:
    from lti.sandbox.seed import create_course

    info = create_course(sandbox.app, "canvas", "Big class", learners=60, columns=())
    c = Client(sandbox, "canvas")
    c.course = info.course_id
    first = c.get(c.memberships)
    assert len(first.json()["members"]) == 50
    assert 'rel="next"' in first.headers["Link"]
    members, _ = c.all_pages(c.memberships)
    assert len(members) == 62


def test_privacy_hides_names_and_emails(sandbox: Sandbox) -> None:
    from lti.sandbox.seed import register_tool

    info = sandbox.canvas
    register_tool(
        sandbox.app,
        "canvas",
        sandbox.tool.url,
        client_id=info.client_id,
        deployment_id=info.deployment_id,
        privacy_level="anonymous",
    )
    c = Client(sandbox, "canvas")
    m = c.get(c.memberships).json()["members"][0]
    assert "name" not in m and "email" not in m and m["user_id"]
    claims = sandbox.launch("canvas", c.course, "student1")
    assert "email" not in claims and "name" not in claims


def test_canvas_tokens_belong_to_their_developer_key(sandbox: Sandbox) -> None:
    """Two developer keys under Canvas's one issuer: a token of one key is refused (401) in a
    course where only the other key's tool is installed, as Canvas does."""
    from lti.sandbox.seed import create_course, platform_info, register_tool

    second = "10000000000002"
    register_tool(
        sandbox.app,
        "canvas",
        sandbox.tool.url,
        client_id=second,
        deployment_id="2:" + "b" * 40,
        name="Second key",
    )
    course = create_course(
        sandbox.app, "canvas", "Second key's course", learners=3, client_id=second
    )
    info = platform_info(sandbox.app, "canvas", second)
    assert info.issuer == sandbox.canvas.issuer and info.client_id != sandbox.canvas.client_id
    own = requests.post(
        info.auth_token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": v.ASSERTION_TYPE,
            "client_assertion": sandbox.tool.assertion(second, info.auth_token_url),
            "scope": " ".join(ALL),
        },
        timeout=10,
    ).json()["access_token"]
    other = sandbox.token("canvas", ALL)
    base = f"{info.issuer}/api/lti/courses/{course.course_id}"
    for url in (f"{base}/line_items", f"{base}/names_and_roles"):
        refused = requests.get(url, headers={"Authorization": f"Bearer {other}"}, timeout=10)
        assert refused.status_code == 401
        assert refused.json()["errors"]["message"] == (
            "Access Token not linked to a Tool associated with this Context"
        )
        ok = requests.get(url, headers={"Authorization": f"Bearer {own}"}, timeout=10)
        assert ok.status_code == 200
