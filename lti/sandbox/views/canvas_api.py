"""Canvas's REST API, the part a gradebook reader needs: assignments, every student's
submissions, enrollments with grades, one course user; bearer tokens of a user, ``per_page``
(default 10, at most 100) with numbered pages and a ``Link`` header, the leaky-bucket throttle
(``X-Rate-Limit-Remaining``, ``X-Request-Cost``, 403 "Rate Limit Exceeded"), and Canvas's
error bodies (``{"errors": [{"message": …}]}``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import Response, g, jsonify, request
from sqlalchemy import select

from lti.sandbox.db import session
from lti.sandbox.models import (
    ApiToken,
    Course,
    DeveloperKey,
    Enrollment,
    LineItem,
    Module,
    ModuleItem,
    ModuleItemDone,
    Result,
    Tool,
    User,
    as_utc,
    utcnow,
)
from lti.sandbox.views.canvas_oauth import scope_of
from lti.sandbox.views.common import base_url, bp, only

DEFAULT_PER_PAGE, MAX_PER_PAGE = 10, 100


def _error(http_status: int, message: str, scoped: bool = False, **extra: Any) -> Response:
    resp = jsonify({**extra, "errors": [{"message": message}]})
    resp.status_code = http_status
    if http_status == 401 and not extra and not scoped:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="canvas-lms"'
    return resp


def _throttle(token: ApiToken) -> Response | None:
    """Leak the bucket since the last request, charge this one; None when allowed."""
    now = utcnow()
    elapsed = (now - as_utc(token.checked_at)).total_seconds()
    token.bucket = min(token.capacity, token.bucket + elapsed * token.leak)
    token.checked_at = now
    if token.bucket < token.cost:
        token.throttled += 1
        resp = Response("403 Forbidden (Rate Limit Exceeded)\n", status=403, mimetype="text/plain")
        resp.headers["X-Rate-Limit-Remaining"] = f"{max(token.bucket, 0):.1f}"
        return resp
    token.bucket -= token.cost
    return None


def api(view: Callable[..., Any]) -> Callable[..., Any]:
    """Bearer token, throttle, the course (by id or ``lti_context_id:``) the token's user
    teaches; then the view, with the throttle's headers on its answer."""

    @wraps(view)
    def wrapper(course_ref: str, *args: Any, **kwargs: Any) -> Any:
        s = session()
        header = request.headers.get("Authorization", "")
        token = s.get(ApiToken, header[7:]) if header.startswith("Bearer ") else None
        if (
            token is None
            or token.platform_id != g.platform.id
            or (token.expires_at is not None and as_utc(token.expires_at) <= utcnow())
        ):
            return _error(401, "Invalid access token.")
        key = s.get(DeveloperKey, token.developer_key_id) if token.developer_key_id else None
        if key is not None and not key.active:
            return _error(401, "Invalid access token.")  # a key turned off stops its tokens
        assert request.url_rule is not None  # a routed request
        needed = scope_of(request.url_rule.rule, request.method)
        if key is not None and key.require_scopes and needed not in token.scopes:
            # Canvas's AccessTokenScopeError: 401 without WWW-Authenticate.
            return _error(401, "Insufficient scopes on access token.", scoped=True)
        refused = _throttle(token)
        s.commit()
        if refused is not None:
            return refused
        if course_ref.startswith("lti_context_id:"):
            course = s.scalars(
                select(Course).where(
                    Course.platform_id == g.platform.id,
                    Course.lti_context_id == course_ref.split(":", 1)[1],
                )
            ).first()
        else:
            course = s.get(Course, int(course_ref)) if course_ref.isdigit() else None
        if course is None or course.platform_id != g.platform.id:
            return _error(404, "The specified resource does not exist.")
        user = s.get_one(User, token.user_id)
        role = s.scalar(
            select(Enrollment.role).where(
                Enrollment.course_id == course.id, Enrollment.user_id == user.id
            )
        )
        if role not in ("teacher", "ta") and not user.is_admin:
            return _error(401, "user not authorized to perform that action", status="unauthorized")
        resp = view(course, *args, **kwargs)
        resp.headers["X-Rate-Limit-Remaining"] = f"{token.bucket:.1f}"
        resp.headers["X-Request-Cost"] = f"{token.cost:.1f}"
        return resp

    return wrapper


