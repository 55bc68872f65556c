"""Platform key sets (JWKS), fetched through the guarded client and cached briefly.

pylti1p3's own fetch has no timeout, follows any address and puts the answer's text in its
error; a launch error page then showed whatever an internal server answered. Here a key set
comes only from an allowed address, within a few seconds, at most 256 kB, and a failure says
what went wrong (status, content type) without a byte of the answer.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import requests
from pylti1p3.exception import LtiKeyException

from app import outbound
from app.settings import number

TIMEOUT = 10.0  # seconds for the whole fetch (LTI_KEY_SET_TIMEOUT): a launch waits on it
MAX_BYTES = 256 * 1024  # a key set is a few kB even with many keys


class KeySetUnavailable(LtiKeyException):
    """The platform's key set could not be fetched or is not a key set."""


def cache_key(key_set_url: str) -> str:
    """The cache entry of a key set (pylti1p3's name for it, so both agree)."""
    return "key-set-url-" + hashlib.md5(key_set_url.encode("utf-8")).hexdigest()


def fetch(key_set_url: str) -> dict[str, Any]:
    """The platform's key set at ``key_set_url``, or :class:`KeySetUnavailable`."""
    timeout = number("LTI_KEY_SET_TIMEOUT", TIMEOUT)
    try:
        with outbound.session(
            total_timeout=timeout, read_timeout=timeout, max_bytes=MAX_BYTES
        ) as session:
            response = session.get(key_set_url, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise KeySetUnavailable(
            f"the key set at {key_set_url} could not be fetched: {exc}"
        ) from exc
    if response.status_code != 200:
        raise KeySetUnavailable(
            f"the key set URL {key_set_url} answered {outbound.describe(response)}"
        )
    try:
        data = json.loads(response.content)
    except ValueError as exc:
        raise KeySetUnavailable(
            f"the key set URL {key_set_url} answered "
            f"{outbound.describe(response)}, which is not JSON"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise KeySetUnavailable(f'the document at {key_set_url} is not a key set (no "keys" list)')
    return data


def cached_fetch(key_set_url: str, storage: Any, lifetime: int | None) -> dict[str, Any]:
    """:func:`fetch` behind pylti1p3's launch-data storage (``storage`` may be None)."""
    key = cache_key(key_set_url)
    if storage is not None:
        cached = storage.get_value(key)
        if cached:
            return cached
    key_set = fetch(key_set_url)
    if storage is not None:
        storage.set_value(key, key_set, lifetime)
    return key_set
