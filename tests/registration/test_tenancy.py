"""Tenancy matrix: an instructor launched from one course, deployment or platform reads and
changes nothing of another, through every HTTP surface the tool has: the course pages, the
designer, deep linking, the learner's endpoints and the JSON API with registration-scoped keys.

The world, launched for real from the sandbox LMS over HTTP:

=====  ==========================  ============  ==========  ===========
name   platform (registration)     deployment    course      relation to A
=====  ==========================  ============  ==========  ===========
A      Moodle-like P1 (R1)         1             Tenancy A   —
D      Moodle-like P1 (R1)         1             Tenancy D   other course
B      Moodle-like P1 (R1)         2             Tenancy B   other deployment
C      Canvas-like P2 (R2)         its own       Tenancy C   other platform
=====  ==========================  ============  ==========  ===========

The platforms are made for this module (fresh slugs), so the seeded ones stay untouched.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select, update

from app.audit import SYSTEM
from app.extensions import db
from app.models import Context, Registration
from tests.support.browser import Browser, parse

P1_CLIENT = "tenMoodleClnt01"
P2_CLIENT = "20000000000001"
P2_DEPLOYMENT = "7:" + hashlib.sha1(b"tenancy:canvas:account").hexdigest()
OTHERS = ["D", "B", "C"]  # other course, other deployment, other platform


@pytest.fixture(autouse=True)
def _live_tool(app, lti_env) -> None:
    """The tool's public URL is the live server's (the ``app`` fixture resets it per test)."""
    app.config["PUBLIC_BASE_URL"] = lti_env.tool_url


@dataclass
class Launched:
    """One launch: its course title and the launch tokens of its instructor and a learner."""

    title: str
    staff: str
    learner: str
    context_public_id: str = ""


@pytest.fixture(scope="module")
def tenancy_platforms(lti_env):
    """Two sandbox platforms of this module's own, with the courses of the matrix."""
    from lti.sandbox.seed import create_course, platform_info, register_tool

    tag = uuid.uuid4().hex[:6]
    p1, p2 = f"ten-moodle-{tag}", f"ten-canvas-{tag}"
    register_tool(
        lti_env.sandbox,
        p1,
        lti_env.tool_url,
        client_id=P1_CLIENT,
        deployment_id="1",
        flavour="moodle",
    )
    register_tool(
        lti_env.sandbox,
        p2,
        lti_env.tool_url,
        client_id=P2_CLIENT,
        deployment_id=P2_DEPLOYMENT,
        flavour="canvas",
    )
    courses = {
        "A": create_course(lti_env.sandbox, p1, "Tenancy A", learners=2, tas=0, seed=1),
        "D": create_course(lti_env.sandbox, p1, "Tenancy D", learners=2, tas=0, seed=2),
        "B": create_course(lti_env.sandbox, p1, "Tenancy B", learners=2, tas=0, seed=3),
        "C": create_course(lti_env.sandbox, p2, "Tenancy C", learners=2, tas=0, seed=4),
    }
    return {
        "P1": platform_info(lti_env.sandbox, p1),
        "P2": platform_info(lti_env.sandbox, p2),
        "courses": courses,
    }


def _set_deployment(env, slug: str, deployment_id: str) -> None:
    """The same developer key / tool deployed a second time (Canvas: in a sub-account)."""
    from lti.sandbox.db import session_scope
    from lti.sandbox.models import Platform, Tool

    with session_scope(env.sandbox) as s:
        platform_id = s.scalar(select(Platform.id).where(Platform.slug == slug))
        s.execute(
            update(Tool).where(Tool.platform_id == platform_id).values(deployment_id=deployment_id)
        )


def _token_of(response: requests.Response) -> str:
    assert response.status_code == 200, response.text[:500]
    return parse_qs(urlsplit(response.url).query)["lt"][0]


def _launch(env, slug: str, course, login: str, **kwargs) -> requests.Response:
    from lti.sandbox.seed import launch_url

    browser = Browser()
    return browser.walk(
        browser.get(launch_url(env.sandbox, slug, course.course_id, login, **kwargs))
    )


