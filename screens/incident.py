"""The incident's own fields: title, status, severity, summary, impact, root cause,
resolution. Only the fields that changed are saved (a status change is a timeline
entry; resolving stamps the time and sets the review due date): at most 0.8 s
after the first unsaved edit, so at least once a second while typing goes on;
at once with ctrl+s, on Esc, and on quit, lock and hang-up (`save_edits`).

When another writer changes a field you have not touched, it updates here; a
field you are editing keeps your text, and saving writes it (last writer wins).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Input, Label, Select, Static, TextArea

from warroom.events import INCIDENT_STATUSES, SEVERITIES
from warroom.sanitize import clean, one_line
from warroom.state import Incident

from .keys import REGISTER_KEYS
from .register import Host, RegisterScreen, utc
from .safe import show_result, update_if_changed
from .widgets.quiet_text_area import QuietTextArea

AUTOSAVE_SECONDS = 0.8
TEXT_FIELDS = [
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("root_cause", "Root cause"),
    ("resolution", "Resolution"),
]
FIELDS = ("title", "status", "severity", *(name for name, _ in TEXT_FIELDS))


def shown_values(incident: Incident) -> dict[str, Any]:
    """The fields as the editor shows them: terminal controls stripped."""
    values: dict[str, Any] = {
        "title": one_line(incident.title),
        "status": incident.status,
        "severity": incident.severity,
    }
    for name, _ in TEXT_FIELDS:
        values[name] = clean(getattr(incident, name))
    return values


def times_line(incident: Incident) -> Text:
    text = Text()
    text.append("Declared ", "dim")
    text.append(utc(incident.declared_at))
    if incident.resolved_at:
        text.append("   Resolved ", "dim")
        text.append(utc(incident.resolved_at), "bold")
        text.append("   Review due ", "dim")
        text.append(utc(incident.review_due, date_only=True), "bold")
    else:
        text.append("   not resolved yet (resolving sets the review due date)", "dim")
    return text


class IncidentScreen(RegisterScreen):
    NAME = "incident"
    TITLE = "Incident"
    BINDINGS = REGISTER_KEYS["incident"]

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self._base = shown_values(self.session.state.incident)
        self._timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        base = self._base
        with Vertical(id="incident-form"):
            with Horizontal(classes="form-row"):
                yield Label("Title")
                yield Input(base["title"], id="incident-title", compact=True, select_on_focus=False)
            with Horizontal(classes="form-row"):
                yield Label("Status")
                yield Select(
                    [(s, s) for s in INCIDENT_STATUSES],
                    value=base["status"],
                    allow_blank=False,
                    id="incident-status",
                    compact=True,
                )
                yield Label("Severity", classes="incident-severity-label")
                yield Select(
                    [(f"SEV{n}", n) for n in SEVERITIES],
                    value=base["severity"],
                    allow_blank=False,
                    id="incident-severity",
                    compact=True,
                )
            yield Static(id="incident-times")
            for name, label in TEXT_FIELDS:
                yield Label(label, classes="incident-label")
                yield QuietTextArea(base[name], id=f"incident-{name}", soft_wrap=True, compact=True)
            yield Static(id="incident-state")

    def prepare(self) -> None:
        self.query_one(Input).cursor_blink = False
        for area in self.query(TextArea):
            area.cursor_blink = False
        self.query_one("#incident-title", Input).focus()

    # -- values ------------------------------------------------------------------

    def on_screen(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "title": self.query_one("#incident-title", Input).value,
            "status": self.query_one("#incident-status", Select).value,
            "severity": self.query_one("#incident-severity", Select).value,
        }
        for name, _ in TEXT_FIELDS:
            values[name] = self.query_one(f"#incident-{name}", TextArea).text
        return values

    def changed_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.on_screen().items() if v != self._base[k]}

    def _set_widget(self, name: str, value: Any) -> None:
        widget = self.query_one(f"#incident-{name}")
        if isinstance(widget, TextArea):
            widget.load_text(value)
        else:
            widget.value = value

    # -- state to screen -----------------------------------------------------------

    def view_key(self) -> object:
        inc = self.session.state.incident
        return (tuple(shown_values(inc).items()), inc.resolved_at, inc.review_due)

    def show(self) -> None:
        """Fields you have not touched follow the incident; yours stay as typed."""
        inc = self.session.state.incident
        fresh = shown_values(inc)
        screen = self.on_screen()
        for name in FIELDS:
            if screen[name] == self._base[name] and fresh[name] != screen[name]:
                self._set_widget(name, fresh[name])
        self._base = fresh
        update_if_changed(self.query_one("#incident-times", Static), times_line(inc))
        self.set_title(
            ("codename " + inc.codename, "bold"), f"{inc.kind}, SEV{inc.severity}, {inc.status}"
        )
        self.show_state()

    def show_state(self) -> None:
        changed = self.changed_fields()
        line = Text()
        if changed:
            line.append(f"Unsaved: {', '.join(n.replace('_', ' ') for n in changed)}", "bold")
            line.append("   saved within a second; ctrl+s saves now", "dim")
        else:
            line.append(
                "All saved. Tab moves between fields; edits save themselves; Esc closes.", "dim"
            )
        update_if_changed(self.query_one("#incident-state", Static), line)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def edited(self) -> None:
        if not self.is_mounted:
            return
        self.show_state()
        if self._timer is None and self.changed_fields():  # not restarted per key
            self._timer = self.set_timer(AUTOSAVE_SECONDS, self.save_edits)

    # -- actions -------------------------------------------------------------------

    def save_edits(self) -> bool:
        """Save the fields that changed, now; False if the save was refused."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        changed = self.changed_fields()
        return not changed or self.write(lambda: self.session.set_incident(**changed))

    def action_save(self) -> None:
        changed = self.changed_fields()
        if not changed:
            show_result(self.app, "Nothing to save")
        elif self.save_edits():
            show_result(self.app, "Saved: " + ", ".join(n.replace("_", " ") for n in changed))

    def action_close(self) -> None:
        """Esc saves and closes; a refused save keeps the screen open with the text."""
        if self.save_edits():
            self.dismiss()
