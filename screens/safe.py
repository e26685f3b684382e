"""Untrusted text for display: terminal controls stripped, never parsed as markup.

Everything a person typed (notes, names, draft bodies) reaches the screen only
through these helpers: a rich `Text` is literal by construction, so `[bold]`,
`[link=...]` and `[@click=...]` show as typed.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from warroom.sanitize import clean, one_line


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


def update_if_changed(widget: Static, text: Text) -> None:
    """Redraw a one-piece line only when its text changed: over a slow link every
    repaint is a line of bytes, and most updates repeat what is already shown."""
    if getattr(widget, "_shown_text", None) != text:
        widget._shown_text = text  # type: ignore[attr-defined]
        widget.update(text, layout=False)
