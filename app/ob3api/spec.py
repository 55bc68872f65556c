"""The OB 3.0 API's fixed names: paths, scopes, ``Imsx_StatusInfo`` bodies, and the Service
Description Document (the spec's OpenAPI file, profiled for this tool).

One place spells them, for the provider's views, the consumer's client and the tests.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, jsonify
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

API_PREFIX = "/ims/ob/v3p0"
DISCOVERY_PATH = f"{API_PREFIX}/discovery"
CREDENTIALS_PATH = f"{API_PREFIX}/credentials"
PROFILE_PATH = f"{API_PREFIX}/profile"
# The authorization server's own endpoints (the SDD names them; the spec leaves the paths).
REGISTER_PATH = "/ob3/oauth/register"
AUTHORIZE_PATH = "/ob3/oauth/authorize"
TOKEN_PATH = "/ob3/oauth/token"
REVOKE_PATH = "/ob3/oauth/revoke"
# What the API shares and keeps (the SDD's terms of service and privacy policy).
TERMS_PATH = "/ob3/terms"
PRIVACY_PATH = "/ob3/privacy"

_SCOPE_BASE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
CREDENTIAL_READONLY = _SCOPE_BASE + "credential.readonly"
CREDENTIAL_UPSERT = _SCOPE_BASE + "credential.upsert"
PROFILE_READONLY = _SCOPE_BASE + "profile.readonly"
PROFILE_UPDATE = _SCOPE_BASE + "profile.update"
# What each scope lets a client do, in the words the learner reads before approving.
SCOPES = {
    CREDENTIAL_READONLY: _l("Read your badges (your Open Badge credentials)"),
    CREDENTIAL_UPSERT: _l("Add or update badges in your record"),
    PROFILE_READONLY: _l("Read your profile (your name and email address)"),
    PROFILE_UPDATE: _l("Update your profile"),
}
# Clients following the spec's example also ask for refresh tokens this way.
OFFLINE_ACCESS = "offline_access"
SUPPORTED_SCOPES = [*SCOPES, OFFLINE_ACCESS]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _scope_descriptions() -> dict[str, str]:
    # The discovery document is read by programs: its words stay in the source language.
    with force_locale("en"):
        return {scope: str(words) for scope, words in SCOPES.items()}


def https_or_loopback(url: str) -> bool:
    """https, as the spec requires of every URL of the API; plain http only on a loopback
    host (software under development on this machine), as RFC 8252 allows."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    try:
        return parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def page_offsets(total: int, limit: int, offset: int) -> dict[str, int]:
    """The offsets of the spec's ``Link`` relations for one page of getCredentials: ``first``
    and ``last`` always, ``next`` while results remain, ``prev`` when ``offset`` > 0."""
    offsets = {"first": 0, "last": max(0, (total - 1) // limit * limit)}
    if offset + limit < total:
        offsets["next"] = offset + limit
    if offset > 0:
        offsets["prev"] = max(0, offset - limit)
    return offsets


def status_info(description: str, code_minor: str, major: str = "failure") -> dict[str, Any]:
    """An ``Imsx_StatusInfo`` body (``code_minor`` from the spec's vocabulary)."""
    return {
        "imsx_codeMajor": major,
        "imsx_severity": "error" if major == "failure" else "status",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor,
                }
            ]
        },
    }


# HTTP status -> the codeMinor the spec's OpenAPI file pairs with it.
CODE_MINOR = {
    400: "invalid_query_parameter",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    406: "not_acceptable",
    413: "invalid_data",
    415: "not_acceptable",
    429: "server_busy",
    500: "internal_server_error",
}


def error_response(status: int, description: str, code_minor: str | None = None) -> Response:
    """An API error: ``Imsx_StatusInfo`` JSON with the status's codeMinor."""
    response = jsonify(status_info(description, code_minor or CODE_MINOR.get(status, "unknown")))
    response.status_code = status
    return response


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def _error_responses(*statuses: int) -> dict[str, Any]:
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Imsx_StatusInfo"}}}
    out: dict[str, Any] = {
        str(status): {"description": CODE_MINOR[status], "content": ref} for status in statuses
    }
    out["default"] = {"description": "An error", "content": ref}
    return out


