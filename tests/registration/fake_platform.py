"""A stand-in LMS for the platform side of LTI Dynamic Registration, served over real HTTP.

Two behaviours, from the captures in ``data/``:

* ``moodle``: Moodle 4.5's OpenID configuration (public, no token needed); the registration
  POST needs the registration token; the answer carries ``deployment_id`` in the
  tool-configuration claim (Moodle's tool type id).
* ``canvas``: Canvas's configuration (its documented example, with the placements the doc
  elides filled in); both the configuration GET and the POST need the token as a Bearer
  token; the answer is the request plus ``client_id`` and no ``deployment_id``.

Knobs make it misbehave the ways real platforms do (wrong issuer, slow, broken JSON).
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request

DATA = Path(__file__).parent / "data"
TOKEN = "reg-token-123"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"


@dataclass
class PlatformBehaviour:
    flavour: str  # "moodle" or "canvas"
    token: str | None = TOKEN  # None: a platform that asks for no registration token
    client_id: str = "client-1"
    deployment_id: str = "4"
    issuer: str | None = None  # None: the platform's own origin
    config_delay: float = 0.0
    config_body: str | None = None  # raw text instead of the configuration
    drop_scopes: tuple[str, ...] = ()
    registration_endpoint: str | None = None
    registration_error: tuple[int, str] | None = None  # (status, body) for the POST
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def config_path(self) -> str:
        if self.flavour == "moodle":
            return "/mod/lti/openid-configuration.php"
        return "/api/lti/security/openid-configuration"

    @property
    def registration_path(self) -> str:
        """Where the captured configurations point ``registration_endpoint``."""
        if self.flavour == "moodle":
            return "/mod/lti/openid-registration.php"
        return "/api/lti/registrations"


def _configuration(behaviour: PlatformBehaviour, base: str) -> dict[str, Any]:
    if behaviour.flavour == "moodle":
        config = json.loads((DATA / "moodle-openid-configuration.json").read_text())
        old = "http://127.0.0.1:8081"
        text = json.dumps(config).replace(old, base)
        config = json.loads(text)
    else:
        config = json.loads((DATA / "canvas-openid-configuration.json").read_text())
        text = json.dumps(config).replace("http://canvas.instructure.com", base)
        config = json.loads(text)
        messages = config[PLATFORM_CONFIGURATION]["messages_supported"]
        # The documentation elides most placements ("// ... more here"); Canvas offers these.
        messages[0]["placements"] += ["course_navigation"]
        messages[1]["placements"] += ["link_selection"]
    config.pop("_source", None)
    config["issuer"] = behaviour.issuer or base
    config["scopes_supported"] = [
        s for s in config["scopes_supported"] if s not in behaviour.drop_scopes
    ]
    if behaviour.registration_endpoint:
        config["registration_endpoint"] = behaviour.registration_endpoint
    return config


def _bearer_ok(behaviour: PlatformBehaviour) -> bool:
    if behaviour.token is None:
        return True
    return request.headers.get("Authorization") == f"Bearer {behaviour.token}"


def make_platform(behaviour: PlatformBehaviour) -> Flask:
    """A Flask app playing the platform."""
    app = Flask(f"fake-{behaviour.flavour}")
    base_of = lambda: request.host_url.rstrip("/")  # noqa: E731

    @app.get(behaviour.config_path)
    def openid_configuration() -> Any:
        behaviour.received.append({"method": "GET", "auth": request.headers.get("Authorization")})
        if behaviour.config_delay:
            time.sleep(behaviour.config_delay)
        if behaviour.flavour == "canvas" and not _bearer_ok(behaviour):
            return jsonify({"errors": [{"message": "Invalid registration token"}]}), 401
        if behaviour.config_body is not None:
            return Response(behaviour.config_body, content_type="application/json")
        return jsonify(_configuration(behaviour, base_of()))

    @app.post(behaviour.registration_path)
    def register() -> Any:
        body = request.get_json(force=True)
        behaviour.received.append(
            {"method": "POST", "auth": request.headers.get("Authorization"), "body": body}
        )
        if not _bearer_ok(behaviour):
            return jsonify({"error": "invalid_token"}), 401
        if behaviour.registration_error:
            status, text = behaviour.registration_error
            return Response(text, status=status, content_type="application/json")
        answer = copy.deepcopy(body)
        answer["client_id"] = behaviour.client_id
        supported = _configuration(behaviour, base_of())["scopes_supported"]
        answer["scope"] = " ".join(s for s in body["scope"].split() if s in supported)
        if behaviour.flavour == "moodle":
            # Moodle's answer (see data/moodle-registration-response.json): its tool type id.
            tool = answer[TOOL_CONFIGURATION]
            tool["version"] = "1.3.0"
            tool["deployment_id"] = behaviour.deployment_id
        return jsonify(answer)

    return app
