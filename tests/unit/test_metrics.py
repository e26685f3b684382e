"""Attack timeline metrics against numbers worked out by hand."""

from __future__ import annotations

import dataclasses

import pytest

from warroom import events
from warroom.metrics import ATTACK_PHASES, AttackMetrics, compute, format_duration

# The scripted attack, epoch ms written out by hand (UTC).
RECON = 1_793_520_000_000  # 2026-11-01 08:00
INITIAL_ACCESS = 1_793_589_300_000  # 2026-11-02 03:15
ACTION = 1_793_880_000_000  # 2026-11-05 12:00
EXFILTRATION = 1_794_177_600_000  # 2026-11-08 22:40
DETECTED = 1_794_319_200_000  # 2026-11-10 14:00
CONTAINED = 1_794_335_400_000  # 2026-11-10 18:30
ERADICATED = 1_794_474_000_000  # 2026-11-12 09:00
RESOLVED_LATER = 1_794_589_200_000  # 2026-11-13 17:00
RESOLVED_EARLIER = 1_794_398_400_000  # 2026-11-11 12:00

ATTACK = [
    ("reconnaissance", RECON),
    ("initial-access", INITIAL_ACCESS),
    ("action", ACTION),
    ("exfiltration", EXFILTRATION),
    ("detected", DETECTED),
    ("contained", CONTAINED),
    ("eradicated", ERADICATED),
]


def test_phases_match_the_event_vocabulary() -> None:
    assert ATTACK_PHASES == events.ATTACK_PHASES


def test_scripted_attack() -> None:
    m = compute(ATTACK)
    # 11-02 03:15 -> 11-10 14:00 = 8d 10h 45m = 8*86,400,000 + 10*3,600,000 + 45*60,000
    assert m.time_to_detect == 729_900_000
    # 11-02 03:15 -> 11-10 18:30 = 8d 15h 15m = 691,200,000 + 54,000,000 + 900,000
    assert m.dwell_time == 746_100_000
    # 14:00 -> 18:30 = 4h 30m = 4*3,600,000 + 30*60,000
    assert m.time_to_contain == 16_200_000
    # 11-10 14:00 -> 11-12 09:00 = 1d 19h = 86,400,000 + 19*3,600,000
    assert m.time_to_resolve == 154_800_000
    assert m.first_activity == RECON
    assert m.initial_access == INITIAL_ACCESS
    assert m.compromise_start == INITIAL_ACCESS
    assert (m.detected, m.contained, m.eradicated, m.resolved) == (
        DETECTED,
        CONTAINED,
        ERADICATED,
        ERADICATED,
    )
    assert m.problems == ()
    assert format_duration(m.time_to_detect) == "8d 10h 45m"
    assert format_duration(m.dwell_time) == "8d 15h 15m"
    assert format_duration(m.time_to_contain) == "4h 30m"
    assert format_duration(m.time_to_resolve) == "1d 19h"


def test_order_of_points_does_not_matter_and_earliest_mark_counts() -> None:
    again = [
        ("detected", DETECTED + 3_600_000),  # a second, later detection
        ("initial-access", INITIAL_ACCESS + 86_400_000),  # a second foothold a day later
    ]
    assert compute(list(reversed(ATTACK)) + again) == compute(ATTACK)


def test_resolved_at_later_than_eradication_is_used() -> None:
    m = compute(ATTACK, resolved_at=RESOLVED_LATER)
    # 11-10 14:00 -> 11-13 17:00 = 3d 3h = 3*86,400,000 + 3*3,600,000
    assert m.time_to_resolve == 270_000_000
    assert m.resolved == RESOLVED_LATER
    assert m.eradicated == ERADICATED


def test_resolved_at_earlier_than_eradication_is_not() -> None:
    m = compute(ATTACK, resolved_at=RESOLVED_EARLIER)
    assert m.time_to_resolve == 154_800_000
    assert m.resolved == ERADICATED


def test_resolved_at_without_eradication() -> None:
    points = [p for p in ATTACK if p[0] != "eradicated"]
    m = compute(points, resolved_at=RESOLVED_LATER)
    assert m.eradicated is None
    assert m.time_to_resolve == 270_000_000


def test_no_points() -> None:
    m = compute([])
    assert m == AttackMetrics()
    assert m.problems == ()


