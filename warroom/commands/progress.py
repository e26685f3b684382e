"""Progress of long work, on stderr: nothing for work that ends within a second, then
a line a second at most, so a person over a slow SSH link sees it move and a quick
command stays quiet (bundles, sync)."""

from __future__ import annotations

import time
from collections.abc import Callable

import click

QUIET_S = 1.0
"""Work that ends sooner says nothing."""
EVERY_S = 1.0
"""At most one line in this time."""


class RowsProgress:
    """Called with the rows done so far: `warroom: VERB 25,000 of 100,000 rows`."""

    def __init__(
        self, verb: str, total: int | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.verb = verb
        self.total = total
        self._clock = clock
        self._start = self._last = clock()

    def __call__(self, done: int) -> None:
        now = self._clock()
        if now - self._start < QUIET_S or now - self._last < EVERY_S:
            return
        self._last = now
        of = f" of {self.total:,}" if self.total else ""
        click.echo(f"warroom: {self.verb} {done:,}{of} rows", err=True)


def sync_progress() -> Callable[[str, int], None]:
    """A sync's progress (exchange.Progress: "push" or "pull", and rows so far)."""
    said = {"push": RowsProgress("pushed"), "pull": RowsProgress("pulled")}
    return lambda what, done: said[what](done) if what in said else None
