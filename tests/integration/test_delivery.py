"""Delivery of one request (warroom/delivery.py, warroom/payloads.py; issue #13)
against a real HTTP server on 127.0.0.1 started by the test, which records every
request: PagerDuty's Events API v2 schema, retries with backoff, 429 and
Retry-After, a server that is down, a refusal that is final, and no secret in what
is said."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from ports import free_port
from recorder import Recorder, recording_server

from warroom.delivery import deliver
from warroom.payloads import chat_webhook, dedup_key, json_webhook, pagerduty
from warroom.records import Integration

TOKEN = secrets.token_hex(6)
ROUTING_KEY = f"R{TOKEN}0123456789abcdefAB"


def pd(url: str) -> Integration:
    return Integration("i1", "pagerduty", name="on-call", url=url, secret=ROUTING_KEY)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_a_pagerduty_trigger_matches_the_events_api_v2_schema(server: Recorder) -> None:
    dedup = dedup_key(bytes(16), "page:ann")
    request = pagerduty(pd(server.url), action="trigger", dedup=dedup, summary="amber-heron: IC")
    with httpx.Client(timeout=5) as client:
        outcome = deliver(request, client)
    assert outcome.delivered and outcome.attempts == 1 and outcome.status == 202
    [(path, headers, body)] = server.seen
    assert path == "/v2/enqueue" and headers["Content-Type"] == "application/json"
    assert set(body) == {"routing_key", "event_action", "dedup_key", "payload"}
    assert body["routing_key"] == ROUTING_KEY and body["event_action"] == "trigger"
    assert body["dedup_key"] == dedup and len(dedup) <= 255
    assert body["dedup_key"] == dedup_key(bytes(16), "page:ann")  # the same, every time
    assert body["payload"] == {
        "summary": "amber-heron: IC",
        "source": "warroom",
        "severity": "critical",
    }
    resolve = pagerduty(pd(server.url), action="resolve", dedup=dedup)
    assert set(resolve.body) == {"routing_key", "event_action", "dedup_key"}


def test_500_then_200_is_retried_and_delivered_once(server: Recorder) -> None:
    server.answers = [(500, {}), (200, {})]
    sleeps = Sleeps()
    request = json_webhook(
        Integration("i2", "webhook", secret=f"{server.url}/hook/{TOKEN}"), {"a": 1}, "m1"
    )
    with httpx.Client(timeout=5) as client:
        outcome = deliver(request, client, sleep=sleeps, rng=lambda: 1.0)
    assert outcome.delivered and outcome.attempts == 2
    assert len(server.seen) == 2
    assert {h["Idempotency-Key"] for _, h, _ in server.seen} == {"m1"}
    assert sleeps == [0.5]


def test_429_with_retry_after_waits_at_least_that_long(server: Recorder) -> None:
    server.answers = [(429, {"Retry-After": "3"}), (202, {})]
    sleeps = Sleeps()
    with httpx.Client(timeout=5) as client:
        request = chat_webhook(Integration("i3", "slack", secret=f"{server.url}/{TOKEN}"), "hi")
        outcome = deliver(request, client, sleep=sleeps, rng=lambda: 0.0)
    assert outcome.delivered and outcome.attempts == 2
    assert sleeps == [3.0]


def test_a_retry_after_beyond_a_delivery_is_handed_back(server: Recorder) -> None:
    server.answers = [(429, {"Retry-After": "600"})]
    with httpx.Client(timeout=5) as client:
        outcome = deliver(pagerduty(pd(server.url), action="resolve", dedup="d"), client)
    assert not outcome.delivered and not outcome.final and outcome.retry_after == 600
    assert len(server.seen) == 1


def test_a_4xx_is_final_and_not_sent_again(server: Recorder) -> None:
    server.answers = [(400, {})]
    with httpx.Client(timeout=5) as client:
        outcome = deliver(pagerduty(pd(server.url), action="resolve", dedup="d"), client)
    assert (outcome.delivered, outcome.final, outcome.attempts) == (False, True, 1)
    assert outcome.error == "the pagerduty integration on-call answered 400"


def test_a_server_that_is_down_fails_for_now_and_says_so_without_the_secret() -> None:
    port = free_port()
    hook = Integration("i4", "slack", name="war-room", secret=f"http://127.0.0.1:{port}/{TOKEN}")
    sleeps = Sleeps()
    with httpx.Client(timeout=2) as client:
        outcome = deliver(chat_webhook(hook, "hi"), client, attempts=3, sleep=sleeps)
    assert not outcome.delivered and not outcome.final and outcome.status is None
    assert outcome.error == "the slack integration war-room: cannot connect (3 tries)"
    assert TOKEN not in (outcome.error or "") and len(sleeps) == 2


@pytest.fixture
def server() -> Iterator[Recorder]:
    with recording_server() as recorder:
        yield recorder
