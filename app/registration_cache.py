"""The active registrations and deployments, held in each process between changes.

Every launch, every page behind a launch token and every HTML response (its frame-ancestors)
asks who is registered. Those rows change a few times a year, so each worker keeps a snapshot
of them and reads the database only when they changed: a commit that adds, edits, disables or
deletes a registration or deployment stamps a new *version* in the shared cache (files or
Redis, seen by every worker and host), and a worker whose snapshot carries another version
loads it again. A change made behind the ORM's back (raw SQL) is seen within
:data:`MAX_AGE` seconds, and an emptied cache simply means a reload.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cachelib import FileSystemCache
from flask import Flask, current_app, has_app_context, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from app.extensions import cache, db
from app.models import Deployment, Registration, RegistrationStatus

log = logging.getLogger(__name__)

VERSION_KEY = "registrations-version"
MAX_AGE = 60.0  # seconds: the longest a change made outside the ORM goes unseen
FILE_STAMP_MAX_AGE = 1.0  # seconds a file-system cache's unchanged stamp file is trusted
_CHANGED = "registrations_changed"
_WATCHED = (Registration, Deployment)
_MEMO = "badgebridge.registrations"  # the request's snapshot, in its WSGI environ
T = TypeVar("T")


@dataclass(frozen=True)
class RegistrationFacts:
    """An active registration as the launch path reads it (the row's field names)."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str | None
    key_set: dict[str, Any] | None
    product_family: str
    platform_name: str
    institution_admins_are_staff: bool


@dataclass(frozen=True)
class DeploymentFacts:
    """An active deployment of an active registration."""

    id: int
    registration_id: int
    deployment_id: str


@dataclass
class Snapshot:
    """Lookups over the active registrations and deployments at one version."""

    version: str = ""
    loaded_at: float = 0.0
    by_client: dict[tuple[str, str], RegistrationFacts] = field(default_factory=dict)
    by_id: dict[int, RegistrationFacts] = field(default_factory=dict)
    deployments: dict[tuple[int, str], DeploymentFacts] = field(default_factory=dict)
    deployments_by_id: dict[int, DeploymentFacts] = field(default_factory=dict)
    _derived: dict[str, Any] = field(default_factory=dict)

    def registration(self, issuer: str, client_id: str) -> RegistrationFacts | None:
        """The active registration for (issuer, client_id)."""
        return self.by_client.get((issuer, client_id))

    def deployment(self, issuer: str, client_id: str, deployment_id: str) -> DeploymentFacts | None:
        """The active deployment ``deployment_id`` of the active registration."""
        reg = self.by_client.get((issuer, client_id))
        return self.deployments.get((reg.id, deployment_id)) if reg else None

    def derive(self, name: str, compute: Callable[[Snapshot], T]) -> T:
        """``compute(self)``, computed once per snapshot (e.g. the frame-ancestors origins)."""
        if name not in self._derived:
            self._derived[name] = compute(self)
        return self._derived[name]


def _load(version: str) -> Snapshot:
    # Its own connection and transaction: the request's session may hold an older read
    # snapshot (SQLite), which must not be stored under the new version.
    snap = Snapshot(version=version, loaded_at=time.monotonic())
    reg = Registration.__table__.c
    dep = Deployment.__table__.c
    with db.engine.connect() as conn:
        for row in conn.execute(
            select(
                reg.id,
                reg.issuer,
                reg.client_id,
                reg.auth_login_url,
                reg.auth_token_url,
                reg.auth_audience,
                reg.key_set_url,
                reg.key_set,
                reg.product_family,
                reg.platform_name,
                reg.institution_admins_are_staff,
            ).where(reg.status == RegistrationStatus.ACTIVE)
        ):
            facts = RegistrationFacts(
                id=row.id,
                issuer=row.issuer,
                client_id=row.client_id,
                auth_login_url=row.auth_login_url,
                auth_token_url=row.auth_token_url,
                auth_audience=row.auth_audience,
                key_set_url=row.key_set_url,
                key_set=row.key_set,
                product_family=row.product_family or "",
                platform_name=row.platform_name or "",
                institution_admins_are_staff=bool(row.institution_admins_are_staff),
            )
            snap.by_client[(row.issuer, row.client_id)] = snap.by_id[row.id] = facts
        for dep_id, reg_id, deployment_id in conn.execute(
            select(dep.id, dep.registration_id, dep.deployment_id).where(
                dep.status == RegistrationStatus.ACTIVE
            )
        ):
            if reg_id in snap.by_id:
                facts_d = DeploymentFacts(dep_id, reg_id, deployment_id)
                snap.deployments[(reg_id, deployment_id)] = facts_d
                snap.deployments_by_id[dep_id] = facts_d
    return snap


def _file_stamp(backend: FileSystemCache, holder: dict[str, Any]) -> str | None:
    """The version stamp of a file-system cache, read from its file only when the file
    changed (or a second went by). Reading it (open, unpickle) cost every request more than
    the rest of the snapshot. cachelib writes each value to a new file renamed into place, so
    the same inode, size and modification time mean the same contents; the second bounds the
    unlikely case of a freed inode reused within one clock tick."""
    try:
        st = os.stat(backend._get_filename(VERSION_KEY))
    except FileNotFoundError:
        return None  # none stamped yet
    seen = (st.st_ino, st.st_size, st.st_mtime_ns)
    memo = holder.get("file_stamp")
    now = time.monotonic()
    if memo is not None and memo[0] == seen and now - memo[2] < FILE_STAMP_MAX_AGE:
        return memo[1]
    version = cache.get(VERSION_KEY)
    # Stat before read: a file replaced in between is read anew next time.
    holder["file_stamp"] = (seen, version, now)
    return version


def _shared_version(holder: dict[str, Any]) -> str | None:
    try:
        backend = cache.cache
        if isinstance(backend, FileSystemCache):
            version = _file_stamp(backend, holder)
        else:
            version = cache.get(VERSION_KEY)
        if version is None:
            version = secrets.token_hex(8)
            cache.set(VERSION_KEY, version, timeout=0)  # 0: never expires
        return version
    except Exception:  # a cache outage costs a database read per request, nothing more
        log.warning("registrations: shared cache unavailable, reading the database")
        return None


def snapshot() -> Snapshot:
    """The active registrations and deployments, current as of the last change committed
    anywhere (one shared-cache read per request, on the file-system cache a look at its
    file; the database only after a change)."""
    memo = request.environ.get(_MEMO) if has_request_context() else None
    if memo is not None:
        return memo
    holder = current_app.extensions["registration_cache"]
    version = _shared_version(holder)
    snap: Snapshot = holder["snapshot"]
    if version is None or snap.version != version or time.monotonic() - snap.loaded_at > MAX_AGE:
        with holder["lock"]:
            snap = holder["snapshot"]
            if (
                version is None
                or snap.version != version
                or (time.monotonic() - snap.loaded_at > MAX_AGE)
            ):
                snap = _load(version or "")
                if version is not None:
                    holder["snapshot"] = snap
    if has_request_context():
        request.environ[_MEMO] = snap
    return snap


def changed() -> None:
    """Announce that registrations or deployments changed: every worker reloads them."""
    if has_request_context():
        request.environ.pop(_MEMO, None)
    try:
        cache.set(VERSION_KEY, secrets.token_hex(8), timeout=0)
    except Exception:
        log.warning(
            "registrations: shared cache unavailable; other workers see the change within %s s",
            MAX_AGE,
        )


def _after_flush(session: Session, _context: Any) -> None:
    if any(
        isinstance(o, _WATCHED)
        for part in (session.new, session.dirty, session.deleted)
        for o in part
    ):
        session.info[_CHANGED] = True


def _on_execute(state: ORMExecuteState) -> None:
    # Bulk UPDATE/DELETE through the ORM bypasses the flush.
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in _WATCHED:
        state.session.info[_CHANGED] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        changed()


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def init_app(app: Flask) -> None:
    """Give the app its snapshot holder and watch sessions for registration changes."""
    app.extensions["registration_cache"] = {"snapshot": Snapshot(), "lock": threading.Lock()}
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_execute),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
