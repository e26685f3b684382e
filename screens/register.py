"""What the register screens share (evidence, indicators, metrics, follow-ups, the
incident's fields): a title line, a body, a key line; Esc closes; every change
goes through `write()`, which shows a SessionError as a notification; and
`state_changed()`, which the app calls when other writers change the incident.

Also the small forms they open: a few labelled lines (Input or Select), Enter or
ctrl+s saves, Esc cancels. A form stays open when the change it makes fails, so
nothing typed is lost to a typo in a date.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.widgets.data_table import RowDoesNotExist

from warroom.sanitize import one_line
from warroom.session import Session, SessionError
from warroom.timefmt import strf

from .hashing import HashJob
from .keys import FORM_KEYS, REGISTER_KEYS
from .palette import ActionsProvider
from .safe import literal, show_result, update_if_changed
from .widgets.keyhints import KeyHints


class Host(Protocol):
    """The screen registers are opened from (the main screen): it outlives them, and
    runs what must outlive them (hashing evidence files)."""

    session: Session
    hash_jobs: list[HashJob]

    def action_open_register(self, name: str) -> None: ...

    def hash_file(self, job: HashJob, item: str, fields: dict[str, Any]) -> object:
        """Hash `job.path` in a worker, then register `item` with `fields`."""
        ...


def apply(app: App, change: Callable[[], object]) -> bool:
    """Run a change on the session; a SessionError becomes a notification."""
    try:
        change()
    except SessionError as exc:
        show_result(app, str(exc), "error")
        return False
    app.state_changed()  # the main screen's panes (and the screen on top)
    return True


def utc(ms: int | None, *, date_only: bool = False, short: bool = False) -> str:
    """A time for a table cell, in UTC: 2026-11-18 11:06Z, the date alone, or short:
    11-18 11:06Z (as the timeline shows it)."""
    if not ms:
        return "—"
    layout = "%Y-%m-%d" if date_only else ("%m-%d %H:%MZ" if short else "%Y-%m-%d %H:%MZ")
    return strf(ms, layout)


def cell(value: str, style: str = "") -> Text:
    """A table cell of untrusted text: literal, controls stripped, one line."""
    text = literal(value, style)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def refill(table: DataTable, rows: Iterable[tuple[str, Sequence[Any]]]) -> None:
    """Replace a table's rows, keeping the cursor on the same row key if it is still there."""
    keep: str | None = None
    if table.row_count and table.is_valid_row_index(table.cursor_row):
        keep = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    old_row = table.cursor_row
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=key)
    if not table.row_count:
        return
    try:
        row = table.get_row_index(keep) if keep is not None else 0
    except RowDoesNotExist:  # the row went away: stay near where the cursor was
        row = min(old_row, table.row_count - 1)
    table.move_cursor(row=row, animate=False)


@dataclass(frozen=True, slots=True)
class Column:
    """A register table's column: `width` cells when there is room. On a narrow
    terminal a column with `shrink_to` narrows to that (its cells end in an ellipsis),
    then those with a `drop` rank are left out, rank 1 first. The detail under the
    table shows every field of the selected row, so nothing is out of reach."""

    label: str
    width: int
    shrink_to: int = 0
    drop: int = 0


CELL_PADDING = 2
"""A DataTable cell's padding, one cell each side."""


def fit_columns(columns: Sequence[Column], room: int) -> list[tuple[str, int]]:
    """(label, width) of the columns shown in `room` cells, in their order."""
    widths = {c.label: c.width for c in columns}
    shown = list(columns)

    def over() -> int:
        return sum(widths[c.label] + CELL_PADDING for c in shown) - room

    for column in columns:
        if column.shrink_to and over() > 0:
            widths[column.label] = max(column.shrink_to, column.width - over())
    for column in sorted((c for c in columns if c.drop), key=lambda c: c.drop):
        if over() <= 0:
            break
        shown.remove(column)
    for column in shown:  # what dropping freed goes back to the narrowed columns
        widths[column.label] = min(column.width, widths[column.label] + max(0, -over()))
    return [(c.label, widths[c.label]) for c in shown]


