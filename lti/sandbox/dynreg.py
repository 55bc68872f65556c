"""The platform side of LTI Dynamic Registration 1.0, as Moodle 4.5 and Canvas do it.

The admin pastes a tool's registration URL; the platform opens it with ``openid_configuration``
and ``registration_token``; the tool reads the configuration and POSTs its client
registration to the ``registration_endpoint``; the platform stores the tool *inactive* and
answers with a ``client_id``. The admin then activates it. Per product:

- **Moodle** (``mod/lti/openid-registration.php``, ``registration_helper.php``): the token is
  an RS256 JWT signed with the site key whose ``sub`` is the client_id to be (15 random
  characters) and ``scope`` is ``reg``. The configuration GET ignores it; the registration
  POST requires it (401 ``missing_registration_token``), and it is single-use because its
  client_id then exists (401 ``token_already_used``). The answer carries the deployment id
  (the tool type id) in the tool-configuration claim; the tool type stays "Pending" until the
  admin activates it. Names and emails are shared when the registration's ``claims`` ask.
- **Canvas** (``doc/api/registration.md``): the configuration GET and the registration POST
  both need the token as a Bearer token; the answer is the registration plus ``client_id``
  and no ``deployment_id``: the deployment is made when the admin enables and deploys the
  key, and the tool first sees it at launch. The privacy level defaults to ``anonymous``
  unless the registration asks otherwise.

Nothing here imports the tool: the sandbox is an independent platform.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti.sandbox import keys
from lti.sandbox import operations as ops
from lti.sandbox import vocab as v
from lti.sandbox.models import (
    Course,
    Platform,
    PlatformKey,
    RegistrationToken,
    Tool,
    ToolRegistration,
    as_utc,
    dumps,
    utcnow,
)

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CANVAS_PRIVACY_LEVEL = "https://canvas.instructure.com/lti/privacy_level"
PRIVACY_LEVELS = ("public", "name_only", "email_only", "anonymous")
# Both products hand out tokens valid for an hour (Moodle: HOURSECS).
DEFAULT_TOKEN_TTL = 3600
MOODLE_TOKEN_SCOPE = "reg"
# Canvas's developer key ids: the shard (1) times 10^13 plus the key's row id.
CANVAS_KEY_BASE = 10_000_000_000_000
PENDING_PREFIX = "pending:"


class DynRegError(Exception):
    """A registration request the platform refuses; ``code`` is what the product answers."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message or code


@dataclass(frozen=True)
class IssuedToken:
    """A registration token and the configuration URL it goes with."""

    token: str
    jti: str
    client_id: str | None


def configuration_url(flavour: str, iss: str) -> str:
    """The ``openid_configuration`` URL the product hands to the tool."""
    if flavour == "canvas":
        return f"{iss}/api/lti/security/openid-configuration"
    return f"{iss}/mod/lti/openid-configuration.php"


def _moodle_client_id() -> str:
    # Moodle: random_string(15), letters and digits.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(15))


def issue_token(s: Session, platform: Platform, ttl: int = DEFAULT_TOKEN_TTL) -> IssuedToken:
    """Sign a registration token for ``platform`` and record it (single use, ``ttl`` s)."""
    now = utcnow()
    iat = int(now.timestamp())
    if platform.flavour == "moodle":
        client_id: str | None = _moodle_client_id()
        jti = str(client_id)
        claims: dict[str, Any] = {
            "sub": client_id,
            "scope": MOODLE_TOKEN_SCOPE,
            "iat": iat,
            "exp": iat + ttl,
        }
    else:
        client_id = None
        jti = uuid.uuid4().hex
        claims = {
            "user_id": 1,
            "initiated_at": now.isoformat(),
            "root_account_global_id": 10_000_000_000_001,
            "iat": iat,
            "exp": iat + ttl,
            "jti": jti,
        }
    s.add(
        RegistrationToken(
            jti=jti,
            platform_id=platform.id,
            client_id=client_id,
            expires_at=now + timedelta(seconds=ttl),
        )
    )
    s.flush()
    return IssuedToken(keys.sign(s, platform, claims), jti, client_id)


