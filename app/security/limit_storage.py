"""Where rate limits count without Redis: the limits library's memory storage, swept less often.

limits' ``MemoryStorage`` sweeps expired counters in a ``threading.Timer`` of 10 ms that every
counted hit restarts once the previous one has run: under a steady trickle of logins that is a
new thread per login (about 0.35 ms of CPU, more than the rest of the limit check). Counting
never waits for the sweep (a read drops its own expired counter, a moving window compares
timestamps): it only frees counters nobody reads again. Here it runs at most once a second,
in a daemon thread, so limits count exactly as before.
"""

from __future__ import annotations

import threading

from limits.storage import MemoryStorage

SCHEME = "swept-memory"
SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """``memory://`` whose sweep of expired counters runs at most every :data:`SWEEP_SECONDS`
    (``swept-memory://``)."""

    STORAGE_SCHEME = [SCHEME]

    def _MemoryStorage__schedule_expiry(self) -> None:
        # Replaces MemoryStorage's private scheduler (called on every hit), which restarts
        # a 10 ms timer.
        if not self.timer.is_alive():
            self.timer = threading.Timer(SWEEP_SECONDS, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
            self.timer.daemon = True
            self.timer.start()