def selected_key(table: DataTable) -> str | None:
    if not table.row_count or not table.is_valid_row_index(table.cursor_row):
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


class RegisterCommands(ActionsProvider):
    """The open register's own keys, in the command palette."""

    def _commands(self) -> list[tuple[str, str]]:
        screen = self.screen
        if not isinstance(screen, RegisterScreen):
            return []
        title = screen.TITLE
        return [(f"{title}: {b.description}", b.action) for b in REGISTER_KEYS[screen.NAME]]

    def _bindings(self) -> list[Binding]:
        screen = self.screen
        return REGISTER_KEYS[screen.NAME] if isinstance(screen, RegisterScreen) else []


class RegisterScreen(Screen):
    """A full screen over the main one, for one register of the incident."""

    NAME: ClassVar[str] = ""
    """Its key in keys.REGISTER_KEYS (and the main screen's open_register action)."""
    TITLE: ClassVar[str] = ""
    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    """The columns of its table, laid out for the terminal's width (see Column); a
    register without them lays its table out itself."""
    COMMANDS = {RegisterCommands}

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.session = host.session
        self._shown: Hashable = None
        self._columns: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield Static(id="register-title", classes="register-title")
        yield from self.compose_body()
        yield KeyHints(REGISTER_KEYS[self.NAME], id="register-keys")

    def compose_body(self) -> ComposeResult:
        yield from ()

    def prepare(self) -> None:
        """Set the body up before the first draw (columns, focus)."""

    def on_mount(self) -> None:
        # Subclasses set up in prepare(): Textual calls every on_mount along the MRO.
        self.prepare()
        self.fit_columns()
        self.query_one(KeyHints).show(self.app.current_keymap())
        self.state_changed()

    def on_resize(self) -> None:
        key = selected_key(self.query_one(DataTable)) if self.COLUMNS else None
        if self.fit_columns():
            self._shown = None  # the rows are made again, for the columns now shown
            self.state_changed()
            if key is not None:
                self.select(key)  # on the row it was on

    def fit_columns(self) -> bool:
        """Lay the table's columns out for the terminal's width; says if they changed."""
        if not self.COLUMNS:
            return False
        # One cell for the vertical scrollbar, when the rows outgrow the table.
        columns = fit_columns(self.COLUMNS, self.app.size.width - 1)
        if columns == self._columns:
            return False
        self._columns = columns
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for label, width in columns:
            table.add_column(label, width=width, key=label)
        return True

    def hidden_columns(self) -> list[str]:
        """The columns the terminal is too narrow for (the detail below shows them)."""
        shown = {label for label, _ in self._columns}
        return [c.label for c in self.COLUMNS if c.label not in shown]

    def fill(self, rows: Iterable[tuple[str, Sequence[Any]]]) -> None:
        """Fill the table with rows of cells for every column in COLUMNS, keeping the
        cells of the columns shown."""
        shown = {label for label, _ in self._columns}
        keep = [i for i, column in enumerate(self.COLUMNS) if column.label in shown]
        refill(
            self.query_one(DataTable),
            ((key, [cells[i] for i in keep]) for key, cells in rows),
        )

    def on_screen_resume(self) -> None:
        self.state_changed()  # a form closed, or someone wrote while it was open

    def set_title(self, *parts: str | tuple[str, str]) -> None:
        text = Text()
        text.append(self.TITLE, "bold")
        if hidden := self.hidden_columns():
            parts = (*parts, (f"below: {', '.join(hidden)}", "dim"))
        for part in parts:
            text.append("  ")
            text.append_text(literal(*part) if isinstance(part, tuple) else literal(part))
        update_if_changed(self.query_one("#register-title", Static), text)

    # -- state to screen -------------------------------------------------------

    def view_key(self) -> Hashable:
        """What the screen shows, as a value: redraw only when it changes."""
        return None

    def show(self) -> None:
        """Draw the register from the session's state."""

    def state_changed(self) -> None:
        """Our writes and other writers' (the app calls this on the screen on top)."""
        if not self.is_mounted:
            return
        key = self.view_key()
        if key is not None and key == self._shown:
            return
        self._shown = key
        self.show()

    # -- changes -----------------------------------------------------------------

    def write(self, change: Callable[[], object]) -> bool:
        """Run a change on the session; show its error instead of raising."""
        if not apply(self.app, change):
            return False
        self.state_changed()  # at once, whether or not the app refreshed the top screen
        return True

    def add(self, change: Callable[[], str]) -> bool:
        """Add a row (`change` makes it and returns its key) and select it: the next
        key (a custody note, an owner) acts on what was just added, not on row one."""
        made: list[str] = []
        if not self.write(lambda: made.append(change())):
            return False
        self.select(made[0])
        return True

    def select(self, key: str) -> None:
        """Put the table's cursor on the row with this key, if it is shown."""
        table = self.query_one(DataTable)
        with contextlib.suppress(RowDoesNotExist):
            table.move_cursor(row=table.get_row_index(key), animate=False)

    def open_form(
        self, title: str, fields: list[FormField], submit: Callable[[dict[str, str]], bool]
    ) -> None:
        self.app.push_screen(FormScreen(title, fields, submit))

    # -- actions -------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss()

    def action_open_register(self, name: str) -> None:
        """From the command palette: another register replaces this one."""
        if name == self.NAME:
            return
        host = self.host
        self.dismiss()
        host.action_open_register(name)


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    value: str = ""
    options: tuple[str, ...] = ()
    """A Select of these (value = label) when given; else a one-line Input."""
    placeholder: str = ""


