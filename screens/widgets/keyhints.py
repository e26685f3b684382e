"""A footer of keys drawn once per size: unlike Textual's Footer it does not redraw on
every focus change, which matters when each byte crosses a slow SSH link.

Help, the command palette and quit are always shown, at the right: the other keys
fill the rest from the left, and those that do not fit give way to an ellipsis
(every key is in help and in the palette).
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from ..keys import APP_KEYS, KEY_LINE_PALETTE

ALWAYS = ("help", "palette", "quit")
"""Binding ids always on the key line: the ways to every other key, and out."""
_APP = {b.id: b for b in APP_KEYS}
PALETTE, HELP, QUIT = KEY_LINE_PALETTE, _APP["help"], _APP["quit"]
MORE = "…"
PANES = ("focus.checklist", "focus.roster", "focus.timeline", "focus.drafts")
"""The pane keys: one hint, `1-4 Panes`, when the line is too narrow for four."""


def key_label(key: str) -> str:
    key = key.split(",")[0]
    return {"question_mark": "?", "slash": "/", "space": "space"}.get(
        key, key.replace("ctrl+", "^")
    )


def hint(key: str, description: str) -> Text:
    text = Text(no_wrap=True)
    text.append(f" {key_label(key)} ", style="bold reverse")
    text.append(f" {description} ")
    return text


def key_line(bindings: list[Binding], keymap: dict[str, str], width: int) -> Text:
    """The keys that fit in `width` cells: help, palette and quit always, at the right."""
    by_id = {b.id: b for b in bindings}
    fixed = Text(no_wrap=True)
    for default in (HELP, PALETTE, QUIT):
        binding = by_id.get(default.id, default)
        fixed.append_text(hint(keymap.get(default.id or "", binding.key), binding.description))
    room = max(0, width - fixed.cell_len)
    line = Text(no_wrap=True, overflow="crop")
    keys = {b.id: keymap.get(b.id or "", b.key) for b in bindings if b.id not in ALWAYS}
    pieces = {b.id: hint(keys[b.id], b.description) for b in bindings if b.id in keys}
    panes = [key_label(keys.get(pane, "")) for pane in PANES]
    if panes == ["1", "2", "3", "4"] and sum(p.cell_len for p in pieces.values()) > room:
        pieces = {"panes": hint("1-4", "Panes")} | {  # one hint says the four
            id_: piece for id_, piece in pieces.items() if id_ not in PANES
        }
    for i, piece in enumerate(pieces.values()):
        last = i == len(pieces) - 1
        if line.cell_len + piece.cell_len + (0 if last else len(MORE)) > room:
            line.append(MORE, style="dim")
            break
        line.append_text(piece)
    line.append(" " * max(0, room - line.cell_len))
    line.append_text(fixed)
    return line


class KeyHints(Static):
    DEFAULT_CSS = "KeyHints { height: 1; background: $panel; }"

    def __init__(self, bindings: list[Binding], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._bindings = bindings
        self._keymap: dict[str, str] = {}

    def show(self, keymap: dict[str, str]) -> None:
        self._keymap = dict(keymap)
        self.refresh()

    def render(self) -> Text:
        return key_line(self._bindings, self._keymap, self.size.width)
