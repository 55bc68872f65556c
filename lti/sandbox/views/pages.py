"""The pages a person clicks: index, course (with the tool in an iframe), gradebook, and the
Canvas-style postMessage storage frame."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as cookie,
)
from sqlalchemy import func, select
from werkzeug.wrappers import Response as BaseResponse  # what redirect() returns

from lti.sandbox import launch as launches
from lti.sandbox import operations as ops
from lti.sandbox import vocab as v
from lti.sandbox.db import session
from lti.sandbox.models import Course, Enrollment, LineItem, Platform, Result, Tool, User
from lti.sandbox.views.common import bp, iss

root = Blueprint("sandbox_root", __name__)

# A 1x1 grey PNG: the default avatar Canvas links as ``picture``.
AVATAR = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763"
    "e8e8e800000304018165a7a60000000049454e44ae426082"
)


@root.route("/")
def index() -> str:
    """Every platform, its courses, and people to launch as."""
    s = session()
    platforms = list(s.scalars(select(Platform).order_by(Platform.id)))
    listing = []
    for p in platforms:
        courses = []
        for c in s.scalars(select(Course).where(Course.platform_id == p.id).order_by(Course.id)):
            staff = s.execute(
                select(Enrollment.role, User.login, User.given_name, User.family_name)
                .join(User, User.id == Enrollment.user_id)
                .where(Enrollment.course_id == c.id, Enrollment.role.in_(("teacher", "ta")))
                .order_by(Enrollment.id)
            ).all()
            learners = s.execute(
                select(User.login, User.given_name, User.family_name)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(Enrollment.course_id == c.id, Enrollment.role == "student")
                .order_by(User.id)
                .limit(5)
            ).all()
            count = s.scalar(
                select(func.count())
                .select_from(Enrollment)
                .where(Enrollment.course_id == c.id, Enrollment.role == "student")
            )
            courses.append({"course": c, "staff": staff, "learners": learners, "count": count})
        listing.append({"platform": p, "courses": courses, "tools": ops.tools_of(s, p)})
    return render_template("sandbox/index.html", listing=listing)


def _course_or_404(course_id: int) -> Course:
    course = session().get(Course, course_id)
    if course is None or course.platform_id != g.platform.id:
        abort(404)
    return course


def _current_user(course: Course) -> tuple[User | None, Enrollment | None]:
    """``?as=<login>`` logs in as that user (a first-party cookie: the sandbox is the top site)."""
    s = session()
    key = f"as:{g.platform.slug}"
    if request.args.get("as"):
        user = ops.find_user(s, g.platform, request.args["as"])
        if user is None:
            abort(404, description=f"No user {request.args['as']!r}")
        cookie[key] = user.id
    user = s.get(User, cookie[key]) if cookie.get(key) else None
    return user, (ops.enrollment_of(s, course, user) if user else None)


@bp.route("/course/<int:course_id>")
def course_page(course_id: int) -> str:
    """The course: its tool links; ``link=<id>`` opens one in an iframe, ``dl=1`` opens the
    tool's deep linking (adding content) as the teacher."""
    s = session()
    course = _course_or_404(course_id)
    user, enrolment = _current_user(course)
    links = ops.links_of(s, course)
    tools = ops.tools_of(s, g.platform)
    frame_src = None
    opened = None
    if user is not None and enrolment is not None:
        link_id = request.args.get("link", type=int)
        if link_id:
            opened = next((rl for rl in links if rl.id == link_id), None)
            if opened is None:
                abort(404)
            hint = launches.message_hint(g.platform, opened.tool, course, user, opened)
            frame_src = url_for("sandbox.initiate", hint=hint)
        elif request.args.get("dl") and enrolment.role in ("teacher", "ta"):
            tool_id = request.args.get("tool", type=int) or (tools[0].id if tools else None)
            tool = s.get(Tool, tool_id) if tool_id else None
            if tool is None or tool.platform_id != g.platform.id:
                abort(404)
            placement = request.args.get("placement") if g.platform.flavour == "canvas" else None
            if placement and placement not in v.CANVAS_DL_PLACEMENTS:
                abort(400, description="Unknown placement")
            hint = launches.message_hint(
                g.platform, tool, course, user, None, v.MSG_DEEP_LINKING, placement=placement
            )
            frame_src = url_for("sandbox.initiate", hint=hint)
    people = s.execute(
        select(User.login, User.given_name, User.family_name, Enrollment.role)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id)
        .order_by(Enrollment.id)
        .limit(8)
    ).all()
    return render_template(
        "sandbox/course.html",
        platform=g.platform,
        course=course,
        user=user,
        enrolment=enrolment,
        links=links,
        tools=tools,
        frame_src=frame_src,
        opened=opened,
        people=people,
        placements=sorted(v.CANVAS_DL_PLACEMENTS),
        languages=PROFILE_LANGUAGES[g.platform.flavour],
        storage_frame=g.platform.flavour == "canvas",
    )