def test_missing_phases_give_none() -> None:
    m = compute([("reconnaissance", RECON), ("detected", DETECTED)])
    # Reconnaissance alone is no compromise: nothing to measure from.
    assert m.compromise_start is None
    assert m.first_activity == RECON
    assert (m.time_to_detect, m.dwell_time, m.time_to_contain, m.time_to_resolve) == (
        None,
        None,
        None,
        None,
    )
    assert m.problems == ()

    m = compute([("initial-access", INITIAL_ACCESS), ("detected", DETECTED)])
    assert m.time_to_detect == 729_900_000
    assert (m.dwell_time, m.time_to_contain, m.time_to_resolve) == (None, None, None)


def test_without_initial_access_the_earliest_action_starts_the_compromise() -> None:
    m = compute(
        [
            ("reconnaissance", RECON),
            ("exfiltration", EXFILTRATION),
            ("action", ACTION),
            ("detected", DETECTED),
        ]
    )
    assert m.initial_access is None
    assert m.compromise_start == ACTION
    # 11-05 12:00 -> 11-10 14:00 = 5d 2h = 5*86,400,000 + 2*3,600,000
    assert m.time_to_detect == 439_200_000
    assert m.problems == ()


def test_contained_before_detected_is_a_problem() -> None:
    early = 1_794_312_000_000  # 2026-11-10 12:00, two hours before detection
    points = [p for p in ATTACK if p[0] != "contained"] + [("contained", early)]
    m = compute(points)
    assert m.time_to_contain is None
    # Dwell time is still sound: 11-02 03:15 -> 11-10 12:00 = 8d 8h 45m
    assert m.dwell_time == 8 * 86_400_000 + 8 * 3_600_000 + 45 * 60_000
    assert m.problems == (
        "contained (2026-11-10T12:00:00Z) is before detected (2026-11-10T14:00:00Z):"
        " no time to contain",
    )


def test_detected_before_compromise_and_resolved_before_detected() -> None:
    m = compute(
        [
            ("initial-access", DETECTED),
            ("detected", INITIAL_ACCESS),
            ("contained", CONTAINED),
        ],
        resolved_at=RECON,
    )
    assert m.time_to_detect is None
    assert m.time_to_resolve is None
    assert m.dwell_time == CONTAINED - DETECTED == 16_200_000
    assert m.time_to_contain == CONTAINED - INITIAL_ACCESS == 746_100_000
    assert len(m.problems) == 2
    assert m.problems[0].startswith("detected (2026-11-02T03:15:00Z) is before start of compromise")
    assert m.problems[1].startswith("resolved (2026-11-01T08:00:00Z) is before detected")


def test_activity_before_initial_access_is_flagged_but_initial_access_anchors() -> None:
    m = compute([("initial-access", ACTION), ("action", INITIAL_ACCESS), ("detected", DETECTED)])
    assert m.compromise_start == ACTION
    # 11-05 12:00 -> 11-10 14:00 = 5d 2h
    assert m.time_to_detect == 439_200_000
    assert m.problems == (
        "attacker activity at 2026-11-02T03:15:00Z is marked before the initial access"
        " at 2026-11-05T12:00:00Z",
    )


def test_unknown_phase_is_left_out() -> None:
    m = compute([*ATTACK, ("lunch", RECON)])
    assert m.time_to_detect == 729_900_000
    assert m.problems == ("unknown phase 'lunch' at 2026-11-01T08:00:00Z was left out",)


def test_zero_interval_is_valid() -> None:
    m = compute([("initial-access", DETECTED), ("detected", DETECTED), ("contained", DETECTED)])
    assert (m.time_to_detect, m.dwell_time, m.time_to_contain) == (0, 0, 0)
    assert m.problems == ()


def test_metrics_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        compute(ATTACK).dwell_time = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "—"),
        (0, "0s"),
        (499, "0s"),
        (45_000, "45s"),
        (59_499, "59s"),
        (59_500, "1m"),
        (60_000, "1m"),
        (45 * 60_000, "45m"),
        (45 * 60_000 + 29_999, "45m"),
        (45 * 60_000 + 30_000, "46m"),
        (3_600_000, "1h"),
        (3 * 86_400_000 + 4 * 3_600_000 + 12 * 60_000, "3d 4h 12m"),
        (2 * 86_400_000 + 5 * 60_000, "2d 5m"),
        (86_400_000, "1d"),
        (23 * 3_600_000 + 59 * 60_000 + 40_000, "1d"),
        (-90 * 60_000, "-1h 30m"),
    ],
)
def test_format_duration(ms: int | None, text: str) -> None:
    assert format_duration(ms) == text
