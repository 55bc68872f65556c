"""Request limits: one global body cap (``MAX_CONTENT_LENGTH``) raised per route on purpose,
and rate limits of anonymous endpoints read from the settings on each request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import current_app, request

from app.extensions import limiter

P = ParamSpec("P")
R = TypeVar("R")


def body_limit(max_bytes: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let one view accept bodies up to ``max_bytes`` instead of the global cap.

    Put it above every decorator that may read the form (the launch check reads ``lt``), so
    the larger limit is in force before anything parses the body.
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request.max_content_length = max_bytes
            return view(*args, **kwargs)

        return wrapper

    return decorator


def rate_limit(setting: str) -> Any:
    """Limit a view (or a whole blueprint) to the rate named by the setting ``setting``.

    The limit is read from the config on every request, so a deployment (or a test) changes
    it without re-registering anything.
    """
    return limiter.limit(lambda: current_app.config[setting])
