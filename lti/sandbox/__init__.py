"""A small, independent LTI 1.3 Advantage *platform* (Moodle-like and Canvas-like) for the
demo and the tool's end-to-end tests. It imports nothing of the tool."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import Flask

REPO_ROOT = Path(__file__).resolve().parents[2]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the sandbox server. Config: ``SANDBOX_DATABASE_URL``, ``SANDBOX_BASE_URL``,
    ``SECRET_KEY``, ``SANDBOX_FIT_FRAME`` (the Canvas-like course resizes the tool's frame
    when the tool asks, off by default) and, for tests, ``SANDBOX_HTTP_SESSION`` (a
    ``requests.Session`` used to fetch tools' key sets)."""
    from lti.sandbox import db, keys
    from lti.sandbox.views import register

    app = Flask(__name__, template_folder="templates")
    instance = REPO_ROOT / "instance"
    app.config.update(
        SANDBOX_DATABASE_URL=f"sqlite:///{instance / 'sandbox.db'}",
        SANDBOX_BASE_URL="http://127.0.0.1:5001",
        SECRET_KEY=None,
        SESSION_COOKIE_NAME="sandbox_session",
        SANDBOX_JWKS_TTL=300.0,
        SANDBOX_FIT_FRAME=False,
    )
    app.config.update(config or {})
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    if app.config["SANDBOX_DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["SANDBOX_DATABASE_URL"][len("sqlite:///") :]).parent.mkdir(
            parents=True, exist_ok=True
        )
    db.init_app(app)
    app.extensions["lti_sandbox_keysets"] = keys.ToolKeySets(
        app.config.get("SANDBOX_HTTP_SESSION"), ttl=float(app.config["SANDBOX_JWKS_TTL"])
    )
    register(app)
    return app


__all__ = ["create_app"]
