"""The draft editor: header fields and a body, the comms rules' findings as you
type, each recipient's key status, quick fixes, approval. Saved at most 0.8 s
after the first unsaved key, so at least once a second while typing goes on, and
at once on quit, lock and hang-up (`save_edits`).

The rules run on what is on screen, not on what was last saved, so a finding
appears and clears with the keystroke. Over a slow link every byte counts: the
body repaints only the lines a key changed, the lines under it are redrawn only
when their text changed, and the findings live in a fixed-height scrolling box,
so a new finding never moves the body. Key lookups run gpg, so they happen in a
worker, once per address; until one answers, that address shows "checking".
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Select, Static, TextArea

from warroom import comms
from warroom.events import DRAFT_CHANNELS
from warroom.rules.addresses import is_internal
from warroom.rules.model import ERROR, Finding, KeyStatus
from warroom.session import Session, SessionError
from warroom.state import Draft

from .keys import DRAFT_KEYS
from .messages import KeyResolved
from .safe import assemble, literal, show_result, update_if_changed
from .widgets.quiet_text_area import QuietTextArea
from .widgets.text_lines import TextLines

AUTOSAVE_SECONDS = 0.8
LIST_FIELDS = ("to", "cc", "bcc")
TEXT_FIELDS = ("from", "to", "cc", "bcc", "subject", "topic", "title", "audience")
FIELDS_BY_CHANNEL = {
    "email": {"from", "to", "cc", "bcc", "subject", "audience"},
    "chat": {"topic", "audience"},
    "sms": {"to", "audience"},
    "statement": {"title", "audience"},
}
SMS_BANNER = 'SMS is not for incident communication. Send only: "move to a secure channel".'
CHECKING = "checking"


def split_addresses(text: str) -> list[str]:
    return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]


class DraftScreen(Screen):
    BINDINGS = DRAFT_KEYS

    def __init__(self, session: Session, draft_id: str | None) -> None:
        super().__init__()
        self.session = session
        self.draft_id = draft_id
        self._pending: dict[str, Any] = {}
        self._timer = None
        self._keys: dict[str, KeyStatus] = {}
        self._asked: set[str] = set()
        self.findings: list[Finding] = []

    # -- values ------------------------------------------------------------------

    def _saved(self) -> Draft | None:
        return self.session.state.drafts.get(self.draft_id or "")

    def _value(self, name: str) -> Any:
        draft = self._saved()
        if draft is None:
            return {"channel": "email", "audience": "internal"}.get(name, "")
        value = getattr(draft, "sender" if name == "from" else name)
        return ", ".join(value) if name in LIST_FIELDS else value

    def on_screen(self) -> Draft:
        """The draft as it stands in the editor, saved or not."""
        draft = Draft(self.draft_id or "new")
        saved = self._saved()
        if saved is not None:
            draft.status, draft.approvals = saved.status, list(saved.approvals)
        draft.channel = str(self.query_one("#draft-channel", Select).value)
        for name in TEXT_FIELDS:
            value = self.query_one(f"#draft-{name}", Input).value
            attr = "sender" if name == "from" else name
            setattr(draft, attr, split_addresses(value) if name in LIST_FIELDS else value)
        draft.body = self.query_one("#draft-body", TextArea).text
        return draft

    # -- layout ------------------------------------------------------------------

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
            yield QuietTextArea(str(self._value("body")), id="draft-body", soft_wrap=True)
            yield Static("", id="draft-keys")
            yield TextLines(id="draft-findings")
            yield Static("", id="draft-status")
        yield Footer()

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        body = self.query_one(TextArea)
        body.cursor_blink = False
        self.show_channel(self._value("channel"))
        self.relint()
        self.set_status()
        body.focus()

    def show_channel(self, channel: str) -> None:
        self.query_one("#sms-banner").display = channel == "sms"
        self.query_one("#draft-keys").display = channel == "email"
        for name in TEXT_FIELDS:
            self.query_one(f".field-{name}").display = name in FIELDS_BY_CHANNEL[channel]

    def set_status(self, note: str = "") -> None:
        draft = self._saved()
        status = draft.status if draft else "new"
        channel = draft.channel if draft else self.query_one(Select).value
        errors = sum(f.severity == ERROR for f in self.findings)
        warnings = len(self.findings) - errors
        count = f"{len(self.findings)} finding(s): {errors} error(s), {warnings} warning(s)"
        verdict = f"{count}: export is refused. " if errors else f"{count}. "
        text = f"{channel} draft, {status}. {verdict}{note}  Esc saves and closes."
        self._update("#draft-status", literal(text))

    def _update(self, selector: str, text: Text) -> None:
        update_if_changed(self.query_one(selector, Static), text)

    # -- the rules, live -----------------------------------------------------------

    def key_status(self, address: str) -> KeyStatus:
        address = address.lower()
        if address in self._keys:
            return self._keys[address]
        if address not in self._asked:
            self._asked.add(address)
            pinned = comms.pinned_fingerprints(self.session.state).get(address, "")
            self.look_up_key(address, pinned)
        return KeyStatus(address, "unavailable", detail=f"{CHECKING}…")

    @work(thread=True, group="keys")
    def look_up_key(self, address: str, pinned: str) -> None:
        self.post_message(KeyResolved(address, self.app.keyring.resolve(address, pinned)))

    @on(KeyResolved)
    def key_resolved(self, message: KeyResolved) -> None:
        self._keys[message.address] = message.status
        self.relint()

    def relint(self) -> None:
        draft = self.on_screen()
        self.findings = comms.review(
            self.session.state, self.session.policy, draft, self.key_status
        )
        self.show_findings()
        if draft.channel == "email":
            self.show_keys(draft)

    def show_findings(self) -> None:
        lines = []
        for finding in sorted(self.findings, key=lambda f: f.severity != ERROR):  # errors first
            mark, style = ("✗", "bold red") if finding.severity == ERROR else ("!", "yellow")
            line = assemble(
                (f"{mark} {finding.rule}", style), f" [{finding.field}] ", finding.message
            )
            if finding.fix:
                line.append("  (ctrl+f fixes)", style="dim")
            lines.append(line)
        if not self.findings:
            lines.append(Text("✓ no findings", style="green"))
        self.query_one(TextLines).show(lines)
        self.set_status()

    def show_keys(self, draft: Draft) -> None:
        doc = comms.draft_doc(draft)
        line = Text("Keys: ", style="bold")
        addresses = comms.email_addresses(doc)
        for i, address in enumerate(addresses):
            if i:
                line.append("  ")
            line.append_text(literal(address))
            if is_internal(address, self.session.policy):
                line.append(" internal", style="dim")
                continue
            status = self.key_status(address)
            if status.usable:
                line.append(f" found {status.fingerprint[-16:]}", style="green")
            elif status.detail.startswith(CHECKING):
                line.append(f" {CHECKING}…", style="dim")
            else:
                line.append(f" {status.status}", style="bold red")
        if not addresses:
            line.append("no recipients yet", style="dim")
        self._update("#draft-keys", line)

    def state_changed(self) -> None:
        """Another writer changed the incident (roster pins, policy, checklist)."""
        self.relint()

    # -- edits and autosave --------------------------------------------------------

    def changed(self, name: str, value: Any) -> None:
        self.relint()
        if name in LIST_FIELDS:
            value = split_addresses(value)
        if value == self._saved_value(name):
            self._pending.pop(name, None)
            return
        self._pending[name] = value
        if self._timer is None:  # not restarted per key: typing on is saved too
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
        audience = self.query_one("#draft-audience", Input)
        if event.value == "statement" and audience.value == "internal":
            audience.value = "public"  # a statement is public unless said otherwise
        self.changed("channel", event.value)

    def save_edits(self) -> None:
        """Save what is typed, now (quit, lock, hang-up)."""
        self.action_save()

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
            show_result(self.app, str(exc), "error")
            return
        self.set_status("saved")
        self.app.state_changed()

    def action_quick_fix(self) -> None:
        """Apply the first fix a finding offers: the policy's subject, or its prefix."""
        finding = next((f for f in self.findings if f.fix), None)
        if finding is None:
            show_result(self.app, "Nothing here has a quick fix", "warning")
            return
        prefix = self.session.policy.prefix
        if finding.fix == "subject":
            self.query_one("#draft-subject", Input).value = self.session.policy.subject
        elif finding.fix == "prefix" and finding.field == "topic":
            field = self.query_one("#draft-topic", Input)
            field.value = f"{prefix}: {field.value.strip()}".rstrip(": ")
        elif finding.fix == "prefix" and finding.field == "body":
            body = self.query_one("#draft-body", TextArea)
            body.text = f"{prefix}: {body.text.lstrip()}"
        show_result(self.app, f"Fixed: {finding.rule}")

    def action_approve(self) -> None:
        self.action_save()
        if self.draft_id is None:
            show_result(self.app, "Nothing to approve yet", "warning")
            return
        if any(s.detail.startswith(CHECKING) for s in map(self.key_status, self._asked)):
            show_result(self.app, "Still checking recipients' keys; try again in a moment")
            return
        try:
            self.session.approve_draft(self.draft_id, keys=self.key_status)
        except SessionError as exc:
            show_result(self.app, str(exc), "error", timeout=10)
            return
        self.relint()
        self.set_status("approved")
        self.app.state_changed()

    def action_close(self) -> None:
        self.action_save()
        self.dismiss()
