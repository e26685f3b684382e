"""The checklist pane: playbook steps grouped by phase, with the selected step's details."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from warroom.events import ROLES
from warroom.state import IncidentState, Step

from ..safe import assemble, literal
from .quiet_option_list import QuietOptionList

MARKS = {"todo": "[ ]", "doing": "[~]", "done": "[x]", "skipped": "[-]"}


def step_prompt(step: Step) -> Text:
    style = (
        "dim" if step.status in ("done", "skipped") else ("bold" if step.status == "doing" else "")
    )
    parts: list = [(MARKS[step.status] + " ", style), (step.title, style)]
    if step.assignee:
        parts.append((f"  @{step.assignee}", "italic"))
    return assemble(*parts)


def step_details(step: Step) -> Text:
    delegate = step.delegate_title or ROLES.get(step.delegate, step.delegate)
    text = assemble((step.title, "bold"), f"  ({step.status})")
    if delegate:
        text.append("\n")
        text.append_text(assemble(f"Delegate: {delegate}"))
    for line in step.details:
        text.append("\n- ")
        text.append_text(literal(line))
    return text


class ChecklistPane(Vertical):
    BORDER_TITLE = "1 Checklist"

    def compose(self) -> ComposeResult:
        yield QuietOptionList(id="checklist-list")
        yield Static(id="step-details")

    @property
    def options(self) -> OptionList:
        return self.query_one("#checklist-list", OptionList)

    _shown: tuple | None = None

    def show(self, state: IncidentState) -> None:
        steps = state.checklist()
        key = tuple((s.id, s.phase, s.title, s.status, s.assignee) for s in steps)
        if key == self._shown:
            return
        self._shown = key
        done = sum(s.status in ("done", "skipped") for s in steps)
        self.border_title = f"1 Checklist {done}/{len(steps)}"
        options: list[Option] = []
        phases: dict[str, list[Step]] = {}
        for step in steps:  # phases in order of first appearance, steps in playbook order
            phases.setdefault(step.phase, []).append(step)
        for phase, members in phases.items():
            finished = sum(s.status in ("done", "skipped") for s in members)
            options.append(
                Option(
                    literal(f"{phase} {finished}/{len(members)}", "bold underline"), disabled=True
                )
            )
            options.extend(Option(step_prompt(s), id=s.id) for s in members)
        olist = self.options
        keep = olist.highlighted
        olist.set_options(options)
        if options:
            olist.highlighted = keep if keep is not None and keep < len(options) else 1
        self.show_details(state)

    def selected_step(self) -> str | None:
        olist = self.options
        if olist.highlighted is None:
            return None
        return olist.get_option_at_index(olist.highlighted).id

    def show_details(self, state: IncidentState) -> None:
        step_id = self.selected_step()
        step = state.steps.get(step_id) if step_id else None
        self.query_one("#step-details", Static).update(
            step_details(step) if step else "", layout=False
        )
