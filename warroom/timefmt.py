"""Times as the incident file keeps them (ms since the epoch, UTC) and as people write them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ms: int | None) -> str:
    """ISO 8601 in UTC, to the second: 2026-11-21T23:28:05Z."""
    if ms is None:
        return ""
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return f"(invalid time {ms})"  # written by a buggy or hostile device: show, never crash


INVALID = "?"
"""How a time no calendar holds is shown (see `strf`)."""


def strf(ms: int | None, layout: str, *, local: bool = False, invalid: str = INVALID) -> str:
    """`ms` laid out with strftime, in UTC (or this machine's local time).

    The one formatter every screen uses: a time no calendar holds (year 10000 and
    later, before year 1, written by a buggy or hostile device's clock) comes back as
    `invalid`, never as an exception."""
    if ms is None:
        return invalid
    try:
        moment = datetime.fromtimestamp(ms / 1000, UTC)
        return (moment.astimezone() if local else moment).strftime(layout)
    except (ValueError, OverflowError, OSError):
        return invalid


def parse_iso(text: str) -> int:
    """Parse ISO 8601; a time without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time (e.g. 2026-11-21T14:05:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        moment = None
    if moment is None or not 1970 <= moment.year <= 9999:
        raise ValueError(f"{text!r} is out of range (years 1970 to 9999, UTC)")
    return int(moment.timestamp() * 1000)


EARLIEST_MS = 631_152_000_000
"""1990-01-01T00:00:00Z: no incident a person writes up happened before it (and 0,
the epoch, is what a broken clock or a mistyped time gives)."""
MAX_AHEAD_MS = 24 * 3600 * 1000
"""How far past this machine's clock a time given by hand may be."""


def check_at(ms: int, now_ms: int, text: str | None = None) -> int:
    """`ms` if it is a time an incident could hold: from 1990 to a day past `now_ms`.

    Raises ValueError naming the time (`text`, as given, if there is one)."""
    shown = repr(text) if text is not None else iso(ms)
    if ms < EARLIEST_MS:
        raise ValueError(f"{shown} is before 1990-01-01: not a time an incident happened")
    if ms > now_ms + MAX_AHEAD_MS:
        raise ValueError(f"{shown} is more than a day after this machine's clock ({iso(now_ms)})")
    return ms


def parse_at(text: str, now_ms: int) -> int:
    """An `--at` time: ISO 8601 (no offset means UTC), from 1990 to a day ahead."""
    return check_at(parse_iso(text), now_ms, text)
