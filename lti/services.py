"""AGS and NRPS clients: pylti1p3's services over a registration, outside any launch.

Syncs run in background jobs, long after the launch that announced the service URLs, so the
connector is built from the database registration and the endpoints stored with the course.
Access tokens are cached in the shared cache (every worker reuses them until they expire), one
per (token URL, client_id, scope set): a token belongs to one client, and several
registrations share an issuer (two tool types in one Moodle; every Canvas cloud school).

Failures become :class:`PlatformError`, whose text is a sentence for the course's staff
(platform, status, next step); the platform's own body is never repeated. The sentence is a
:class:`~badge_design.messages.Message` (English, with its template and values): lti/ has no
catalogue of its own, and the application translates it where people read it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiServiceException
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import REQUESTS_USER_AGENT, ServiceConnector
from sqlalchemy import update

from app import outbound
from app.database import retry_on_lock
from app.extensions import cache, db
from app.models import Context, Registration
from badge_design.messages import Message, translatable
from lti.tool_conf import DatabaseToolConf

if TYPE_CHECKING:
    from pylti1p3.assignments_grades import TAssignmentsGradersData
    from pylti1p3.names_roles import TNamesAndRolesData

log = logging.getLogger(__name__)
_T = TypeVar("_T")

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
RESULTS_MEDIA = "application/vnd.ims.lis.v2.resultcontainer+json"
LINEITEMS_MEDIA = "application/vnd.ims.lis.v2.lineitemcontainer+json"
TIMEOUT = (5, 30)  # connect, read: a platform that hangs must not hang a worker
# Ask for large pages: each page is a round trip, and platforms cap `limit` at their own
# maximum anyway (Canvas at 50), so asking high only saves requests where allowed.
PAGE_SIZE = 1000


class PlatformError(Exception):
    """A platform service call failed. Its text is one sentence for staff: which platform,
    what status, what to do; ``message`` keeps it as given (a translatable
    :class:`~badge_design.messages.Message` where it is one, which ``str()`` is not);
    ``retryable`` says whether a retry may succeed."""

    def __init__(
        self, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class AccessTokenRefused(LtiServiceException):
    """The platform's token endpoint refused the tool's client assertion."""


# Moodle's results endpoint writes typographic quotes (rel=“next”, UTF-8 bytes that arrive as
# Latin-1 text), which pylti1p3's parser does not accept; without this, a Moodle course's later
# pages of results would be skipped. Any quoting around "next" is accepted.
_NEXT_LINK = re.compile(
    r"<([^>]*)>\s*;\s*rel\s*=\s*[^,;<>]*?(?<![a-z0-9])next(?![a-z0-9])", re.IGNORECASE
)


def _next_link(headers: Mapping[str, str]) -> str | None:
    """The next page's URL from a ``Link: rel="next"`` header, any quoting accepted."""
    link = next((v for k, v in headers.items() if k.lower() == "link"), "")
    match = _NEXT_LINK.search(link.replace("\n", " "))
    return match.group(1) if match else None


