"""Untrusted text for display: terminal controls stripped, never parsed as markup.

Everything a person typed (notes, names, draft bodies) reaches the screen only
through these helpers: a rich `Text` is literal by construction, so `[bold]`,
`[link=...]` and `[@click=...]` show as typed. Results and errors reach the user
through `show_result`, the one way to notify (never markup: a draft's subject or a
file name in an error message is shown as it is).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from warroom.sanitize import clean, one_line

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel


def literal(value: str, style: str | Style = "", *, single_line: bool = True) -> Text:
    """A Text that shows `value` exactly (less terminal controls)."""
    return Text(one_line(value) if single_line else clean(value), style=style)


def assemble(*parts: tuple[str, str | Style] | str | Text) -> Text:
    """Like Text.assemble, but every plain string is cleaned first."""
    out = Text()
    for part in parts:
        if isinstance(part, Text):
            out.append_text(part)
        elif isinstance(part, tuple):
            out.append(one_line(part[0]), style=part[1])
        else:
            out.append(one_line(part))
    return out


_shown: WeakKeyDictionary[Static, Text] = WeakKeyDictionary()
"""What update_if_changed last showed in each widget."""


def update_if_changed(widget: Static, text: Text) -> None:
    """Redraw a one-piece line only when its text changed: over a slow link every
    repaint is a line of bytes, and most updates repeat what is already shown."""
    if _shown.get(widget) != text:
        _shown[widget] = text
        widget.update(text, layout=False)


def show_result(
    app: App,
    message: str,
    severity: SeverityLevel = "information",
    *,
    timeout: float | None = None,
) -> None:
    """Tell the user a result or an error: a notification that may quote what people
    typed, so one line, controls stripped, never parsed as markup."""
    app.notify(one_line(message), severity=severity, timeout=timeout, markup=False)
