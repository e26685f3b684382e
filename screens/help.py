"""The help screen: every key, from the live bindings (so remapped keys show as they are)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.events import ATTACK_PHASES, USER_ENTRY_KINDS

from .keys import MAIN_KEYS, REGISTER_KEYS
from .widgets.keyhints import key_label

RULES = (
    'Email subject: exactly "Attorney Work Project", nothing else; chat starts with it.\n'
    "Any recipient outside the company: the email is GPG-encrypted.\n"
    'SMS only says "move to a secure channel".\n'
    'Never "we take security (very) seriously". Public statements carry their date.'
)

NOTE_SYNTAX = [
    ("decision: text", f"a note of that kind: {', '.join(USER_ENTRY_KINDS)}"),
    (
        "attacker/detected: text",
        f"an attacker entry that marks a phase: {', '.join(ATTACK_PHASES)}"
        " (a space for the hyphen, or its first letters: attacker/exfil:)",
    ),
    ("note: decision: text", "a plain note that starts like a prefix"),
]
"""The note line's prefixes (warroom.notesyntax); anything else is a plain note."""

REGISTER_TITLES = {
    "evidence": "Evidence",
    "indicators": "Indicators",
    "metrics": "Attack metrics",
    "followups": "Follow-ups",
    "incident": "Incident fields",
}


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        keymap = self.app.current_keymap()
        for binding in MAIN_KEYS:
            table.add_row(key_label(keymap.get(binding.id or "", binding.key)), binding.description)
        prefixes = Table(box=None, show_header=False, padding=(0, 1))
        for example, meaning in NOTE_SYNTAX:
            prefixes.add_row(Text(example, style="bold"), Text(meaning))
        registers = Table(box=None, show_header=False, padding=(0, 1))
        for name, keys in REGISTER_KEYS.items():
            registers.add_row(
                REGISTER_TITLES[name],
                "  ".join(
                    f"{key_label(keymap.get(b.id or '', b.key))} {b.description.lower()}"
                    for b in keys
                ),
            )
        with VerticalScroll(id="help-box"):
            yield Static("[b]Keys[/b]")
            yield Static(table)
            yield Static("\n[b]Comms rules[/b]")
            yield Static(RULES, markup=False)
            yield Static("\n[b]Note prefixes[/b] (n, then type)")
            yield Static(prefixes)
            yield Static("\n[b]In the registers[/b]")
            yield Static(registers)
            yield Static("\nctrl+p opens the command palette: every action is there too.")
