"""A footer of keys drawn once: unlike Textual's Footer it does not redraw on every
focus change, which matters when each byte crosses a slow SSH link."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static


def key_label(key: str) -> str:
    key = key.split(",")[0]
    return {"question_mark": "?", "slash": "/", "space": "space"}.get(
        key, key.replace("ctrl+", "^")
    )


class KeyHints(Static):
    DEFAULT_CSS = "KeyHints { height: 1; background: $panel; }"

    def __init__(self, bindings: list[Binding], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._bindings = bindings

    def show(self, keymap: dict[str, str]) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        for binding in [*self._bindings, Binding("ctrl+p", "", "palette")]:
            key = keymap.get(binding.id or "", binding.key)
            text.append(f" {key_label(key)} ", style="bold reverse")
            text.append(f" {binding.description} ")
        self.update(text, layout=False)
