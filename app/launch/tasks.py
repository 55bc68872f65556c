"""The launch's background work: pruning expired launch data from the file-system cache."""

from __future__ import annotations

from huey import crontab

from app.background import queue
from lti import storage


@queue.periodic(crontab(minute="17"))
def prune_expired_cache() -> int:
    """Hourly: :func:`lti.storage.prune_expired_cache`; how many entries were removed."""
    return storage.prune_expired_cache()
