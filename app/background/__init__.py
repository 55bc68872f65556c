"""Background work, in one place: the huey queue, the lease/attempt columns and the
claim → run → back off → dead list → retry cycle shared by tracked jobs, the outbox (every
email and webhook event owed) and webhook deliveries, the one handler registry, and the dead
list the console shows.

Rooms: :mod:`.queue` (huey, configured by :func:`init_app`; ``flask worker``),
:mod:`.leases` (columns and the shared state changes), :mod:`.handlers` (what runs each kind),
:mod:`.dead` (every kind's dead items, and retrying one).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Configure the queue for ``app`` and register ``flask worker``."""
    from app.background import queue

    queue.init_app(app)
