"""Moodle web services (REST protocol, JSON): grade items, every learner's grades, activity
and course completion of one course, as a :class:`~app.connectors.base.GradebookSource`.

How a real Moodle 4.5 answers is in shared/lti/moodle-4.5/ws-*.json and shared/lti/README.md:
errors come with HTTP 200 and an ``errorcode`` (matched here, never the exception name); web
services or REST off answers 403 with an empty HTML body; a role without ``mod/<type>:view``
gets no error but that activity's rows are silently left out (detected here against
``core_grades_get_gradeitems`` and reported as a warning naming the capability); the course
total's ``grademax`` differs per learner; nothing pages.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from app import outbound
from app.connectors.base import ConnectorError, GradebookRead, NativeColumn, NativeGrade
from app.i18n import translatable

log = logging.getLogger(__name__)

ENDPOINT = "/webservice/rest/server.php"
# The service's functions (README "Moodle"): an admin adds exactly these to the service.
FUNCTIONS = (
    "core_course_get_contents",
    "core_grades_get_gradeitems",
    "gradereport_user_get_grade_items",
    "core_completion_get_activities_completion_status",
    "core_completion_get_course_completion_status",
)
# Moodle names a missing capability by its description in the site's language ("View grades
# of other users"); the English descriptions of those the functions check, to name it back.
CAPABILITY_BY_DESCRIPTION = {
    "View grades of other users": "moodle/grade:viewall",
    "View own grades": "moodle/grade:view",
    "View hidden grades for owner": "moodle/grade:viewhidden",
    "View your own complete grade report": "gradereport/user:view",
    "View courses without participation": "moodle/course:view",
    "View course completion report": "report/completion:view",
    "View activity completion reports": "report/progress:view",
    "Use REST protocol": "webservice/rest:use",
    "View participants": "moodle/course:viewparticipants",
    "View hidden courses": "moodle/course:viewhiddencourses",
    "View hidden activities": "moodle/course:viewhiddenactivities",
    "Access all groups": "moodle/site:accessallgroups",
}
# Per-learner answers that only mean "not one of the graded learners": skip that learner.
_SKIP_LEARNER = {"invaliduser", "usernotenroled"}
# Course completion that cannot be read because the course has none set up.
_NO_COURSE_COMPLETION = {"nocriteriaset", "completionnotenabled"}
# An AGS line item URL of Moodle: ``…/services.php/<course>/lineitems/<grade item>/lineitem``.
_LINEITEM = re.compile(r"/lineitems/(\d+)/lineitem(?:[?/]|$)")
_SAFE_TEXT = re.compile(r"^[\w ,.'/:-]{1,100}$")

FETCH_THREADS = 4  # per-learner calls at once: they wait on Moodle, not on us
TOTAL_KEY = "moodle:course-total"
COURSE_COMPLETION_KEY = "moodle:course-completion"
COMPLETE_STATES = (1, 2)  # complete, complete with a pass grade (3 is complete-but-failed)


class MoodleError(ConnectorError):
    """An error Moodle answered (HTTP 200 with an ``errorcode``)."""

    def __init__(self, message: str, errorcode: str) -> None:
        super().__init__(message)
        self.errorcode = errorcode


def _when(unix: Any) -> datetime | None:
    try:
        value = int(unix)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(value, UTC) if value > 0 else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class MoodleClient:
    """Calls Moodle's REST server with a web-service token, through the guarded client."""

    def __init__(self, base_url: str, token: str, http: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).hostname or self.base_url
        self.token = token
        self.http = http or outbound.session()

    def copy(self) -> MoodleClient:
        """Another client of the same site and token, with its own session (one per thread:
        a requests session is not shared across threads)."""
        return MoodleClient(self.base_url, self.token)

    def call(self, function: str, **params: Any) -> Any:
        """One function's answer (parsed JSON); raises :class:`ConnectorError` with a
        sentence saying what to fix in Moodle."""
        data = {
            "wstoken": self.token,
            "wsfunction": function,
            "moodlewsrestformat": "json",
            **{k: str(v) for k, v in params.items()},
        }
        try:
            response = self.http.post(self.base_url + ENDPOINT, data=data)
        except outbound.OutboundRefused as exc:
            raise ConnectorError(
                translatable(
                    "Badgebridge may not connect to the Moodle site: %(exc)s. Check the site URL"
                    " in the console.",
                    exc=exc,
                )
            ) from exc
        except requests.RequestException as exc:
            log.warning("moodle %s %s: %s", self.host, function, type(exc).__name__)
            raise ConnectorError(
                translatable(
                    "The Moodle site %(host)s did not answer (%(error)s); Badgebridge tries"
                    " again later.",
                    host=self.host,
                    error=type(exc).__name__,
                ),
                retryable=True,
            ) from exc
        if response.status_code == 403 and not response.content.strip():
            raise ConnectorError(
                translatable(
                    "The Moodle site %(host)s refuses web service calls: web services or the"
                    " REST protocol are off. In Moodle, turn on Site administration > General >"
                    " Advanced features > Enable web services, and enable REST under Site"
                    " administration > Server > Web services > Manage protocols.",
                    host=self.host,
                )
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise ConnectorError(
                translatable(
                    "The Moodle site %(host)s failed (%(answer)s); Badgebridge tries again later.",
                    host=self.host,
                    answer=outbound.describe(response),
                ),
                retryable=True,
            )
        if response.status_code != 200:
            raise ConnectorError(
                translatable(
                    "The Moodle site %(host)s answered %(answer)s to %(function)s: is the site"
                    " URL in the console Moodle's own address?",
                    host=self.host,
                    answer=outbound.describe(response),
                    function=function,
                )
            )
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(
                translatable(
                    "The Moodle site %(host)s answered %(function)s with %(answer)s, not JSON:"
                    " is the site URL in the console Moodle's own address?",
                    host=self.host,
                    function=function,
                    answer=outbound.describe(response),
                )
            ) from None
        if isinstance(body, dict) and "errorcode" in body and "exception" in body:
            code = str(body.get("errorcode"))
            # Expected answers (a course without completion, a learner to skip) come once per
            # learner: not worth a line each.
            level = logging.DEBUG if code in _NO_COURSE_COMPLETION | _SKIP_LEARNER else logging.INFO
            log.log(level, "moodle %s %s: errorcode %s", self.host, function, code)
            raise MoodleError(explain(code, function, str(body.get("message") or ""), params), code)
        return body


def explain(code: str, function: str, message: str, params: dict[str, Any]) -> str:
    """The sentence for a Moodle ``errorcode``: what is missing and where to fix it."""
    course = params.get("courseid", "")
    if code == "invalidtoken":
        return translatable(
            "Moodle does not know the connector's token (deleted or mistyped). Create a token"
            " for the web service user (Site administration > Server > Web services > Manage"
            " tokens) and paste it in the Badgebridge console."
        )
    if code == "accessexception":
        return translatable(
            "Moodle refused the function %(function)s: add it to the Badgebridge external"
            " service, check that the service is enabled and that the web service user is one"
            " of its authorised users (Site administration > Server > Web services > External"
            " services).",
            function=function,
        )
    if code == "nopermissions":
        described = re.search(r"\(([^()]*)\)\.?\s*$", message)
        text = described.group(1).strip() if described else ""
        capability = CAPABILITY_BY_DESCRIPTION.get(text)
        if capability:
            what = translatable(
                "the capability %(capability)s (%(text)s)", capability=capability, text=text
            )
        elif _SAFE_TEXT.match(text):
            what = translatable("a capability Moodle describes as \u201c%(text)s\u201d", text=text)
        else:
            what = translatable("a capability")
        return translatable(
            "The web service user's role lacks %(what)s, needed by %(function)s. Allow it in the"
            " role assigned to that user at system level (Site administration > Users >"
            " Permissions > Define roles).",
            what=what,
            function=function,
        )
    if code in ("errorcoursecontextnotvalid", "requireloginerror"):
        return translatable(
            "The web service user cannot enter Moodle course %(course)s: allow"
            " moodle/course:view (View courses without participation) in its system role.",
            course=course,
        )
    if code == "cannotviewreport":
        return translatable(
            "The web service user may not read course completion: allow"
            " report/completion:view (View course completion report) in its system role."
        )
    if code == "wsaccessusersuspended":
        return translatable(
            "The Moodle web service user is suspended: unsuspend it (Site administration >"
            " Users > Browse list of users)."
        )
    if code == "invalidrecord":
        return translatable(
            "Moodle has no course %(course)s, or no function %(function)s (a Moodle older than"
            " 4.1?). Launch the tool from the course again; check the Moodle version.",
            course=course,
            function=function,
        )
    if code == "invalidparameter":
        return translatable(
            "Moodle refused the parameters of %(function)s (course %(course)s): the launch's"
            " context id is not a Moodle course id.",
            function=function,
            course=repr(course),
        )
    return translatable(
        "Moodle answered %(function)s with the error %(code)s. Check the web service set-up in"
        " the Badgebridge README (Moodle).",
        function=function,
        code=repr(code),
    )


class MoodleSource:
    """A Moodle course's gradebook and completion through web services."""

    kind = "moodle"

    def __init__(self, client: MoodleClient) -> None:
        self.client = client

    def key_of_lineitem(self, lineitem_url: str) -> str | None:
        """Moodle's AGS line item id is the grade item's id."""
        found = _LINEITEM.search(lineitem_url)
        return f"moodle:gradeitem:{found.group(1)}" if found else None

    def course_ref(self, lti_context_id: str, lms_course_id: str | None) -> str:
        """The Moodle course id: the ``course_id=$Context.id`` custom parameter when the
        launch carried it, else the context id (Moodle's ``context.id`` is the course id)."""
        return lms_course_id or lti_context_id

    def read(self, course_ref: str) -> GradebookRead:
        """Grade items with every learner's grade, then activity and course completion."""
        if not str(course_ref).isdigit():
            raise ConnectorError(
                translatable(
                    "The course's LTI context id %(ref)s is not a Moodle course id, so its"
                    " gradebook cannot be read.",
                    ref=repr(course_ref),
                )
            )
        course = int(course_ref)
        modules = {
            m["id"]: m
            for section in self.client.call("core_course_get_contents", courseid=course)
            for m in section.get("modules") or []
            if isinstance(m, dict) and "id" in m
        }
        listed = self.client.call("core_grades_get_gradeitems", courseid=course)
        report = self.client.call("gradereport_user_get_grade_items", courseid=course, userid=0)
        out = GradebookRead()
        learners = self._grades(report, out)
        self._missing_rows(listed, report, modules, out)
        self._activity_completion(course, modules, learners, out)
        self._course_completion(course, learners, out)
        return out

    def _grades(self, report: dict[str, Any], out: GradebookRead) -> list[int]:
        columns: dict[str, NativeColumn] = {}
        learners = []
        for user in report.get("usergrades") or []:
            learners.append(int(user["userid"]))
            for row in user.get("gradeitems") or []:
                if row.get("itemtype") == "course":
                    # Moodle's default aggregation counts only graded items, so the course
                    # total's maximum is each learner's own: the column has none.
                    key, label, top, kind = TOTAL_KEY, "Course total", None, "course_total"
                elif row.get("itemtype") in ("mod", "manual"):
                    key, kind = f"moodle:gradeitem:{row['id']}", "score"
                    label, top = (
                        str(row.get("itemname") or f"Grade item {row['id']}"),
                        _number(row.get("grademax")),
                    )
                else:
                    continue  # category totals: not a column an instructor names
                columns.setdefault(key, NativeColumn(key, label, top, kind))
                out.grades.append(
                    NativeGrade(
                        key,
                        str(user["userid"]),
                        _number(row.get("graderaw")),
                        _number(row.get("grademax")),
                        _when(row.get("gradedategraded")),
                    )
                )
        out.columns.extend(columns.values())
        return learners

    def _missing_rows(
        self,
        listed: dict[str, Any],
        report: dict[str, Any],
        modules: dict[int, dict[str, Any]],
        out: GradebookRead,
    ) -> None:
        if not report.get("usergrades"):
            return  # nobody graded: nothing to compare
        seen = {
            str(row.get("id"))
            for user in report["usergrades"]
            for row in user.get("gradeitems") or []
        }
        names = {
            str(item.get("id")): str(item.get("itemname") or "")
            for item in listed.get("gradeItems") or []
        }
        missing = [name for item_id, name in names.items() if item_id not in seen]
        if not missing:
            return
        types = sorted(
            {
                m["modname"]
                for m in modules.values()
                if m.get("name") in missing and m.get("modname")
            }
        )
        capabilities = ", ".join(f"mod/{t}:view" for t in types) or "mod/<type>:view"
        out.warnings.append(
            translatable(
                "Moodle left %(count)d grade column(s) out of the grade report without an error"
                " (for example \u201c%(example)s\u201d): the web service user's role lacks"
                " %(capabilities)s. Allow it at system level to read those columns.",
                count=len(missing),
                example=missing[0][:80],
                capabilities=capabilities,
            )
        )

    def _each_learner(
        self, function: str, course: int, learners: list[int]
    ) -> list[tuple[int, Any]]:
        """``function`` for every learner (Moodle has no all-learners form of it): several
        at a time, each thread with its own client. Answers are an answer or a MoodleError,
        in the learners' order; other errors propagate."""
        threads = min(FETCH_THREADS, len(learners))
        clients = [self.client] if threads <= 1 else [self.client.copy() for _ in range(threads)]

        def run(part: tuple[MoodleClient, list[int]]) -> list[tuple[int, Any]]:
            client, users = part
            out: list[tuple[int, Any]] = []
            for user_id in users:
                try:
                    out.append((user_id, client.call(function, courseid=course, userid=user_id)))
                except MoodleError as exc:
                    out.append((user_id, exc))
            return out

        parts = [(client, learners[i :: len(clients)]) for i, client in enumerate(clients)]
        if len(parts) == 1:
            answers = run(parts[0])
        else:
            with ThreadPoolExecutor(len(parts)) as pool:
                answers = [a for chunk in pool.map(run, parts) for a in chunk]
        order = {user_id: i for i, user_id in enumerate(learners)}
        return sorted(answers, key=lambda pair: order[pair[0]])

    def _activity_completion(
        self,
        course: int,
        modules: dict[int, dict[str, Any]],
        learners: list[int],
        out: GradebookRead,
    ) -> None:
        tracked = {cmid: m for cmid, m in modules.items() if m.get("completion")}
        if not tracked:
            return
        seen: set[int] = set()
        for user_id, answer in self._each_learner(
            "core_completion_get_activities_completion_status", course, learners
        ):
            if isinstance(answer, MoodleError):
                if answer.errorcode in _SKIP_LEARNER:
                    continue
                raise answer
            for status in answer.get("statuses") or []:
                cmid = int(status["cmid"])
                if cmid not in tracked:
                    continue
                seen.add(cmid)
                done = status.get("state") in COMPLETE_STATES
                out.grades.append(
                    NativeGrade(
                        f"moodle:completion:{cmid}",
                        str(user_id),
                        100.0 if done else 0.0,
                        100.0,
                        _when(status.get("timecompleted")) if done else None,
                    )
                )
        for cmid in sorted(seen):
            out.columns.append(
                NativeColumn(
                    f"moodle:completion:{cmid}",
                    f"{tracked[cmid].get('name')} (completed)",
                    100.0,
                    "activity_completion",
                )
            )
        hidden = sorted({str(m.get("modname")) for cmid, m in tracked.items() if cmid not in seen})
        if learners and hidden:
            out.warnings.append(
                translatable(
                    "Moodle gave no completion status for some activities with completion"
                    " tracking: the web service user's role lacks %(capabilities)s. Allow it at"
                    " system level.",
                    capabilities=", ".join(f"mod/{t}:view" for t in hidden),
                )
            )

    def _course_completion(self, course: int, learners: list[int], out: GradebookRead) -> None:
        found = False
        for user_id, answer in self._each_learner(
            "core_completion_get_course_completion_status", course, learners
        ):
            if isinstance(answer, MoodleError):
                if answer.errorcode in _NO_COURSE_COMPLETION:
                    return  # the course has no completion criteria: no such column
                if answer.errorcode in _SKIP_LEARNER:
                    continue
                raise answer
            status = answer.get("completionstatus") or {}
            done = status.get("completed") is True
            times = [
                c.get("timecompleted")
                for c in status.get("completions") or []
                if c.get("timecompleted")
            ]
            out.grades.append(
                NativeGrade(
                    COURSE_COMPLETION_KEY,
                    str(user_id),
                    100.0 if done else 0.0,
                    100.0,
                    _when(max(times)) if done and times else None,
                )
            )
            found = True
        if found:
            out.columns.append(
                NativeColumn(COURSE_COMPLETION_KEY, "Course completion", 100.0, "course_completion")
            )
