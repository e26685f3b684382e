"""Bytes sent to the terminal per typed key, in every text input, at 120x40: what a
slow SSH link has to carry before the person sees their key echoed."""

from __future__ import annotations

import pytest

MAX_BYTES_PER_KEY = 1024
MAX_BYTES_NOTE_LANDS = 4096
"""Enter on a note: the timeline's new row, the cleared input, the key line."""
TEXT = "Counsel joins at 14:00, bridge moved"


def bytes_per_key(term, text: str = TEXT) -> list[int]:  # noqa: ANN001
    sizes = []
    for char in text:
        mark = term.bytes_written()
        term.burst(char)
        sizes.append(term.settle(mark, quiet=0.15))
    return sizes


@pytest.mark.parametrize(
    ("opener", "ready"),
    [
        ("n", "note: Enter adds"),
        ("d", "Esc saves and closes"),  # the draft body, findings updating as you type
        ("d\x1b[Z\x1b[Z\x1b[Z\x1b[Z", "Esc saves and closes"),  # shift+tab up to the Subject
        ("s", "Root cause"),  # the incident's title
        ("s\t\t\t", "Root cause"),  # the incident's summary
    ],
    ids=["note", "draft-body", "draft-subject", "incident-title", "incident-summary"],
)
def test_each_typed_key_costs_at_most_1_kib(console, opener: str, ready: str) -> None:
    term = console(120, 40)
    term.burst(opener)
    term.wait_for(ready)
    term.wait_quiet(1.0)
    sizes = bytes_per_key(term)
    assert all(size > 0 for size in sizes), sizes  # every key was echoed
    assert max(sizes) <= MAX_BYTES_PER_KEY, sizes
    assert term.count(TEXT) >= 1, term.screen_dump()


def test_a_note_lands_in_at_most_4_kib(console) -> None:
    term = console(120, 40)
    term.burst("n")
    term.wait_for("note: Enter adds")
    term.burst("web-3 isolated from the VPC")
    term.wait_for("web-3 isolated from the VPC")
    term.wait_quiet(1.0)
    mark = term.bytes_written()
    term.burst("\r")
    size = term.settle(mark, quiet=0.5)
    # Its timeline row and the detail line under the timeline; the input is empty again.
    assert term.count("web-3 isolated from the VPC") == 2, term.screen_dump()
    assert "note: Enter adds" not in term.text()
    assert 0 < size <= MAX_BYTES_NOTE_LANDS, size
