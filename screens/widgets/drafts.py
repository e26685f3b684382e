"""The comms drafts pane: channel, status and recipients of each draft."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from warroom.state import Draft, IncidentState

from ..safe import assemble


def draft_prompt(draft: Draft) -> Text:
    to = ", ".join(draft.to) or draft.topic or draft.title or "-"
    status_style = "bold" if draft.status == "approved" else ""
    text = assemble(
        (f"{draft.channel:<10}", "bold"),
        (f"{draft.status:<9}", status_style),
        (f"{draft.audience:<11}", "italic"),
        to,
    )
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


class DraftsPane(OptionList):
    BORDER_TITLE = "4 Drafts"

    _shown: tuple | None = None

    def show(self, state: IncidentState) -> None:
        drafts = sorted(state.drafts.values(), key=lambda d: d.updated_at)
        key = tuple((d.id, d.updated_at, d.status, len(d.approvals)) for d in drafts)
        if key == self._shown:
            return
        self._shown = key
        self.border_title = f"4 Drafts {len(drafts)}"
        keep = self.highlighted
        self.set_options(Option(draft_prompt(d), id=d.id) for d in drafts)
        if drafts:
            self.highlighted = keep if keep is not None and keep < len(drafts) else 0

    def selected(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id
