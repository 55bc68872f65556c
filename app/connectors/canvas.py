"""The Canvas REST API as a :class:`~app.connectors.base.GradebookSource`: assignments, every
student's submissions and each student's course score, with an API token of a teacher or admin.

Canvas pages every list (``per_page`` at most 100, a ``Link`` header whose ``rel="next"`` is
followed), and throttles each token with a leaky bucket: every answer says
``X-Rate-Limit-Remaining``, and a dry bucket answers 403 "Rate Limit Exceeded". The client
slows down when the bucket runs low, waits and retries on a 403 throttle, and hands the job a
retryable error (with a wait) when the throttle does not lift. The course is named by the
launch's context id (``lti_context_id:`` ids, Canvas's documented alternative ids) and each
learner's Canvas id is found from their LTI ``sub`` (``lti_1_3_id:``), kept in the cache.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from flask import current_app

from app import outbound
from app.connectors.base import ConnectorError, GradebookRead, NativeColumn, NativeGrade
from app.connectors.canvas_oauth import REAUTHORIZE, AccessTokens, AuthorizationNeeded
from app.extensions import cache
from app.i18n import translatable

log = logging.getLogger(__name__)

PER_PAGE = 100  # Canvas's maximum
LOW_WATER = 50.0  # below this many units left, pause before the next request
THROTTLE_RETRIES = 5
TOTAL_KEY = "canvas:course-total"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)
FETCH_THREADS = 4  # per-student calls at once: they wait on Canvas, not on us
USER_ID_TTL = 24 * 3600  # a learner's Canvas id never changes; re-read once a day


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class CanvasClient:
    """GETs of the Canvas API with a bearer token, through the guarded client."""

    def __init__(
        self,
        base_url: str,
        tokens: AccessTokens,
        http: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pause: float = 1.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base_url))
        self.host = urlsplit(self.base_url).hostname or self.base_url
        self.http = http or outbound.session()
        self.tokens = tokens
        self.token: str | None = None  # the access token in use, read on the first request
        self.sleep, self.pause = sleep, pause  # pause: seconds of the first back-off
        self.remaining: float | None = None

    def _get(
        self, url: str, params: Any = None, missing_ok: bool = False
    ) -> requests.Response | None:
        refreshed = False
        for attempt in range(THROTTLE_RETRIES + 1):
            if self.remaining is not None and self.remaining < LOW_WATER:
                self.sleep(self.pause)  # let the bucket leak before spending more
            if self.token is None:
                self.token = self.tokens.current()
            try:
                response = self.http.get(
                    url, params=params, headers={"Authorization": f"Bearer {self.token}"}
                )
            except outbound.OutboundRefused as exc:
                raise ConnectorError(
                    translatable(
                        "Badgebridge may not connect to Canvas: %(exc)s. Check the site URL in"
                        " the console.",
                        exc=exc,
                    )
                ) from exc
            except requests.RequestException as exc:
                raise ConnectorError(
                    translatable(
                        "Canvas at %(host)s did not answer (%(error)s); Badgebridge tries again"
                        " later.",
                        host=self.host,
                        error=type(exc).__name__,
                    ),
                    retryable=True,
                ) from exc
            remaining = response.headers.get("X-Rate-Limit-Remaining")
            try:
                self.remaining = float(remaining) if remaining is not None else None
            except ValueError:
                self.remaining = None
            if response.status_code == 403 and b"Rate Limit Exceeded" in response.content[:200]:
                wait = self.pause * min(2.0**attempt, 8.0)
                log.info("canvas %s throttled, waiting %.1fs", self.host, wait)
                self.sleep(wait)
                continue
            if (
                response.status_code == 401
                and response.headers.get("WWW-Authenticate")
                and self.tokens.refreshable
                and not refreshed
            ):
                # Expired or revoked (RFC 6750 invalid_token): refresh once and try again.
                log.info("canvas %s refused the access token; refreshing it", self.host)
                self.token, refreshed = self.tokens.refreshed(), True
                continue
            if missing_ok and response.status_code == 404:
                return None
            return self._checked(response)
        raise ConnectorError(
            translatable(
                "Canvas at %(host)s keeps throttling Badgebridge (Rate Limit Exceeded); the check"
                " continues in a minute.",
                host=self.host,
            ),
            retryable=True,
            retry_after=60,
        )

    def _checked(self, response: requests.Response) -> requests.Response:
        status = response.status_code
        if status == 200:
            return response
        if status == 401:
            if b"Insufficient scopes" in response.content[:300]:
                raise ConnectorError(
                    translatable(
                        "The Canvas developer key enforces scopes and the authorization lacks"
                        " one Badgebridge needs: allow the scopes the README lists on the key,"
                        " tick \u201cThe key enforces scopes\u201d in the Badgebridge console (so"
                        " it asks for them), and authorize the course again."
                    )
                )
            if response.headers.get("WWW-Authenticate") and self.tokens.refreshable:
                raise AuthorizationNeeded(REAUTHORIZE)
            if response.headers.get("WWW-Authenticate"):
                raise ConnectorError(
                    translatable(
                        "Canvas refused the connector's API token (expired, deleted or"
                        " mistyped). Generate a new access token (Account > Settings > New"
                        " access token) and paste it in the Badgebridge console."
                    )
                )
            raise ConnectorError(
                translatable(
                    "The Canvas user who owns the connector's token may not read this course's"
                    " grades: use the token of an admin, or of a user with a teacher role in the"
                    " course."
                )
            )
        if status == 404:
            raise ConnectorError(
                translatable(
                    "Canvas has no course for this launch at %(host)s: is the site URL in the"
                    " console the Canvas address the course is served from?",
                    host=self.host,
                )
            )
        if status >= 500 or status == 429:
            raise ConnectorError(
                translatable(
                    "Canvas at %(host)s failed (%(answer)s); Badgebridge tries again later.",
                    host=self.host,
                    answer=outbound.describe(response),
                ),
                retryable=True,
            )
        raise ConnectorError(
            translatable(
                "Canvas at %(host)s answered %(answer)s; check the connector's site URL and token.",
                host=self.host,
                answer=outbound.describe(response),
            )
        )

    def copy(self) -> CanvasClient:
        """A client of its own (for another thread) on the same site, tokens and token."""
        twin = CanvasClient(self.base_url, self.tokens, sleep=self.sleep, pause=self.pause)
        twin.token, twin.remaining = self.token, self.remaining
        return twin

    def get(self, path: str, *, missing_ok: bool = False) -> Any:
        """One answer (JSON); None for a 404 when ``missing_ok``."""
        response = self._get(self.base_url + path, missing_ok=missing_ok)
        return None if response is None else self._json(response)

    def get_all(self, path: str, params: list[tuple[str, str]] | None = None) -> list[Any]:
        """Every page of a list, following ``rel="next"`` on the same Canvas only."""
        items: list[Any] = []
        url: str | None = self.base_url + path
        query: Any = [*(params or []), ("per_page", str(PER_PAGE))]
        while url:
            response = self._get(url, query)
            assert response is not None  # only missing_ok answers None
            page = self._json(response)
            if not isinstance(page, list):
                raise ConnectorError(
                    translatable(
                        "Canvas at %(host)s answered a list request with something else; check"
                        " the site URL.",
                        host=self.host,
                    )
                )
            items.extend(page)
            found = _NEXT.search(response.headers.get("Link") or "")
            url, query = (found.group(1), None) if found else (None, None)
            if url and not url.startswith(self.origin + "/"):
                raise ConnectorError(
                    translatable(
                        "Canvas at %(host)s sent a next-page link to another site; Badgebridge"
                        " did not follow it.",
                        host=self.host,
                    )
                )
        return items

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                translatable(
                    "Canvas at %(host)s answered %(answer)s, not JSON: check the site URL in the"
                    " console.",
                    host=self.host,
                    answer=outbound.describe(response),
                )
            ) from None


class CanvasSource:
    """A Canvas course's assignments, scores and course scores through the REST API."""

    kind = "canvas"

    def __init__(
        self, client: CanvasClient, learner_subs: Callable[[], Iterable[str]], tool_url: str = ""
    ) -> None:
        self.client = client
        self.learner_subs = learner_subs
        self.tool_url = tool_url.rstrip("/")

    def key_of_lineitem(self, lineitem_url: str) -> str | None:
        """Canvas's AGS line item ids are not assignment ids; the tool's own assignments are
        recognised by their launch URL instead (see :meth:`read`)."""
        return None

    def course_ref(self, lti_context_id: str, lms_course_id: str | None) -> str:
        """The Canvas course id from ``$Canvas.course.id`` when the launch carried it, else
        Canvas's ``lti_context_id:`` alternative id (one lookup more on Canvas's side)."""
        return lms_course_id or f"lti_context_id:{lti_context_id}"

    def read(self, course_ref: str) -> GradebookRead:
        """Assignments (but the tool's own), every student's scores, course scores and
        module completion."""
        course = f"/api/v1/courses/{quote(course_ref, safe=':')}"
        listed = self.client.get_all(f"{course}/assignments")  # a 404 here: no such course
        ids = self._canvas_ids(course)
        out = GradebookRead()
        assignments = {}
        for a in listed:
            launch = str((a.get("external_tool_tag_attributes") or {}).get("url") or "")
            if self.tool_url and launch.startswith(self.tool_url + "/"):
                continue  # the tool's own column: read through AGS
            key = f"canvas:assignment:{a['id']}"
            assignments[a["id"]] = key
            out.columns.append(
                NativeColumn(
                    key,
                    str(a.get("name") or f"Assignment {a['id']}"),
                    _number(a.get("points_possible")),
                )
            )
        maxima = {c.key: c.score_maximum for c in out.columns}
        for sub in self.client.get_all(
            f"{course}/students/submissions", [("student_ids[]", "all")]
        ):
            column = assignments.get(sub.get("assignment_id"))
            learner = ids.get(sub.get("user_id"))
            if column is None or learner is None:
                continue
            score = None if sub.get("excused") else _number(sub.get("score"))
            out.grades.append(
                NativeGrade(column, learner, score, maxima[column], _time(sub.get("graded_at")))
            )
        scored = False
        for e in self.client.get_all(f"{course}/enrollments", [("type[]", "StudentEnrollment")]):
            learner = ids.get(e.get("user_id"))
            if learner is None:
                continue
            scored = True
            out.grades.append(
                NativeGrade(
                    TOTAL_KEY,
                    learner,
                    _number((e.get("grades") or {}).get("current_score")),
                    100.0,
                    None,
                )
            )
        if scored:
            out.columns.append(
                NativeColumn(TOTAL_KEY, "Course total (current score %)", 100.0, "course_total")
            )
        self._module_completion(course, ids, out)
        return out

    def _module_completion(self, course: str, ids: dict[int, str], out: GradebookRead) -> None:
        """A 0/100 column per module with completion requirements: each student's module
        list (``student_id``) says ``state`` "completed" and ``completed_at``. Canvas has no
        all-students form of it, so it is one paged list per student."""
        tracked: dict[int, str] = {}
        for module in self.client.get_all(f"{course}/modules", [("include[]", "items")]):
            items = module.get("items")
            if items is None:  # Canvas leaves out the items of a module with too many
                items = self.client.get_all(f"{course}/modules/{module['id']}/items")
            if any(i.get("completion_requirement") for i in items):
                tracked[module["id"]] = str(module.get("name") or f"Module {module['id']}")
        if not tracked:
            return
        for module_id, name in tracked.items():
            out.columns.append(
                NativeColumn(
                    f"canvas:module:{module_id}",
                    f"{name} (module completed)",
                    100.0,
                    kind="module_completion",
                )
            )
        for canvas_id, learner in ids.items():
            for module in self.client.get_all(
                f"{course}/modules", [("student_id", str(canvas_id))]
            ):
                if module.get("id") not in tracked:
                    continue
                done = module.get("state") == "completed"
                out.grades.append(
                    NativeGrade(
                        f"canvas:module:{module['id']}",
                        learner,
                        100.0 if done else 0.0,
                        100.0,
                        _time(module.get("completed_at")) if done else None,
                    )
                )

    def _each_student(self, course: str, ids: dict[int, str]) -> list[tuple[str, list[Any]]]:
        """Each student's module list, several students at a time (the calls wait on Canvas),
        each thread with its own client and app context (a refresh writes the new token)."""
        students = sorted(ids.items())
        threads = min(FETCH_THREADS, len(students))
        if threads <= 1:
            clients = [self.client]
        else:
            if self.client.token is None:
                self.client.token = self.client.tokens.current()
            clients = [self.client.copy() for _ in range(threads)]
        # The app behind the proxy (typed as Flask), for the threads' own app contexts.
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def run(part: tuple[CanvasClient, list[tuple[int, str]]]) -> list[tuple[str, list[Any]]]:
            client, mine = part
            with app.app_context():
                return [
                    (learner, client.get_all(f"{course}/modules", [("student_id", str(cid))]))
                    for cid, learner in mine
                ]

        parts = [(client, students[i :: len(clients)]) for i, client in enumerate(clients)]
        if len(parts) == 1:
            return run(parts[0])
        with ThreadPoolExecutor(len(parts)) as pool:
            return [answer for chunk in pool.map(run, parts) for answer in chunk]

    def _canvas_ids(self, course: str) -> dict[int, str]:
        """Canvas user id -> LTI ``sub`` of the course's learners (cached per host)."""
        found: dict[int, str] = {}
        for sub in self.learner_subs():
            key = f"canvas-user:{self.client.host}:{sub}"
            canvas_id = cache.get(key)
            if canvas_id is None:
                user = self.client.get(
                    f"{course}/users/lti_1_3_id:{quote(sub, safe='')}", missing_ok=True
                )  # None: not (or no longer) enrolled
                canvas_id = user.get("id") if isinstance(user, dict) else None
                if canvas_id is None:
                    continue
                cache.set(key, canvas_id, timeout=USER_ID_TTL)
            found[int(canvas_id)] = sub
        return found