# The languages a user can pick in their profile, spelled as each LMS sends them (Moodle's
# language pack codes; Canvas's BCP 47 locales). Japanese: a language the tool does not ship.
PROFILE_LANGUAGES = {
    "moodle": ("en", "es", "fr", "de", "pt_br", "ar", "ja"),
    "canvas": ("en", "es", "fr", "de", "pt-BR", "ar", "ja"),
}


@bp.post("/course/<int:course_id>/language")
def set_language(course_id: int) -> BaseResponse:
    """The logged-in user's preferred language (Moodle: profile "Preferred language"; Canvas:
    account settings "Language"): their next launches carry it as the locale."""
    course = _course_or_404(course_id)
    user, _enrolment = _current_user(course)
    lang = request.form.get("lang", "")
    if user is None or lang not in PROFILE_LANGUAGES[g.platform.flavour]:
        abort(400, description="Choose a user and one of the offered languages")
    user.lang = lang
    session().commit()
    return redirect(url_for("sandbox.course_page", course_id=course.id), 303)


GRADEBOOK_PAGE = 50


@bp.route("/course/<int:course_id>/gradebook", methods=["GET", "POST"])
def gradebook(course_id: int) -> Any:
    """Every learner x every column; a teacher sets any grade (an override) or adds a column."""
    s = session()
    course = _course_or_404(course_id)
    user, enrolment = _current_user(course)
    if enrolment is None or enrolment.role not in ("teacher", "ta"):
        return render_template(
            "sandbox/error.html",
            title="Gradebook",
            message="Open the gradebook as the course's teacher or TA (add ?as=teacher1).",
        ), 403
    message = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "grade":
            li = s.get(LineItem, request.form.get("line_item", type=int) or 0)
            learner = ops.find_user(s, g.platform, request.form.get("learner", "").strip())
            raw = request.form.get("score", "").strip()
            if (
                li is None
                or li.course_id != course.id
                or learner is None
                or ops.enrollment_of(s, course, learner) is None
            ):
                message = "Choose a column and a learner of this course."
            else:
                try:
                    points = float(raw) if raw else None
                except ValueError:
                    points = None
                    message = "The score must be a number."
                if message is None:
                    ops.teacher_grade(
                        s,
                        g.platform.flavour,
                        li,
                        learner,
                        points,
                        request.form.get("comment") or None,
                    )
                    s.commit()
                    message = f"Saved {learner.name}'s grade in {li.label}."
        elif action == "add_column":
            label = request.form.get("label", "").strip()
            maximum = request.form.get("maximum", type=float)
            if not label or not maximum or maximum <= 0:
                message = "A column needs a label and a maximum above 0."
            else:
                tool = s.get(Tool, request.form.get("tool", type=int) or 0)
                link = None
                if tool is not None and tool.platform_id == g.platform.id:
                    # A graded activity / assignment of the tool: its column comes with it.
                    link = ops.add_resource_link(s, course, tool, label)
                else:
                    tool = None
                ops.add_line_item(
                    s, course, tool, label, maximum, resource_link=link, coupled=tool is not None
                )
                s.commit()
                message = f"Added column {label}."
        if message and request.headers.get("Accept", "").startswith("application/json"):
            return {"message": message}
        return redirect(
            url_for(
                "sandbox.gradebook",
                course_id=course.id,
                page=request.args.get("page", 1),
                msg=message,
            )
        )
    page = max(request.args.get("page", 1, type=int), 1)
    items = ops.course_line_items(s, course)
    rows, total = ops.members_page(
        s, course, "canvas", {"student"}, (page - 1) * GRADEBOOK_PAGE, GRADEBOOK_PAGE
    )
    ids = [u.id for _e, u in rows]
    grades: dict[tuple[int, int], Result] = {}
    if ids and items:
        for r in s.scalars(
            select(Result).where(
                Result.user_id.in_(ids), Result.line_item_id.in_([i.id for i in items])
            )
        ):
            grades[(r.user_id, r.line_item_id)] = r
    return render_template(
        "sandbox/gradebook.html",
        platform=g.platform,
        course=course,
        user=user,
        items=items,
        rows=rows,
        grades=grades,
        page=page,
        pages=max((total + GRADEBOOK_PAGE - 1) // GRADEBOOK_PAGE, 1),
        tools=ops.tools_of(s, g.platform),
        message=request.args.get("msg"),
        flavour=g.platform.flavour,
    )


@bp.route("/post_message_forwarding")
def post_message_forwarding() -> str:
    """The hidden frame that answers lti.put_data / lti.get_data / lti.capabilities."""
    return render_template("sandbox/post_message_forwarding.html")


@bp.route("/mod/lti/return.php")
def moodle_return() -> BaseResponse:
    """Moodle's launch_presentation.return_url: back to the course."""
    return redirect(
        url_for("sandbox.course_page", course_id=request.args.get("course", 0, type=int))
    )


@bp.route("/images/messages/avatar-50.png")
def avatar() -> Response:
    """The default avatar Canvas names in ``picture``."""
    return Response(AVATAR, mimetype="image/png")


@bp.route("/")
def platform_home() -> BaseResponse:
    """The platform's home: the index, scrolled to it."""
    return redirect(url_for("sandbox_root.index") + f"#{g.platform.slug}")


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"issuer": iss if "platform" in g else None}
