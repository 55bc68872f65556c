"""The tool's URLs as an LMS must see them (from ``PUBLIC_BASE_URL``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class ToolUrls:
    """The tool's login, launch, key set and registration URLs, and its logo."""

    base: str
    login: str
    launch: str
    jwks: str
    register: str
    canvas_json: str
    logo: str

    @classmethod
    def from_base(cls, base: str) -> ToolUrls:
        base = base.rstrip("/")
        return cls(
            base=base,
            login=f"{base}/lti/login",
            launch=f"{base}/lti/launch",
            jwks=f"{base}/lti/jwks.json",
            register=f"{base}/lti/register",
            canvas_json=f"{base}/lti/canvas.json",
            logo=f"{base}/lti/static/badgebridge-logo.svg",
        )


def tool_urls() -> ToolUrls:
    """The tool's URLs for the running application."""
    return ToolUrls.from_base(current_app.config["PUBLIC_BASE_URL"])
