"""Moodle 4.5 (build 2024100700): URL shapes, claims and answers as captured in
shared/lti/moodle-4.5/ and read from Moodle's mod/lti sources."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from lti.sandbox import vocab as v
from lti.sandbox.flavours.base import (
    LaunchContext,
    MemberRow,
    ResultRow,
    common_resolvers,
    iso,
    num,
    shares_email,
    shares_name,
    substitute,
)
from lti.sandbox.models import Course, LineItem, Tool


def add_query(url: str, params: dict[str, Any]) -> str:
    """Append query parameters to a URL that may already carry some (``?type_id=N``)."""
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params)


class MoodleFlavour:
    """A Moodle-like platform."""

    name = "moodle"
    # Moodle 4.5's results resource builds its Link header from a `$lastpage` it never sets
    # when the URL names a type_id (every LTI 1.3 tool): `limit` on a column holding a grade
    # ends in a PHP error, answered as a 404 HTML page (seen on a real Moodle 4.5, and in
    # mod/lti/service/gradebookservices/classes/local/resources/results.php).
    results_paging_works = False
    id_token_lifetime = 60  # Moodle's id_tokens live 60 s (captured iat/exp).
    version = "2024100700"

    # ---- URLs -------------------------------------------------------------------------
    def auth_url(self, iss: str) -> str:
        """OIDC authorization endpoint."""
        return f"{iss}/mod/lti/auth.php"

    def token_url(self, iss: str) -> str:
        """OAuth 2 token endpoint."""
        return f"{iss}/mod/lti/token.php"

    def jwks_url(self, iss: str) -> str:
        """The platform's key set."""
        return f"{iss}/mod/lti/certs.php"

    def registration_url(self, iss: str) -> str:
        """Dynamic registration endpoint (see lti/sandbox/dynreg.py)."""
        return f"{iss}/mod/lti/openid-registration.php"

    def lineitems_url(self, iss: str, course_id: int, tool: Tool) -> str:
        """AGS line items container."""
        return f"{iss}/mod/lti/services.php/{course_id}/lineitems?type_id={tool.deployment_id}"

    def _item_base(self, iss: str, course_id: int, item_id: int) -> str:
        return f"{iss}/mod/lti/services.php/{course_id}/lineitems/{item_id}/lineitem"

    def lineitem_url(self, iss: str, course_id: int, tool: Tool, item_id: int) -> str:
        """One line item (path segments go before the query string)."""
        return f"{self._item_base(iss, course_id, item_id)}?type_id={tool.deployment_id}"

    def results_url(self, iss: str, course_id: int, tool: Tool, item_id: int) -> str:
        """Results of one line item."""
        return f"{self._item_base(iss, course_id, item_id)}/results?type_id={tool.deployment_id}"

    def scores_url(self, iss: str, course_id: int, tool: Tool, item_id: int) -> str:
        """Scores endpoint of one line item."""
        return f"{self._item_base(iss, course_id, item_id)}/scores?type_id={tool.deployment_id}"

    def memberships_url(self, iss: str, course: Course, tool: Tool) -> str:
        """NRPS memberships (note the case-sensitive ``CourseSection``)."""
        return (
            f"{iss}/mod/lti/services.php/CourseSection/{course.id}"
            f"/bindings/{tool.deployment_id}/memberships"
        )

    def deep_link_return_url(self, iss: str, course: Course, tool: Tool, sesskey: str) -> str:
        """Where the tool posts its deep linking response."""
        query = urlencode({"course": course.id, "id": tool.deployment_id, "sesskey": sesskey})
        return f"{iss}/mod/lti/contentitem_return.php?{query}"

    def launch_return_url(self, iss: str, course: Course, link_id: int | None, sesskey: str) -> str:
        """``launch_presentation.return_url``; launch_container 3 = embedded."""
        query = urlencode(
            {
                "course": course.id,
                "launch_container": 3,
                "instanceid": link_id or "",
                "sesskey": sesskey,
            }
        )
        return f"{iss}/mod/lti/return.php?{query}"

    def openid_configuration(self, iss: str) -> dict[str, Any]:
        """Shape of moodle-4.5/openid-configuration.template.json with this platform's URLs."""
        return {
            "issuer": iss,
            "token_endpoint": self.token_url(iss),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": self.jwks_url(iss),
            "authorization_endpoint": self.auth_url(iss),
            "registration_endpoint": self.registration_url(iss),
            "scopes_supported": [
                "https://purl.imsglobal.org/spec/lti-bo/scope/basicoutcome",
                v.SCOPE_LINEITEM_READONLY,
                v.SCOPE_RESULT_READONLY,
                v.SCOPE_SCORE,
                v.SCOPE_LINEITEM,
                v.SCOPE_NRPS,
                "https://purl.imsglobal.org/spec/lti-ts/scope/toolsetting",
                "openid",
            ],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "moodle",
                "version": "4.5 (Build: 20241007)",
                "messages_supported": [
                    {"type": v.MSG_RESOURCE_LINK},
                    {"type": v.MSG_DEEP_LINKING, "placements": ["ContentArea"]},
                ],
                "variables": MOODLE_VARIABLES,
            },
        }

    # ---- roles ------------------------------------------------------------------------
    def launch_roles(self, role: str) -> list[str]:
        """A Moodle launch says Instructor for editing and non-editing teachers alike,
        Learner for everyone else (its NRPS roster differs: :meth:`member_roles`)."""
        return [v.ROLE_INSTRUCTOR if role in ("teacher", "ta") else v.ROLE_LEARNER]

    def member_roles(self, role: str) -> list[str]:
        """NRPS roles are short names in Moodle, and only those who may manage the activity
        are Instructor: a non-editing teacher (``ta``), an Instructor at launch, is a Learner
        here (seen on Moodle 4.5)."""
        return ["Instructor" if role == "teacher" else "Learner"]

    def role_filter(self, value: str) -> set[str] | None:
        """Enrolment roles matching an NRPS ``role`` filter (short name or URI), by the same
        rule as :meth:`member_roles`."""
        short = value.rsplit("#", 1)[-1]
        if short == "Instructor":
            return {"teacher"}
        if short == "Learner":
            return {"student", "ta"}
        return None

    # ---- claims -----------------------------------------------------------------------
    def claims(self, ctx: LaunchContext, sesskey: str) -> dict[str, Any]:
        """The id_token claims of a launch, in Moodle's order and shape."""
        iss, tool, user, course, rl = ctx.issuer, ctx.tool, ctx.user, ctx.course, ctx.resource_link
        c: dict[str, Any] = {
            "nonce": ctx.nonce,
            "iat": ctx.now,
            "exp": ctx.now + self.id_token_lifetime,
            "iss": iss,
            "aud": tool.client_id,
            v.CLAIM_DEPLOYMENT_ID: tool.deployment_id,
            v.CLAIM_TARGET_LINK_URI: ctx.target_link_uri,
            "sub": user.lti_id,
            v.CLAIM_LIS: {"person_sourcedid": "", "course_section_sourcedid": ""},
            v.CLAIM_ROLES: self.launch_roles(ctx.role),
            v.CLAIM_CONTEXT: {
                "id": course.lti_context_id,
                "label": course.label,
                "title": course.title,
                "type": ["CourseSection"],
            },
            v.CLAIM_MESSAGE_TYPE: ctx.message_type,
        }
        if ctx.message_type == v.MSG_RESOURCE_LINK and rl is not None:
            c[v.CLAIM_RESOURCE_LINK] = {
                "title": rl.title,
                "description": rl.description,
                "id": rl.lti_id,
            }
            if ctx.link_line_items:
                c[v.CLAIM_BASIC_OUTCOME] = {
                    "lis_result_sourcedid": _sourcedid(rl.lti_id, user.lti_id, tool, sesskey),
                    "lis_outcome_service_url": f"{iss}/mod/lti/service.php",
                }
        if shares_name(tool):
            c.update(given_name=user.given_name, family_name=user.family_name, name=user.name)
        c[v.CLAIM_EXT] = {"user_username": user.login, "lms": "moodle-2"}
        if shares_email(tool):
            c["email"] = user.email
        # Moodle sends the user's language (course-forced languages aside) as the locale.
        presentation: dict[str, Any] = {"locale": user.lang or "en"}
        if ctx.message_type == v.MSG_RESOURCE_LINK:
            presentation["document_target"] = "iframe"
            presentation["return_url"] = self.launch_return_url(
                iss, course, rl.id if rl else None, sesskey
            )
        c[v.CLAIM_LAUNCH_PRESENTATION] = presentation
        c[v.CLAIM_TOOL_PLATFORM] = {
            "product_family_code": "moodle",
            "version": self.version,
            "guid": ctx.platform.guid,
            "name": ctx.platform.slug,
            "description": ctx.platform.name,
        }
        c[v.CLAIM_VERSION] = "1.3.0"
        ags_scopes = [s for s in v.AGS_SCOPES if s in tool.scope_set and "canvas" not in s]
        if ags_scopes:
            ags: dict[str, Any] = {
                "scope": ags_scopes,
                "lineitems": self.lineitems_url(iss, course.id, tool),
            }
            # Moodle names the one line item of a link; with several it names none.
            if ctx.message_type == v.MSG_RESOURCE_LINK and len(ctx.link_line_items) == 1:
                ags["lineitem"] = self.lineitem_url(iss, course.id, tool, ctx.link_line_items[0].id)
            c[v.CLAIM_AGS] = ags
        custom = dict(tool.custom)
        if rl is not None:
            custom.update(rl.custom)
        custom = substitute(custom, self._resolvers(ctx))
        if v.SCOPE_NRPS in tool.scope_set:
            url = self.memberships_url(iss, course, tool)
            # Moodle's memberships service also injects its URL as a custom parameter.
            custom["context_memberships_url"] = url
        if custom:
            c[v.CLAIM_CUSTOM] = custom
        if v.SCOPE_NRPS in tool.scope_set:
            c[v.CLAIM_NRPS] = {
                "context_memberships_url": self.memberships_url(iss, course, tool),
                "service_versions": ["1.0", "2.0"],
            }
        if ctx.message_type == v.MSG_DEEP_LINKING:
            c[v.CLAIM_DL_SETTINGS] = {
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["frame", "iframe", "window"],
                "accept_copy_advice": False,
                "accept_multiple": True,
                "accept_unsigned": False,
                "auto_create": False,
                "can_confirm": False,
                "deep_link_return_url": ctx.deep_link_return_url,
                "title": tool.name,
                "text": "",
            }
        return c

    def _resolvers(self, ctx: LaunchContext) -> dict[str, Any]:
        r = common_resolvers(ctx)
        r["Context.id"] = lambda: str(ctx.course.id)
        r["CourseSection.sourcedId"] = lambda: ctx.course.sis_id or ""
        r["Person.sourcedId"] = lambda: ctx.user.sis_id or ""
        return r

    # ---- serialisation ----------------------------------------------------------------
    def lineitem_json(
        self, iss: str, course_id: int, tool: Tool, li: LineItem, rl_lti_id: str | None
    ) -> dict[str, Any]:
        """A line item as Moodle's gradebookservices serialises it."""
        out: dict[str, Any] = {
            "id": self.lineitem_url(iss, course_id, tool, li.id),
            "label": li.label,
            "scoreMaximum": num(li.score_maximum),
            "resourceId": li.resource_id or "",
            "tag": li.tag or "",
        }
        if li.start_at:
            out["startDateTime"] = iso(li.start_at)
        if li.end_at:
            out["endDateTime"] = iso(li.end_at)
        if rl_lti_id is not None:
            out["resourceLinkId"] = rl_lti_id
            out["ltiLinkId"] = rl_lti_id
        return out

    def results_json(
        self, iss: str, course_id: int, tool: Tool, li: LineItem, rows: Sequence[ResultRow]
    ) -> list[dict[str, Any]]:
        """Results: scores are kept on the line item's scale (Moodle rescales on receipt)."""
        user_url = self.results_url(iss, course_id, tool, li.id) + "&user_id="
        score_of = self.lineitem_url(iss, course_id, tool, li.id)
        maximum = num(li.score_maximum)
        body = []
        for r in rows:
            out: dict[str, Any] = {"id": user_url + r.user_lti_id, "userId": r.user_lti_id}
            if r.score_given is not None:
                out["resultScore"] = num(r.score_given)
            out["resultMaximum"] = maximum
            if r.comment:
                out["comment"] = r.comment
            out["scoreOf"] = score_of
            out["timestamp"] = iso(r.timestamp)
            body.append(out)
        return body

    def member_json(self, tool: Tool, row: MemberRow) -> dict[str, Any]:
        """An NRPS member as Moodle serialises it."""
        u = row.user
        m: dict[str, Any] = {
            "status": "Active" if row.status == "active" else "Inactive",
            "roles": self.member_roles(row.role),
            "user_id": u.lti_id,
            "lis_person_sourcedid": u.sis_id or "",
        }
        if shares_name(tool):
            m.update(name=u.name, given_name=u.given_name, family_name=u.family_name)
        if shares_email(tool):
            m["email"] = u.email
        m["ext_user_username"] = u.login
        return m

    def context_json(self, course: Course) -> dict[str, Any]:
        """The NRPS container's context."""
        return {"id": course.lti_context_id, "label": course.label, "title": course.title}

    def paged_results_failure(self, iss: str) -> str:
        """The HTML page Moodle answers (404) for a paged results request that fails."""
        return PAGED_RESULTS_ERROR_PAGE.replace("{iss}", iss)

    # ---- paging -----------------------------------------------------------------------
    def page_window(self, kind: str, args: dict[str, str]) -> tuple[int, int | None]:
        """(offset, limit) of a request; Moodle pages only when ``limit`` is sent."""
        limit = _int(args.get("limit"))
        offset = max(_int(args.get("from")) or 0, 0)
        return offset, (limit if limit and limit > 0 else None)

    def page_links(
        self, url: str, extra: dict[str, str], offset: int, limit: int | None, total: int
    ) -> str | None:
        """The Link header of a page (only ``next``, as Moodle's memberships sends)."""
        if limit is None or offset + limit >= total:
            return None
        nxt = add_query(url, {**extra, "limit": limit, "from": offset + limit})
        return f'<{nxt}>; rel="next"'


