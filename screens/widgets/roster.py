"""The roster pane: each role with who holds it; key roles stand out when unfilled.
Below the list, the selected line's details: a role's duties, since when its
holders hold it and who held it before (the last handoff), or a person's contacts."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from warroom.events import ROLE_DUTIES, ROLES
from warroom.state import IncidentState, Person
from warroom.timefmt import strf

from ..safe import assemble
from .quiet_option_list import QuietOptionList

KEY_ROLES = ("ic", "scribe", "external-liaison")
"""Roles an incident cannot run well without: IC, scribe, comms."""


def person_label(person: Person) -> Text:
    parts: list = [(person.name, "bold"), f" ({person.state})"]
    if person.external:
        parts.append((" external", "italic"))
    return assemble(*parts)


def role_prompt(state: IncidentState, role: str) -> Text:
    holders = state.holders(role)
    label = f"{ROLES[role]:<26}"
    if not holders:
        style = "bold reverse" if role in KEY_ROLES else "dim"
        return assemble((label, style if role in KEY_ROLES else ""), ("unfilled", style))
    text = assemble(label)
    for i, person in enumerate(holders):
        if i:
            text.append(", ")
        text.append_text(person_label(person))
    return text


def _hhmm(ms: int) -> str:
    return strf(ms, "%H:%MZ")


def role_details(state: IncidentState, role: str) -> Text:
    """The role's duties, who holds it since when (UTC), and who held it before."""
    text = assemble((ROLES[role], "bold"), ": ", ROLE_DUTIES.get(role, ""))
    held = [h for h in state.roles if h.role == role and h.renounced_at is None]
    text.append("\n")
    if not held:
        text.append("Unfilled", style="bold reverse" if role in KEY_ROLES else "dim")
    for i, holding in enumerate(held):
        text.append("Held by " if i == 0 else ", ")
        text.append_text(assemble((_name(state, holding.person), "bold")))
        text.append(f" since {_hhmm(holding.assumed_at)}")
    before = [h for h in state.roles if h.role == role and h.renounced_at is not None]
    if before:  # the last handoff
        last = max(before, key=lambda h: h.renounced_at or 0)
        text.append_text(assemble("  (before: ", _name(state, last.person)))
        text.append(f" until {_hhmm(last.renounced_at or 0)})")
    return text


def _name(state: IncidentState, person_id: str) -> str:
    person = state.people.get(person_id)
    return person.name if person else person_id


def person_details(person: Person) -> Text:
    text = person_label(person)
    contacts = (("email", person.email), ("handle", person.handle), ("phone", person.phone))
    for label, value in contacts:
        if value:
            text.append_text(assemble(f"  {label} ", value))
    if person.gpg:
        text.append("\nGPG ")
        text.append_text(assemble(person.gpg))
    return text


class RosterPane(QuietOptionList):
    """The list of roles and people (focused with 2)."""

    _shown: tuple | None = None

    def show(self, state: IncidentState) -> None:
        key = (
            tuple((h.role, h.person, h.renounced_at) for h in state.roles),
            tuple((p.id, p.name, p.state, p.external) for p in state.people.values()),
        )
        if key == self._shown:
            return
        self._shown = key
        options = [Option(role_prompt(state, role), id=f"role:{role}") for role in ROLES]
        spare = [p for p in state.people.values() if not state.roles_of(p.id)]
        if spare:
            options.append(Option(assemble(("No role", "bold underline")), disabled=True))
            options.extend(Option(person_label(p), id=f"person:{p.id}") for p in spare)
        keep = self.highlighted
        self.set_options(options)
        self.highlighted = keep if keep is not None and keep < len(options) else 0

    def selected(self) -> str | None:
        """'role:ID' or 'person:ID' of the highlighted line."""
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id


class RosterBox(Vertical):
    """The roster pane: the list, and the details of the selected line."""

    BORDER_TITLE = "2 Roster"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: IncidentState | None = None
        self._details_shown: str | None = None

    def compose(self) -> ComposeResult:
        yield RosterPane(id="roster")
        yield Static(id="role-details")

    @property
    def roster(self) -> RosterPane:
        return self.query_one(RosterPane)

    def show(self, state: IncidentState) -> None:
        self._state = state
        unfilled = [r for r in KEY_ROLES if not state.holders(r)]
        title = "2 Roster" + (f"  {len(unfilled)} key role(s) unfilled" if unfilled else "")
        if self.border_title != title:
            self.border_title = title
        self.roster.show(state)
        self.show_details()

    @on(OptionList.OptionHighlighted, "#roster")
    def show_details(self) -> None:
        line, state = self.roster.selected(), self._state
        text = Text()
        if line and state is not None:
            kind, ident = line.split(":", 1)
            if kind == "role":
                text = role_details(state, ident)
            elif ident in state.people:
                text = person_details(state.people[ident])
        if text.markup != self._details_shown:  # a quiet terminal: redraw only changes
            self._details_shown = text.markup
            self.query_one("#role-details", Static).update(text, layout=False)
