"""Follow-ups: the corrective and preventive actions the incident leaves behind,
each with an owner and a due date; open ones past due stand out."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from warroom.events import FOLLOWUP_KINDS
from warroom.sanitize import one_line
from warroom.state import FollowUp
from warroom.timefmt import strf

from .keys import REGISTER_KEYS
from .register import Column, FormField, RegisterScreen, cell, selected_key, utc
from .safe import assemble, literal, show_result

STATUS_STYLE = {"open": "bold", "done": "green", "dropped": "dim strike"}
DATE_HINT = "YYYY-MM-DD"


def overdue(item: FollowUp, today: str) -> bool:
    return item.status == "open" and bool(item.due) and item.due < today


def followup_details(item: FollowUp, today: str) -> Text:
    text = assemble((item.title, "bold"))
    text.append(f"\n{item.kind}, ")
    text.append(item.status, STATUS_STYLE[item.status])
    text.append("\nOwner: ")
    text.append_text(literal(item.owner or "nobody yet (o sets one)", "" if item.owner else "dim"))
    text.append("   Due: ")
    text.append_text(literal(item.due or "no date", "bold red" if overdue(item, today) else ""))
    if overdue(item, today):
        text.append("  overdue", style="bold red")
    added = f" at {utc(item.added_at)}"
    text.append("\nAdded by ")
    text.append_text(assemble((item.added_by, "italic"), added))
    return text


class FollowUpsScreen(RegisterScreen):
    NAME = "followups"
    TITLE = "Follow-ups"
    BINDINGS = REGISTER_KEYS["followups"]
    COLUMNS = (
        Column("Title", 48, shrink_to=16),
        Column("Kind", 11),
        Column("Owner", 18, shrink_to=10),
        Column("Due", 11),
        Column("Status", 8),
    )

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="followups-table", cursor_type="row", classes="register-table")
        yield Static(id="followups-detail", classes="register-details")

    def prepare(self) -> None:
        self.query_one(DataTable).focus()

    def today(self) -> str:
        return strf(self.app.now_ms(), "%Y-%m-%d")

    def view_key(self) -> object:
        return (
            self.today(),
            tuple(
                (f.id, f.title, f.kind, f.owner, f.due, f.status)
                for f in self.session.state.followups.values()
            ),
        )

    def show(self) -> None:
        items = list(self.session.state.followups.values())
        today = self.today()
        self.fill(
            (
                (
                    f.id,
                    (
                        cell(f.title, STATUS_STYLE[f.status] if f.status != "open" else ""),
                        cell(f.kind),
                        cell(f.owner or "—", "" if f.owner else "dim"),
                        cell(f.due or "—", "bold red" if overdue(f, today) else ""),
                        cell(f.status, STATUS_STYLE[f.status]),
                    ),
                )
                for f in items
            ),
        )
        open_ = [f for f in items if f.status == "open"]
        late = sum(overdue(f, today) for f in items)
        parts: list = [f"{len(open_)} open of {len(items)}"]
        if late:
            parts.append((f"{late} overdue", "bold red"))
        self.set_title(*parts)
        self.show_details()

    def selected(self) -> FollowUp | None:
        key = selected_key(self.query_one(DataTable))
        return self.session.state.followups.get(key) if key else None

    @on(DataTable.RowHighlighted)
    def show_details(self) -> None:
        item = self.selected()
        detail = self.query_one("#followups-detail", Static)
        if item is None:
            detail.update(literal("No follow-ups yet: a adds one.", "dim"))
        else:
            detail.update(followup_details(item, self.today()))

    # -- actions -------------------------------------------------------------------

    def _need_selection(self) -> FollowUp | None:
        item = self.selected()
        if item is None:
            show_result(self.app, "Select a follow-up first (a adds one)", "warning")
        return item

    def action_add(self) -> None:
        self.open_form(
            "Add a follow-up",
            [
                FormField("title", "Title", placeholder="what must be done"),
                FormField("kind", "Kind", options=FOLLOWUP_KINDS),
                FormField("owner", "Owner", placeholder="who will do it"),
                FormField("due", "Due", placeholder=DATE_HINT),
            ],
            lambda v: self.add(
                lambda: self.session.add_followup(
                    v["title"], kind=v["kind"], owner=v["owner"].strip(), due=v["due"].strip()
                )
            ),
        )

    def action_edit(self) -> None:
        if (item := self._need_selection()) is None:
            return
        self.open_form(
            "Edit the follow-up",
            [
                FormField("title", "Title", item.title),
                FormField("kind", "Kind", item.kind, options=FOLLOWUP_KINDS),
                FormField("owner", "Owner", item.owner),
                FormField("due", "Due", item.due, placeholder=DATE_HINT),
            ],
            lambda v: self.save(item, v),
        )

    def action_owner(self) -> None:
        if (item := self._need_selection()) is None:
            return
        self.open_form(
            f"Owner of: {item.title}",
            [FormField("owner", "Owner", item.owner, placeholder="who will do it")],
            lambda v: self.save(item, v),
        )

    def save(self, item: FollowUp, values: dict[str, str]) -> bool:
        """Set the fields that changed (as shown: controls stripped); none is no event."""
        shown = {"title": item.title, "kind": item.kind, "owner": item.owner, "due": item.due}
        changed = {
            name: value.strip()
            for name, value in values.items()
            if value.strip() != one_line(shown[name]).strip()
        }
        if not changed:
            return True
        return self.write(lambda: self.session.set_followup(item.id, **changed))

    def action_status(self, status: str) -> None:
        if (item := self._need_selection()) is None or item.status == status:
            return
        self.write(lambda: self.session.set_followup(item.id, status=status))
