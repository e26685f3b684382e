"""An OptionList whose focus and blur repaint the highlighted option only.

Textual's OptionList repaints all of itself when it gains or loses focus (its
focused look is a background tint over every line and the highlighted option's
colours): a whole pane, about 1 KB at 120x40, each time a note closes and focus
goes back to the pane, or the IC moves between panes over a slow link. The panes
drop the tint (warroom.tcss: the box marks the active pane, not the focused list),
so only the highlighted option looks different, and only its lines are repainted:
the full repaints that the focus change's style update asks for are left out.
"""

from __future__ import annotations

from typing import Self

from textual.geometry import Region
from textual.widgets import OptionList

from .quiet_focus import QuietFocus


class QuietOptionList(QuietFocus, OptionList):
    _restyling = False  # a focus change is under way: its whole repaints are left out

    def watch_has_focus(self, has_focus: bool) -> None:
        """Widget's (the `:focus` styles applied), but the whole repaint the new
        styles ask for is left out: only the highlighted option looks different."""
        self._restyling = True
        try:
            super().watch_has_focus(has_focus)
        finally:
            self._restyling = False

    def focus(self, scroll_visible: bool = True) -> Self:
        """Widget's, less its whole repaint (the Focus event repaints what changes)."""
        self._restyling = True
        try:
            return super().focus(scroll_visible)
        finally:
            self._restyling = False

    def refresh(self, *regions: Region, **options: bool) -> Self:
        if self._restyling and not regions and not options:
            return self  # _focus_changed repaints the highlighted option's lines
        return super().refresh(*regions, **options)

    def _focus_changed(self) -> None:
        index = self.highlighted
        if index is None or not self.is_mounted:
            return
        self._update_lines()
        line = self._index_to_line.get(index)
        if line is not None:
            self.refresh_lines(line, self._heights.get(index, 1))
