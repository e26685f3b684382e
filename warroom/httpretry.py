"""What the two HTTP clients (sync/http.py, a relay; delivery.py, the integrations)
share about retrying: a Retry-After in seconds, and a failed connection in words."""

from __future__ import annotations

import email.utils
import time

import httpx


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds, or an HTTP date), not
    less than 0; None when there is none or it does not read."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if seconds == seconds else None  # NaN reads as nothing


def transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    return "the connection dropped"
