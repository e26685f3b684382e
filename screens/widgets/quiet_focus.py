"""Focus and blur that repaint only what focus changes in a widget.

Textual's Widget repaints all of itself when it gains or loses focus. The quiet
widgets (quiet_text_area.py, quiet_option_list.py) say which lines focus changes
(`_focus_changed`) and repaint those: over a slow link, a whole text area or pane
list is 1-2 KB each time focus moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events

if TYPE_CHECKING:
    from textual.widget import Widget

    _Base = Widget
else:
    _Base = object  # not a DOMNode: Textual then takes CSS from the widget base


class QuietFocus(_Base):
    """A mixin, first in the bases (its handlers replace Widget's: prevent_default),
    before the widget class whose styles the quiet widget keeps."""

    def _on_focus(self, event: events.Focus) -> None:
        event.prevent_default()  # Widget's handler repaints everything
        self.has_focus = True
        self._focus_changed()
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def _on_blur(self, event: events.Blur) -> None:
        event.prevent_default()
        self.has_focus = False
        self._focus_changed()
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def _focus_changed(self) -> None:
        """Repaint what looks different with focus gained or lost."""
        raise NotImplementedError