@pytest.fixture
def world(app, lti_env, tenancy_platforms) -> dict[str, Launched]:
    """The tool knows both registrations; every course of the matrix has been launched."""
    from app.registrations.operations import PlatformSpec, save_platform

    p1, p2 = tenancy_platforms["P1"], tenancy_platforms["P2"]
    for info, deployments in ((p1, ("1", "2")), (p2, (P2_DEPLOYMENT,))):
        save_platform(
            PlatformSpec(
                issuer=info.issuer,
                client_id=info.client_id,
                auth_login_url=info.auth_login_url,
                auth_token_url=info.auth_token_url,
                auth_audience=info.auth_audience,
                key_set_url=info.key_set_url,
                deployment_ids=deployments,
                name=info.slug,
                product_family=info.flavour,
            ),
            actor=SYSTEM,
        )
    db.session.rollback()  # SQLite: free the write lock for the tool's server thread
    launched: dict[str, Launched] = {}
    for name, course in tenancy_platforms["courses"].items():
        slug = p2.slug if name == "C" else p1.slug
        if name == "B":
            _set_deployment(lti_env, slug, "2")
        try:
            staff = _token_of(_launch(lti_env, slug, course, course.teacher_login))
            learner = _token_of(_launch(lti_env, slug, course, course.learner_logins[0]))
        finally:
            if name == "B":
                _set_deployment(lti_env, slug, "1")
        launched[name] = Launched(f"Tenancy {name}", staff, learner)
    for item in launched.values():
        context = db.session.scalars(select(Context).filter_by(title=item.title)).one()
        item.context_public_id = context.public_id
    db.session.rollback()
    return launched


