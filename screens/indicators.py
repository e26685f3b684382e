"""The indicator register: IPs, domains, URLs, hashes and accounts found in the
timeline, each confirmed or dismissed by a person (or still new)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from warroom.events import INDICATOR_STATUSES
from warroom.iocs import IndicatorRow

from .keys import REGISTER_KEYS
from .register import Column, FormField, Host, RegisterScreen, cell, selected_key, utc
from .safe import assemble, literal, show_result

STATUS_STYLE = {"new": "bold yellow", "confirmed": "bold red", "dismissed": "dim"}
"""A confirmed indicator is the attacker's: it stands out most."""
FILTERS = ("all", *INDICATOR_STATUSES)
MAX_SIGHTINGS = 8


def indicator_details(row: IndicatorRow, texts: list[tuple[int, str, str]]) -> Text:
    """The indicator, its verdict, and the timeline entries that name it."""
    text = assemble((row.value, "bold"), f"  {row.type}  ", (row.status, STATUS_STYLE[row.status]))
    if row.by:
        text.append_text(assemble("  by ", (row.by, "italic"), f" at {utc(row.at)}"))
    if row.note:
        text.append("\nNote: ")
        text.append_text(literal(row.note))
    if not row.entries:
        text.append("\nAdded by hand: no timeline entry names it", style="dim")
    else:
        text.append(f"\nNamed in {len(row.entries)} timeline entr", style="bold underline")
        text.append("y" if len(row.entries) == 1 else "ies", style="bold underline")
    for at, author, body in texts[:MAX_SIGHTINGS]:
        text.append(f"\n  {utc(at)}  ")
        text.append_text(assemble((author, "italic"), "  ", body))
    if len(texts) > MAX_SIGHTINGS:
        text.append(f"\n  … and {len(texts) - MAX_SIGHTINGS} more", style="dim")
    return text


class IndicatorsScreen(RegisterScreen):
    NAME = "indicators"
    TITLE = "Indicators of compromise"
    BINDINGS = REGISTER_KEYS["indicators"]
    COLUMNS = (  # narrower than 94, Value narrows, then the last go (the detail has all)
        Column("Value", 44, shrink_to=20),
        Column("Type", 8),
        Column("Status", 10),
        Column("First seen", 17, drop=2),
        Column("Seen", 5, drop=1),
    )

    def __init__(self, host: Host) -> None:
        super().__init__(host)
        self.filter = "all"
        self._rows: dict[str, IndicatorRow] = {}

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="indicators-table", cursor_type="row", classes="register-table")
        with VerticalScroll(id="indicators-details", classes="register-details"):
            yield Static(id="indicators-detail")

    def prepare(self) -> None:
        self.query_one(DataTable).focus()

    def view_key(self) -> object:
        return (self.filter, tuple(self.session.indicators()))

    def show(self) -> None:
        rows = self.session.indicators()
        counts = {status: sum(r.status == status for r in rows) for status in INDICATOR_STATUSES}
        shown = [r for r in rows if self.filter in ("all", r.status)]
        self._rows = {r.value: r for r in shown}
        self.fill(
            (
                (
                    r.value,
                    (
                        cell(r.value, "bold" if r.status == "confirmed" else ""),
                        cell(r.type),
                        cell(r.status, STATUS_STYLE[r.status]),
                        cell(utc(r.first_seen)),
                        cell(str(len(r.entries))),
                    ),
                )
                for r in shown
            ),
        )
        self.set_title(
            ", ".join(f"{counts[s]} {s}" for s in INDICATOR_STATUSES),
            (f"showing: {self.filter} ({len(shown)})", "italic"),
        )
        self.show_details()

    def selected(self) -> IndicatorRow | None:
        key = selected_key(self.query_one(DataTable))
        return self._rows.get(key) if key else None

    @on(DataTable.RowHighlighted)
    def show_details(self) -> None:
        row = self.selected()
        detail = self.query_one("#indicators-detail", Static)
        if row is None:
            empty = "No indicators yet: they are found in timeline notes."
            if self.filter != "all":
                empty = f"No {self.filter} indicators (f changes the filter)."
            detail.update(literal(empty, "dim"))
            return
        entries = self.session.state.entries
        texts = [
            (entries[i].at, entries[i].author, entries[i].text) for i in row.entries if i in entries
        ]
        detail.update(indicator_details(row, texts))

    # -- actions -------------------------------------------------------------------

    def action_mark(self, status: str) -> None:
        row = self.selected()
        if row is None:
            show_result(self.app, "Select an indicator first", "warning")
            return
        if row.status != status:
            self.write(lambda: self.session.mark_indicator(row.value, status))

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        self.state_changed()

    def action_add(self) -> None:
        self.open_form(
            "Add an indicator the timeline does not name",
            [
                FormField("value", "Value", placeholder="an IP, domain, URL, hash or account"),
                FormField("status", "Status", "confirmed", options=INDICATOR_STATUSES),
                FormField("note", "Note", placeholder="optional: why"),
            ],
            lambda v: self.write(
                lambda: self.session.mark_indicator(v["value"], v["status"], v["note"].strip())
            ),
        )
