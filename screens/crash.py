"""What the console prints when it stops on an error nobody foresaw.

Textual's own report is a traceback with every frame's local variables: the
incident's plaintext (a note, a draft, whoever holds a role) on the terminal and in
its scrollback, from a console whose job includes locking it away. This report
names the error and where it happened, and nothing the frames held, nor the
error's own words (they may quote the data too)."""

from __future__ import annotations

import traceback
from pathlib import Path

from rich.text import Text

FRAMES = 8
"""The innermost frames shown: where it happened, not the whole way there."""


def crash_report(error: BaseException | None) -> Text:
    name = type(error).__name__ if error is not None else "error"
    lines = [f"warroom: the console stopped on an unexpected {name}, in:"]
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    for frame in frames[-FRAMES:]:
        lines.append(f"  {_short(frame.filename)}:{frame.lineno} ({frame.name})")
    lines += [
        "Its message and the values it was working on are left out: they may hold the",
        "incident's plaintext. What was saved before it is in the file; open it again.",
    ]
    return Text("\n".join(lines))


def _short(filename: str) -> str:
    """The path from the package or library down, not the machine's folders."""
    parts = Path(filename).parts
    for root in ("warroom", "textual", "rich"):
        if root in parts:
            return "/".join(parts[len(parts) - parts[::-1].index(root) - 1 :])
    return Path(filename).name