def _page(items: Sequence[Any], render: Callable[[Any], dict[str, Any]]) -> Response:
    """One page of ``items`` with Canvas's numbered-page Link header."""
    per_page = min(
        max(request.args.get("per_page", DEFAULT_PER_PAGE, type=int) or 1, 1), MAX_PER_PAGE
    )
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    resp = jsonify([render(i) for i in items[(page - 1) * per_page : page * per_page]])
    params = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page")]

    def url(n: int) -> str:
        return f"{base_url()}{request.path}?" + urlencode(
            [*params, ("page", n), ("per_page", per_page)]
        )

    links = [f'<{url(page)}>; rel="current"']
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
    if page > 1:
        links.append(f'<{url(page - 1)}>; rel="prev"')
    links += [f'<{url(1)}>; rel="first"', f'<{url(last)}>; rel="last"']
    resp.headers["Link"] = ",".join(links)
    return resp


def _students(course: Course) -> list[tuple[Enrollment, User]]:
    return list(
        session()
        .execute(
            select(Enrollment, User)
            .join(User, User.id == Enrollment.user_id)
            .where(
                Enrollment.course_id == course.id,
                Enrollment.role == "student",
                Enrollment.status == "active",
            )
            .order_by(User.family_name, User.id)
        )
        .all()
    )


def _assignments(course: Course) -> list[LineItem]:
    # Every gradebook column of a Canvas course is an assignment (AGS-made ones too).
    return list(
        session().scalars(
            select(LineItem).where(LineItem.course_id == course.id).order_by(LineItem.id)
        )
    )


@bp.get("/api/v1/courses/<course_ref>/assignments")
@only("canvas")
@api
def assignments(course: Course) -> Response:
    """List assignments."""
    tools = {
        t.id: t for t in session().scalars(select(Tool).where(Tool.platform_id == g.platform.id))
    }

    def render(li: LineItem) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": li.id,
            "name": li.label,
            "course_id": course.id,
            "points_possible": li.score_maximum,
            "grading_type": "points",
            "published": True,
            "position": li.id,
            "html_url": f"{base_url()}/{g.platform.slug}/courses/{course.id}/assignments/{li.id}",
            "submission_types": ["external_tool"] if li.tool_id else ["online_text_entry"],
        }
        if li.tool_id:
            out["external_tool_tag_attributes"] = {
                "url": tools[li.tool_id].target_link_uri,
                "new_tab": False,
            }
        return out

    return _page(_assignments(course), render)


@bp.get("/api/v1/courses/<course_ref>/students/submissions")
@only("canvas")
@api
def student_submissions(course: Course) -> Response:
    """List submissions for multiple assignments: ``student_ids[]=all`` for every student
    (without it Canvas answers only the caller's own, none for a teacher)."""
    wanted = request.args.getlist("student_ids[]")
    students = [u for _e, u in _students(course)]
    if "all" not in wanted:
        students = [u for u in students if str(u.id) in wanted]
    items = _assignments(course)
    results = (
        {
            (r.line_item_id, r.user_id): r
            for r in session().scalars(
                select(Result).where(
                    Result.line_item_id.in_([li.id for li in items]),
                    Result.user_id.in_([u.id for u in students]),
                )
            )
        }
        if students and items
        else {}
    )
    rows = [(li, u, results.get((li.id, u.id))) for u in students for li in items]

    def render(row: tuple[LineItem, User, Result | None]) -> dict[str, Any]:
        li, u, r = row
        given = r.score_given if r is not None else None
        score: float | None = None
        graded_at: str | None = None
        if r is not None and given is not None:
            score = given * li.score_maximum / r.score_maximum if r.score_maximum else given
            graded_at = as_utc(r.timestamp).isoformat().replace("+00:00", "Z")
        return {
            "id": li.id * 100000 + u.id,
            "assignment_id": li.id,
            "user_id": u.id,
            "score": score,
            "grade": f"{score:g}" if score is not None else None,
            "graded_at": graded_at,
            "submitted_at": None,
            "attempt": None,
            "workflow_state": "graded" if score is not None else "unsubmitted",
            "excused": False,
            "late": False,
            "missing": False,
            "grade_matches_current_submission": True,
            "entered_score": score,
        }

    return _page(rows, render)


