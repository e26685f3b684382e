"""The help screen: every key, from the live bindings (so remapped keys show as they are)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from warroom.events import ATTACK_PHASES, USER_ENTRY_KINDS

from .keys import (
    DRAFT_KEYS,
    EXPORT_KEYS,
    FORM_KEYS,
    HELP_KEYS,
    MAIN_KEYS,
    REGISTERS,
    TIMELINE_KEYS,
    WIZARD_KEYS,
)
from .widgets.keyhints import key_label

RULES = (
    'Email subject: exactly "Attorney Work Project", nothing else; chat starts with it.\n'
    "Any recipient outside the company: the email is GPG-encrypted.\n"
    'SMS only says "move to a secure channel".\n'
    'Never "we take security (very) seriously". Public statements carry their date.\n'
    "An encrypted email needs a key for every recipient and the sender.\n"
    'An "Attorney Work Project" email goes to counsel (the roster\'s legal role).'
)

OTHER_SCREENS = [
    ("The timeline (3)", TIMELINE_KEYS),
    ("The draft editor", DRAFT_KEYS),
    ("Export (x)", EXPORT_KEYS),
    ("The registers' forms", FORM_KEYS),
    ("Declaring (warroom new)", WIZARD_KEYS),
]
"""Keys of the other screens, as remapped; each id is in the key contract (keys.py)."""

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


class HelpScreen(ModalScreen[None]):
    BINDINGS = HELP_KEYS

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        keymap = self.app.current_keymap()
        for binding in MAIN_KEYS:
            key = key_label(keymap.get(binding.id or "", binding.key))
            table.add_row(Text(key), Text(binding.description))
        prefixes = Table(box=None, show_header=False, padding=(0, 1))
        for example, meaning in NOTE_SYNTAX:
            prefixes.add_row(Text(example, style="bold"), Text(meaning))
        registers = Table(box=None, show_header=False, padding=(0, 1))
        for register in REGISTERS.values():
            keys = "  ".join(
                f"{key_label(keymap.get(b.id or '', b.key))} {b.description.lower()}"
                for b in register.keys
            )
            registers.add_row(Text(register.title), Text(keys))
        for title, bindings in OTHER_SCREENS:
            keys = "  ".join(
                f"{key_label(keymap.get(b.id or '', b.key))} {b.description.lower()}"
                for b in bindings
            )
            registers.add_row(Text(title), Text(keys))
        with VerticalScroll(id="help-box"):
            yield Static("[b]Keys[/b]")
            yield Static(table)
            yield Static("\n[b]Comms rules[/b]")
            yield Static(RULES, markup=False)
            yield Static("\n[b]Note prefixes[/b] (n, then type)")
            yield Static(prefixes)
            yield Static("\n[b]In the registers and the other screens[/b]")
            yield Static(registers)
            yield Static("\nctrl+p opens the command palette: every action is there too.")