def _sourcedid(instance_id: str, user_id: str, tool: Tool, secret: str) -> str:
    data = {
        "instanceid": instance_id,
        "userid": user_id,
        "typeid": tool.deployment_id,
        "launchid": int(hashlib.sha256(secret.encode()).hexdigest()[:7], 16),
    }
    payload = json.dumps(data, separators=(",", ":"))
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return json.dumps({"data": data, "hash": digest}, separators=(",", ":"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


MOODLE_VARIABLES = [
    "basic-lti-launch-request",
    "ContentItemSelectionRequest",
    "ToolProxyRegistrationRequest",
    "Context.id",
    "Context.title",
    "Context.label",
    "Context.id.history",
    "Context.sourcedId",
    "Context.longDescription",
    "Context.timeFrame.begin",
    "CourseSection.title",
    "CourseSection.label",
    "CourseSection.sourcedId",
    "CourseSection.longDescription",
    "CourseSection.timeFrame.begin",
    "CourseSection.timeFrame.end",
    "ResourceLink.id",
    "ResourceLink.title",
    "ResourceLink.description",
    "User.id",
    "User.username",
    "Person.name.full",
    "Person.name.given",
    "Person.name.family",
    "Person.email.primary",
    "Person.sourcedId",
    "Person.name.middle",
    "Person.address.street1",
    "Person.address.locality",
    "Person.address.country",
    "Person.address.timezone",
    "Person.phone.primary",
    "Person.phone.mobile",
    "Person.webaddress",
    "Membership.role",
    "Result.sourcedId",
    "Result.autocreate",
    "BasicOutcome.sourcedId",
    "BasicOutcome.url",
    "Moodle.Person.userGroupIds",
]


PAGED_RESULTS_ERROR_PAGE = """<!DOCTYPE html>
<html dir="ltr" lang="en" xml:lang="en">
<head>
    <title>Error | Moodle</title>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
</head>
<body id="page-mod-lti-services" class="format-site path-mod path-mod-lti">
<div id="page-wrapper" class="d-print-block">
    <div id="page" class="container-fluid d-print-block">
        <div id="page-content" class="pb-3 d-print-block">
            <div role="main"><span id="maincontent"></span>
<div class="box errorbox alert alert-danger">
<p class="errormessage">Exception - Call to a member function out() on null</p>
<p class="errorcode"><a href="https://docs.moodle.org/405/en/error/moodle/generalexceptionmessage">
More information about this error</a></p>
</div>
<div class="continuebutton"><a href="{iss}/">Continue</a></div>
            </div>
        </div>
    </div>
</div>
</body>
</html>
"""
