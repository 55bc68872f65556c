"""Assignment and Grade Services and Names and Role Provisioning, in both URL shapes."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, g, request
from sqlalchemy import delete, func, select

from lti.sandbox import operations as ops
from lti.sandbox import vocab as v
from lti.sandbox.db import session
from lti.sandbox.flavours.base import MemberRow
from lti.sandbox.models import Course, LineItem, ResourceLink, Result
from lti.sandbox.views.common import ServiceAuth, bearer, bp, iss, only, service_error

READ_ITEMS = (v.SCOPE_LINEITEM, v.SCOPE_LINEITEM_READONLY)


def _json(body: Any, media_type: str, status: int = 200, link: str | None = None) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype=media_type)
    if link:
        resp.headers["Link"] = link
    return resp


def _course(course_id: int) -> Course:
    course = session().get(Course, course_id)
    if course is None or course.platform_id != g.platform.id:
        abort(404)
    return course


def _auth(any_of: tuple[str, ...], course: Course) -> ServiceAuth | Response:
    auth = bearer(any_of)
    if isinstance(auth, Response):
        return auth
    if g.platform.flavour == "moodle" and request.args.get("type_id") != auth.tool.deployment_id:
        # Moodle checks the tool type named in the URL against the token's.
        return service_error(403, "Invalid tool type specified.")
    return _tool_in_course(auth, course)


def _tool_in_course(auth: ServiceAuth, course: Course) -> ServiceAuth | Response:
    """Canvas finds the tool of the token's developer key in the course; a token of another
    developer key (another registration under the same issuer) is refused with 401."""
    if g.platform.flavour == "canvas" and not any(
        link.tool_id == auth.tool.id for link in ops.links_of(session(), course)
    ):
        return service_error(401, "Access Token not linked to a Tool associated with this Context")
    return auth


def _accepts(*media_types: str) -> bool:
    """Moodle refuses an Accept that names none of its formats; lenient about */* and JSON."""
    accept = request.headers.get("Accept", "")
    if not accept or g.platform.flavour == "canvas":
        return True
    return any(m in accept for m in (*media_types, "*/*", "application/json"))


def _body(media_type: str) -> Any:
    """The JSON body, or a Response refusing it."""
    content_type = request.mimetype
    allowed = {media_type}
    if g.platform.flavour == "canvas":
        allowed.add("application/json")
    if content_type and content_type not in allowed:
        return service_error(
            400 if g.platform.flavour == "moodle" else 415, f"Content-Type must be {media_type}."
        )
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return service_error(400, "The body is not JSON.")


def _own_item(course: Course, auth: ServiceAuth, item_id: int) -> LineItem | Response:
    li = session().get(LineItem, item_id)
    if li is None or li.course_id != course.id:
        return service_error(404, f"Not Found: Grade item {item_id} doesn't exist.")
    if li.tool_id != auth.tool.id:
        # Moodle: 403 "Line item does not exist."; Canvas scopes to the developer key: 404.
        status = 403 if g.platform.flavour == "moodle" else 404
        return service_error(status, "Line item does not exist.")
    return li


def _item_json(course: Course, auth: ServiceAuth, li: LineItem) -> dict[str, Any]:
    rl = li.resource_link
    return g.flavour.lineitem_json(iss(), course.id, auth.tool, li, rl.lti_id if rl else None)


def _parse_item_fields(body: Any, creating: bool) -> dict[str, Any] | Response:
    if not isinstance(body, dict):
        return service_error(400, "The line item must be a JSON object.")
    out: dict[str, Any] = {}
    label = body.get("label")
    if label is not None or creating:
        if not isinstance(label, str) or not label.strip():
            return service_error(400, "label is required.")
        out["label"] = label
    maximum = body.get("scoreMaximum")
    if maximum is not None or creating:
        if isinstance(maximum, bool) or not isinstance(maximum, int | float) or maximum <= 0:
            return service_error(400, "scoreMaximum must be a number greater than 0.")
        out["score_maximum"] = float(maximum)
    for key, col in (("tag", "tag"), ("resourceId", "resource_id")):
        if key in body:
            out[col] = "" if body[key] is None else str(body[key])
    for key, col in (("startDateTime", "start_at"), ("endDateTime", "end_at")):
        if body.get(key):
            try:
                out[col] = ops.parse_timestamp(body[key])
            except ValueError:
                return service_error(400, f"{key} must be ISO 8601.")
    return out


