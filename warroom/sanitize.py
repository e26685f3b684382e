"""Make untrusted text safe to put on a terminal.

Strips what a terminal would act on rather than show: C0 controls but tab and
newline (so ESC, and with it CSI, OSC 52 and OSC 8 sequences, lose their
introducer), DEL, C1 controls, and the bidirectional overrides and isolates
that can make text read differently from what it is ("Trojan Source").
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "["
    "\x00-\x08\x0b-\x1f"  # C0 but \t and \n
    "\x7f-\x9f"  # DEL and C1
    "\u061c\u200e\u200f"  # Arabic letter mark, LRM, RLM
    "\u202a-\u202e"  # LRE RLE PDF LRO RLO
    "\u2066-\u2069"  # LRI RLI FSI PDI
    "]"
)


def clean(text: str, *, keep_newlines: bool = True) -> str:
    """`text` with terminal controls removed; newlines become spaces unless kept."""
    text = _UNSAFE.sub("", text)
    return text if keep_newlines else text.replace("\n", " ").replace("\t", " ")


def one_line(text: str) -> str:
    return clean(text, keep_newlines=False)
