"""WarroomApp: unlock, the main screen, live updates, lock and auto-lock.

`build_app` is the one factory the CLI and the tests use.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual import events, on, work
from textual.app import App
from textual.worker import get_current_worker

from warroom import gcpause
from warroom.clock import HybridClock, wall_ms
from warroom.device import Device
from warroom.heads import Regression
from warroom.session import Problem, Session, SessionError

if TYPE_CHECKING:
    from warroom.gpg import Keyring
from . import messages
from .crash import crash_report
from .keys import APP_KEYS, MAIN_KEYS, KeymapError, load_keymap
from .leaving import Leaving, save_all_edits
from .main import MainScreen
from .paging import Pager
from .palette import ActionsProvider
from .safe import show_result
from .syncing import NO_URL, WATCH_SECONDS, Syncer
from .typeahead import KeyBarrier, TypeAhead
from .unlock import UnlockScreen

VERIFY_DELAY_SECONDS = 1.0
POLL_SECONDS = 0.25
"""How often to look for other writers' changes (one cheap PRAGMA when idle)."""
TICK_SECONDS = 60.0
"""The header clock and the idle check run once a minute: a quiet terminal."""
SHOW_UNLOCKING_AFTER = 0.25
"""An unlock begun with the passphrase given shows the unlock screen ("Unlocking…")
only if it takes longer than this; a quick one goes straight to the main screen."""


class _VerifyAbandoned(Exception):
    pass


@runtime_checkable
class LiveScreen(Protocol):
    """A screen that shows incident state and redraws when other writers change it."""

    def state_changed(self) -> None: ...


class WarroomCommands(ActionsProvider):
    """Every key action, in the command palette too."""

    def _commands(self) -> list[tuple[str, str]]:
        return [(b.description, b.action) for b in MAIN_KEYS]


