"""A per-process cache of served badge artwork, so an image fetch needs no database trip.

An artwork version never changes once saved (a redesign is a new version), so its bytes can
be kept without invalidation. Two bounds keep the cache honest: a byte budget (least recently
used versions go first) and a time to live, so a deleted badge stops being served by every
worker within minutes. Each worker process has its own cache; the shared copy stays in the
database, and CDNs in front see ``immutable``-style lifetimes and ETags anyway.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from werkzeug.http import generate_etag

#: Bytes of artwork kept per process (about 500 versions of a typical 60 kB badge PNG).
MAX_BYTES = 32 * 1024 * 1024
#: Seconds an entry is served before the database is asked again.
TTL_SECONDS = 600.0


@dataclass(frozen=True)
class CachedImage:
    """One artwork version as served: the bytes and their ETags, computed once."""

    png: bytes
    svg: str | None
    png_etag: str
    svg_etag: str | None
    stored_at: float

    @property
    def size(self) -> int:
        return len(self.png) + len(self.svg or "")


_entries: OrderedDict[tuple[str, int], CachedImage] = OrderedDict()
_lock = threading.Lock()
_total = 0


def get(public_id: str, version: int) -> CachedImage | None:
    """The cached artwork of a badge version, or None (not cached, or expired)."""
    key = (public_id, version)
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry.stored_at > TTL_SECONDS:
            _drop(key)
            return None
        _entries.move_to_end(key)
        return entry


def put(public_id: str, version: int, png: bytes, svg: str | None) -> CachedImage:
    """Cache one artwork version (read from the database) and return it."""
    global _total
    entry = CachedImage(
        png=png,
        svg=svg,
        png_etag=generate_etag(png),
        svg_etag=generate_etag(svg.encode()) if svg else None,
        stored_at=time.monotonic(),
    )
    if entry.size > MAX_BYTES:
        return entry  # too large to keep; serve it once
    key = (public_id, version)
    with _lock:
        if key in _entries:
            _drop(key)
        _entries[key] = entry
        _total += entry.size
        while _total > MAX_BYTES:
            _drop(next(iter(_entries)))
    return entry


def clear() -> None:
    """Forget every entry (tests, and the benchmark's uncached figure)."""
    global _total
    with _lock:
        _entries.clear()
        _total = 0


def _drop(key: tuple[str, int]) -> None:
    global _total
    entry = _entries.pop(key)
    _total -= entry.size
