"""A TextArea that repaints only the lines a key changed.

Textual's TextArea repaints all of itself whenever the cursor moves, which is on
every key: 6.8 KB per typed character for a draft body at 120x40, seconds of
echo delay over a slow SSH link. Here the cursor's old and new lines are
repainted, and an edit repaints the lines of the paragraphs it touched (or,
when the number of lines changed, everything from there to the end of the
text). The virtual height never drops below the visible height, so a new line
that still fits does not count as a resize (which repaints everything).
Focus and blur repaint the selection's lines only (the cursor and the cursor
line are all that focus changes in a compact area; a style that changes with
focus, such as a border, repaints through the style system). Scrolling and
resizing still repaint the whole widget.
"""

from __future__ import annotations

from textual.document._document import EditResult, Selection
from textual.document._edit import Edit
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.widgets import TextArea

from .quiet_focus import QuietFocus


class QuietTextArea(QuietFocus, TextArea):
    selection = reactive(Selection(), init=False, always_update=True, repaint=False)

    _in_edit = False  # class defaults: TextArea's __init__ already moves the cursor
    _moved: tuple[Selection, ...] = ()

    def _watch_selection(self, previous_selection: Selection, selection: Selection) -> None:
        super()._watch_selection(previous_selection, selection)
        if self._in_edit:  # the wrapping is not up to date yet: edit() repaints these
            self._moved = (*self._moved, previous_selection, selection)
        else:
            self._refresh_selections(previous_selection, selection)

    def edit(self, edit: Edit) -> EditResult:
        before = self.wrapped_document.height
        lines_before = self.document.line_count
        self._in_edit = True
        try:
            result = super().edit(edit)
        finally:
            self._in_edit = False
        self._line_cache.clear()  # its keys do not include a line's text
        moved, self._moved = self._moved, ()
        if not self.is_mounted:
            return result
        after = self.wrapped_document.height
        first = min(edit.top[0], result.end_location[0])
        if after != before or self.document.line_count != lines_before:
            # Lines moved: repaint down to the end of the text, old or new (below
            # both it was blank and stays blank).
            self._refresh_visual(self._visual_top(first), max(before, after))
        else:
            self._refresh_rows(first, max(edit.bottom[0], result.end_location[0]))
        self._refresh_selections(*moved)
        return result

    def _focus_changed(self) -> None:
        self._line_cache.clear()  # its keys do not include focus
        self._refresh_selections(self.selection)

    def _refresh_size(self) -> None:
        if not self.soft_wrap:
            super()._refresh_size()
            return
        visible = self.scrollable_content_region.height
        self.virtual_size = Size(0, max(self.wrapped_document.height, visible))
        self._refresh_scrollbars()

    def _refresh_selections(self, *selections: Selection) -> None:
        for rows in selections:
            first, last = sorted((rows.start[0], rows.end[0]))
            self._refresh_rows(first, last)

    def _visual_top(self, row: int) -> int:
        return self.wrapped_document.location_to_offset((row, 0)).y

    def _refresh_rows(self, first: int, last: int) -> None:
        """Repaint document rows first..last, every wrapped line of each."""
        final = self.document.line_count - 1
        first, last = min(max(first, 0), final), min(max(last, 0), final)
        if not self.is_mounted or first > last:
            return
        end = self._visual_top(last) + len(self.wrapped_document.get_offsets(last)) + 1
        self._refresh_visual(self._visual_top(first), end)

    def _refresh_visual(self, top: int, end: int) -> None:
        """Repaint visual lines top..end-1 (document coordinates), as far as they show."""
        scroll_y = self.scroll_offset.y
        top, end = max(top, scroll_y), min(end, scroll_y + self.size.height)
        if end > top:
            self.refresh(Region(0, top - scroll_y, self.size.width, end - top))
