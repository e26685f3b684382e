"""Paging from the console: `p` on a role or a person in the roster queues a page
through every PagerDuty integration (warroom/outbox.py, in the UI thread: a refusal
shows at once), then delivers what is due in a thread worker, as `warroom page`
does. A page that failed for now is tried again when its wait is over, while the
console is open and unlocked. `J` marks people joined by hand (PagerDuty's Events
API tells no one who acknowledged).

The worker opens the incident again on a connection of its own (Replica.sibling,
prepared on the UI thread), so what it records (delivered, failed, waiting) reaches
the panes as another process's rows would, through the app's poll; it reports
through typed messages (OutboxFlushed, OutboxFailed). One flush at a time per
console; the outbox's own lock keeps it apart from a CLI flush of the same device.
Locking stops the retries; a flush under way finishes (its sibling holds the key
until then, at most a few delivery timeouts) and its result is not shown.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from warroom.clock import wall_ms
from warroom.errors import SessionError

from . import messages

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from warroom.session import Session

TIMEOUT_S = 10.0
MIN_RETRY_S = 5.0
"""A retry never comes sooner than this after a flush (whatever a clock says)."""


def roster_target(line: str | None) -> str | None:
    """What `warroom page` would be given for a roster line ('role:ID', 'person:ID')."""
    if not line:
        return None
    return line.split(":", 1)[1]


class Pager:
    """The console's outbox deliveries: one flush at a time, results as messages, and
    a flush again when the first waiting message's wait is over."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.running = False
        self.again = False  # something was queued while a flush ran: flush once more
        self._retry: Timer | None = None

    def flush(self, session: Session) -> None:
        """Deliver what is due now, in a worker (or once more after the running one)."""
        if self.running:
            self.again = True
            return
        self.running = True
        twin = session.sibling()  # its key and path taken here, on the UI thread
        self.app.run_worker(
            lambda: self._flush(session, twin), thread=True, group="outbox", exit_on_error=False
        )

    def finished(self, session: Session, *, retry: bool = True) -> None:
        """A flush of `session` ended: flush again if asked meanwhile, else (`retry`)
        when the first of this device's waiting messages may be tried again."""
        self.running = False
        if self.again:  # a page queued while this flush ran (even one that failed)
            self.again = False
            self.flush(session)
            return
        if not retry:
            return
        from warroom import outbox  # loaded by the flush that just ended

        at = outbox.next_try(session)
        if at is not None:
            self._retry_at(session, at)

    def stop(self) -> None:
        """Locked or closed: no more flushes, no retries (a running one's result is
        not shown: its session is no longer the app's)."""
        self.running = self.again = False
        if self._retry is not None:
            self._retry.stop()
            self._retry = None

    def _retry_at(self, session: Session, at_ms: int) -> None:
        if self._retry is not None:
            self._retry.stop()
        delay = max(MIN_RETRY_S, (at_ms - wall_ms()) / 1000 + 0.1)

        def again() -> None:
            self._retry = None
            if getattr(self.app, "session", None) is session:
                self.flush(session)

        self._retry = self.app.set_timer(delay, again, name="outbox-retry")

    def _flush(self, session: Session, sibling: AbstractContextManager[Session]) -> None:
        """In the worker thread: one flush, on a connection of its own."""
        import httpx  # loaded on the first page, not at start-up

        from warroom import outbox

        try:
            with sibling as twin, httpx.Client(timeout=TIMEOUT_S) as client:
                done = outbox.flush(twin, client, wall_ms)
        except SessionError as exc:
            self.app.post_message(messages.OutboxFailed(session, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            # Its name only: an unexpected error's words may hold a webhook's URL.
            why = f"delivery failed ({type(exc).__name__})"
            self.app.post_message(messages.OutboxFailed(session, why))
        else:
            self.app.post_message(
                messages.OutboxFlushed(
                    session,
                    [i.about for i in done.delivered],
                    [f"{i.about}: {why}" for i, why in done.waiting],
                    [f"{i.about}: {why}" for i, why in done.failed],
                )
            )
