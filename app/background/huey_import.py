"""Import huey without the Redis and PostgreSQL clients it would load for nothing.

``huey.storage`` imports the Redis client and psycopg whenever they are installed, although a
queue uses one storage and this tool never huey's PostgreSQL one: on a SQLite install that is
about 17 MiB of every process at rest (a tenth of a queue consumer's memory). The app factory
imports huey first through :func:`import_huey`, with both clients hidden; a Redis queue then
gets its storage class from :func:`redis_storage`, which loads the client into huey when it
was left out. The database driver is SQLAlchemy's own import, untouched by this.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

_CLIENTS = ("redis", "psycopg")


def import_huey() -> None:
    """Import huey (once per process) without the clients not imported yet."""
    if "huey" in sys.modules:
        return
    hidden = [name for name in _CLIENTS if name not in sys.modules]
    # A None entry makes ``import name`` raise ImportError, which huey takes as "absent".
    sys.modules.update(dict.fromkeys(hidden))  # type: ignore[arg-type]
    try:
        import huey  # noqa: F401
    finally:
        for name in hidden:
            if sys.modules.get(name, "") is None:
                del sys.modules[name]


def redis_storage() -> Any:
    """huey's Redis storage class, with the Redis client loaded into ``huey.storage`` if
    :func:`import_huey` left it out (the module is run again, now finding the client)."""
    import huey.storage

    if huey.storage.Redis is None:
        importlib.reload(huey.storage)
    return huey.storage.RedisStorage
