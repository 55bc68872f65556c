"""Moodle web services, REST protocol, as a real Moodle 4.5 answers them
(shared/lti/moodle-4.5/ws-*.json and shared/lti/README.md): errors with HTTP 200 and
``{"exception", "errorcode", "message"}``, capabilities checked per function, the rows of
activities whose ``mod/<type>:view`` the role lacks silently left out, no paging."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lti.sandbox.models import (
    Activity,
    ActivityCompletion,
    Course,
    Enrollment,
    LineItem,
    Platform,
    ResourceLink,
    Result,
    User,
    WsToken,
    as_utc,
)

# The functions this sandbox implements; a token's service holds some of them.
IMPLEMENTED = (
    "core_course_get_contents",
    "core_grades_get_gradeitems",
    "gradereport_user_get_grade_items",
    "core_completion_get_activities_completion_status",
    "core_completion_get_course_completion_status",
)
# Functions Moodle has but the sandbox does not serve: known (accessexception when not in the
# service), unlike a made-up name (invalidrecord).
KNOWN = (
    *IMPLEMENTED,
    "core_course_get_courses_by_field",
    "core_enrol_get_enrolled_users",
    "core_user_get_users_by_field",
    "core_webservice_get_site_info",
)
# Descriptions in English, as Moodle names a capability in its nopermissions message.
DESCRIPTIONS = {
    "webservice/rest:use": "Use REST protocol",
    "moodle/grade:viewall": "View grades of other users",
    "moodle/grade:view": "View own grades",
    "gradereport/user:view": "View your own complete grade report",
    "report/progress:view": "View activity completion reports",
}
LTI_CMID_BASE = 100000  # the tool's activities' cmids, apart from other activities'
COURSE_ITEM_BASE = 100000  # a course total's grade item id


class WsError(Exception):
    """An error Moodle answers with HTTP 200."""

    def __init__(self, exception: str, errorcode: str, message: str) -> None:
        super().__init__(message)
        self.body = {"exception": exception, "errorcode": errorcode, "message": message}


def _nopermission(capability: str) -> WsError:
    return WsError(
        "core\\exception\\required_capability_exception",
        "nopermissions",
        "Sorry, but you do not currently have permissions to do that "
        f"({DESCRIPTIONS.get(capability, capability)}).",
    )


def _invalid_parameter() -> WsError:
    return WsError(
        "core\\exception\\invalid_parameter_exception",
        "invalidparameter",
        "Invalid parameter value detected",
    )


def _int(params: Mapping[str, str], name: str) -> int:
    value = (params.get(name) or "").strip()
    if not value.lstrip("-").isdigit():
        raise _invalid_parameter()
    return int(value)


def _unix(moment: Any) -> int | None:
    return int(as_utc(moment).timestamp()) if moment is not None else None


class Call:
    """One web service call of one token."""

    def __init__(
        self, s: Session, platform: Platform, token: WsToken, params: Mapping[str, str], site: str
    ) -> None:
        self.s, self.platform, self.token, self.params = s, platform, token, params
        self.site = site  # the platform's address: Moodle's URLs are absolute
        self.caps = token.capabilities

    def require(self, capability: str) -> None:
        if capability not in self.caps:
            raise _nopermission(capability)

    def course(self, *, report: bool = False) -> Course:
        course_id = _int(self.params, "courseid")
        course = self.s.get(Course, course_id)
        if course is None or course.platform_id != self.platform.id:
            raise WsError(
                "dml_missing_record_exception",
                "invalidrecord",
                "Can't find data record in database table course.",
            )
        if "moodle/course:view" not in self.caps:
            if report:  # the grade report calls require_login itself
                raise WsError(
                    "core\\exception\\require_login_exception",
                    "requireloginerror",
                    "Course or activity not accessible.",
                )
            raise WsError(
                "core\\exception\\moodle_exception",
                "errorcoursecontextnotvalid",
                f"You cannot execute functions in the course context (course id:"
                f"{course.id}). The context error message was: Course or activity "
                "not accessible.",
            )
        return course

    def may_view(self, modname: str) -> bool:
        return f"mod/{modname}:view" in self.caps

    def activities(self, course: Course) -> list[Activity]:
        return list(
            self.s.scalars(
                select(Activity).where(Activity.course_id == course.id).order_by(Activity.id)
            )
        )

    def students(self, course: Course) -> list[User]:
        return list(
            self.s.scalars(
                select(User)
                .join(Enrollment, Enrollment.user_id == User.id)
                .where(
                    Enrollment.course_id == course.id,
                    Enrollment.role == "student",
                    Enrollment.status == "active",
                )
                .order_by(User.family_name, User.given_name, User.id)
            )
        )

    def student(self, course: Course, user_id: int, missing: str) -> User:
        user = self.s.get(User, user_id)
        if user is None or user.platform_id != self.platform.id:
            raise WsError("core\\exception\\moodle_exception", "invaliduser", "Invalid user")
        enrolled = self.s.scalar(
            select(Enrollment.role).where(
                Enrollment.course_id == course.id, Enrollment.user_id == user.id
            )
        )
        if enrolled != "student":
            raise WsError(
                "core\\exception\\moodle_exception", missing, "User is not enrolled in this course"
            )
        return user

    # ---- the functions -------------------------------------------------------------
    def core_course_get_contents(self) -> Any:
        course = self.course()
        base = self.site
        modules = [
            self._module(base, a.id, a.name, a.modname, a.completion)
            for a in self.activities(course)
        ]
        links = self.s.scalars(
            select(ResourceLink)
            .where(ResourceLink.course_id == course.id)
            .order_by(ResourceLink.id)
        )
        modules += [
            self._module(base, LTI_CMID_BASE + link.id, link.title, "lti", 0) for link in links
        ]
        return [
            {
                "id": course.id,
                "name": "General",
                "visible": 1,
                "summary": "",
                "summaryformat": 1,
                "section": 0,
                "hiddenbynumsections": 0,
                "uservisible": True,
                "component": None,
                "itemid": None,
                "modules": modules,
            }
        ]

    @staticmethod
    def _module(base: str, cmid: int, name: str, modname: str, completion: int) -> dict:
        return {
            "id": cmid,
            "url": f"{base}/mod/{modname}/view.php?id={cmid}",
            "name": name,
            "instance": cmid,
            "visible": 1,
            "uservisible": True,
            "visibleoncoursepage": 1,
            "modname": modname,
            "noviewlink": False,
            "completion": completion,
            "indent": 0,
            "dates": [],
            "groupmode": 0,
        }

    def core_grades_get_gradeitems(self) -> Any:
        course = self.course()
        items = self.s.scalars(
            select(LineItem).where(LineItem.course_id == course.id).order_by(LineItem.id)
        )
        return {
            "gradeItems": [
                {"id": str(li.id), "itemname": li.label, "category": course.title} for li in items
            ],
            "warnings": [],
        }

    def gradereport_user_get_grade_items(self) -> Any:
        course = self.course(report=True)
        user_id = _int(self.params, "userid")
        self.require("gradereport/user:view")
        self.require("moodle/grade:viewall")  # the caller is never the learner here
        users = (
            self.students(course)
            if user_id == 0
            else [self.student(course, user_id, "notenrolled")]
        )
        items = list(
            self.s.scalars(
                select(LineItem).where(LineItem.course_id == course.id).order_by(LineItem.id)
            )
        )
        kinds = self._item_kinds(course, items)
        results = (
            {
                (r.line_item_id, r.user_id): r
                for r in self.s.scalars(
                    select(Result).where(
                        Result.line_item_id.in_([li.id for li in items]),
                        Result.user_id.in_([u.id for u in users]),
                    )
                )
            }
            if users
            else {}
        )
        usergrades = []
        for user in users:
            rows, total, top, latest = [], 0.0, 0.0, None
            for li in items:
                r = results.get((li.id, user.id))
                raw = r.score_given if r is not None else None
                if raw is not None:  # Natural aggregation counts only graded items
                    total, top = total + raw, top + li.score_maximum
                    assert r is not None  # graded
                    latest = max(filter(None, (latest, _unix(r.timestamp))))
                itemtype, module, cmid = kinds[li.id]
                if module and not self.may_view(module):
                    continue  # Moodle leaves it out without a word; the total still counts it
                rows.append(
                    self._row(
                        li.id,
                        li.label,
                        itemtype,
                        module,
                        cmid,
                        raw,
                        li.score_maximum,
                        _unix(r.timestamp) if r else None,
                    )
                )
            graded = top > 0
            rows.append(
                self._row(
                    COURSE_ITEM_BASE + course.id,
                    None,
                    "course",
                    None,
                    None,
                    total if graded else None,
                    top if graded else sum(li.score_maximum for li in items),
                    latest,
                )
            )
            usergrades.append(
                {
                    "courseid": course.id,
                    "courseidnumber": "",
                    "userid": user.id,
                    "userfullname": user.name,
                    "useridnumber": "",
                    "maxdepth": 2,
                    "gradeitems": rows,
                }
            )
        return {"usergrades": usergrades, "warnings": []}

    def _item_kinds(
        self, course: Course, items: list[LineItem]
    ) -> dict[int, tuple[str, str | None, int | None]]:
        by_item = {a.line_item_id: a for a in self.activities(course) if a.line_item_id}
        kinds: dict[int, tuple[str, str | None, int | None]] = {}
        for li in items:
            activity = by_item.get(li.id)
            if activity is not None:
                kinds[li.id] = ("mod", activity.modname, activity.id)
            elif li.tool_id is not None and li.resource_link_id is not None:
                kinds[li.id] = ("mod", "lti", LTI_CMID_BASE + li.resource_link_id)
            else:
                kinds[li.id] = ("manual", None, None)  # a teacher's or an AGS-made column
        return kinds

    @staticmethod
    def _row(
        item_id: int,
        name: str | None,
        itemtype: str,
        module: str | None,
        cmid: int | None,
        raw: float | None,
        maximum: float,
        graded_at: int | None,
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": item_id,
            "itemname": name,
            "itemtype": itemtype,
            "itemmodule": module,
            "iteminstance": cmid,
            "itemnumber": 0,
            "idnumber": None,
            "categoryid": 1,
            "outcomeid": None,
            "scaleid": None,
            "locked": False,
        }
        if cmid is not None:
            row["cmid"] = cmid
        if raw is None:
            row["status"] = "novalue"
        row.update(
            {
                "graderaw": raw,
                "gradedatesubmitted": None,
                "gradedategraded": graded_at if raw is not None else None,
                "gradehiddenbydate": False,
                "gradeneedsupdate": False,
                "gradeishidden": False,
                "gradeislocked": False,
                "gradeisoverridden": False,
                "gradeformatted": f"{raw:.2f}" if raw is not None else "-",
                "grademin": 0,
                "grademax": maximum,
                "rangeformatted": f"0&ndash;{maximum:g}",
                "percentageformatted": f"{raw / maximum * 100:.2f} %"
                if raw is not None and maximum
                else "-",
                "feedback": "",
                "feedbackformat": 2,
            }
        )
        return row

    def _states(self, activities: list[Activity], user: User) -> dict[int, ActivityCompletion]:
        return {
            c.activity_id: c
            for c in self.s.scalars(
                select(ActivityCompletion).where(
                    ActivityCompletion.user_id == user.id,
                    ActivityCompletion.activity_id.in_([a.id for a in activities]),
                )
            )
        }

    def core_completion_get_activities_completion_status(self) -> Any:
        course = self.course()
        user_id = _int(self.params, "userid")
        user = self.s.get(User, user_id)
        if user is None or user.platform_id != self.platform.id:
            raise WsError("core\\exception\\moodle_exception", "invaliduser", "Invalid user")
        self.require("report/progress:view")
        tracked = [a for a in self.activities(course) if a.completion and self.may_view(a.modname)]
        states = self._states(tracked, user)
        statuses = []
        for a in tracked:
            c = states.get(a.id)
            state = c.state if c else 0
            statuses.append(
                {
                    "cmid": a.id,
                    "modname": a.modname,
                    "instance": a.id,
                    "state": state,
                    "timecompleted": _unix(c.time_completed) if c and c.time_completed else 0,
                    "tracking": a.completion,
                    "overrideby": None,
                    "valueused": False,
                    "hascompletion": True,
                    "isautomatic": a.completion == 2,
                    "istrackeduser": True,
                    "uservisible": True,
                    "details": [],
                    "isoverallcomplete": state in (1, 2),
                }
            )
        return {"statuses": statuses, "warnings": []}

    def core_completion_get_course_completion_status(self) -> Any:
        course = self.course()
        user_id = _int(self.params, "userid")
        if "report/completion:view" not in self.caps:
            raise WsError(
                "core\\exception\\moodle_exception",
                "cannotviewreport",
                "You cannot view this report",
            )
        user = self.student(course, user_id, "usernotenroled")
        criteria = [a for a in self.activities(course) if a.course_criterion]
        if not criteria:
            raise WsError(
                "core\\exception\\moodle_exception",
                "nocriteriaset",
                "No criteria set for this course",
            )
        states = self._states(criteria, user)
        completions = []
        for a in criteria:
            c = states.get(a.id)
            done = bool(c and c.state in (1, 2))
            completions.append(
                {
                    "type": 4,
                    "title": "Activity completion",
                    "status": "Yes" if done else "No",
                    "complete": done,
                    "timecompleted": _unix(c.time_completed) if c and done else None,
                    "details": {
                        "type": "Activity completion",
                        "criteria": f'<a href="{self.site}/mod/{a.modname}/view.php'
                        f'?id={a.id}">'
                        f"{a.name}</a>",
                        "requirement": "Marking yourself complete",
                        "status": "",
                    },
                }
            )
        return {
            "completionstatus": {
                "completed": all(c["complete"] for c in completions),
                "aggregation": 1,
                "completions": completions,
            },
            "warnings": [],
        }


def answer(s: Session, platform: Platform, params: Mapping[str, str], site: str) -> Any:
    """The JSON body of one call (errors included) on the platform at ``site``. The caller
    has checked that web services and REST are on."""
    token = s.get(WsToken, params.get("wstoken") or "")
    try:
        if token is None or token.platform_id != platform.id:
            raise WsError(
                "core\\exception\\moodle_exception",
                "invalidtoken",
                "Invalid token - token not found",
            )
        if token.suspended:
            raise WsError(
                "core\\exception\\moodle_exception",
                "wsaccessusersuspended",
                "Refused web service access for suspended username: wsbadges",
            )
        function = params.get("wsfunction") or ""
        if function not in KNOWN:
            raise WsError(
                "dml_missing_record_exception",
                "invalidrecord",
                "Can't find data record in database table external_functions.",
            )
        if function not in token.functions:
            raise WsError(
                "webservice_access_exception", "accessexception", "Access control exception"
            )
        call = Call(s, platform, token, params, site)
        call.require("webservice/rest:use")
        handler: Callable[[], Any] | None = getattr(call, function, None)
        if function not in IMPLEMENTED or handler is None:
            raise WsError(
                "dml_missing_record_exception",
                "invalidrecord",
                "Can't find data record in database table external_functions.",
            )
        return handler()
    except WsError as exc:
        return exc.body