@bp.get("/api/v1/courses/<course_ref>/enrollments")
@only("canvas")
@api
def enrollments(course: Course) -> Response:
    """List enrollments (students, with their course scores)."""
    items = _assignments(course)
    students = _students(course)
    results = (
        list(
            session().scalars(
                select(Result).where(Result.line_item_id.in_([li.id for li in items]))
            )
        )
        if items
        else []
    )
    maxima = {li.id: li.score_maximum for li in items}
    earned: dict[int, tuple[float, float]] = {}
    for r in results:
        if r.score_given is None:
            continue
        top = maxima[r.line_item_id]
        points = r.score_given * top / r.score_maximum if r.score_maximum else r.score_given
        got, possible = earned.get(r.user_id, (0.0, 0.0))
        earned[r.user_id] = (got + points, possible + top)

    def render(row: tuple[Enrollment, User]) -> dict[str, Any]:
        e, u = row
        got, possible = earned.get(u.id, (0.0, 0.0))
        # Canvas's current score counts graded assignments only; final counts all.
        current = round(got / possible * 100, 2) if possible else None
        total = sum(maxima.values())
        final = round(got / total * 100, 2) if total else None
        return {
            "id": e.id,
            "user_id": u.id,
            "course_id": course.id,
            "type": "StudentEnrollment",
            "role": "StudentEnrollment",
            "enrollment_state": "active",
            "grades": {
                "html_url": f"{base_url()}/{g.platform.slug}/courses/{course.id}/grades/{u.id}",
                "current_score": current,
                "final_score": final,
                "current_grade": None,
                "final_grade": None,
            },
            "user": {
                "id": u.id,
                "name": u.name,
                "sortable_name": f"{u.family_name}, {u.given_name}",
                "short_name": u.name,
            },
        }

    return _page(students, render)


@bp.get("/api/v1/courses/<course_ref>/users/<user_ref>")
@only("canvas")
@api
def course_user(course: Course, user_ref: str) -> Response:
    """One user of the course, by id or by ``lti_1_3_id:<sub>`` (the LTI 1.3 ``sub``)."""
    s = session()
    if user_ref.startswith("lti_1_3_id:"):
        user = s.scalars(
            select(User).where(
                User.platform_id == g.platform.id, User.lti_id == user_ref.split(":", 1)[1]
            )
        ).first()
    else:
        user = s.get(User, int(user_ref)) if user_ref.isdigit() else None
    enrolled = (
        user is not None
        and s.scalar(
            select(Enrollment.id).where(
                Enrollment.course_id == course.id, Enrollment.user_id == user.id
            )
        )
        is not None
    )
    if not enrolled:
        return _error(404, "The specified resource does not exist.")
    assert user is not None  # enrolled
    return jsonify(
        {
            "id": user.id,
            "name": user.name,
            "sortable_name": f"{user.family_name}, {user.given_name}",
            "short_name": user.name,
        }
    )


# Canvas leaves a module's items out of ``include[]=items`` when there are too many of them.
INLINE_ITEMS = 10


def _requirement_met(
    item: ModuleItem, results: dict[int, Result], done: dict[int, datetime]
) -> datetime | None:
    """When the learner met the item's requirement, None while they have not."""
    if item.requirement == "must_mark_done":
        return done.get(item.id)
    if item.requirement == "min_score" and item.line_item_id in results:
        r = results[item.line_item_id]
        li = session().get_one(LineItem, item.line_item_id)
        if r.score_given is None:
            return None
        score = r.score_given * li.score_maximum / r.score_maximum if r.score_maximum else 0
        return r.timestamp if score >= (item.min_score or 0) else None
    return None


