"""The note line's prefixes: `kind: text` and `attacker/phase: text`.

What a scribe types in the console's one note line, parsed into the kind and
phase of a timeline entry (pure; no I/O, no UI):

- `decision: keep the disks`         -> kind decision
- `attacker: odd logins from 203.0.113.9` -> kind attacker, no phase
- `attacker/detected: EDR alert on web-3` -> kind attacker, phase detected
- `attacker/initial access: ...`, `attacker/exfil: ...` -> a phase may be written
  with a space or underscore for the hyphen, or shortened to a unique prefix of
  three letters or more
- anything else is a plain note, text untouched (`https://x`, `ETA: 10 min`)
- `note: decision: x` is a plain note whose text is `decision: x` (the way to
  write a note that starts like a prefix)

Kinds (events.USER_ENTRY_KINDS) must be written in full, in any case. A phase
that is not one (`attacker/lunch: ...`) is an error, not a silent plain note:
the person meant to mark the attack timeline and should hear that it failed.
So is a known prefix with nothing after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from warroom.events import ATTACK_PHASES, USER_ENTRY_KINDS

MIN_PHASE_PREFIX = 3
_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z-]*)(?:\s*/\s*([A-Za-z][A-Za-z _-]*?))?\s*:(.*)$", re.S)


class NoteSyntaxError(ValueError):
    """A prefix that names the attacker but no phase of an attack."""


@dataclass(frozen=True, slots=True)
class ParsedNote:
    text: str
    kind: str = "note"
    phase: str = ""


def phase_named(word: str) -> str:
    """The attack phase `word` names: in full, with space or underscore for the hyphen,
    or a unique prefix of at least three letters. Raises NoteSyntaxError otherwise."""
    wanted = re.sub(r"[\s_]+", "-", word.strip().lower())
    if wanted in ATTACK_PHASES:
        return wanted
    matches = [p for p in ATTACK_PHASES if p.startswith(wanted)]
    if len(wanted) >= MIN_PHASE_PREFIX and len(matches) == 1:
        return matches[0]
    hint = f" (could be {' or '.join(matches)})" if len(matches) > 1 else ""
    raise NoteSyntaxError(
        f"{word.strip()!r} is not an attack phase{hint}: one of {', '.join(ATTACK_PHASES)}"
    )


def parse_note(line: str) -> ParsedNote:
    """The kind, phase and text of a note typed as `kind: text` or
    `attacker/phase: text`; anything else is a plain note with `line` as its text."""
    match = _PREFIX.match(line)
    if match is None:
        return ParsedNote(line.strip())
    word, phase_word, rest = match.group(1).lower(), match.group(2), match.group(3).strip()
    if word not in USER_ENTRY_KINDS or (phase_word is not None and word != "attacker"):
        return ParsedNote(line.strip())
    phase = phase_named(phase_word) if phase_word is not None else ""
    if not rest:
        prefix = f"{word}/{phase}" if phase else word
        raise NoteSyntaxError(f"write the entry after {prefix + ':'!r}")
    return ParsedNote(rest, word, phase)