def _get(env, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(env.tool_url + path, headers=headers, timeout=30, **kwargs)


def _post(env, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(env.tool_url + path, headers=headers, timeout=30, **kwargs)


# ---- the matrix itself ---------------------------------------------------------------
def test_the_world_is_four_tenants(world, lti_env):
    """Sanity: four distinct course contexts; B is R1's second deployment, C is R2."""
    contexts = db.session.scalars(select(Context).order_by(Context.id)).all()
    assert sorted(c.title for c in contexts) == ["Tenancy A", "Tenancy B", "Tenancy C", "Tenancy D"]
    by_title = {c.title: c for c in contexts}
    a, b, c, d = (by_title[f"Tenancy {n}"] for n in "ABCD")
    assert a.registration_id == b.registration_id == d.registration_id != c.registration_id
    assert a.deployment_id == d.deployment_id != b.deployment_id
    db.session.rollback()


@pytest.mark.parametrize("other", OTHERS)
@pytest.mark.parametrize("page", ["/course/staff", "/course/designer/"])
def test_staff_pages_show_only_their_own_course(world, lti_env, page, other):
    own = _get(lti_env, page, world["A"].staff)
    assert own.status_code == 200, own.text[:500]
    assert "Tenancy A" in own.text
    assert world[other].title not in own.text
    assert world[other].context_public_id not in own.text
    # Naming the other course in the URL changes nothing: the token decides.
    steered = _get(
        lti_env,
        page,
        world["A"].staff,
        params={
            "context": world[other].context_public_id,
            "context_id": world[other].context_public_id,
        },
    )
    assert "Tenancy A" in steered.text and world[other].title not in steered.text


@pytest.mark.parametrize("other", OTHERS)
def test_learner_page_shows_only_their_own_course(world, lti_env, other):
    own = _get(lti_env, "/course/learner", world["A"].learner)
    assert own.status_code == 200
    assert "Tenancy A" in own.text and world[other].title not in own.text


@pytest.mark.parametrize(
    "path,method",
    [
        ("/course/staff", "get"),
        ("/course/designer/", "get"),
        ("/lti/deep-link", "get"),
        ("/lti/deep-link", "post"),
        ("/course/designer/save", "post"),
        ("/course/designer/preview", "post"),
    ],
)
def test_a_learner_token_cannot_reach_staff_endpoints(world, lti_env, path, method):
    call = _get if method == "get" else _post
    response = call(lti_env, path, world["A"].learner, json={"design": {}})
    assert response.status_code == 403, response.text[:300]


@pytest.mark.parametrize("path", ["/course/staff", "/course/learner", "/course/designer/"])
def test_forged_or_missing_tokens_reach_nothing(world, lti_env, path):
    token = world["A"].staff
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert _get(lti_env, path).status_code == 401
    assert _get(lti_env, path, forged).status_code == 401
    # A token is not a cookie: nothing else in the request stands in for it.
    assert (
        requests.get(lti_env.tool_url + path, cookies={"session": token}, timeout=30).status_code
        == 401
    )


def _save_design(env, token: str, **target) -> requests.Response:
    return _post(env, "/course/designer/save", token, json={"design": {}, **target})


@pytest.mark.parametrize("other", OTHERS)
def test_an_instructor_cannot_change_another_courses_badge(world, lti_env, other):
    from app.models import Badge

    created = _save_design(lti_env, world["A"].staff, name="A's badge", description="Ours")
    assert created.status_code == 200, created.text[:500]
    badge_id = created.json()["badge"]
    version = created.json()["version"]

    hijack = _save_design(lti_env, world[other].staff, badge=badge_id)
    assert hijack.status_code in (400, 403, 404, 422), hijack.text[:300]
    # Asking the designer for A's badge by id shows nothing of it.
    page = _get(lti_env, "/course/designer/", world[other].staff, params={"badge": badge_id})
    assert "A&#39;s badge" not in page.text and "A's badge" not in page.text
    badge = db.session.scalars(select(Badge).filter_by(public_id=badge_id)).one()
    assert (badge.name, badge.image_version) == ("A's badge", version)  # untouched
    db.session.rollback()
    # The owner still can.
    assert _save_design(lti_env, world["A"].staff, badge=badge_id).status_code == 200


@pytest.mark.parametrize("other", OTHERS)
def test_deep_linking_answers_only_to_the_launching_course(
    world, lti_env, tenancy_platforms, other
):
    """A deep linking response goes back to the course and platform of its own launch; an
    instructor's other launches cannot be used to place content elsewhere."""
    from app.launch_session import read_token

    courses = tenancy_platforms["courses"]
    slug = tenancy_platforms["P2" if other == "C" else "P1"].slug
    placement = {"placement": "link_selection"} if other == "C" else {}
    if other == "B":
        _set_deployment(lti_env, slug, "2")
    try:
        picker = _launch(
            lti_env,
            slug,
            courses[other],
            courses[other].teacher_login,
            message_type="LtiDeepLinkingRequest",
            **placement,
        )
    finally:
        if other == "B":
            _set_deployment(lti_env, slug, "1")
    dl_token = (
        _token_of(picker) if "lt=" in picker.url else parse(picker.text).forms[0].fields["lt"]
    )
    respond = _post(lti_env, "/lti/deep-link", dl_token)
    assert respond.status_code == 200, respond.text[:500]
    action = parse(respond.text).forms[0].action
    own_issuer = tenancy_platforms["P2" if other == "C" else "P1"].issuer
    assert action.startswith(own_issuer)
    parts = urlsplit(action)
    if other == "C":  # Canvas: the course is in the path
        assert parts.path.endswith(f"/courses/{courses[other].course_id}/deep_linking_response")
    else:  # Moodle: course and tool type in the query
        assert parse_qs(parts.query)["course"] == [str(courses[other].course_id)]
    # A's resource link launch cannot answer a deep linking request at all...
    assert _post(lti_env, "/lti/deep-link", world["A"].staff).status_code in (400, 403)
    # ...and the deep linking launch's token names its own course, not A's.
    session = read_token(dl_token)
    context = db.session.get(Context, session.context_id)
    assert context.title == world[other].title
    db.session.rollback()


# ---- the JSON API with registration-scoped keys --------------------------------------------
@pytest.fixture
def api_keys(world, lti_env, tenancy_platforms):
    """Keys of R1 and R2; R1 owns an issuer, a badge of course A and an assertion."""
    from app.api.auth import create_key

    p1, p2 = tenancy_platforms["P1"], tenancy_platforms["P2"]
    r1 = db.session.scalars(select(Registration).filter_by(issuer=p1.issuer)).one()
    r2 = db.session.scalars(select(Registration).filter_by(issuer=p2.issuer)).one()
    _k1, one = create_key(r1.id, "R1")
    _k2, two = create_key(r2.id, "R2")
    db.session.rollback()
    h1, h2 = {"Authorization": f"Bearer {one}"}, {"Authorization": f"Bearer {two}"}
    base = lti_env.tool_url + "/api/v1"
    issuer = requests.post(
        f"{base}/issuers",
        headers=h1,
        timeout=30,
        json={"name": "R1 University", "url": "https://r1.example", "email": "badges@r1.example"},
    )
    assert issuer.status_code == 201, issuer.text
    badge = requests.post(
        f"{base}/badges",
        headers=h1,
        timeout=30,
        json={
            "name": "R1 Teamwork",
            "description": "Works in teams",
            "criteria_narrative": "80 %",
            "issuer_id": issuer.json()["id"],
        },
    )
    assert badge.status_code == 201, badge.text
    award = requests.post(
        f"{base}/badges/{badge.json()['id']}/assertions",
        headers=h1,
        timeout=30,
        json={"email": "ana@r1.example", "name": "Ana"},
    )
    assert award.status_code == 201, award.text
    return {
        "base": base,
        "one": h1,
        "two": h2,
        "issuer": issuer.json()["id"],
        "badge": badge.json()["id"],
        "assertion": award.json()["id"],
    }


def test_api_lists_show_only_the_keys_registration(api_keys, world):
    k = api_keys
    for collection in ("issuers", "badges", "assertions"):
        mine = requests.get(f"{k['base']}/{collection}", headers=k["one"], timeout=30).json()
        theirs = requests.get(f"{k['base']}/{collection}", headers=k["two"], timeout=30).json()
        assert len(mine) == 1, collection
        assert theirs == [], collection
    contexts = requests.get(f"{k['base']}/contexts", headers=k["two"], timeout=30).json()
    assert [c["title"] for c in contexts] == ["Tenancy C"]
    mine = {
        c["title"]
        for c in requests.get(f"{k['base']}/contexts", headers=k["one"], timeout=30).json()
    }
    assert mine == {"Tenancy A", "Tenancy B", "Tenancy D"}
    jobs = requests.get(f"{k['base']}/jobs", headers=k["two"], timeout=30)
    assert jobs.status_code == 200
    assert all(j.get("context_id") != world["A"].context_public_id for j in jobs.json())


def test_api_reads_of_another_registration_are_not_found(api_keys, world):
    k, two = api_keys, api_keys["two"]
    for path in (
        f"issuers/{k['issuer']}",
        f"badges/{k['badge']}",
        f"badges/{k['badge']}/preview",
        f"assertions/{k['assertion']}",
        f"contexts/{world['A'].context_public_id}/columns",
        f"assertions?badge_id={k['badge']}",
    ):
        response = requests.get(f"{k['base']}/{path}", headers=two, timeout=30)
        assert response.status_code in (404, 200), (path, response.status_code)
        if response.status_code == 200:
            assert response.json() == [], path  # a filtered list: empty, not theirs
        else:
            assert response.json()["error"] == "not_found", path


def test_api_writes_to_another_registration_are_refused(api_keys, world):
    k, two = api_keys, api_keys["two"]
    attempts = [
        ("patch", f"badges/{k['badge']}", {"name": "Hijacked"}),
        ("post", f"badges/{k['badge']}/assertions", {"email": "eve@evil.example", "name": "Eve"}),
        ("post", f"assertions/{k['assertion']}/revoke", {"reason": "hostile"}),
        ("post", f"contexts/{world['A'].context_public_id}/sync", {}),
        (
            "post",
            "badges",
            {
                "name": "In their issuer",
                "description": "x",
                "criteria_narrative": "x",
                "issuer_id": k["issuer"],
            },
        ),
    ]
    for method, path, body in attempts:
        response = requests.request(
            method, f"{k['base']}/{path}", headers=two, json=body, timeout=30
        )
        assert response.status_code == 404, (path, response.status_code, response.text[:200])
    badge = requests.get(f"{k['base']}/badges/{k['badge']}", headers=k["one"], timeout=30)
    assert badge.json()["name"] == "R1 Teamwork"
    assertion = requests.get(
        f"{k['base']}/assertions/{k['assertion']}", headers=k["one"], timeout=30
    ).json()
    assert assertion["revoked"] is False
    listed = requests.get(f"{k['base']}/assertions", headers=k["one"], timeout=30).json()
    assert [a["recipient_email"] for a in listed] == ["ana@r1.example"]


def test_learners_cannot_act_on_another_tenants_assertion(api_keys, world, lti_env):
    """A learner of another course, deployment or platform cannot accept or publish it."""
    for other in OTHERS:
        token = world[other].learner
        for path in (
            f"/learner/assertions/{api_keys['assertion']}/accept",
            f"/learner/assertions/{api_keys['assertion']}/visibility",
        ):
            response = _post(lti_env, path, token, data={"lt": token, "visibility": "public"})
            assert response.status_code in (403, 404), (other, path, response.status_code)
