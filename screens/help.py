"""The help screen: every key, from the live bindings (so remapped keys show as they are)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from .keys import MAIN_KEYS
from .widgets.keyhints import key_label

RULES = (
    'Email subject: exactly "Attorney Work Project", nothing else; chat starts with it.\n'
    "Any recipient outside the company: the email is GPG-encrypted.\n"
    'SMS only says "move to a secure channel".\n'
    'Never "we take security (very) seriously". Public statements carry their date.'
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        keymap = self.app.current_keymap()
        for binding in MAIN_KEYS:
            table.add_row(key_label(keymap.get(binding.id or "", binding.key)), binding.description)
        with VerticalScroll(id="help-box"):
            yield Static("[b]Keys[/b]")
            yield Static(table)
            yield Static("\n[b]Comms rules[/b]")
            yield Static(RULES, markup=False)
            yield Static("\nctrl+p opens the command palette: every action is there too.")
