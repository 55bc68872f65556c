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

    def consume(self, key: str) -> bool:
        """Delete a key and say whether it was there: a single-use check."""
        cache = self._get_cache()
        prepared = self._prepare_key(key)
        if cache.get(prepared) is None:  # absent or expired
            return False
        # The delete must tell us whether *this* request removed it, so that two concurrent
        # launches with one nonce cannot both pass; the backends' delete() does not say.
        backend = cache.cache
        if isinstance(backend, FileSystemCache):
            try:
                os.remove(backend._get_filename(prepared))
            except FileNotFoundError:
                return False
            return True
        if isinstance(backend, RedisCache):
            return backend._write_client.delete(backend._get_prefix() + prepared) == 1
        return bool(cache.delete(prepared))


class SingleUseNonceSessionService(FlaskSessionService):
    """pylti1p3 session service whose nonce check consumes the nonce (no replays), and which
    binds each OIDC state to the nonce issued with it."""

    def check_nonce(self, nonce: str) -> bool:
        storage: Any = self.data_storage
        return storage.consume(self._get_key("nonce", nonce))

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        """Nothing to store: pylti1p3 writes this for its own state check, which
        :class:`lti.launch.ToolMessageLaunch` replaces (the cookie, or platform storage)."""

    def bind_state(self, state: str, nonce: str) -> None:
        """Remember which nonce the login issued with ``state``."""
        self._set_value(self._get_key(state + "-nonce"), nonce)

    def nonce_of_state(self, state: str) -> str | None:
        """The nonce issued with ``state`` at login; None if the tool never issued it (or it
        expired)."""
        return self._get_value(self._get_key(state + "-nonce"))


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
