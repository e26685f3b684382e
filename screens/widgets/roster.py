"""The roster pane: each role with who holds it; key roles stand out when unfilled."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from warroom.events import ROLES
from warroom.state import IncidentState, Person

from ..safe import assemble

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


class RosterPane(OptionList):
    BORDER_TITLE = "2 Roster"

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
        unfilled = [r for r in KEY_ROLES if not state.holders(r)]
        self.border_title = "2 Roster" + (
            f"  {len(unfilled)} key role(s) unfilled" if unfilled else ""
        )
        keep = self.highlighted
        self.set_options(options)
        self.highlighted = keep if keep is not None and keep < len(options) else 0

    def selected(self) -> str | None:
        """'role:ID' or 'person:ID' of the highlighted line."""
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id