class FormScreen(ModalScreen[None]):
    """A small form. `submit(values)` makes the change and says whether it worked:
    only then does the form close."""

    BINDINGS = FORM_KEYS

    def __init__(
        self, title: str, fields: list[FormField], submit: Callable[[dict[str, str]], bool]
    ) -> None:
        super().__init__()
        self._title = title
        self._fields = fields
        self._submit = submit

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box"):
            yield Static(literal(self._title, "bold"), id="form-heading")
            for field in self._fields:
                with Horizontal(classes="form-row"):
                    yield Label(field.label)
                    if field.options:
                        yield Select(
                            [(o, o) for o in field.options],
                            value=field.value or field.options[0],
                            allow_blank=False,
                            id=f"form-{field.name}",
                            compact=True,
                        )
                    else:
                        yield Input(
                            one_line(field.value),
                            placeholder=field.placeholder,
                            id=f"form-{field.name}",
                            compact=True,
                        )
            yield Static(
                literal("Enter or ctrl+s saves, Esc cancels, Tab moves", "dim"), id="form-hint"
            )
            if room := self.list_room():
                spacer = Static(id="form-room")
                spacer.styles.height = room
                yield spacer

    def list_room(self) -> int:
        """Blank lines the box needs at its foot so that a drop-down list, opened,
        stays inside it (a list opens below its line, over the lines under it)."""
        below_last = 2  # the hint and the line above it
        needs = [
            len(field.options) - (len(self._fields) - 1 - i + below_last)
            for i, field in enumerate(self._fields)
            if field.options
        ]
        return max([0, *needs])

    def on_mount(self) -> None:
        for field in self.query(Input):
            field.cursor_blink = False
        self.query_one(f"#form-{self._fields[0].name}").focus()

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for field in self._fields:
            widget = self.query_one(f"#form-{field.name}")
            out[field.name] = str(widget.value)
        return out

    @on(Input.Submitted)
    def line_submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        if self._submit(self.values()):
            self.dismiss()

    def action_cancel(self) -> None:
        self.dismiss()
