"""AGS and NRPS clients: pylti1p3's services over a registration, outside any launch.

Syncs run in background jobs, long after the launch that announced the service URLs, so the
connector is built from the database registration and the endpoints stored with the course.
Access tokens are cached in the shared cache (every worker reuses them until they expire).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiServiceException
from pylti1p3.lineitem import LineItem
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import REQUESTS_USER_AGENT, ServiceConnector

from app import outbound
from app.extensions import cache
from app.models import Context, Registration
from lti.tool_conf import DatabaseToolConf

log = logging.getLogger(__name__)

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
RESULTS_MEDIA = "application/vnd.ims.lis.v2.resultcontainer+json"
LINEITEMS_MEDIA = "application/vnd.ims.lis.v2.lineitemcontainer+json"
TIMEOUT = (5, 30)  # connect, read: a platform that hangs must not hang a worker
# Ask for large pages: each page is a round trip, and platforms cap `limit` at their own
# maximum anyway (Canvas at 50), so asking high only saves requests where allowed.
PAGE_SIZE = 1000


class PlatformError(Exception):
    """A platform service call failed; ``retryable`` says whether a retry may succeed."""

    def __init__(self, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


# Moodle's results endpoint writes typographic quotes (rel=“next”, UTF-8 bytes that arrive as
# Latin-1 text), which pylti1p3's parser does not accept; without this, a Moodle course's later
# pages of results would be skipped. Any quoting around "next" is accepted.
_NEXT_LINK = re.compile(r"<([^>]*)>\s*;\s*rel\s*=\s*[^,;<>]*?(?<![a-z0-9])next(?![a-z0-9])",
                        re.IGNORECASE)


class CachedTokenServiceConnector(ServiceConnector):
    """pylti1p3's connector with access tokens kept in the shared cache until expiry, and a
    ``Link: rel="next"`` parser that also reads Moodle's quotes."""

    def make_service_request(self, *args: Any, **kwargs: Any) -> Any:
        response = super().make_service_request(*args, **kwargs)
        if response["next_page_url"] is None:
            headers = {k.lower(): v for k, v in response["headers"].items()}
            if match := _NEXT_LINK.search(headers.get("link", "").replace("\n", " ")):
                response["next_page_url"] = match.group(1)
        return response

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        return cache.get(f"lti-access-token-{scope_key}")

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        # Renew a little early so a token never expires between cache read and use.
        ttl = int(expires_in) - 30
        if ttl > 0:
            cache.set(f"lti-access-token-{scope_key}", access_token, timeout=ttl)


def connector_for(registration: Registration) -> CachedTokenServiceConnector:
    """A service connector signing client assertions with the tool's active key."""
    session = outbound.session(connect_timeout=TIMEOUT[0], read_timeout=TIMEOUT[1],
                               user_agent=f"Badgebridge ({REQUESTS_USER_AGENT})")
    lti_registration = DatabaseToolConf().registration_for(registration)
    return CachedTokenServiceConnector(lti_registration, requests_session=session)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a pylti1p3 service call, turning its failures into :class:`PlatformError`."""
    try:
        return fn(*args, **kwargs)
    except LtiServiceException as exc:
        response = exc.response
        status = response.status_code
        retry_after = None
        if response.headers.get("Retry-After", "").isdigit():
            retry_after = float(response.headers["Retry-After"])
        # The platform's body is never repeated: it reaches the tenant through the jobs API.
        raise PlatformError(f"{exc} {outbound.describe(response)}", status,
                            retry_after) from exc
    except requests.RequestException as exc:
        raise PlatformError(f"platform unreachable: {exc}") from exc


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


@dataclass
class CourseServices:
    """AGS and NRPS for one course, as its last launch announced them."""

    context: Context
    registration: Registration

    def _connector(self) -> CachedTokenServiceConnector:
        return connector_for(self.registration)

    @property
    def ags(self) -> AssignmentsGradesService | None:
        endpoint = self.context.ags_endpoint
        if not endpoint or not endpoint.get("lineitems"):
            return None
        return AssignmentsGradesService(self._connector(), endpoint)

    def line_items(self) -> list[dict[str, Any]]:
        """Every line item the platform shows this tool in the course (all pages)."""
        ags = self.ags
        if ags is None:
            return []
        items: list[dict[str, Any]] = []
        url: str | None = with_query(self.context.ags_endpoint["lineitems"], limit=PAGE_SIZE)
        while url:
            page, url = _call(ags.get_lineitems_page, url)
            items.extend(page)
        return items

    def results(self, lineitem_url: str) -> Iterator[dict[str, Any]]:
        """Every result of one line item, following ``Link: rel="next"``."""
        ags = self.ags
        if ags is None:
            return
        connector = self._connector()
        url: str | None = with_query(add_path_segment(lineitem_url, "results"), limit=PAGE_SIZE)
        scopes = self.context.ags_endpoint.get("scope", [])
        while url:
            page = _call(connector.make_service_request, scopes, url, accept=RESULTS_MEDIA)
            yield from page["body"] or []
            url = page["next_page_url"]

    def create_line_item(self, label: str, score_maximum: float, tag: str = "",
                         resource_id: str = "") -> dict[str, Any]:
        """Create a graded column in the LMS gradebook (AGS line item create)."""
        ags = self.ags
        if ags is None or not ags.can_create_lineitem():
            raise PlatformError("the platform did not grant this tool the line item scope", 403)
        item = LineItem().set_label(label).set_score_maximum(score_maximum)
        if tag:
            item.set_tag(tag)
        if resource_id:
            item.set_resource_id(resource_id)
        created = _call(ags.create_lineitem, item)
        return {"id": created.get_id(), "label": created.get_label(),
                "scoreMaximum": created.get_score_maximum(), "tag": created.get_tag(),
                "resourceId": created.get_resource_id()}

    def members(self) -> Iterator[dict[str, Any]]:
        """The course roster (all pages). ``limit`` is always sent: Moodle pages only then."""
        endpoint = self.context.nrps_endpoint
        if not endpoint or not endpoint.get("context_memberships_url"):
            return
        nrps = NamesRolesProvisioningService(self._connector(), endpoint)
        url: str | None = with_query(endpoint["context_memberships_url"], limit=PAGE_SIZE)
        while url:
            members, url = _call(nrps.get_members_page, url)
            yield from members
