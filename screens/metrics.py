"""The attack timeline: time to detect, dwell time, time to contain and to resolve,
the anchor times they come from (UTC), what is wrong with the marks, and the
attacker entries by phase."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from warroom.events import ATTACK_PHASES
from warroom.metrics import AttackMetrics, format_duration
from warroom.state import Entry
from warroom.timefmt import parse_iso

from .keys import REGISTER_KEYS
from .register import Column, FormField, RegisterScreen, cell, selected_key, utc
from .safe import assemble, literal, show_result

METRICS = [
    ("Time to detect", "time_to_detect", "start of compromise → detected"),
    ("Dwell time", "dwell_time", "start of compromise → contained"),
    ("Time to contain", "time_to_contain", "detected → contained"),
    ("Time to resolve", "time_to_resolve", "detected → resolved"),
]
ANCHORS = [
    ("First activity", "first_activity"),
    ("Start of compromise", "compromise_start"),
    ("Initial access", "initial_access"),
    ("Detected", "detected"),
    ("Contained", "contained"),
    ("Eradicated", "eradicated"),
    ("Resolved", "resolved"),
]
UNMARKED = "(no phase)"
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*Z?\s*$", re.I)


def metrics_table(m: AttackMetrics) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
    for label, attr, meaning in METRICS:
        value = getattr(m, attr)
        table.add_row(
            Text(label, "bold"),
            Text(format_duration(value), "bold" if value is not None else "dim"),
            Text(meaning, "dim"),
        )
    return table


def anchors_table(m: AttackMetrics) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=False)
    for label, attr in ANCHORS:
        value = getattr(m, attr)
        table.add_row(Text(label), Text(utc(value) if value else "—", "" if value else "dim"))
    return table


def problems_text(m: AttackMetrics) -> Text:
    if not m.problems:
        return Text()
    text = Text("Problems with the marks:", "bold red")
    for problem in m.problems:
        text.append("\n  ✗ ", "red")
        text.append_text(literal(problem))
    return text


def when(text: str, now_ms: int) -> int | None:
    """An entry's time as typed: empty for now, HH:MM for today (UTC), or ISO 8601."""
    text = text.strip()
    if not text:
        return None
    if match := _CLOCK.match(text):
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours > 23 or minutes > 59:
            raise ValueError(f"{text!r} is not a time of day")
        day = datetime.fromtimestamp(now_ms / 1000, UTC).replace(
            hour=hours, minute=minutes, second=0, microsecond=0
        )
        if day.timestamp() * 1000 > now_ms:  # 23:50 typed at 00:10 means yesterday
            day -= timedelta(days=1)
        return int(day.timestamp() * 1000)
    return parse_iso(text)


def attacker_entries(entries: list[Entry]) -> list[Entry]:
    """Attacker entries in phase order, then by time; those with no phase last."""
    order = {phase: i for i, phase in enumerate(ATTACK_PHASES)}
    return sorted(
        (e for e in entries if e.kind == "attacker" and e.struck is None),
        key=lambda e: (order.get(e.phase, len(order)), e.at, e.recorded_at, e.id),
    )


class MetricsScreen(RegisterScreen):
    NAME = "metrics"
    TITLE = "Attack timeline"
    BINDINGS = REGISTER_KEYS["metrics"]
    COLUMNS = (
        Column("Phase", 15),
        Column("When (UTC)", 17),
        Column("Author", 16),
        Column("Entry", 60, shrink_to=20),
    )

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="metrics-top"):
            yield Static(id="metrics-figures")
            yield Static(id="metrics-anchors")
        yield Static(id="metrics-problems")
        yield DataTable(id="metrics-table", cursor_type="row", classes="register-table")
        yield Static(id="metrics-detail")

    def prepare(self) -> None:
        self.query_one(DataTable).focus()

    def _entries(self) -> list[Entry]:
        return attacker_entries(list(self.session.state.entries.values()))

    def view_key(self) -> object:
        return (
            self.session.state.incident.resolved_at,
            tuple((e.id, e.phase, e.at, e.text, e.author) for e in self._entries()),
        )

    def show(self) -> None:
        m = self.session.attack_metrics()
        self.query_one("#metrics-figures", Static).update(metrics_table(m))
        self.query_one("#metrics-anchors", Static).update(anchors_table(m))
        problems = self.query_one("#metrics-problems", Static)
        problems.update(problems_text(m))
        problems.display = bool(m.problems)
        entries = self._entries()
        self.fill(
            (
                (
                    e.id,
                    (
                        cell(e.phase or UNMARKED, "bold" if e.phase else "dim"),
                        cell(utc(e.at)),
                        cell(e.author, "italic"),
                        cell(e.text),
                    ),
                )
                for e in entries
            ),
        )
        marked = sum(bool(e.phase) for e in entries)
        self.set_title(
            f"{len(entries)} attacker entr{'y' if len(entries) == 1 else 'ies'}, "
            f"{marked} with a phase",
            ("times in UTC", "dim"),
        )
        self.show_detail()

    @on(DataTable.RowHighlighted)
    def show_detail(self) -> None:
        """The selected entry in full: a narrow table cuts its text short."""
        key = selected_key(self.query_one(DataTable))
        entry = self.session.state.entries.get(key) if key else None
        detail = self.query_one("#metrics-detail", Static)
        if entry is None:
            detail.update(literal("No attacker entries yet: a adds one.", "dim"))
            return
        detail.update(
            assemble(
                (entry.phase or UNMARKED, "bold" if entry.phase else "dim"),
                f"  {utc(entry.at)}  ",
                (entry.author, "italic"),
                ": ",
                entry.text,
            )
        )

    def action_add(self) -> None:
        self.open_form(
            "Add an attacker entry (marks a phase of the attack)",
            [
                FormField("phase", "Phase", options=(*ATTACK_PHASES, UNMARKED)),
                FormField("text", "Entry", placeholder="what the attacker did, or we found"),
                FormField("at", "When", placeholder="HH:MM today, or ISO 8601 (UTC); empty: now"),
            ],
            self.submit_entry,
        )

    def submit_entry(self, values: dict[str, str]) -> bool:
        try:
            at = when(values["at"], self.app.now_ms())
        except ValueError as exc:
            show_result(self.app, str(exc), "error")
            return False
        phase = "" if values["phase"] == UNMARKED else values["phase"]
        return self.add(
            lambda: self.session.add_note(values["text"], kind="attacker", phase=phase, at=at)
        )
