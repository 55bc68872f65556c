"""Launch data and OIDC state storage in the shared cache (file system or Redis).

pylti1p3's cache storage scopes keys by a session cookie on https. Inside an LMS iframe with
third-party cookies blocked there is no such cookie, so keys here are never cookie-scoped:
they are unguessable (uuid4 state/nonce, launch ids) and nonces are single-use.
"""

from __future__ import annotations

import os
import time
from typing import Any

from cachelib import FileSystemCache, RedisCache
from pylti1p3.contrib.flask import FlaskCacheDataStorage, FlaskSessionService

from app.extensions import cache


class SharedCacheDataStorage(FlaskCacheDataStorage):
    """Cache-backed launch data shared by every worker, independent of cookies."""

    def get_session_cookie_name(self) -> None:
        return None

    def take(self, key: str) -> Any:
        """Delete a key and return its value if *this* call removed it (None if it was absent,
        expired, or taken by a concurrent request): a single-use read."""
        cache = self._get_cache()
        prepared = self._prepare_key(key)
        backend = cache.cache
        if isinstance(backend, RedisCache):  # GETDEL: one atomic round trip
            raw = backend._write_client.getdel(backend._get_prefix() + prepared)
            return None if raw is None else backend.serializer.loads(raw)
        value = cache.get(prepared)
        if value is None:  # absent or expired
            return None
        # The delete must tell us whether this request removed it, so that two concurrent
        # launches with one state cannot both pass; the backends' delete() does not say.
        if isinstance(backend, FileSystemCache):
            try:
                os.remove(backend._get_filename(prepared))
            except FileNotFoundError:
                return None
            return value
        return value if cache.delete(prepared) else None

    def consume(self, key: str) -> bool:
        """Delete a key and say whether it was there (see :meth:`take`)."""
        return self.take(key) is not None


class SingleUseNonceSessionService(FlaskSessionService):
    """pylti1p3 session service keeping one entry per OIDC state: the nonce issued with it.

    The login writes that entry and nothing else; the launch takes it (reads and deletes it
    at once), so a state and its nonce are used once, together, and an id_token is accepted
    only with the state of the login that asked for it.
    """

    _taken_nonce: str | None = None

    def save_nonce(self, nonce: str) -> None:
        """Nothing to store apart: the nonce is kept in its state's entry (:meth:`bind_state`)."""

    def bind_state(self, state: str, nonce: str) -> None:
        """Remember which nonce the login issued with ``state``."""
        self._set_value(self._get_key(state + "-nonce"), nonce)

    def take_state(self, state: str) -> str | None:
        """The nonce issued with ``state`` at login, removing it: None if the tool never
        issued the state, or it was used already, or it expired."""
        storage: Any = self.data_storage
        self._taken_nonce = storage.take(self._get_key(state + "-nonce"))
        return self._taken_nonce

    def check_nonce(self, nonce: str) -> bool:
        """Whether ``nonce`` is the one this launch took with its state (:meth:`take_state`)."""
        return self._taken_nonce is not None and nonce == self._taken_nonce

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        """Nothing to store: pylti1p3 writes this for its own state check, which
        :class:`lti.launch.ToolMessageLaunch` replaces (the cookie, or platform storage)."""


# Product families whose platforms offer LTI client-side postMessage storage at launch
# (Canvas sends ``lti_storage_target``; Moodle 4.5 does not offer it).
PLATFORM_STORAGE_FAMILIES = frozenset({"canvas"})


def offers_platform_storage(product_family: str | None) -> bool:
    """Whether a platform of this product family offers postMessage storage for OIDC state."""
    return (product_family or "").strip().lower() in PLATFORM_STORAGE_FAMILIES


def prune_expired_cache() -> int:
    """Delete expired launch data, states and nonces from the file-system cache (hourly:
    :mod:`app.launch.tasks`).

    The cache runs without cachelib's file counting (a shared count file rewritten on every
    set), so nothing else removes entries that are never read again. Redis expires its own.
    Returns how many entries were removed.
    """
    backend = cache.cache
    if not isinstance(backend, FileSystemCache):
        return 0
    before = sum(1 for _ in backend._list_dir())
    backend._remove_expired(time.time())
    return before - sum(1 for _ in backend._list_dir())