def _bearer(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    if scheme != "Bearer" or not token.strip():
        return None
    return token.strip()


def check_token(s: Session, platform: Platform, authorization: str | None) -> RegistrationToken:
    """The live, unused token row behind an ``Authorization`` header, or a DynRegError 401."""
    token = _bearer(authorization)
    if token is None:
        raise DynRegError(
            401,
            "missing_registration_token",
            "A registration token is required (Authorization: Bearer …).",
        )
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as exc:
        raise DynRegError(
            401, "invalid_registration_token", "The registration token is not a JWT."
        ) from exc
    key = s.scalars(
        select(PlatformKey).where(
            PlatformKey.platform_id == platform.id, PlatformKey.kid == str(kid)
        )
    ).first()
    if key is None:
        raise DynRegError(
            401,
            "invalid_registration_token",
            "The registration token was not issued by this platform.",
        )
    public = RSAAlgorithm.from_jwk(json.dumps(keys.public_jwk(key)))
    assert isinstance(public, rsa.RSAPublicKey)  # from a public JWK
    try:
        claims = jwt.decode(
            token,
            public,
            algorithms=["RS256"],
            options={"require": ["exp", "iat"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise DynRegError(
            401, "registration_token_expired", "The registration token has expired."
        ) from exc
    except jwt.PyJWTError as exc:
        raise DynRegError(
            401, "invalid_registration_token", f"The registration token is not valid: {exc}"
        ) from exc
    jti = str(claims.get("sub") if platform.flavour == "moodle" else claims.get("jti"))
    row = s.get(RegistrationToken, jti)
    if row is None or row.platform_id != platform.id:
        raise DynRegError(
            401, "invalid_registration_token", "The registration token is unknown to this platform."
        )
    if row.used_at is not None or (
        row.client_id
        and s.scalars(
            select(Tool.id).where(Tool.platform_id == platform.id, Tool.client_id == row.client_id)
        ).first()
    ):
        raise DynRegError(
            401,
            "token_already_used",
            "This registration token was already used: start a new registration.",
        )
    if as_utc(row.expires_at) <= utcnow():
        raise DynRegError(401, "registration_token_expired", "The registration token has expired.")
    return row


# ---- validating the tool's registration ------------------------------------------------
def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _require(payload: dict[str, Any], key: str) -> Any:
    value = payload.get(key)
    if value in (None, "", [], {}):
        # Moodle's registration_helper::get_parameter wording.
        raise DynRegError(400, f"missing required attribute {key}")
    return value


def validate(payload: Any, flavour: str) -> dict[str, Any]:
    """Check a client registration (LTI DR 1.0 §3.1); its tool configuration claim on success."""
    if not isinstance(payload, dict):
        raise DynRegError(400, "invalid_registration", "The body must be a JSON object.")
    for key in (
        "application_type",
        "response_types",
        "grant_types",
        "initiate_login_uri",
        "redirect_uris",
        "jwks_uri",
        "token_endpoint_auth_method",
        "client_name",
    ):
        _require(payload, key)
    if "scope" not in payload:
        raise DynRegError(400, "missing required attribute scope")
    if not isinstance(payload["scope"], str):
        raise DynRegError(400, "invalid_scope", "scope must be a space-separated string.")
    if payload["application_type"] != "web":
        raise DynRegError(400, "invalid_application_type", "application_type must be web.")
    if (
        not isinstance(payload["response_types"], list)
        or "id_token" not in payload["response_types"]
    ):
        raise DynRegError(400, "invalid_response_types", "response_types must include id_token.")
    grants = payload["grant_types"]
    if not isinstance(grants, list) or not {"implicit", "client_credentials"} <= set(grants):
        raise DynRegError(
            400, "invalid_grant_types", "grant_types must include implicit and client_credentials."
        )
    uris = payload["redirect_uris"]
    if not isinstance(uris, list) or not all(_is_http_url(u) for u in uris):
        raise DynRegError(
            400, "invalid_redirect_uris", "redirect_uris must be a list of http(s) URLs."
        )
    for key in ("initiate_login_uri", "jwks_uri"):
        if not _is_http_url(payload[key]):
            raise DynRegError(400, f"invalid_{key}", f"{key} must be an http(s) URL.")
    if payload["token_endpoint_auth_method"] != "private_key_jwt":
        raise DynRegError(
            400,
            "invalid_token_endpoint_auth_method",
            "token_endpoint_auth_method must be private_key_jwt.",
        )
    if not isinstance(payload["client_name"], str):
        raise DynRegError(400, "invalid_client_name", "client_name must be a string.")
    tool_conf = _require(payload, TOOL_CONFIGURATION)
    if not isinstance(tool_conf, dict):
        raise DynRegError(
            400, "invalid_tool_configuration", f"{TOOL_CONFIGURATION} must be an object."
        )
    if flavour == "moodle":
        _require(tool_conf, "domain")
    if not _is_http_url(_require(tool_conf, "target_link_uri")):
        raise DynRegError(400, "invalid_target_link_uri", "target_link_uri must be an http(s) URL.")
    messages = _require(tool_conf, "messages")
    if not isinstance(messages, list) or not all(
        isinstance(m, dict) and isinstance(m.get("type"), str) for m in messages
    ):
        raise DynRegError(400, "invalid_messages", "messages must be a list of {type: …}.")
    for message in messages:
        if "target_link_uri" in message and not _is_http_url(message["target_link_uri"]):
            raise DynRegError(
                400, "invalid_messages", "a message's target_link_uri must be an http(s) URL."
            )
    return tool_conf


def _privacy(flavour: str, tool_conf: dict[str, Any]) -> str:
    if flavour == "canvas":
        level = tool_conf.get(CANVAS_PRIVACY_LEVEL)
        return level if level in PRIVACY_LEVELS else "anonymous"
    # Moodle: sendname when any name claim is asked, sendemailaddr when email is.
    claims = set(tool_conf.get("claims") or [])
    name = bool(claims & {"name", "given_name", "family_name"})
    email = "email" in claims
    return {
        (True, True): "public",
        (True, False): "name_only",
        (False, True): "email_only",
        (False, False): "anonymous",
    }[(name, email)]


def _unused(s: Session, platform: Platform, column: Any, start: int) -> str:
    value = start
    while s.scalars(
        select(Tool.id).where(Tool.platform_id == platform.id, column == str(value))
    ).first():
        value += 1
    return str(value)


def register(
    s: Session,
    platform: Platform,
    token: RegistrationToken,
    payload: dict[str, Any],
    supported_scopes: list[str],
) -> tuple[Tool, dict[str, Any]]:
    """Store the tool inactive and build the product's answer. The token is spent here."""
    tool_conf = validate(payload, platform.flavour)
    spent = s.execute(
        update(RegistrationToken)
        .where(RegistrationToken.jti == token.jti, RegistrationToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        # A concurrent request with the same token won: same answer as a replay.
        raise DynRegError(
            401,
            "token_already_used",
            "This registration token was already used: start a new registration.",
        )
    requested = str(payload.get("scope") or "").split()
    granted = [sc for sc in requested if sc in supported_scopes and sc != "openid"]
    messages = tool_conf.get("messages") or []
    deep_link = next((m for m in messages if m.get("type") == v.MSG_DEEP_LINKING), None)
    target = str(tool_conf["target_link_uri"])
    custom = tool_conf.get("custom_parameters") or {}
    if platform.flavour == "moodle":
        client_id = str(token.client_id)
        # Moodle's deployment id is the tool type id: a small number, unique on the site.
        count = len(s.scalars(select(Tool.id).where(Tool.platform_id == platform.id)).all())
        deployment_id = _unused(s, platform, Tool.deployment_id, count + 1)
    else:
        count = len(s.scalars(select(Tool.id).where(Tool.platform_id == platform.id)).all())
        client_id = _unused(s, platform, Tool.client_id, CANVAS_KEY_BASE + count + 1)
        # No deployment until the admin enables and deploys the key; the column is unique
        # per platform and never sent anywhere while the tool is inactive.
        deployment_id = PENDING_PREFIX + client_id
    tool = ops.register_tool(
        s,
        platform,
        name=str(payload["client_name"])[:200],
        client_id=client_id,
        deployment_id=deployment_id,
        login_url=str(payload["initiate_login_uri"]),
        redirect_uris=[str(u) for u in payload["redirect_uris"]],
        target_link_uri=target,
        jwks_url=str(payload["jwks_uri"]),
        deep_link_url=str(deep_link.get("target_link_uri") or target) if deep_link else None,
        scopes=granted,
        custom={str(k): str(val) for k, val in custom.items()} if isinstance(custom, dict) else {},
        privacy_level=_privacy(platform.flavour, tool_conf),
    )
    tool.active = False
    s.add(ToolRegistration(tool_id=tool.id, status="pending", request_json=dumps(payload)))
    s.flush()
    return tool, answer(platform, tool, payload, tool_conf, granted)


def answer(
    platform: Platform,
    tool: Tool,
    payload: dict[str, Any],
    tool_conf: dict[str, Any],
    granted: list[str],
) -> dict[str, Any]:
    """The registration response in the product's shape."""
    if platform.flavour == "canvas":
        # Canvas: the registration as stored, plus client_id, and no deployment_id.
        body = dict(payload)
        body["client_id"] = tool.client_id
        body["scope"] = " ".join(granted)
        conf = dict(tool_conf)
        conf.pop("deployment_id", None)
        conf[CANVAS_PRIVACY_LEVEL] = tool.privacy_level
        body[TOOL_CONFIGURATION] = conf
        return body
    # Moodle: registration_helper::config_to_registration (shape of the 4.5 capture).
    messages = (
        [{"type": v.MSG_DEEP_LINKING, "target_link_uri": tool.deep_link_url}]
        if tool.deep_link_url
        else []
    )
    claims = ["sub", "iss"]
    if tool.privacy_level in ("public", "name_only"):
        claims += ["name", "family_name", "given_name"]
    if tool.privacy_level in ("public", "email_only"):
        claims.append("email")
    return {
        "client_id": tool.client_id,
        "response_types": ["id_token"],
        "jwks_uri": tool.jwks_url,
        "initiate_login_uri": tool.login_url,
        "grant_types": ["client_credentials", "implicit"],
        "redirect_uris": tool.redirect_uris,
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": tool.name,
        "logo_uri": str(payload.get("logo_uri") or ""),
        "scope": " ".join(granted),
        TOOL_CONFIGURATION: {
            "version": "1.3.0",
            "deployment_id": tool.deployment_id,
            "target_link_uri": tool.target_link_uri,
            "domain": str(tool_conf.get("domain") or ""),
            "description": str(tool_conf.get("description") or ""),
            "messages": messages,
            "claims": claims,
        },
    }


# ---- the admin's side ----------------------------------------------------------------
def registration_of(s: Session, tool: Tool) -> ToolRegistration | None:
    """The dynamic registration record of a tool (None for tools registered by hand)."""
    return s.scalars(select(ToolRegistration).where(ToolRegistration.tool_id == tool.id)).first()


def all_tools(s: Session, platform: Platform) -> list[tuple[Tool, ToolRegistration | None]]:
    """Every tool of the platform, pending ones included, with its registration record."""
    tools = s.scalars(select(Tool).where(Tool.platform_id == platform.id).order_by(Tool.id))
    return [(t, registration_of(s, t)) for t in tools]


def activate(s: Session, platform: Platform, client_id: str) -> Tool:
    """Activate (Moodle) or enable and deploy (Canvas) a tool; place it in every course.

    Canvas makes the deployment now, at the account: ``<id>:<account context hex>``. Each
    course gets a link to the tool (Moodle's preconfigured tool added as an activity,
    Canvas's course navigation placement), so it can be launched straight away.
    """
    tool = ops.tool_by_client_id(s, platform, client_id)
    if tool is None:
        raise LookupError(f"no tool with client_id {client_id!r} on {platform.slug}")
    if tool.deployment_id.startswith(PENDING_PREFIX):
        account = hashlib.sha1(f"sandbox:{platform.slug}:account".encode()).hexdigest()
        tool.deployment_id = f"{tool.id}:{account}"
    was_active = tool.active
    tool.active = True
    record = registration_of(s, tool)
    if record is not None and record.status != "active":
        record.status = "active"
        record.activated_at = utcnow()
    if not was_active:
        for course in s.scalars(select(Course).where(Course.platform_id == platform.id)):
            if not any(link.tool_id == tool.id for link in ops.links_of(s, course)):
                ops.add_resource_link(
                    s, course, tool, tool.name, description=f"{tool.name} in this course"
                )
    s.flush()
    return tool


def deactivate(s: Session, platform: Platform, client_id: str) -> None:
    """Turn a tool off (launches and service tokens are refused)."""
    tool = ops.tool_by_client_id(s, platform, client_id)
    if tool is not None:
        tool.active = False
        s.flush()
