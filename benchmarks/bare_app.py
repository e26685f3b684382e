"""The floor for a Textual app's first paint: one Static with a marker word, nothing else.

    python benchmarks/bare_app.py

benchmarks/console.py starts it in a pty exactly as it starts the console and times
the marker's appearance, so "first paint" compares like with like. ctrl+q quits.
"""

from __future__ import annotations

import sys
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

MARKER = "bare-app-painted"
ARGV = [sys.executable, str(Path(__file__).resolve())]
"""How the benchmarks start it."""


class BareApp(App):
    def compose(self) -> ComposeResult:
        yield Static(MARKER)


if __name__ == "__main__":
    BareApp().run()
