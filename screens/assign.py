"""Pick who gets a step or a role: someone on the roster, or a new name."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from warroom.state import IncidentState

from .keys import ASSIGN_KEYS
from .safe import literal, show_result
from .widgets.roster import person_label

Choice = tuple[str | None, str]
"""(person id or None for a new person, their name)."""


class AssignScreen(ModalScreen[Choice | None]):
    BINDINGS = ASSIGN_KEYS

    def __init__(self, state: IncidentState, title: str) -> None:
        super().__init__()
        self._state = state
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="assign-box"):
            yield Static(literal(self._title), id="assign-title")
            yield OptionList(
                *(Option(person_label(p), id=p.id) for p in self._state.people.values()),
                id="assign-people",
            )
            yield Input(placeholder="or type a new name and press Enter", id="assign-name")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False
        people = self.query_one(OptionList)
        (people if people.option_count else self.query_one(Input)).focus()

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        person = self._state.people[event.option.id]
        self.dismiss((person.id, person.name))

    @on(Input.Submitted)
    def typed(self, event: Input.Submitted) -> None:
        name = event.value.strip()
        if name:
            self.dismiss((None, name))
        else:  # said, not silent: the keys typed next would still land in the name
            show_result(self.app, "Type a name, or pick someone above (Esc cancels)", "warning")
