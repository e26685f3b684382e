"""Sync from the console: a round now (a key, the palette), or rounds every few
seconds while watching; the header says where this replica stands.

A round runs in a thread worker on a connection of its own to the incident file,
so the rows it takes in reach the panes the way another process's would: the
app's poll sees the file change. It reports through typed messages (SyncDone,
SyncFailed); a fork the round found then shows like any integrity problem, and an
unreachable peer or refused rows are said in the header and once as a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from warroom.clock import wall_ms
from warroom.errors import SessionError
from warroom.ledger import RELAY_TOKEN
from warroom.store import Store
from warroom.sync import settings as sync_settings

from . import messages

if TYPE_CHECKING:
    from textual.app import App

    from warroom.session import Session

WATCH_SECONDS = 5.0
NO_URL = (
    "no sync URL for this incident: run `warroom sync PATH URL` once "
    "(a relay https://… or ssh://host/path), or join by invite"
)


@dataclass
class SyncView:
    """What the header shows of sync (the standing, and this console's last round)."""

    standing: sync_settings.Standing
    running: bool = False
    watching: bool = False
    failed: str | None = None
    """Why the last round failed (unreachable, refused), until one succeeds."""
    refused: int = 0
    """Rows the last round refused, here or there."""


def sync_text(view: SyncView, now_ms: int) -> tuple[str, str] | None:
    """The header's sync part and its style; None when the incident has no sync URL."""
    standing = view.standing
    if standing.url is None:
        return None
    if view.failed is not None:
        return ("  SYNC FAILED", "bold reverse")
    if view.refused:
        return (f"  sync: {view.refused} row(s) refused", "bold reverse")
    if view.running:
        return ("  syncing…", "")
    last = standing.last_sync_ms
    when = "never" if last is None else _ago(now_ms - last)
    watch = " (watching)" if view.watching else ""
    return (f"  sync: {standing.unsynced} unsynced, last {when}{watch}", "")


def _ago(ms: int) -> str:
    minutes = max(0, ms) // 60_000
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes}m ago"
    return f"{minutes // 60}h{minutes % 60:02d}m ago"


class Syncer:
    """The app's sync: one round at a time, results as messages to the app."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.view = SyncView(sync_settings.NOT_SYNCED)
        self._watch_timer = None

    def refresh(self, session: Session) -> SyncView:
        """The view, with the standing read again (cheap: see settings.standing)."""
        self.view.standing = sync_settings.standing(session.store, session.header.incident_id)
        return self.view

    def start(self, session: Session) -> bool:
        """Begin a round unless one is running; False when there is no sync URL."""
        if sync_settings.load(session.header.incident_id).url is None:
            return False
        if not self.view.running:
            self.view.running = True
            self.app.run_worker(
                lambda: self._round(session),
                thread=True,
                group="sync",
                exit_on_error=False,
            )
        return True

    def toggle_watch(self, session: Session) -> bool:
        """Watch (a round now and every WATCH_SECONDS) or stop; returns whether on."""
        if self._watch_timer is not None:
            self._watch_timer.stop()
            self._watch_timer = None
            self.view.watching = False
            return False
        if not self.start(session):
            return False
        self._watch_timer = self.app.set_interval(
            WATCH_SECONDS, lambda: self.start(session), name="sync-watch"
        )
        self.view.watching = True
        return True

    def stop(self) -> None:
        if self._watch_timer is not None:
            self._watch_timer.stop()
            self._watch_timer = None
        self.view = SyncView(sync_settings.NOT_SYNCED)

    def finished(self, failed: str | None, refused: int) -> None:
        self.view.running = False
        self.view.failed = failed
        self.view.refused = refused

    def _round(self, session: Session) -> None:
        """In the worker thread: one round, on a connection of its own."""
        from warroom.sync import runner  # loaded on the first sync, not at start-up

        incident_id = session.header.incident_id
        url = sync_settings.load(incident_id).url
        if url is None:
            self.app.post_message(messages.SyncFailed(session, NO_URL))
            return
        try:
            store = Store.open(session.path)
        except SessionError as exc:
            self.app.post_message(messages.SyncFailed(session, str(exc)))
            return
        try:
            token = session.ledger.derive(RELAY_TOKEN).hex()
            link = runner.connect(url, incident_id, lambda: token, unattended=True)
            try:
                opens = session.ledger.opens
                done = runner.sync_once(store, incident_id, link, now=wall_ms, opens=opens)
            finally:
                link.close()
        except SessionError as exc:
            self.app.post_message(messages.SyncFailed(session, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            self.app.post_message(messages.SyncFailed(session, f"sync failed: {exc}"))
        else:
            self.app.post_message(messages.SyncDone(session, done))
        finally:
            store.close()
