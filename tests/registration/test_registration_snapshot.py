"""Each worker's snapshot of the registrations follows the version stamp in the shared cache."""

from __future__ import annotations

import pytest

from app import registration_cache
from app.extensions import cache


def _version_seen(app) -> str:
    with app.test_request_context("/"):
        return registration_cache.snapshot().version


def test_a_stamp_written_by_another_worker_is_seen_by_the_next_request(app):
    first = _version_seen(app)
    cache.set(registration_cache.VERSION_KEY, "stamped-elsewhere", timeout=0)
    assert _version_seen(app) == "stamped-elsewhere" != first
    cache.set(registration_cache.VERSION_KEY, "and-again", timeout=0)
    assert _version_seen(app) == "and-again"


def test_an_unchanged_stamp_file_is_not_read_on_every_request(app, monkeypatch):
    if app.config.get("CACHE_TYPE") != "FileSystemCache":
        pytest.skip("the file-system cache only")
    _version_seen(app)  # stamps a version
    _version_seen(app)  # reads it
    reads: list[str] = []
    get = cache.get
    monkeypatch.setattr(cache, "get", lambda key: reads.append(key) or get(key))
    versions = {_version_seen(app) for _ in range(5)}
    assert len(versions) == 1
    assert reads == []
