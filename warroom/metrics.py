"""Attack timeline metrics: how long the attacker was in, and how fast we were.

The input is the phases marked on the timeline's `attacker` entries, as
(phase, epoch ms) points; a phase may be marked more than once and the
earliest mark counts. The anchors:

- **first activity**: the earliest mark of reconnaissance, initial-access,
  action or exfiltration (shown; no metric starts from it, since
  reconnaissance is not yet a compromise);
- **start of compromise**: the earliest initial-access; without one, the
  earliest action or exfiltration (the attacker had access by then). An action
  or exfiltration marked before the initial access is reported as a problem,
  but the initial-access mark, the analyst's explicit finding, stays the anchor;
- **detected**, **contained**, **eradicated**: the earliest mark of each;
- **resolved**: the later of eradicated and the incident's `resolved_at`
  (whichever there is): recovery follows eradication, so the work was done
  when the last of them was.

The metrics, in milliseconds:

- **time to detect** = detected - start of compromise. This is what Mandiant's
  M-Trends and many reports call "dwell time" ("the number of days an attacker
  is present in a victim network before they are detected");
- **dwell time** = contained - start of compromise: how long the attacker had
  access, until they were cut off (the other common convention, e.g. SANS's,
  counts to removal; containment is when access ended). Kept apart from time to
  detect so that both numbers are there and neither is ambiguous;
- **time to contain** = contained - detected;
- **time to resolve** = resolved - detected.

A metric is None when a phase it needs is missing, and also when its interval
would be negative (bad data, say contained before detected): then `problems`
says which marks are out of order. Zero is a valid interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from warroom.timefmt import iso

ATTACK_PHASES = (
    "reconnaissance",
    "initial-access",
    "action",
    "exfiltration",
    "detected",
    "contained",
    "eradicated",
)
ACTIVITY_PHASES = ATTACK_PHASES[:4]
"""The attacker's own doings, as against the defenders' milestones."""

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class AttackMetrics:
    time_to_detect: int | None = None
    dwell_time: int | None = None
    time_to_contain: int | None = None
    time_to_resolve: int | None = None
    first_activity: int | None = None
    initial_access: int | None = None
    compromise_start: int | None = None
    """Initial access, else the earliest action or exfiltration."""
    detected: int | None = None
    contained: int | None = None
    eradicated: int | None = None
    resolved: int | None = None
    """The later of eradicated and the incident's resolved_at."""
    problems: tuple[str, ...] = ()


def _earliest(times: list[int]) -> int | None:
    return min(times) if times else None


def compute(points: Iterable[tuple[str, int]], resolved_at: int | None = None) -> AttackMetrics:
    """The metrics of an attack timeline from its (phase, epoch ms) points."""
    marks: dict[str, list[int]] = {phase: [] for phase in ATTACK_PHASES}
    problems: list[str] = []
    for phase, at in points:
        if phase in marks:
            marks[phase].append(at)
        else:
            problems.append(f"unknown phase {phase!r} at {iso(at)} was left out")
    first = {phase: _earliest(times) for phase, times in marks.items()}

    first_activity = _earliest([t for p in ACTIVITY_PHASES for t in marks[p]])
    access_evidence = _earliest(marks["action"] + marks["exfiltration"])
    initial_access = first["initial-access"]
    if initial_access is not None:
        compromise_start = initial_access
        if access_evidence is not None and access_evidence < initial_access:
            problems.append(
                f"attacker activity at {iso(access_evidence)} is marked before the initial"
                f" access at {iso(initial_access)}"
            )
    else:
        compromise_start = access_evidence

    detected, contained, eradicated = first["detected"], first["contained"], first["eradicated"]
    ends = [t for t in (eradicated, resolved_at) if t is not None]
    resolved = max(ends) if ends else None

    def interval(
        name: str, start: tuple[str, int | None], end: tuple[str, int | None]
    ) -> int | None:
        (start_name, start_at), (end_name, end_at) = start, end
        if start_at is None or end_at is None:
            return None
        if end_at < start_at:
            problems.append(
                f"{end_name} ({iso(end_at)}) is before {start_name} ({iso(start_at)}): no {name}"
            )
            return None
        return end_at - start_at

    start = ("start of compromise", compromise_start)
    return AttackMetrics(
        time_to_detect=interval("time to detect", start, ("detected", detected)),
        dwell_time=interval("dwell time", start, ("contained", contained)),
        time_to_contain=interval(
            "time to contain", ("detected", detected), ("contained", contained)
        ),
        time_to_resolve=interval("time to resolve", ("detected", detected), ("resolved", resolved)),
        first_activity=first_activity,
        initial_access=initial_access,
        compromise_start=compromise_start,
        detected=detected,
        contained=contained,
        eradicated=eradicated,
        resolved=resolved,
        problems=tuple(problems),
    )


def format_duration(ms: int | None) -> str:
    """A duration for people: "3d 4h 12m", "45m", "30s"; "—" for None.

    From a minute up it is rounded to the nearest minute and units that are zero
    are left out ("2d 5m"); under a minute it is whole seconds.
    """
    if ms is None:
        return "—"
    if ms < 0:
        return "-" + format_duration(-ms)
    seconds = (ms + 500) // 1000
    if seconds < 60:
        return f"{seconds}s"
    minutes = (ms + MINUTE_MS // 2) // MINUTE_MS
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts)
