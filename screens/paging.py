"""Paging from the console: `p` on a role or a person in the roster queues a page
through every PagerDuty integration (warroom/outbox.py, in the UI thread: a refusal
shows at once), then delivers the outbox in a thread worker, as `warroom outbox
--flush` would. `J` marks them joined by hand (PagerDuty's Events API tells no one
who acknowledged).

The worker opens the incident again on a connection of its own (Replica.sibling),
so what it records (delivered, failed, waiting) reaches the panes as another
process's rows would, through the app's poll; it reports through typed messages
(OutboxFlushed, OutboxFailed). One flush at a time per console; the outbox's own
lock keeps it apart from a CLI flush of the same device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from warroom.clock import wall_ms
from warroom.errors import SessionError

from . import messages

if TYPE_CHECKING:
    from textual.app import App

    from warroom.session import Session

TIMEOUT_S = 10.0


def roster_target(line: str | None) -> str | None:
    """What `warroom page` would be given for a roster line ('role:ID', 'person:ID')."""
    if not line:
        return None
    return line.split(":", 1)[1]


class Pager:
    """The console's outbox deliveries: one flush at a time, results as messages."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.running = False
        self.again = False  # something was queued while a flush ran: flush once more

    def flush(self, session: Session) -> None:
        """Deliver what is due now, in a worker (or once more after the running one)."""
        if self.running:
            self.again = True
            return
        self.running = True
        self.app.run_worker(
            lambda: self._flush(session), thread=True, group="outbox", exit_on_error=False
        )

    def finished(self, session: Session) -> None:
        self.running = False
        if self.again:
            self.again = False
            self.flush(session)

    def _flush(self, session: Session) -> None:
        """In the worker thread: one flush, on a connection of its own."""
        import httpx  # loaded on the first page, not at start-up

        from warroom import outbox

        try:
            with session.sibling() as twin, httpx.Client(timeout=TIMEOUT_S) as client:
                done = outbox.flush(twin, client, wall_ms)
        except SessionError as exc:
            self.app.post_message(messages.OutboxFailed(session, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            self.app.post_message(messages.OutboxFailed(session, f"delivery failed: {exc}"))
        else:
            self.app.post_message(
                messages.OutboxFlushed(
                    session,
                    [i.about for i in done.delivered],
                    [f"{i.about}: {why}" for i, why in done.waiting],
                    [f"{i.about}: {why}" for i, why in done.failed],
                )
            )
