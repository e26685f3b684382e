"""Hybrid logical clock: wall-clock milliseconds plus a counter.

An event stamped after another was seen always sorts after it, even when the
two machines' clocks disagree; with clocks in step the stamps read as times.

A stamp more than MAX_SKEW_MS ahead of this machine's wall clock is not
followed: one device with a wrong clock (or a hostile one) stamping the year
2100 would otherwise drag every later event of every reader to 2100. Such an
event still sorts where its stamp says; the session flags it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Hlc = tuple[int, int]
"""(milliseconds since the epoch, counter)."""

MAX_SKEW_MS = 10 * 60_000
"""How far ahead of this clock another device's stamp may be and still be followed."""


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

    def too_far_ahead(self, ms: int, now: int | None = None) -> bool:
        """Whether a stamp of `ms` is further ahead of this clock than MAX_SKEW_MS."""
        return ms > (self._now() if now is None else now) + MAX_SKEW_MS

    def tick(self) -> Hlc:
        """A stamp for a local event, later than every stamp seen so far."""
        with self._lock:
            ms, counter = self._last
            now = self._now()
            self._last = (now, 0) if now > ms else (ms, counter + 1)
            return self._last

    def observe(self, stamp: Hlc) -> bool:
        """Move past a stamp seen on another device's event, unless it is too far
        ahead of this clock (then nothing moves and the answer is False)."""
        with self._lock:
            stamp = (int(stamp[0]), int(stamp[1]))
            if self.too_far_ahead(stamp[0]):
                return False
            if stamp > self._last:
                self._last = stamp
            return True