# ---- line items ---------------------------------------------------------------------
def lineitems(course_id: int) -> Response:
    """GET: the tool's own columns, filtered and paged; POST: create one."""
    course = _course(course_id)
    s = session()
    if request.method == "POST":
        auth = _auth((v.SCOPE_LINEITEM,), course)
        if isinstance(auth, Response):
            return auth
        body = _body(v.MT_LINEITEM)
        if isinstance(body, Response):
            return body
        fields = _parse_item_fields(body, creating=True)
        if isinstance(fields, Response):
            return fields
        link = None
        if body.get("resourceLinkId"):
            link = ops.find_link(s, course, auth.tool, str(body["resourceLinkId"]))
            if link is None:
                return service_error(
                    404 if g.platform.flavour == "canvas" else 400,
                    "resourceLinkId is not a link of this tool in the course.",
                )
            if g.platform.flavour == "canvas" and not ops.line_items_of_link(s, link):
                # Canvas attaches extra columns to the link's assignment; none, none to join.
                return service_error(412, "The resource link has no assignment.")
        li = ops.add_line_item(
            s,
            course,
            auth.tool,
            fields["label"],
            fields["score_maximum"],
            resource_link=link,
            tag=fields.get("tag", ""),
            resource_id=fields.get("resource_id", ""),
            start_at=fields.get("start_at"),
            end_at=fields.get("end_at"),
        )
        s.commit()
        return _json(_item_json(course, auth, li), v.MT_LINEITEM, status=201)
    auth = _auth(READ_ITEMS, course)
    if isinstance(auth, Response):
        return auth
    if not _accepts(v.MT_LINEITEM_CONTAINER):
        return service_error(400, "Invalid request made.")
    q = select(LineItem).where(LineItem.course_id == course.id, LineItem.tool_id == auth.tool.id)
    extra: dict[str, str] = {}
    rlid = request.args.get("resource_link_id") or (
        request.args.get("lti_link_id") if g.platform.flavour == "moodle" else None
    )
    if rlid:
        q = q.join(ResourceLink, ResourceLink.id == LineItem.resource_link_id).where(
            ResourceLink.lti_id == rlid
        )
        extra["resource_link_id"] = rlid
    for arg, col in (("tag", LineItem.tag), ("resource_id", LineItem.resource_id)):
        if request.args.get(arg):
            q = q.where(col == request.args[arg])
            extra[arg] = request.args[arg]
    offset, limit = g.flavour.page_window("lineitems", request.args)
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    q = q.order_by(LineItem.id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    items = [_item_json(course, auth, li) for li in s.scalars(q)]
    url = g.flavour.lineitems_url(iss(), course.id, auth.tool)
    link = g.flavour.page_links(url, extra, offset, limit, total)
    return _json(items, v.MT_LINEITEM_CONTAINER, link=link)


def lineitem(course_id: int, item_id: int) -> Response:
    """GET, PUT or DELETE one of the tool's columns."""
    course = _course(course_id)
    s = session()
    scopes = READ_ITEMS if request.method == "GET" else (v.SCOPE_LINEITEM,)
    auth = _auth(scopes, course)
    if isinstance(auth, Response):
        return auth
    li = _own_item(course, auth, item_id)
    if isinstance(li, Response):
        return li
    if request.method == "GET":
        return _json(_item_json(course, auth, li), v.MT_LINEITEM)
    if request.method == "PUT":
        body = _body(v.MT_LINEITEM)
        if isinstance(body, Response):
            return body
        fields = _parse_item_fields(body, creating=False)
        if isinstance(fields, Response):
            return fields
        for col, value in fields.items():
            setattr(li, col, value)
        s.commit()
        return _json(_item_json(course, auth, li), v.MT_LINEITEM)
    if li.coupled:
        # Canvas: 401 for a column made with its assignment; Moodle keeps an activity's own
        # grade item.
        status = 401 if g.platform.flavour == "canvas" else 403
        return service_error(status, "This line item is coupled to an assignment.")
    s.execute(delete(Result).where(Result.line_item_id == li.id))
    s.delete(li)
    s.commit()
    return Response(status=204)


def results(course_id: int, item_id: int) -> Response:
    """Results of a column (``user_id`` filter, paging)."""
    course = _course(course_id)
    s = session()
    auth = _auth((v.SCOPE_RESULT_READONLY,), course)
    if isinstance(auth, Response):
        return auth
    if not _accepts(v.MT_RESULT_CONTAINER):
        return service_error(400, "Invalid request made.")
    li = _own_item(course, auth, item_id)
    if isinstance(li, Response):
        return li
    extra: dict[str, str] = {}
    user = None
    if request.args.get("user_id"):
        user = ops.find_user(s, g.platform, request.args["user_id"])
        enrolment = ops.enrollment_of(s, course, user) if user else None
        if enrolment is None or enrolment.role != "student":
            # Canvas answers [] for a non-student; Moodle finds no grade for them.
            return _json([], v.MT_RESULT_CONTAINER)
        extra["user_id"] = request.args["user_id"]
    offset, limit = g.flavour.page_window("results", request.args)
    rows, total = ops.results_page(s, li, user, offset, limit)
    if limit is not None and total and not g.flavour.results_paging_works:
        return Response(g.flavour.paged_results_failure(iss()), status=404, mimetype="text/html")
    body = g.flavour.results_json(iss(), course.id, auth.tool, li, rows)
    url = g.flavour.results_url(iss(), course.id, auth.tool, li.id)
    link = g.flavour.page_links(url, extra, offset, limit, total)
    return _json(body, v.MT_RESULT_CONTAINER, link=link)


def scores(course_id: int, item_id: int) -> Response:
    """Receive a score with the flavour's validation."""
    course = _course(course_id)
    s = session()
    auth = _auth((v.SCOPE_SCORE,), course)
    if isinstance(auth, Response):
        return auth
    li = _own_item(course, auth, item_id)
    if isinstance(li, Response):
        return li
    body = _body(v.MT_SCORE)
    if isinstance(body, Response):
        return body
    try:
        result = ops.post_score(s, course, g.platform.flavour, li, body)
    except ops.ScoreError as exc:
        s.rollback()
        return service_error(exc.status, exc.message)
    s.commit()
    if g.platform.flavour == "canvas":
        item_url = g.flavour.lineitem_url(iss(), course.id, auth.tool, li.id)
        return _json({"resultUrl": f"{item_url}/results/{result.id}"}, "application/json")
    return Response(status=200)


# ---- names and roles ----------------------------------------------------------------
def memberships(course_id: int, binding: str | None = None) -> Response:
    """The course roster: role filter, paging, names and emails per the tool's privacy."""
    course = _course(course_id)
    s = session()
    auth = bearer((v.SCOPE_NRPS,))
    if isinstance(auth, Response):
        return auth
    auth = _tool_in_course(auth, course)
    if isinstance(auth, Response):
        return auth
    if binding is not None and binding != auth.tool.deployment_id:
        return service_error(403, "Invalid tool type specified.")
    roles = None
    extra: dict[str, str] = {}
    if request.args.get("role"):
        roles = g.flavour.role_filter(request.args["role"]) or set()
        extra["role"] = request.args["role"]
    offset, limit = g.flavour.page_window("members", request.args)
    rows, total = ops.members_page(s, course, g.platform.flavour, roles, offset, limit)
    url = g.flavour.memberships_url(iss(), course, auth.tool)
    body = {
        "id": url,
        "context": g.flavour.context_json(course),
        "members": [
            g.flavour.member_json(auth.tool, MemberRow(u, e.role, e.status)) for e, u in rows
        ],
    }
    media = v.MT_NRPS_V2 if g.platform.flavour == "moodle" else v.MT_CANVAS_NRPS
    return _json(body, media, link=g.flavour.page_links(url, extra, offset, limit, total))


# ---- routes, Moodle shape ---------------------------------------------------------------
M = "/mod/lti/services.php"


@bp.route(f"{M}/<int:course_id>/lineitems", methods=["GET", "POST"], endpoint="m_lineitems")
@only("moodle")
def m_lineitems(course_id: int) -> Response:
    """Moodle line items container."""
    return lineitems(course_id)


@bp.route(
    f"{M}/<int:course_id>/lineitems/<int:item_id>/lineitem",
    methods=["GET", "PUT", "DELETE"],
    endpoint="m_lineitem",
)
@only("moodle")
def m_lineitem(course_id: int, item_id: int) -> Response:
    """Moodle line item."""
    return lineitem(course_id, item_id)


@bp.route(f"{M}/<int:course_id>/lineitems/<int:item_id>/lineitem/results", endpoint="m_results")
@only("moodle")
def m_results(course_id: int, item_id: int) -> Response:
    """Moodle results."""
    return results(course_id, item_id)


@bp.route(
    f"{M}/<int:course_id>/lineitems/<int:item_id>/lineitem/scores",
    methods=["POST"],
    endpoint="m_scores",
)
@only("moodle")
def m_scores(course_id: int, item_id: int) -> Response:
    """Moodle scores."""
    return scores(course_id, item_id)


@bp.route(
    f"{M}/CourseSection/<int:course_id>/bindings/<type_id>/memberships", endpoint="m_memberships"
)
@only("moodle")
def m_memberships(course_id: int, type_id: str) -> Response:
    """Moodle memberships (case-sensitive path)."""
    return memberships(course_id, binding=type_id)


# ---- routes, Canvas shape ---------------------------------------------------------------
C = "/api/lti/courses/<int:course_id>"


@bp.route(f"{C}/line_items", methods=["GET", "POST"], endpoint="c_lineitems")
@only("canvas")
def c_lineitems(course_id: int) -> Response:
    """Canvas line items."""
    return lineitems(course_id)


@bp.route(f"{C}/line_items/<int:item_id>", methods=["GET", "PUT", "DELETE"], endpoint="c_lineitem")
@only("canvas")
def c_lineitem(course_id: int, item_id: int) -> Response:
    """Canvas line item."""
    return lineitem(course_id, item_id)


@bp.route(f"{C}/line_items/<int:item_id>/results", endpoint="c_results")
@only("canvas")
def c_results(course_id: int, item_id: int) -> Response:
    """Canvas results."""
    return results(course_id, item_id)


@bp.route(f"{C}/line_items/<int:item_id>/results/<int:result_id>", endpoint="c_result")
@only("canvas")
def c_result(course_id: int, item_id: int, result_id: int) -> Response:
    """One Canvas result."""
    course = _course(course_id)
    auth = _auth((v.SCOPE_RESULT_READONLY,), course)
    if isinstance(auth, Response):
        return auth
    li = _own_item(course, auth, item_id)
    if isinstance(li, Response):
        return li
    row = ops.result_row(session(), li, result_id)
    if row is None:
        return service_error(404, "Result not found.")
    body = g.flavour.results_json(iss(), course.id, auth.tool, li, [row])[0]
    return _json(body, "application/vnd.ims.lis.v2.result+json")


@bp.route(f"{C}/line_items/<int:item_id>/scores", methods=["POST"], endpoint="c_scores")
@only("canvas")
def c_scores(course_id: int, item_id: int) -> Response:
    """Canvas scores."""
    return scores(course_id, item_id)


@bp.route(f"{C}/names_and_roles", endpoint="c_memberships")
@only("canvas")
def c_memberships(course_id: int) -> Response:
    """Canvas names and roles."""
    return memberships(course_id)
