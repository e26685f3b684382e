"""Sending one request (payloads.py) with httpx: timeouts, retries with exponential
backoff and full jitter, 429 and Retry-After honoured, and an outcome that says what
happened in words that never hold the secret (a webhook's URL is one).

Retried: a connection that fails or drops, a timeout, 5xx, 429. Not retried: any
other answer (a 4xx says the request itself is wrong: sending it again cannot help).
The caller records the outcome (the timeline says what was delivered, and what
failed for good), and decides when to try again a request that failed for now.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from warroom.httpretry import retry_after, transport_reason
from warroom.payloads import Request

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_DELAY_S = 60.0


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    attempts: int
    status: int | None
    """The last HTTP status (None: no answer)."""
    error: str | None = None
    """Why it was not delivered, for people (never the URL or a key)."""
    final: bool = False
    """Not delivered, and sending it again cannot help (a 4xx but 429)."""
    retry_after: float | None = None
    """Seconds the service asked to wait (Retry-After) beyond what a delivery waits:
    try again no sooner."""
    answer: dict[str, Any] | None = None
    """The JSON object a service accepted the request with, if its answer is one (Slack
    says there whether it did what was asked)."""


def deliver(
    request: Request,
    client: httpx.Client,
    *,
    attempts: int = 5,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
) -> Outcome:
    """Send the request until it is accepted (2xx), refused (4xx but 429), or the
    attempts are spent (then: failed for now)."""
    status: int | None = None
    why = ""
    for attempt in range(1, attempts + 1):
        wait = None
        try:
            answer = _send(client, request)
        except httpx.TransportError as exc:
            status, why = None, f"{request.shown}: {transport_reason(exc)}"
        else:
            status = answer.status_code
            if 200 <= status < 300:
                return Outcome(True, attempt, status, answer=_json_object(answer))
            why = f"{request.shown} answered {status}"
            if status not in RETRY_STATUSES:
                return Outcome(False, attempt, status, why, final=True)
            wait = retry_after(answer.headers.get("retry-after"))
            if wait is not None and wait > MAX_DELAY_S:
                return Outcome(False, attempt, status, why, retry_after=wait)
        if attempt < attempts:
            delay = backoff * 2 ** (attempt - 1) * rng()  # full jitter
            sleep(max(min(delay, MAX_DELAY_S), wait or 0.0))
    return Outcome(False, attempts, status, f"{why} ({attempts} tries)")


def _send(client: httpx.Client, request: Request) -> httpx.Response:
    if request.method == "GET":
        return client.get(request.url, params=request.body, headers=request.headers)
    return client.post(request.url, json=request.body, headers=request.headers)


def _json_object(answer: httpx.Response) -> dict[str, Any] | None:
    try:
        data = answer.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
