"""The timeline pane: a line-API view that stays fast with 100k entries.

One line per entry, rendered on demand (`render_line`) with a small line cache;
newest at the bottom; follows the tail until you move up, and again after End.
Who wrote it shows as `state.attribution` has it: "Ann Lee, via bob-laptop" when
the author named is not the signing device's name.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from warroom.sanitize import one_line
from warroom.state import TIMELINE_ORDER, Entry, attribution
from warroom.timefmt import INVALID, strf

from ..keys import TIMELINE_KEYS
from ..safe import assemble

STAMP_WIDTH = len("11-18 11:06 Z")
"""A stamp's cells: an invalid one is padded to them, so the columns stay in line."""
KIND_STYLE = {
    "decision": "bold",
    "attacker": "bold reverse",
    "action": "",
    "evidence": "underline",
    "system": "dim",
    "status": "bold",
}


class TimelineView(ScrollView, can_focus=True):
    BORDER_TITLE = "3 Timeline"
    BINDINGS = TIMELINE_KEYS

    cursor: reactive[int] = reactive(-1, always_update=True)
    utc: reactive[bool] = reactive(True)

    class Selected(Message):
        """The highlighted entry changed."""

        def __init__(self, entry: Entry | None) -> None:
            self.entry = entry
            super().__init__()

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TimelineView.Selected)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._all: list[Entry] = []
        self._visible: list[Entry] = []
        self._filter = ""
        self._follow = True
        self._cache: LRUCache[tuple, Strip] = LRUCache(1024)
        self.flagged: set[tuple[str, int]] = set()
        """(device hex, seq) of events that failed an integrity check: marked, not hidden."""

    # -- data --------------------------------------------------------------

    @property
    def entries(self) -> list[Entry]:
        """The entries shown (filtered), in timeline order."""
        return self._visible

    def set_entries(self, entries: list[Entry]) -> None:
        """Replace everything (first load, or after the state was rebuilt)."""
        self._all = entries
        self._refilter()

    def add_entries(self, entries: Iterable[Entry]) -> None:
        """Slot new entries into place (backdated ones land mid-list)."""
        filtered = self._visible is not self._all  # unfiltered, they are one list
        for entry in entries:
            insort(self._all, entry, key=TIMELINE_ORDER)
            if filtered and self._matches(entry):
                insort(self._visible, entry, key=TIMELINE_ORDER)
        self._resized()

    def changed(self) -> None:
        """Entries were amended or struck in place: redraw."""
        self._cache.clear()
        self.refresh()

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._follow = True
        self._refilter()

    @property
    def filtering(self) -> bool:
        return bool(self._filter)

    def title(self) -> str:
        """The pane's title: while a filter is on, it and how many entries it hides
        (new ones too: an urgent note a filter hides is counted where the eye goes)."""
        if not self._filter:
            return "3 Timeline"
        hidden = len(self._all) - len(self._visible)
        return f"3 Timeline  FILTER /{one_line(self._filter)}: {hidden} hidden (Esc shows all)"

    def _matches(self, entry: Entry) -> bool:
        f = self._filter
        return (
            not f
            or f in entry.text.lower()
            or f in entry.author.lower()
            or f in entry.signer.lower()
            or f == entry.kind
        )

    def _refilter(self) -> None:
        self._visible = [e for e in self._all if self._matches(e)] if self._filter else self._all
        self._resized()

    def _resized(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self._visible))
        if self._follow or not (0 <= self.cursor < len(self._visible)):
            self.cursor = len(self._visible) - 1
        self.refresh()

    # -- cursor and scrolling ------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        if 0 <= new < len(self._visible):  # scroll just enough to keep the cursor in view
            height, top = self.scrollable_content_region.height, self.scroll_offset.y
            # force: after a filter is cleared the scrollbars are not recomputed yet,
            # and an unforced scroll would be dropped, leaving the view at the top.
            if new < top:
                self.scroll_to(y=new, animate=False, force=True)
            elif new >= top + height:
                self.scroll_to(y=new - height + 1, animate=False, force=True)
        self.refresh()  # the line cache is keyed by selection: no need to drop it
        self.post_message(self.Selected(self.current()))

    def watch_utc(self) -> None:
        self.refresh()

    def current(self) -> Entry | None:
        return self._visible[self.cursor] if 0 <= self.cursor < len(self._visible) else None

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, where: int) -> None:
        self._move(0 if where == 0 else len(self._visible) - 1)

    def _move(self, index: int) -> None:
        if not self._visible:
            return
        index = max(0, min(len(self._visible) - 1, index))
        self._follow = index == len(self._visible) - 1
        self.cursor = index

    # -- rendering -----------------------------------------------------------

    def _stamp(self, ms: int) -> str:
        shown = strf(ms, "%m-%d %H:%M", local=not self.utc, invalid="")
        if not shown:  # a time no calendar holds: a hostile or broken clock
            return f"{INVALID:<{STAMP_WIDTH}}"
        return shown + (" Z" if self.utc else " L")

    def line_text(self, entry: Entry) -> Text:
        kind_style = KIND_STYLE.get(entry.kind, "")
        parts: list = [("!! TAMPERED ", "bold reverse")] if self.is_flagged(entry) else []
        parts += [
            (self._stamp(entry.at), "dim"),
            " ",
            (f"{entry.kind:<8}", kind_style),
            " ",
            (attribution(entry.author, entry.signer, entry.device) or "?", "bold"),
            ": ",
            (entry.text, "strike" if entry.struck else ""),
        ]
        if entry.history:
            parts.append((" (amended)", "italic"))
        if entry.struck:
            parts.append((f" [struck: {entry.struck}]", "italic"))
        return assemble(*parts)

    def is_flagged(self, entry: Entry) -> bool:
        return bool(self.flagged) and (entry.device, entry.seq) in self.flagged

    def set_flagged(self, flagged: set[tuple[str, int]]) -> None:
        if flagged != self.flagged:
            self.flagged = flagged
            self.changed()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if index >= len(self._visible):
            return Strip.blank(width, self.rich_style)
        entry = self._visible[index]
        selected = index == self.cursor
        focused = self.has_focus
        key = (
            index,
            id(entry),
            width,
            selected,
            focused,
            self.utc,
            len(entry.history),
            entry.struck,
            entry.signer,  # a device named later, or sharing its name: relabelled in place
            self.is_flagged(entry),
        )
        strip = self._cache.get(key)
        if strip is None:
            text = self.line_text(entry)
            text.truncate(width, overflow="ellipsis")
            base = self.rich_style + (
                Style(reverse=True)
                if selected and focused
                else Style(underline=True)
                if selected
                else Style()
            )
            segments = [
                Segment(s.text, base + s.style if s.style else base)
                for s in text.render(self.app.console)
            ]
            strip = Strip(segments).extend_cell_length(width, base).crop(0, width)
            self._cache[key] = strip
        return strip

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self._resized()