class CachedTokenServiceConnector(ServiceConnector):
    """pylti1p3's connector with access tokens kept in the shared cache until expiry (one per
    token URL, client_id and scope set), a fresh token and one more try when a service
    answers 401, a ``Link: rel="next"`` parser that also reads Moodle's quotes, and pages
    read undecoded (:meth:`get_page`)."""

    def make_service_request(self, scopes: Any, url: str, **kwargs: Any) -> Any:
        request = super().make_service_request
        response = self._fresh_token_on_401(scopes, url, lambda: request(scopes, url, **kwargs))
        if response["next_page_url"] is None:
            response["next_page_url"] = _next_link(response["headers"])
        return response

    def get_page(self, scopes: Sequence[str], url: str, accept: str) -> tuple[bytes, str | None]:
        """One page of a service's answer: its body as sent (a caller that has seen the same
        bytes before need not decode them) and the next page's URL, if any."""

        def get() -> requests.Response:
            headers = {"Authorization": f"Bearer {self.get_access_token(scopes)}", "Accept": accept}
            response = self._requests_session.get(url, headers=headers)
            if not response.ok:
                raise LtiServiceException("There was an error making a service request.", response)
            return response

        response = self._fresh_token_on_401(scopes, url, get)
        return response.content, _next_link(response.headers)

    def _fresh_token_on_401(self, scopes: Any, url: str, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except AccessTokenRefused:
            raise
        except LtiServiceException as exc:
            if exc.response.status_code != 401:
                raise
            # The platform no longer honours the cached token (revoked, expired early, or
            # cached for another client): forget it and try once more with a new one.
            log.info("service answered 401 at %s: retrying with a new access token", url)
            cache.delete(self._cache_key(self._scope_key(sorted(scopes))))
            return call()

    def get_access_token(self, scopes: Any) -> str:
        try:
            return super().get_access_token(scopes)
        except AccessTokenRefused:
            raise
        except LtiServiceException as exc:
            raise AccessTokenRefused(str(exc), exc.response) from exc

    def _scope_key(self, scopes: Any) -> str:
        # pylti1p3 keys by issuer and scopes, which hands one client's token to another
        # registration of the same issuer (every Canvas cloud school): the platform then
        # answers 401 for the token's lifetime.
        reg = self._registration
        parts = [reg.get_auth_token_url() or "", reg.get_client_id() or "", *sorted(scopes)]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    @staticmethod
    def _cache_key(scope_key: str) -> str:
        return f"lti-access-token-{scope_key}"

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        return cache.get(self._cache_key(scope_key))

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        # Renew a little early so a token never expires between cache read and use.
        ttl = int(expires_in) - 30
        if ttl > 0:
            cache.set(self._cache_key(scope_key), access_token, timeout=ttl)


def connector_for(registration: Registration) -> CachedTokenServiceConnector:
    """A service connector signing client assertions with the tool's active key."""
    session = outbound.session(
        connect_timeout=TIMEOUT[0],
        read_timeout=TIMEOUT[1],
        user_agent=f"Badgebridge ({REQUESTS_USER_AGENT})",
    )
    lti_registration = DatabaseToolConf().registration_for(registration)
    return CachedTokenServiceConnector(lti_registration, requests_session=session)


def platform_name(registration: Registration) -> str:
    """How staff know the platform: the registration's name, else the issuer's host."""
    return registration.name or urlsplit(registration.issuer).hostname or "The LMS"


# What a service call reads, as the sentences below name it (article included: languages
# inflect it with the noun).
GRADEBOOK_COLUMNS = translatable("the gradebook columns")
GRADES_OF_A_COLUMN = translatable("the grades of a column")
NEW_GRADEBOOK_COLUMN = translatable("the new gradebook column")
COURSE_ROSTER = translatable("the course roster")


def failure_sentence(
    platform: str, what: str, status: int | None, *, token: bool = False, reason: str = ""
) -> Message:
    """What happened and what to do, in a sentence, from the platform's name, the thing
    being read (one of the phrases above), the HTTP status and nothing the platform wrote."""
    if status is None:
        return translatable(
            "Badgebridge could not reach %(platform)s for %(what)s (%(reason)s).",
            platform=platform,
            what=what,
            reason=reason,
        )
    if token:
        return translatable(
            "%(platform)s refused Badgebridge's request for an access token (HTTP %(status)s)."
            " Ask the LMS administrator to check that the tool's registration is active "
            "and allows the grade and roster services.",
            platform=platform,
            status=status,
        )
    if status == 401:
        return translatable(
            "%(platform)s did not accept Badgebridge's access token for %(what)s (HTTP "
            "401), even a new one. Ask the LMS administrator to check that the tool is "
            "still deployed in this course.",
            platform=platform,
            what=what,
        )
    if status == 403:
        return translatable(
            "%(platform)s refused Badgebridge access to %(what)s (HTTP 403). Ask the LMS "
            "administrator to allow the tool this service (Moodle: the tool's Services "
            "settings; Canvas: the developer key's scopes).",
            platform=platform,
            what=what,
        )
    if status == 404:
        return translatable(
            "%(platform)s answered HTTP 404 for %(what)s: the course or column may have "
            "been removed. Open Badgebridge from the course again to refresh its links.",
            platform=platform,
            what=what,
        )
    if status == 429:
        return translatable(
            "%(platform)s asked Badgebridge to slow down (HTTP 429) for %(what)s.",
            platform=platform,
            what=what,
        )
    if status >= 500:
        return translatable(
            "%(platform)s had an internal error (HTTP %(status)s) with %(what)s.",
            platform=platform,
            status=status,
            what=what,
        )
    return translatable(
        "%(platform)s refused Badgebridge's request for %(what)s (HTTP %(status)s). If "
        "this keeps happening, tell your Badgebridge administrator.",
        platform=platform,
        what=what,
        status=status,
    )


def _not_json(platform: str, what: str) -> PlatformError:
    log.warning("%s sent a body that is not JSON for %s", platform, what)
    return PlatformError(
        translatable(
            "%(platform)s answered the request for %(what)s with something that is not JSON.",
            platform=platform,
            what=what,
        )
    )


def _call(platform: str, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a pylti1p3 service call, turning its failures into :class:`PlatformError`."""
    try:
        return fn(*args, **kwargs)
    except LtiServiceException as exc:
        response = exc.response
        status = response.status_code
        retry_after = None
        if response.headers.get("Retry-After", "").isdigit():
            retry_after = float(response.headers["Retry-After"])
        # The body stays out of the log and the message: it is the platform's text (an HTML
        # error page, at times with paths or data), not ours to repeat.
        log.warning(
            "%s: %s answered %s (%s, %s bytes) for %s",
            platform,
            response.url,
            status,
            response.headers.get("Content-Type", "no type"),
            len(response.content),
            what,
        )
        token = isinstance(exc, AccessTokenRefused)
        raise PlatformError(
            failure_sentence(platform, what, status, token=token), status, retry_after
        ) from exc
    except requests.JSONDecodeError as exc:
        raise _not_json(platform, what) from exc
    except requests.Timeout as exc:
        raise PlatformError(
            failure_sentence(platform, what, None, reason=translatable("no answer in time"))
        ) from exc
    except outbound.OutboundRefused as exc:
        # The service URL leads somewhere the tool may not call (a private or metadata
        # address): an administrator's decision, not a passing fault.
        log.warning("%s: refused address for %s: %s", platform, what, exc)
        raise PlatformError(
            failure_sentence(
                platform,
                what,
                None,
                reason=translatable(
                    "its address is on a network the tool may not call; an administrator can "
                    "allow private networks with OUTBOUND_ALLOW_PRIVATE_NETWORKS"
                ),
            ),
            status=403,
        ) from exc
    except requests.RequestException as exc:
        log.warning("%s unreachable for %s: %s", platform, what, exc)
        raise PlatformError(
            failure_sentence(platform, what, None, reason=translatable("connection failed"))
        ) from exc


def with_query(url: str, **params: Any) -> str:
    """Add query parameters to a service URL, keeping its path and existing query intact."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: str(v) for k, v in params.items() if v is not None})
    return urlunsplit(parts._replace(query=urlencode(query)))


def add_path_segment(url: str, segment: str) -> str:
    """Append a path segment before the query (Moodle: ``…/lineitem/results?type_id=4``)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + segment))


@retry_on_lock
def _stop_paging_results(registration_id: int) -> None:
    # Columns are read in parallel threads, each of which may learn this at once.
    db.session.execute(
        update(Registration)
        .where(Registration.id == registration_id)
        .values(ags_results_paging=False)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


class ResultPages:
    """A line item's results as the platform sent them: each page's body, undecoded (a sync
    that has seen the same bytes before skips decoding them), and their SHA-256, each body
    after its length (where one page ends counts)."""

    def __init__(self, platform: str, bodies: list[bytes]) -> None:
        self.platform = platform
        self.bodies = bodies
        digest = hashlib.sha256()
        for body in bodies:
            digest.update(len(body).to_bytes(8, "big"))
            digest.update(body)
        self.digest = digest.hexdigest()

    def decode(self) -> list[dict[str, Any]]:
        """The results of every page, in order; :class:`PlatformError` when a body is not
        JSON. Each body is let go once decoded (a large column's bytes need not stay beside
        its results while a sync digests and keeps them), so this is done once."""
        results: list[dict[str, Any]] = []
        while self.bodies:
            try:
                page = json.loads(self.bodies.pop(0) or b"null")
            except ValueError as exc:  # not JSON, or not UTF-8
                raise _not_json(self.platform, GRADES_OF_A_COLUMN) from exc
            results.extend(page or [])
        return results


@dataclass
class CourseServices:
    """AGS and NRPS for one course, as its last launch announced them."""

    context: Context
    registration: Registration

    def _connector(self) -> CachedTokenServiceConnector:
        return connector_for(self.registration)

    @property
    def platform(self) -> str:
        """The platform's name in messages for staff."""
        return platform_name(self.registration)

    @property
    def ags(self) -> AssignmentsGradesService | None:
        endpoint = self.context.ags_endpoint
        if not endpoint or not endpoint.get("lineitems"):
            return None
        return AssignmentsGradesService(
            self._connector(), cast("TAssignmentsGradersData", endpoint)
        )

    def line_items(self) -> list[dict[str, Any]]:
        """Every line item the platform shows this tool in the course (all pages)."""
        ags = self.ags
        if ags is None:
            return []
        items: list[dict[str, Any]] = []
        endpoint = self.context.ags_endpoint or {}
        url: str | None = with_query(endpoint["lineitems"], limit=PAGE_SIZE)
        while url:
            page, url = _call(self.platform, GRADEBOOK_COLUMNS, ags.get_lineitems_page, url)
            items.extend(page)
        return items

    @property
    def pages_results(self) -> bool:
        """Whether to ask for results page by page. Not on Moodle: its results resource fails
        on ``limit`` for LTI 1.3 tools once a column holds a grade (a PHP error answered as
        an HTML 404), and answers every result in one page without it. Elsewhere until a
        paged request failed where an unpaged one worked (remembered per registration)."""
        return self.registration.ags_results_paging and self.registration.product_family != "moodle"

    def results(self, lineitem_url: str) -> ResultPages:
        """Every result of one line item, as the platform's pages: following
        ``Link: rel="next"`` where the platform pages results; one unpaged retry when a paged
        request fails."""
        if self.ags is None:
            return ResultPages(self.platform, [])
        url = add_path_segment(lineitem_url, "results")
        if not self.pages_results:
            return self._results_from(url)
        try:
            return self._results_from(with_query(url, limit=PAGE_SIZE))
        except PlatformError as paged:
            if paged.status in (401, 429) or paged.status is None:
                raise  # not about paging: the token, the rate or the network
            try:
                results = self._results_from(url)
            except PlatformError:
                raise paged from None
            log.warning(
                "%s failed a paged results request (HTTP %s) and answered it "
                "unpaged: registration %s reads results unpaged from now on",
                self.platform,
                paged.status,
                self.registration.public_id,
            )
        _stop_paging_results(self.registration.id)  # the commit reloads our registration
        return results

    def _results_from(self, url: str | None) -> ResultPages:
        connector = self._connector()
        scopes = (self.context.ags_endpoint or {}).get("scope", [])
        bodies: list[bytes] = []
        while url:
            body, url = _call(
                self.platform,
                GRADES_OF_A_COLUMN,
                connector.get_page,
                scopes,
                url,
                accept=RESULTS_MEDIA,
            )
            bodies.append(body)
        return ResultPages(self.platform, bodies)

    def create_line_item(
        self, label: str, score_maximum: float, tag: str = "", resource_id: str = ""
    ) -> dict[str, Any]:
        """Create a graded column in the LMS gradebook (AGS line item create)."""
        ags = self.ags
        if ags is None or not ags.can_create_lineitem():
            raise PlatformError(
                translatable(
                    "%(platform)s did not give Badgebridge the right to create gradebook "
                    "columns in this course. Ask the LMS administrator to allow the tool to "
                    "manage its line items.",
                    platform=self.platform,
                ),
                403,
            )
        item = LineItem().set_label(label).set_score_maximum(score_maximum)
        if tag:
            item.set_tag(tag)
        if resource_id:
            item.set_resource_id(resource_id)
        created = _call(self.platform, NEW_GRADEBOOK_COLUMN, ags.create_lineitem, item)
        return {
            "id": created.get_id(),
            "label": created.get_label(),
            "scoreMaximum": created.get_score_maximum(),
            "tag": created.get_tag(),
            "resourceId": created.get_resource_id(),
        }

    def members(self) -> Iterator[dict[str, Any]]:
        """The course roster (all pages). ``limit`` is always sent: Moodle pages only then."""
        endpoint = self.context.nrps_endpoint
        if not endpoint or not endpoint.get("context_memberships_url"):
            return
        nrps = NamesRolesProvisioningService(
            self._connector(), cast("TNamesAndRolesData", endpoint)
        )
        url: str | None = with_query(endpoint["context_memberships_url"], limit=PAGE_SIZE)
        while url:
            members, url = _call(self.platform, COURSE_ROSTER, nrps.get_members_page, url)
            yield from members
