"""The one handler registry: what carries out a background item of each kind.

Kinds are one namespace for every table: a tracked job's kind (``sync``, ``evaluate``) is
run as ``fn(job, heartbeat)``, an outbox row's kind (``notify_award``, ``digest``,
``webhook`` …) as ``fn(message)``, returning None or the row's final state. Each kind has
exactly one handler; registering a second is a programming error caught at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class GiveUp(Exception):
    """A failure that trying again cannot fix (a mail server refusing the address for good):
    the item goes to the dead list at once instead of backing off."""


_HANDLERS: dict[str, Callable[..., Any]] = {}


def handler(kind: str) -> Callable[[F], F]:
    """Register the function that carries out items of ``kind``."""

    def decorator(fn: F) -> F:
        held = _HANDLERS.get(kind)
        if held is not None and (held.__module__, held.__qualname__) != (
            fn.__module__,
            fn.__qualname__,
        ):
            raise RuntimeError(f"{kind!r} is handled by {held.__module__}.{held.__qualname__}")
        _HANDLERS[kind] = fn
        return fn

    return decorator


def handler_for(kind: str) -> Callable[..., Any]:
    """The handler of ``kind``; LookupError when nothing handles it."""
    try:
        return _HANDLERS[kind]
    except KeyError:
        raise LookupError(f"no handler for background kind {kind!r}") from None
