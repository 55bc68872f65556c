"""The error page for a refusal a person sees: what happened, what to do, a code to quote."""

from __future__ import annotations

from typing import Protocol

from flask import render_template


class Refusal(Protocol):
    """What the LTI and launch-token refusals carry (``lti.errors``, ``app.launch_session``)."""

    message: str
    hint: str
    code: str
    status: int


def error_page(refusal: Refusal, title: str) -> tuple[str, int]:
    """The error page for ``refusal`` under ``title``, with the refusal's HTTP status."""
    page = render_template(
        "error.html",
        title=title,
        message=refusal.message,
        hint=refusal.hint,
        code=refusal.code,
        status=refusal.status,
    )
    return page, refusal.status
