"""The header line at any width: the quiet parts go first, least needed first; the
codename, the severity and every alarm stay, in front of the quiet parts."""

from __future__ import annotations

from warroom.screens.widgets.header import (
    ALWAYS,
    COUNTDOWN,
    KIND,
    OTHERS,
    STATUS,
    SYNC,
    fit,
)

PARTS = [
    ("amber-heron", "bold", ALWAYS),
    ("  SEV1", "bold reverse", ALWAYS),
    ("  SYNC FAILED", "bold reverse", ALWAYS),
    ("  security", "", KIND),
    ("  investigating  +01h35m", "", STATUS),
    ("  next update 14:30Z", "", COUNTDOWN),
    ("  others writing: 2", "", OTHERS),
    ("  sync: 3 unsynced, last 2m ago", "", SYNC),
]
FULL = (
    "amber-heron  SEV1  SYNC FAILED  security  investigating  +01h35m  next update 14:30Z"
    "  others writing: 2  sync: 3 unsynced, last 2m ago"
)


def test_a_wide_line_shows_every_part_and_an_unknown_width_too() -> None:
    assert fit(PARTS, 200).plain == FULL
    assert fit(PARTS, 0).plain == FULL


def test_narrower_lines_leave_out_others_then_kind_then_sync_then_countdown() -> None:
    widths = {
        len(FULL): FULL,
        len(FULL) - 1: FULL.replace("  others writing: 2", ""),
        80: "amber-heron  SEV1  SYNC FAILED  investigating  +01h35m  next update 14:30Z",
        60: "amber-heron  SEV1  SYNC FAILED  investigating  +01h35m",
        40: "amber-heron  SEV1  SYNC FAILED",
        20: "amber-heron  SEV1  SYNC FAILED",  # alarms stay; Textual cuts at the width
    }
    for width, plain in widths.items():
        text = fit(PARTS, width)
        assert text.plain == plain, width
        assert len(text.plain) <= width or width == 20


def test_the_spaces_before_a_loud_part_are_not_in_its_style() -> None:
    text = fit(PARTS, 200)
    failed = text.plain.index("SYNC FAILED")
    styles = {str(span.style) for span in text.spans if span.start <= failed - 1 < span.end}
    assert styles == set()
    assert any(s.start == failed and str(s.style) == "bold reverse" for s in text.spans)


def test_markup_and_escapes_in_a_part_are_shown_literally_and_counted_as_shown() -> None:
    parts = [("[bold]x[/bold]\x1b]0;pwned\x07", "bold", ALWAYS), ("  security", "", KIND)]
    text = fit(parts, 40)
    assert "[bold]x[/bold]" in text.plain
    assert "\x1b" not in text.plain and "\x07" not in text.plain