def service_description() -> dict[str, Any]:
    """The Service Description Document: the spec's OpenAPI 3.0 file profiled to what this
    tool serves (getCredentials, getProfile, discovery) with the OAuth 2.0 ACG scheme."""
    base = _base()
    security: list[dict[str, list[str]]] = [{"OAuth2ACG": []}]
    return {
        "openapi": "3.0.1",
        "info": {
            "title": current_app.config.get("OB3_API_TITLE") or "Badgebridge",
            "description": "The 1EdTech Open Badges 3.0 API of this Badgebridge: a learner's "
            "own badges and profile, with the learner's consent.",
            "termsOfService": base + TERMS_PATH,
            "version": "3.0",
            "x-imssf-privacyPolicyUrl": base + PRIVACY_PATH,
        },
        "servers": [{"url": base + API_PREFIX, "description": "Open Badges 3.0 API"}],
        "tags": [
            {"name": "OpenBadgeCredentials", "description": "Exchange OpenBadgeCredentials"},
            {"name": "Profile", "description": "The learner's profile"},
            {"name": "Discovery", "description": "This document"},
        ],
        "paths": {
            "/credentials": {
                "get": {
                    "tags": ["OpenBadgeCredentials"],
                    "summary": "The learner's OpenBadgeCredentials",
                    "operationId": "getCredentials",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "description": "The maximum number of credentials to return "
                            f"(default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "description": "The index of the first credential to return.",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        {
                            "name": "since",
                            "in": "query",
                            "description": "Only credentials issued after this time.",
                            "required": False,
                            "schema": {"type": "string", "format": "date-time"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The learner's credentials, oldest first",
                            "headers": {
                                "X-Total-Count": {
                                    "description": "How many credentials match",
                                    "schema": {"type": "integer"},
                                },
                                "Link": {
                                    "description": "first, last, next and prev pages",
                                    "schema": {"type": "string"},
                                },
                            },
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "$ref": "#/components/schemas/"
                                        "GetOpenBadgeCredentialsResponse"
                                    }
                                }
                            },
                        },
                        **_error_responses(400, 401, 403, 405, 500),
                    },
                    "security": [{"OAuth2ACG": [CREDENTIAL_READONLY]}],
                    "x-operation-pcc-file-identifier": "getCredentials",
                }
            },
            "/profile": {
                "get": {
                    "tags": ["Profile"],
                    "summary": "The learner's profile",
                    "operationId": "getProfile",
                    "responses": {
                        "200": {
                            "description": "The learner's Profile",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Profile"}
                                }
                            },
                        },
                        **_error_responses(400, 401, 403, 404, 405, 500),
                    },
                    "security": [{"OAuth2ACG": [PROFILE_READONLY]}],
                }
            },
            "/discovery": {
                "get": {
                    "tags": ["Discovery"],
                    "summary": "The Service Description Document",
                    "operationId": "getServiceDescription",
                    "responses": {
                        "200": {"description": "This document"},
                        **_error_responses(404, 500),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 Authorization Code Grant authorization",
                    "x-imssf-name": current_app.config.get("OB3_API_TITLE") or "Badgebridge",
                    "x-imssf-privacyPolicyUrl": base + PRIVACY_PATH,
                    "x-imssf-registrationUrl": base + REGISTER_PATH,
                    "x-imssf-termsOfServiceUrl": base + TERMS_PATH,
                    # The spec asks to share the revocation endpoint but names no property
                    # for it; ours, outside 1EdTech's x-imssf- namespace.
                    "x-badgebridge-revocationUrl": base + REVOKE_PATH,
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": base + AUTHORIZE_PATH,
                            "tokenUrl": base + TOKEN_PATH,
                            "refreshUrl": base + TOKEN_PATH,
                            "scopes": _scope_descriptions(),
                        }
                    },
                }
            },
            "schemas": {
                "GetOpenBadgeCredentialsResponse": {
                    "$ref": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                    "ob_v3p0_getopenbadgecredentialsresponse_schema.json"
                },
                "Profile": {
                    "$ref": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                    "ob_v3p0_profile_schema.json"
                },
                "Imsx_StatusInfo": {
                    "$ref": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
                    "ob_v3p0_imsx_statusinfo_schema.json"
                },
            },
        },
        "security": security,
    }
