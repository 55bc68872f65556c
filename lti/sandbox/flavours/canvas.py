"""Canvas: URL shapes, claims and answers per shared/lti/canvas/ (Canvas controllers,
serializers and a captured self-hosted launch)."""

from __future__ import annotations

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

# Canvas's Api.paginate: 10 per page unless asked, never more than 50.
API_PER_PAGE = 10
API_MAX_PER_PAGE = 50
NRPS_PER_PAGE = 50


class CanvasFlavour:
    """A Canvas-like platform."""

    name = "canvas"
    results_paging_works = True
    id_token_lifetime = 3600

    # ---- URLs -------------------------------------------------------------------------
    def auth_url(self, iss: str) -> str:
        """OIDC authorization endpoint."""
        return f"{iss}/api/lti/authorize_redirect"

    def token_url(self, iss: str) -> str:
        """OAuth 2 token endpoint."""
        return f"{iss}/login/oauth2/token"

    def jwks_url(self, iss: str) -> str:
        """The platform's key set."""
        return f"{iss}/api/lti/security/jwks"

    def registration_url(self, iss: str) -> str:
        """Dynamic registration endpoint (see lti/sandbox/dynreg.py)."""
        return f"{iss}/api/lti/registrations"

    def lineitems_url(self, iss: str, course_id: int, tool: Tool) -> str:
        """AGS line items container."""
        return f"{iss}/api/lti/courses/{course_id}/line_items"

    def lineitem_url(self, iss: str, course_id: int, tool: Tool, item_id: int) -> str:
        """One line item."""
        return f"{iss}/api/lti/courses/{course_id}/line_items/{item_id}"

    def results_url(self, iss: str, course_id: int, tool: Tool, item_id: int) -> str:
        """Results of one line item."""
        return self.lineitem_url(iss, course_id, tool, item_id) + "/results"

    def scores_url(self, iss: str, course_id: int, tool: Tool, item_id: int) -> str:
        """Scores endpoint of one line item."""
        return self.lineitem_url(iss, course_id, tool, item_id) + "/scores"

    def memberships_url(self, iss: str, course: Course, tool: Tool) -> str:
        """NRPS names and roles."""
        return f"{iss}/api/lti/courses/{course.id}/names_and_roles"

    def deep_link_return_url(self, iss: str, course: Course, tool: Tool, sesskey: str) -> str:
        """Where the tool posts its deep linking response (the state travels in ``data``)."""
        return f"{iss}/courses/{course.id}/deep_linking_response"

    def launch_return_url(self, iss: str, course: Course, link_id: int | None, sesskey: str) -> str:
        """``launch_presentation.return_url``: back to the course."""
        return f"{iss}/course/{course.id}"

    def openid_configuration(self, iss: str) -> dict[str, Any]:
        """Shape of canvas/openid-configuration.example.json with this platform's URLs."""
        host = iss.split("://", 1)[-1].split("/", 1)[0]
        return {
            "issuer": iss,
            "authorization_endpoint": self.auth_url(iss),
            "registration_endpoint": self.registration_url(iss),
            "jwks_uri": self.jwks_url(iss),
            "token_endpoint": self.token_url(iss),
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "scopes_supported": [
                v.SCOPE_LINEITEM,
                v.SCOPE_LINEITEM_READONLY,
                v.SCOPE_RESULT_READONLY,
                v.SCOPE_SCORE,
                v.SCOPE_NRPS,
                "https://canvas.instructure.com/lti/public_jwk/scope/update",
                "https://canvas.instructure.com/lti/account_lookup/scope/show",
                v.SCOPE_CANVAS_PROGRESS,
            ],
            "response_types_supported": ["id_token"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": [
                "sub",
                "picture",
                "email",
                "name",
                "given_name",
                "family_name",
                "locale",
            ],
            "subject_types_supported": ["public"],
            "authorization_server": host,
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "canvas",
                "version": "vCloud",
                "messages_supported": [
                    {
                        "type": v.MSG_RESOURCE_LINK,
                        "placements": ["course_navigation", "link_selection"],
                    },
                    {"type": v.MSG_DEEP_LINKING, "placements": sorted(v.CANVAS_DL_PLACEMENTS)},
                ],
                "variables": [
                    "ResourceLink.id",
                    "Context.id",
                    "Canvas.course.id",
                    "Canvas.user.id",
                    "Canvas.user.loginId",
                    "Person.name.full",
                    "Person.email.primary",
                    "User.id",
                ],
                "https://canvas.instructure.com/lti/account_name": "Sandbox University",
                "https://canvas.instructure.com/lti/account_lti_guid": "",
            },
        }

    # ---- roles ------------------------------------------------------------------------
    def membership_roles(self, role: str) -> list[str]:
        """Context roles of an enrolment (Canvas's LIS_V2_ROLE_MAP)."""
        if role == "teacher":
            return [v.ROLE_INSTRUCTOR]
        if role == "ta":
            return [v.ROLE_TA, v.ROLE_INSTRUCTOR]
        return [v.ROLE_LEARNER]

    def launch_roles(
        self, role: str, is_admin: bool = False, account_roles: frozenset[str] = frozenset()
    ) -> list[str]:
        """Launch roles: context roles + institution roles + system User, sorted (Canvas sorts
        the union, hence the captured order). Institution roles describe the person across the
        account (``account_roles``: their enrolment roles in every course), so someone who
        teaches any course is ``institution/person#Instructor`` also where they are a student.
        """
        roles = set(self.membership_roles(role))
        for held in account_roles | {role}:
            roles.add(v.ROLE_INST_STUDENT if held == "student" else v.ROLE_INST_INSTRUCTOR)
        roles.add(v.ROLE_SYS_USER)
        if is_admin:
            roles.update({v.ROLE_INST_ADMIN, v.ROLE_SYS_ADMIN})
        return sorted(roles)

    def member_roles(self, role: str) -> list[str]:
        """NRPS roles are full URIs in Canvas."""
        return self.membership_roles(role)

    def role_filter(self, value: str) -> set[str] | None:
        """Enrolment roles matching an NRPS ``role`` filter."""
        short = value.rsplit("#", 1)[-1]
        return {
            "Instructor": {"teacher", "ta"},
            "TeachingAssistant": {"ta"},
            "Learner": {"student"},
        }.get(short)

    # ---- claims -----------------------------------------------------------------------
    def claims(self, ctx: LaunchContext, sesskey: str) -> dict[str, Any]:
        """The id_token claims of a launch, in Canvas's order and shape."""
        iss, tool, user, course, rl = ctx.issuer, ctx.tool, ctx.user, ctx.course, ctx.resource_link
        c: dict[str, Any] = {
            v.CLAIM_MESSAGE_TYPE: ctx.message_type,
            v.CLAIM_VERSION: "1.3.0",
        }
        if ctx.message_type == v.MSG_RESOURCE_LINK and rl is not None:
            c[v.CLAIM_RESOURCE_LINK] = {
                "id": rl.lti_id,
                "description": rl.description,
                "title": rl.title,
            }
        if ctx.message_type == v.MSG_DEEP_LINKING:
            settings = v.CANVAS_DL_PLACEMENTS[ctx.placement or "link_selection"]
            c[v.CLAIM_DL_SETTINGS] = {
                "deep_link_return_url": ctx.deep_link_return_url,
                "accept_types": settings["accept_types"],
                "accept_presentation_document_targets": settings["document_targets"],
                "accept_media_types": ",".join(settings["media_types"]),  # type: ignore[arg-type]
                "auto_create": settings["auto_create"],
                "accept_multiple": settings["accept_multiple"],
                "data": ctx.deep_link_data,
            }
        ags_scopes = [s for s in v.AGS_SCOPES if s in tool.scope_set]
        if ags_scopes:
            ags: dict[str, Any] = {}
            if ctx.message_type == v.MSG_RESOURCE_LINK and ctx.link_line_items:
                # The assignment's line item: the first one made for the link.
                ags["lineitem"] = self.lineitem_url(iss, course.id, tool, ctx.link_line_items[0].id)
            ags["scope"] = ags_scopes
            ags["lineitems"] = self.lineitems_url(iss, course.id, tool)
            c[v.CLAIM_AGS] = ags
        c.update(
            {
                "aud": tool.client_id,
                "azp": tool.client_id,
                v.CLAIM_DEPLOYMENT_ID: tool.deployment_id,
                "exp": ctx.now + self.id_token_lifetime,
                "iat": ctx.now,
                "iss": iss,
                "nonce": ctx.nonce,
                "sub": user.lti_id,
                v.CLAIM_TARGET_LINK_URI: ctx.target_link_uri,
            }
        )
        if tool.privacy_level == "public":
            c["picture"] = f"{iss}/images/messages/avatar-50.png"
        if shares_email(tool):
            c["email"] = user.email
        if shares_name(tool):
            c.update(name=user.name, given_name=user.given_name, family_name=user.family_name)
        if tool.privacy_level != "anonymous":
            # Unresolvable variables stay literal, as the capture shows.
            c[v.CLAIM_LIS] = {
                "person_sourcedid": user.sis_id or "$Person.sourcedId",
                "course_offering_sourcedid": course.sis_id or "$CourseSection.sourcedId",
            }
        c[v.CLAIM_CONTEXT] = {
            "id": course.lti_context_id,
            "label": course.label,
            "title": course.title,
            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        }
        c[v.CLAIM_TOOL_PLATFORM] = {
            "guid": ctx.platform.guid,
            "name": ctx.platform.name,
            "version": "cloud",
            "product_family_code": "canvas",
        }
        c[v.CLAIM_LAUNCH_PRESENTATION] = {
            "document_target": "iframe",
            "return_url": self.launch_return_url(iss, course, rl.id if rl else None, sesskey),
            "locale": user.lang or "en",
        }
        c["locale"] = user.lang or "en"  # Canvas repeats the user's locale at the top level
        c[v.CLAIM_ROLES] = self.launch_roles(ctx.role, user.is_admin, ctx.account_roles)
        custom = dict(tool.custom)
        if rl is not None:
            custom.update(rl.custom)
        if custom:
            c[v.CLAIM_CUSTOM] = substitute(custom, self._resolvers(ctx))
        if v.SCOPE_NRPS in tool.scope_set:
            c[v.CLAIM_NRPS] = {
                "context_memberships_url": self.memberships_url(iss, course, tool),
                "service_versions": ["2.0"],
            }
        c[v.CLAIM_LTI11_LEGACY_USER_ID] = user.legacy_id
        lti1p1: dict[str, Any] = {"user_id": user.legacy_id}
        if rl is not None and ctx.message_type == v.MSG_RESOURCE_LINK:
            lti1p1["resource_link_id"] = _legacy_link_id(rl.lti_id)
        c[v.CLAIM_LTI1P1] = lti1p1
        c[v.CLAIM_CANVAS_PLACEMENT] = ctx.placement
        return c

    def _resolvers(self, ctx: LaunchContext) -> dict[str, Any]:
        r = common_resolvers(ctx)
        r.update(
            {
                "Canvas.course.id": lambda: str(ctx.course.id),
                "Canvas.course.name": lambda: ctx.course.title,
                "Canvas.user.id": lambda: str(ctx.user.id),
                "Canvas.user.loginId": lambda: ctx.user.login,
                "Canvas.api.domain": lambda: ctx.issuer.split("://", 1)[-1].split("/", 1)[0],
                "Canvas.user.sisSourceId": lambda: ctx.user.sis_id,
            }
        )
        return r

    # ---- serialisation ----------------------------------------------------------------
    def lineitem_json(
        self, iss: str, course_id: int, tool: Tool, li: LineItem, rl_lti_id: str | None
    ) -> dict[str, Any]:
        """A line item as Canvas's LineItemsSerializer writes it (nil fields left out)."""
        out: dict[str, Any] = {
            "id": self.lineitem_url(iss, course_id, tool, li.id),
            "scoreMaximum": num(li.score_maximum),
            "label": li.label,
        }
        if li.resource_id:
            out["resourceId"] = li.resource_id
        if li.tag:
            out["tag"] = li.tag
        if rl_lti_id is not None:
            out["resourceLinkId"] = rl_lti_id
        if li.start_at:
            out["startDateTime"] = iso(li.start_at)
        if li.end_at:
            out["endDateTime"] = iso(li.end_at)
        return out

    def results_json(
        self, iss: str, course_id: int, tool: Tool, li: LineItem, rows: Sequence[ResultRow]
    ) -> list[dict[str, Any]]:
        """Results as Canvas's ResultsSerializer writes them."""
        item_url = self.lineitem_url(iss, course_id, tool, li.id)
        result_url = f"{item_url}/results/"
        body = []
        for r in rows:
            out: dict[str, Any] = {
                "id": f"{result_url}{r.id}",
                "scoreOf": item_url,
                "userId": r.user_lti_id,
            }
            if r.score_given is not None:
                out["resultScore"] = num(r.score_given)
            maximum = r.score_maximum if r.score_maximum is not None else li.score_maximum
            out["resultMaximum"] = num(maximum)
            if r.comment:
                out["comment"] = r.comment
            body.append(out)
        return body

    def member_json(self, tool: Tool, row: MemberRow) -> dict[str, Any]:
        """An NRPS member as Canvas's NamesAndRolesSerializer writes it."""
        u = row.user
        m: dict[str, Any] = {"status": "Active" if row.status == "active" else "Inactive"}
        if shares_name(tool):
            m["name"] = u.name
        if tool.privacy_level == "public":
            m["picture"] = None
        if shares_name(tool):
            m.update(given_name=u.given_name, family_name=u.family_name)
        if shares_email(tool):
            m["email"] = u.email
        if shares_name(tool) and u.sis_id:
            m["lis_person_sourcedid"] = u.sis_id
        m["user_id"] = u.lti_id
        m["lti11_legacy_user_id"] = u.legacy_id
        m["roles"] = self.member_roles(row.role)
        return m

    def context_json(self, course: Course) -> dict[str, Any]:
        """The NRPS container's context."""
        return {"id": course.lti_context_id, "label": course.label, "title": course.title}

    # ---- paging -----------------------------------------------------------------------
    def page_window(self, kind: str, args: dict[str, str]) -> tuple[int, int | None]:
        """(offset, limit): Canvas pages everything, ``limit`` (or ``per_page``) sets the size."""
        default = NRPS_PER_PAGE if kind == "members" else API_PER_PAGE
        per_page = _int(args.get("limit")) or _int(args.get("per_page")) or default
        per_page = max(1, min(per_page, API_MAX_PER_PAGE))
        page = max(_int(args.get("page")) or 1, 1)
        return (page - 1) * per_page, per_page

    def page_links(
        self, url: str, extra: dict[str, str], offset: int, limit: int | None, total: int
    ) -> str | None:
        """Canvas's Link header: current, next (if any), first, last."""
        assert limit is not None
        page = offset // limit + 1
        last = max((total + limit - 1) // limit, 1)

        def link(p: int, rel: str) -> str:
            return f'<{url}?{urlencode({**extra, "page": p, "per_page": limit})}>; rel="{rel}"'

        links = [link(page, "current")]
        if page < last:
            links.append(link(page + 1, "next"))
        if page > 1:
            links.append(link(page - 1, "prev"))
        links += [link(1, "first"), link(last, "last")]
        return ",".join(links)


def _legacy_link_id(lti_id: str) -> str:
    import hashlib

    return hashlib.sha1(lti_id.encode()).hexdigest()


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None
