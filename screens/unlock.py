"""The unlock screen: a masked passphrase; the KDF runs in a worker."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from warroom.session import SessionError

from .messages import Unlocked, UnlockFailed
from .safe import literal


class UnlockScreen(Screen):
    """Ask for the passphrase; post Unlocked (messages.py) with the session when it opens."""

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock-box"):
            yield Static(literal(f"Unlock {self.app.incident_path.name}"), id="unlock-path")
            yield Input(placeholder="passphrase", password=True, id="passphrase")
            yield Static("", id="unlock-status")
        yield Footer()

    def on_mount(self) -> None:
        field = self.query_one("#passphrase", Input)
        field.cursor_blink = False
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value or self.query_one("#passphrase", Input).disabled:
            return
        self.busy()
        self.unlock(event.value)

    def busy(self) -> None:
        """The key is being derived: say so, and take no passphrase meanwhile."""
        self.status("Unlocking… (deriving the key)")
        self.query_one("#passphrase", Input).disabled = True

    def status(self, text: str) -> None:
        self.query_one("#unlock-status", Static).update(literal(text))

    @work(thread=True, exclusive=True, group="unlock")
    def unlock(self, passphrase: str) -> None:
        try:
            session = self.app.open_session(passphrase)
        except SessionError as exc:
            self.post_message(UnlockFailed(str(exc)))
            return
        self.post_message(Unlocked(session))

    @on(UnlockFailed)
    def unlock_failed(self, message: UnlockFailed) -> None:
        self.failed(message.reason)

    def failed(self, message: str) -> None:
        field = self.query_one("#passphrase", Input)
        field.disabled = False
        field.value = ""
        field.focus()
        self.status(message)
