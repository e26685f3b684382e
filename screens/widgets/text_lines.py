"""A scrolling list of texts, wrapped to the width, that repaints only the lines
that changed.

A Static repaints all of itself when its text changes; under the draft body, on
every key that adds or clears a finding, that is every line of the box sent
again over the link. Here `show()` compares the new lines with those on screen
and refreshes from the first that differs to the last that differs.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


class TextLines(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._texts: list[Text] = []
        self._lines: list[Text] = []

    @property
    def lines(self) -> list[Text]:
        """What shows, one wrapped line each."""
        return list(self._lines)

    def show(self, texts: list[Text]) -> None:
        self._texts = list(texts)
        self._paint(self._wrap())

    def on_resize(self) -> None:
        self._lines = []
        self._paint(self._wrap())
        self.refresh()

    def _wrap(self) -> list[Text]:
        width = max(self.scrollable_content_region.width, 10)
        return [line for text in self._texts for line in text.wrap(self.app.console, width)]

    def _paint(self, lines: list[Text]) -> None:
        old, self._lines = self._lines, lines
        first = next(
            (i for i, (a, b) in enumerate(zip(old, lines, strict=False)) if a != b),
            min(len(old), len(lines)),
        )
        last = max(len(old), len(lines))
        # A new virtual size repaints the whole box: only when it must scroll.
        height = max(len(lines), self.size.height)
        if height != self.virtual_size.height:
            self.virtual_size = Size(self.size.width, height)
        if first == last:
            return  # nothing changed: nothing sent
        if len(old) == len(lines):
            last = max(i for i in range(first, last) if old[i] != lines[i]) + 1
        self.refresh_lines(first, last - first)

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, style)
        text = self._lines[index]
        segments = [
            Segment(s.text, style + s.style if s.style else style)
            for s in text.render(self.app.console)
            if s.text != "\n"
        ]
        return Strip(segments).extend_cell_length(width, style).crop(0, width)
