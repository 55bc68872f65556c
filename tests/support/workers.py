"""Each pytest-xdist worker gets its own database and Redis db, so parallel tests never meet.

``make test`` runs the suite in several worker processes (``-n``); every test wipes the tables
it uses, so two workers sharing one database would wipe each other's rows. Without xdist
(``PYTEST_XDIST_WORKER`` unset) the URLs are used as given.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.engine import make_url


def worker_number() -> int | None:
    """This process's xdist worker number (``gw3`` → 3), or None outside xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") else None


def worker_database_url(server_url: str | None, tmp: Path) -> str:
    """The database this process tests on: a SQLite file in ``tmp``, or on the server
    ``server_url`` names, that database for the first worker and ``<name>_gwN`` (created
    when missing) for the others."""
    if not server_url:
        return f"sqlite:///{tmp / 'test.db'}"
    number = worker_number()
    if not number:
        return server_url
    url = make_url(server_url)
    name = f"{url.database}_gw{number}"
    _create_database(url, name)
    return url.set(database=name).render_as_string(hide_password=False)


def worker_redis_url(server_url: str) -> str:
    """The Redis db this process tests on: the one ``server_url`` names for the first worker,
    the ones below it (wrapping within Redis's 16) for the others."""
    number = worker_number()
    if not number:
        return server_url
    parts = urlsplit(server_url)
    db = (int(parts.path.strip("/") or 0) - number) % 16
    return urlunsplit(parts._replace(path=f"/{db}"))


def _create_database(url, name: str) -> None:
    import psycopg

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