class WarroomApp(App):
    CSS_PATH = "warroom.tcss"
    TITLE = "warroom"
    COMMANDS = App.COMMANDS | {WarroomCommands}
    BINDINGS = APP_KEYS

    def __init__(
        self,
        path: Path,
        *,
        passphrase: str | None = None,
        unlocking: Future[Session] | None = None,
        device: Device | None = None,
        clock: HybridClock | None = None,
        now_ms: Callable[[], int] = wall_ms,
        monotonic: Callable[[], float] = time.monotonic,
        auto_lock_minutes: float = 15,
        poll_seconds: float = POLL_SECONDS,
        keymap: dict[str, str] | None = None,
        new_in: Path | None = None,
        kdf: str = "moderate",
        gnupghome: Path | None = None,
    ) -> None:
        super().__init__()
        self.incident_path = path
        self.session: Session | None = None
        self.signature_problems: list[Problem] = []
        self.syncer = Syncer(self)
        self.pager = Pager(self)
        self._passphrase = passphrase
        self._unlocking = unlocking
        self._device = device
        self._clock = clock
        self.now_ms = now_ms
        self._monotonic = monotonic
        self.auto_lock_seconds = auto_lock_minutes * 60
        self._poll_seconds = poll_seconds
        self._keymap = keymap
        self.last_activity = monotonic()
        self.animation_level = "none"
        self._new_in = new_in
        self._kdf = kdf
        self._gnupghome = gnupghome
        self._keyring: Keyring | None = None
        self.typeahead = TypeAhead(self)

    # -- lifecycle -----------------------------------------------------------

    def _fatal_error(self) -> None:
        """Textual's own prints every frame's locals, the incident's plaintext among
        them (screens/crash.py). Overrides a private method of the pinned Textual."""
        self.bell()
        self._exit_renderables.append(crash_report(sys.exc_info()[1] or self._exception))
        self._close_messages_no_wait()

    def on_mount(self) -> None:
        if self._keymap is None:  # the CLI checked it before the UI started (console_keymap)
            try:
                self._keymap = load_keymap()
            except KeymapError as exc:  # changed since, or an app not started by the CLI
                self._keymap = {}
                show_result(self, f"keymap not used: {exc}", "error", timeout=30)
        if self._keymap:
            self.set_keymap(self._keymap)
        self.set_interval(self._poll_seconds, self.poll, name="poll")
        self.set_interval(TICK_SECONDS, self.tick, name="tick")
        Leaving(self, self._close_session).install()
        if self._new_in is not None:
            from .wizard import NewIncidentScreen  # only `warroom new` shows it

            self.push_screen(NewIncidentScreen(self._new_in, self._kdf))
            self.call_after_refresh(gcpause.resume)
            return
        unlocking, self._unlocking = self._unlocking, None
        if unlocking is None and self._passphrase is not None:
            unlocking = Session.unlock_in_background(
                self.incident_path, self._passphrase, device=self._device, clock=self._clock
            )
        self._passphrase = None
        if unlocking is None:
            self.push_screen(UnlockScreen())
            self.call_after_refresh(gcpause.resume)
        else:
            self.run_worker(self._finish_unlock(unlocking), group="unlock", exclusive=True)

    async def _finish_unlock(self, unlocking: Future[Session]) -> None:
        """Wait for an unlock begun with the passphrase given (`--passphrase-file`); the
        unlock screen shows only if it is slow, or failed (then it asks)."""
        waiting = asyncio.wrap_future(unlocking)
        screen: UnlockScreen | None = None
        if not (await asyncio.wait({waiting}, timeout=SHOW_UNLOCKING_AFTER))[0]:
            screen = UnlockScreen()
            await self.push_screen(screen)
            screen.busy()
        try:
            session = await waiting
        except SessionError as exc:
            if screen is None:
                screen = UnlockScreen()
                await self.push_screen(screen)
            screen.failed(str(exc))
            gcpause.resume()
            return
        self.post_message(messages.Unlocked(session))

    def current_keymap(self) -> dict[str, str]:
        """The user's remapped keys, by binding id (what help and the key line show)."""
        return dict(self._keymap or {})

    @property
    def keyring(self) -> Keyring:
        """Recipients' public keys (and the IC's signing key), for the draft editor and
        export. Made on first use: gpg is not on the path to the first paint."""
        if self._keyring is None:
            from warroom.gpg import Keyring

            self._keyring = Keyring(self._gnupghome)
        return self._keyring

    @property
    def device(self) -> Device | None:
        return self._device

    def open_session(self, passphrase: str) -> Session:
        """Runs in the unlock worker: the KDF takes a second on purpose."""
        return Session.unlock(
            self.incident_path, passphrase, device=self._device, clock=self._clock, check=False
        )

    @on(messages.Unlocked)
    def unlocked(self, message: messages.Unlocked) -> None:
        self.session = message.session
        self.signature_problems = []
        self.last_activity = self._monotonic()
        main = MainScreen(message.session)
        if isinstance(self.screen, UnlockScreen):
            self.switch_screen(main)
        else:  # unlocked with the passphrase given: no unlock screen was shown
            self.push_screen(main)
        self.call_after_refresh(gcpause.resume)  # held from the start until this paint
        # After the first paint, not during it: the check holds the GIL for seconds at 100k.
        self.set_timer(VERIFY_DELAY_SECONDS, partial(self.verify_signatures, message.session))

    @work(thread=True, exclusive=True, group="verify")
    def verify_signatures(self, session: Session) -> None:
        """Opening checks boxes and chains (of the rows after its checkpoint, if it
        resumed from one: those it summarises are checked here first); signatures are
        checked here, after."""
        worker = get_current_worker()

        def stop_if_unwanted(done: int, total: int) -> None:
            if worker.is_cancelled or session is not self.session:
                raise _VerifyAbandoned

        try:
            if session.checkpoint_problems():  # the state painted came from a checkpoint
                self.post_message(messages.CheckpointRefused(session))
            report = session.verify(progress=stop_if_unwanted)
        except Exception:  # abandoned (quit or locked), or the session closed under it
            return
        if report.problems:
            self.post_message(messages.SignaturesChecked(session, report.problems))

    @on(messages.CheckpointRefused)
    def checkpoint_refused(self, message: messages.CheckpointRefused) -> None:
        if message.session is not self.session:
            return
        message.session.distrust_checkpoint()
        show_result(
            self,
            "The saved state did not match the file's events: read them all again.",
            "warning",
            timeout=30,
        )
        self.state_changed()

    @on(messages.SignaturesChecked)
    def signature_problems_found(self, message: messages.SignaturesChecked) -> None:
        # A problem the open already flagged is not counted twice; feeds behind what
        # this user saw (session.rollbacks) have a header notice of their own.
        session, problems = message.session, message.problems
        flagged = set(session.problems)
        problems = [p for p in problems if p not in flagged and not isinstance(p, Regression)]
        if problems and session is self.session:
            self.signature_problems = problems
            show_result(
                self,
                f"{len(problems)} event(s) failed verification: {problems[0]}",
                "error",
                timeout=30,
            )
            self.state_changed()

    # -- live ------------------------------------------------------------------

    def main_screen(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def poll(self) -> None:
        if self.session is not None and self.session.poll():
            self.state_changed()

    def state_changed(self) -> None:
        main = self.main_screen()
        if main is not None:
            main.state_changed()
        top = self.screen
        if top is not main and isinstance(top, LiveScreen):
            top.state_changed()

    def tick(self) -> None:
        main = self.main_screen()
        if main is not None:
            main.refresh_header()
        self.check_auto_lock()

    # -- locking -----------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event, events.Key | events.MouseDown | events.MouseScrollDown | events.MouseScrollUp
        ):
            self.last_activity = self._monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded:
            if not self.typeahead.admit(event):
                return  # an earlier key is still being acted on: this one waits its turn
            target = self.focused or self.screen
            bound = self.typeahead.is_bound(event.key)
            await super().on_event(event)
            self.typeahead.dispatched(bound, target)
            return
        await super().on_event(event)

    def on_key_barrier(self, barrier: KeyBarrier) -> None:
        self.typeahead.barrier_back(barrier)

    def check_auto_lock(self) -> None:
        idle = self._monotonic() - self.last_activity
        if self.session is not None and idle >= self.auto_lock_seconds:
            self.action_lock()
            show_result(self, "Locked after inactivity")

    async def action_quit(self) -> None:
        """Save what is being typed, then quit."""
        save_all_edits(self)
        self.exit()

    def _close_session(self) -> None:
        self.syncer.stop()
        self.pager.stop()
        if self.session is not None:
            session, self.session = self.session, None
            session.close()

    def action_lock(self) -> None:
        """Save what is being typed, drop the decrypted state, go back to the unlock screen."""
        if self.session is None:
            return
        save_all_edits(self)
        session, self.session = self.session, None
        self.signature_problems = []
        self.syncer.stop()
        self.pager.stop()
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(UnlockScreen())
        session.close()

    # -- sync (screens/syncing.py) ---------------------------------------------

    def action_sync_now(self) -> None:
        if self.session is None:
            return
        if not self.syncer.start(self.session):
            show_result(self, NO_URL, "warning", timeout=10)
        self.state_changed()

    def action_sync_watch(self) -> None:
        if self.session is None:
            return
        if self.syncer.toggle_watch(self.session):
            show_result(self, f"Syncing every {WATCH_SECONDS:g} s while the console is open")
        elif self.syncer.view.standing.url is None and not self.syncer.view.watching:
            show_result(self, NO_URL, "warning", timeout=10)
        else:
            show_result(self, "Stopped syncing in the background")
        self.state_changed()

    @on(messages.SyncDone)
    def sync_done(self, message: messages.SyncDone) -> None:
        if message.session is not self.session:
            return
        done, report = message.round, message.round.report
        refused = [*report.rejected_here, *report.rejected_there]
        self.syncer.finished(None, len(refused))
        self.poll()  # the rows taken in, folded now rather than at the next poll
        problems = [
            *(
                f"FORK seen while syncing: {r.device.hex()[:8]}#{r.seq} (both kept)"
                for r in report.forks
            ),
            *(f"Refused while syncing: {r}" for r in refused),
        ]
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            show_result(self, problems[0] + more, "error", timeout=30)
        if done.regressions:
            show_result(self, f"Sync: {done.regressions[0]}", "error", timeout=30)
        if report.pushed or report.pulled:
            show_result(self, f"Synced: {report.pushed} sent, {report.pulled} received")
        self.state_changed()

    @on(messages.SyncFailed)
    def sync_failed(self, message: messages.SyncFailed) -> None:
        if message.session is not self.session:
            return
        before = self.syncer.view.failed
        self.syncer.finished(message.reason, 0)
        if message.reason != before:  # once per cause while watching, not every round
            show_result(self, message.reason, "error", timeout=30)
        self.state_changed()

    # -- the outbox (screens/paging.py) ------------------------------------------

    @on(messages.OutboxFlushed)
    def outbox_flushed(self, message: messages.OutboxFlushed) -> None:
        if message.session is not self.session:
            return
        self.poll()  # what the flush recorded, shown now rather than at the next poll
        self.pager.finished(message.session)  # after the poll: it reads what waits
        for about in message.delivered:
            show_result(self, f"Delivered: {about}")
        for about in message.waiting:
            show_result(self, f"Not delivered yet (tried again later): {about}", "warning")
        for about in message.failed:
            show_result(self, f"Not delivered: {about}", "error", timeout=30)
        self.state_changed()

    @on(messages.OutboxFailed)
    def outbox_failed(self, message: messages.OutboxFailed) -> None:
        if message.session is not self.session:
            return
        self.pager.finished(message.session, retry=False)  # the next `p` tries again
        show_result(self, message.reason, "error", timeout=30)

    def action_export_drafts(self) -> None:
        if self.session is None:
            return
        from .export import ExportScreen, default_folder

        self.push_screen(ExportScreen(self.session, default_folder(self.session, self.now_ms())))

    def action_help(self) -> None:
        from .help import HelpScreen  # loaded when first asked for, not at start

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def build_app(path: Path | None, **options) -> WarroomApp:  # noqa: ANN003
    """The one factory for the CLI and the tests (path None with new_in=DIR: the wizard)."""
    return WarroomApp(Path(path) if path else Path(), **options)
