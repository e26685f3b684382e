"""The note line's prefixes: `kind: text` and `attacker/phase: text`."""

from __future__ import annotations

import pytest

from warroom.events import ATTACK_PHASES, USER_ENTRY_KINDS
from warroom.notesyntax import NoteSyntaxError, ParsedNote, parse_note, phase_named


@pytest.mark.parametrize("kind", USER_ENTRY_KINDS)
def test_every_kind_is_a_prefix(kind: str) -> None:
    assert parse_note(f"{kind}: the text") == ParsedNote("the text", kind)


@pytest.mark.parametrize("phase", ATTACK_PHASES)
def test_every_phase_is_a_prefix(phase: str) -> None:
    assert parse_note(f"attacker/{phase}: seen") == ParsedNote("seen", "attacker", phase)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Decision:  keep the disks ", ParsedNote("keep the disks", "decision")),
        ("ATTACKER/Detected: EDR alert", ParsedNote("EDR alert", "attacker", "detected")),
        ("attacker / detected : spaced", ParsedNote("spaced", "attacker", "detected")),
        ("attacker/initial access: phish", ParsedNote("phish", "attacker", "initial-access")),
        ("attacker/initial_access: phish", ParsedNote("phish", "attacker", "initial-access")),
        ("attacker/exfil: 2 GB out", ParsedNote("2 GB out", "attacker", "exfiltration")),
        ("attacker/recon: scans", ParsedNote("scans", "attacker", "reconnaissance")),
        ("attacker: odd logins", ParsedNote("odd logins", "attacker")),
        ("action: a: b: c", ParsedNote("a: b: c", "action")),
        ("attacker/detected: multi\nline", ParsedNote("multi\nline", "attacker", "detected")),
    ],
)
def test_prefixes(line: str, expected: ParsedNote) -> None:
    assert parse_note(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "web-3 isolated",
        "https://evil.example/x: not a kind",
        "ETA: 10 minutes",
        "Note to self: call legal",
        "decision/detected: a phase on a decision is no prefix",
        "system: the system's kind is not typed by people",
        "10:45 call with the provider",
        ": leading colon",
        "[red]x[/]: markup",
    ],
)
def test_anything_else_is_a_plain_note(line: str) -> None:
    assert parse_note(line) == ParsedNote(line.strip())


def test_note_prefix_escapes_another_prefix() -> None:
    assert parse_note("note: decision: not a decision") == ParsedNote("decision: not a decision")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("attacker/lunch: x", "'lunch' is not an attack phase"),
        ("attacker/e: x", "could be exfiltration or eradicated"),
        ("attacker/ex: x", "not an attack phase"),  # a unique prefix needs three letters
        ("attacker/detected:", "write the entry after 'attacker/detected:'"),
        ("decision:   ", "write the entry after 'decision:'"),
    ],
)
def test_errors_say_what_is_wrong(line: str, message: str) -> None:
    with pytest.raises(NoteSyntaxError, match=message):
        parse_note(line)


def test_phase_named_lists_the_phases() -> None:
    with pytest.raises(NoteSyntaxError) as caught:
        phase_named("nope")
    assert all(phase in str(caught.value) for phase in ATTACK_PHASES)
