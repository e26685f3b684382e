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
