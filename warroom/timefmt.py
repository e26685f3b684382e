"""Times as the incident file keeps them (ms since the epoch, UTC) and as people write them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(ms: int | None) -> str:
    """ISO 8601 in UTC, to the second: 2026-11-21T23:28:05Z."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> int:
    """Parse ISO 8601; a time without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time (e.g. 2026-11-21T14:05:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