def _progress(module: Module, items: list[ModuleItem], user: User) -> dict[str, Any]:
    """The learner's state of a module (Canvas's ContextModuleProgression)."""
    s = session()
    lines = [i.line_item_id for i in items if i.line_item_id]
    results = (
        {
            r.line_item_id: r
            for r in s.scalars(
                select(Result).where(Result.line_item_id.in_(lines), Result.user_id == user.id)
            )
        }
        if lines
        else {}
    )
    done = {
        d.item_id: d.done_at
        for d in s.scalars(
            select(ModuleItemDone).where(
                ModuleItemDone.item_id.in_([i.id for i in items]), ModuleItemDone.user_id == user.id
            )
        )
    }
    required = [i for i in items if i.requirement]
    met = {i.id: _requirement_met(i, results, done) for i in required}
    if all(met.values()):
        times = [as_utc(t) for t in met.values() if t]
        return {
            "state": "completed",
            "completed_at": max(times).isoformat().replace("+00:00", "Z") if times else None,
            "met": met,
        }
    return {
        "state": "started" if any(met.values()) else "unlocked",
        "completed_at": None,
        "met": met,
    }


def _item_json(course: Course, item: ModuleItem, met: dict[int, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "module_id": item.module_id,
        "title": item.title,
        "position": item.id,
        "indent": 0,
        "type": "Assignment" if item.line_item_id else "Page",
        "content_id": item.line_item_id,
        "html_url": f"{base_url()}/{g.platform.slug}/courses/{course.id}/modules/items/{item.id}",
        "published": True,
    }
    if item.requirement:
        req: dict[str, Any] = {"type": item.requirement}
        if item.requirement == "min_score":
            req["min_score"] = item.min_score
        if met is not None:
            req["completed"] = bool(met.get(item.id))
        out["completion_requirement"] = req
    return out


def _module_items(module: Module) -> list[ModuleItem]:
    return list(
        session().scalars(
            select(ModuleItem).where(ModuleItem.module_id == module.id).order_by(ModuleItem.id)
        )
    )


def _student(course: Course) -> User | Response | None:
    """``student_id``: a student of the course (Canvas's find_student), else 401."""
    wanted = request.args.get("student_id")
    if wanted is None:
        return None
    user = session().get(User, int(wanted)) if wanted.isdigit() else None
    enrolled = user is not None and session().scalar(
        select(Enrollment.id).where(
            Enrollment.course_id == course.id,
            Enrollment.user_id == user.id,
            Enrollment.role == "student",
            Enrollment.status == "active",
        )
    )
    if not enrolled:
        return _error(401, "user not authorized to perform that action", status="unauthorized")
    return user


@bp.get("/api/v1/courses/<course_ref>/modules")
@only("canvas")
@api
def modules(course: Course) -> Response:
    """List modules; ``include[]=items`` inline (not for a module with many items);
    ``student_id`` adds that student's ``state`` and ``completed_at``."""
    student = _student(course)
    if isinstance(student, Response):
        return student
    inline = "items" in request.args.getlist("include[]")
    listed = list(
        session().scalars(
            select(Module).where(Module.course_id == course.id).order_by(Module.position, Module.id)
        )
    )

    def render(module: Module) -> dict[str, Any]:
        items = _module_items(module)
        progress = _progress(module, items, student) if student is not None else None
        out: dict[str, Any] = {
            "id": module.id,
            "workflow_state": "active",
            "position": module.position,
            "name": module.name,
            "unlock_at": None,
            "require_sequential_progress": False,
            "prerequisite_module_ids": [],
            "items_count": len(items),
            "items_url": f"{base_url()}/{g.platform.slug}/api/v1/courses/{course.id}"
            f"/modules/{module.id}/items",
            "published": True,
        }
        if progress is not None:
            out["state"] = progress["state"]
            out["completed_at"] = progress["completed_at"]
        if inline and len(items) <= INLINE_ITEMS:
            met = progress["met"] if progress else None
            out["items"] = [_item_json(course, i, met) for i in items]
        return out

    return _page(listed, render)


@bp.get("/api/v1/courses/<course_ref>/modules/<int:module_id>/items")
@only("canvas")
@api
def module_items(course: Course, module_id: int) -> Response:
    """List module items."""
    module = session().get(Module, module_id)
    if module is None or module.course_id != course.id:
        return _error(404, "The specified resource does not exist.")
    return _page(_module_items(module), lambda i: _item_json(course, i, None))
