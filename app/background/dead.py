"""Every kind's dead list in one place, and retrying a dead item (the console's page).

A kind registers its model (a :class:`~app.background.leases.Attempts` row), a label, a
one-line description of a row and how to enqueue revived rows; the console lists the dead
items of every kind and its Retry button calls :func:`retry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.background import leases
from app.extensions import db


@dataclass(frozen=True)
class DeadKind:
    """A kind of background item that can die: where its rows are and how to run them again."""

    name: str
    label: str
    model: Any
    describe: Callable[[Any], str]
    enqueue: Callable[[list[int]], None]


@dataclass(frozen=True)
class DeadItem:
    """One dead row as the console shows it."""

    kind: str
    label: str
    id: int
    what: str
    attempts: int
    last_error: str
    since: datetime | None


_KINDS: dict[str, DeadKind] = {}


def register(kind: DeadKind) -> DeadKind:
    """Make ``kind``'s dead rows visible to the console (one registration per name)."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> Iterable[DeadKind]:
    """The registered kinds, in registration order."""
    return _KINDS.values()


def dead_items(limit: int = 200) -> list[DeadItem]:
    """The dead items of every kind (newest first within a kind, at most ``limit`` each)."""
    return [
        DeadItem(
            kind.name,
            kind.label,
            row.id,
            kind.describe(row),
            row.attempts,
            row.last_error or "",
            _when(row),
        )
        for kind in _KINDS.values()
        for row in leases.dead(kind.model, limit)
    ]


def _when(row: Any) -> datetime | None:
    # When it died, as near as the row tells: its last change, else its creation.
    for column in ("finished_at", "updated_at", "created_at"):
        if (value := getattr(row, column, None)) is not None:
            return value
    return None


def retry(kind_name: str, item_id: int) -> bool:
    """Give a dead item a fresh set of attempts and enqueue it (commits). False when the kind
    is unknown or the item is not dead (any more)."""
    kind = _KINDS.get(kind_name)
    if kind is None:
        return False
    row = leases.revive(kind.model, item_id)
    db.session.commit()
    if row is None:
        return False
    kind.enqueue([item_id])
    return True
