"""Hybrid logical clock: wall-clock milliseconds plus a counter.

An event stamped after another was seen always sorts after it, even when the
two machines' clocks disagree; with clocks in step the stamps read as times.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Hlc = tuple[int, int]
"""(milliseconds since the epoch, counter)."""


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridClock:
    def __init__(self, now_ms: Callable[[], int] = wall_ms) -> None:
        self._now = now_ms
        self._last: Hlc = (0, 0)
        self._lock = threading.Lock()

    @property
    def last(self) -> Hlc:
        return self._last

    def wall(self) -> int:
        """This clock's wall time in ms (tests freeze it)."""
        return self._now()

    def tick(self) -> Hlc:
        """A stamp for a local event, later than every stamp seen so far."""
        with self._lock:
            ms, counter = self._last
            now = self._now()
            self._last = (now, 0) if now > ms else (ms, counter + 1)
            return self._last

    def observe(self, stamp: Hlc) -> None:
        """Move past a stamp seen on another device's event."""
        with self._lock:
            stamp = (int(stamp[0]), int(stamp[1]))
            if stamp > self._last:
                self._last = stamp
