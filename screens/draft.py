"""The draft editor: header fields and a TextArea body, saved at most 1 s after typing stops."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Select, Static, TextArea

from warroom.events import DRAFT_CHANNELS
from warroom.session import Session, SessionError

from .safe import literal

AUTOSAVE_SECONDS = 0.8
LIST_FIELDS = ("to", "cc", "bcc")
TEXT_FIELDS = ("from", "to", "cc", "subject", "topic", "title", "audience")
SMS_BANNER = 'SMS is not for incident communication. Send only: "move to a secure channel".'


def split_addresses(text: str) -> list[str]:
    return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]


class DraftScreen(Screen):
    BINDINGS = [
        Binding("escape", "close", "Save and close", id="draft.close"),
        Binding("ctrl+s", "save", "Save now", id="draft.save"),
        Binding("ctrl+a", "approve", "Approve", id="draft.approve"),
    ]

    def __init__(self, session: Session, draft_id: str | None) -> None:
        super().__init__()
        self.session = session
        self.draft_id = draft_id
        self._pending: dict[str, Any] = {}
        self._timer = None

    def _value(self, name: str) -> Any:
        draft = self.session.state.drafts.get(self.draft_id or "")
        if draft is None:
            return {"channel": "email", "audience": "internal"}.get(name, "")
        value = getattr(draft, "sender" if name == "from" else name)
        return ", ".join(value) if name in LIST_FIELDS else value

    def compose(self) -> ComposeResult:
        with Vertical(id="draft-form"):
            yield Static(SMS_BANNER, id="sms-banner", markup=False)
            with Horizontal(classes="draft-row"):
                yield Label("Channel")
                yield Select(
                    [(c, c) for c in DRAFT_CHANNELS],
                    value=self._value("channel"),
                    allow_blank=False,
                    id="draft-channel",
                    compact=True,
                )
            for name in TEXT_FIELDS:
                with Horizontal(classes=f"draft-row field-{name}"):
                    yield Label(name.capitalize())
                    yield Input(str(self._value(name)), id=f"draft-{name}", compact=True)
            yield TextArea(str(self._value("body")), id="draft-body", soft_wrap=True)
            yield Static("", id="draft-status")
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        body = self.query_one(TextArea)
        body.cursor_blink = False
        self.show_channel(self._value("channel"))
        self.set_status()
        body.focus()

    def show_channel(self, channel: str) -> None:
        self.query_one("#sms-banner").display = channel == "sms"
        shown = {
            "email": {"from", "to", "cc", "subject", "audience"},
            "chat": {"topic", "audience"},
            "sms": {"to", "audience"},
            "statement": {"title", "audience"},
        }[channel]
        for name in TEXT_FIELDS:
            self.query_one(f".field-{name}").display = name in shown

    def set_status(self, note: str = "") -> None:
        draft = self.session.state.drafts.get(self.draft_id or "")
        status = draft.status if draft else "new"
        channel = draft.channel if draft else self.query_one(Select).value
        text = f"{channel} draft, {status}. {note}  Esc saves and closes; ctrl+a approves."
        self.query_one("#draft-status", Static).update(literal(text))

    # -- edits and autosave ------------------------------------------------------

    def changed(self, name: str, value: Any) -> None:
        if name in LIST_FIELDS:
            value = split_addresses(value)
        if value == self._saved_value(name):
            return
        self._pending[name] = value
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(AUTOSAVE_SECONDS, self.action_save)
        self.set_status("editing…")

    def _saved_value(self, name: str) -> Any:
        value = self._value(name)
        return split_addresses(value) if name in LIST_FIELDS else value

    @on(Input.Changed)
    def input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("draft-"):
            self.changed(event.input.id.removeprefix("draft-"), event.value)

    @on(TextArea.Changed)
    def body_changed(self, event: TextArea.Changed) -> None:
        self.changed("body", event.text_area.text)

    @on(Select.Changed, "#draft-channel")
    def channel_changed(self, event: Select.Changed) -> None:
        self.show_channel(str(event.value))
        self.changed("channel", event.value)

    def action_save(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if not self._pending:
            return
        fields, self._pending = self._pending, {}
        if self.draft_id is None:
            fields = {"channel": self.query_one(Select).value, **fields}
        try:
            self.draft_id = self.session.save_draft(self.draft_id, **fields)
        except SessionError as exc:
            self.notify(str(exc), severity="error")
            return
        self.set_status("saved")
        self.app.state_changed()

    def action_approve(self) -> None:
        self.action_save()
        if self.draft_id is None:
            self.notify("Nothing to approve yet", severity="warning")
            return
        self.session.approve_draft(self.draft_id)
        self.set_status("approved")
        self.app.state_changed()

    def action_close(self) -> None:
        self.action_save()
        self.dismiss()
