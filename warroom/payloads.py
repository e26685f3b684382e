"""What each integration's request looks like (PagerDuty Events API v2, a Slack- or
Mattermost-compatible incoming webhook, a generic JSON webhook, a Slack Web API call
with a bot token). Built here, sent by delivery.py (the Slack calls through
chatroom.py); what goes in them (the rules, the codename only) is the caller's.

A request carries its secret (a routing key in the body, the URL itself, or a bot
token in its Authorization header), so it is never logged or shown: `Request.shown`
names the integration instead, and its repr holds nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from warroom.integrations import DEFAULT_URLS
from warroom.records import Integration

PAGERDUTY_ACTIONS = ("trigger", "acknowledge", "resolve")
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")
MAX_SUMMARY_CHARS = 1024
"""PagerDuty's cap on payload.summary."""


@dataclass(frozen=True)
class Request:
    """One POST of JSON (or a GET with `body` as its query): where, what, and the
    headers beyond Content-Type."""

    url: str = field(repr=False)
    body: dict[str, Any] = field(repr=False)
    shown: str
    """How messages name it: the integration's kind and name, never its URL or key."""
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    method: str = "POST"


def shown(item: Integration) -> str:
    return f"the {item.kind} integration {item.name or item.id}"


def dedup_key(incident_id: bytes, what: str) -> str:
    """PagerDuty's dedup key for one thing paged about in one incident: derived from
    the incident id (so a retry, or another replica, triggers the same alert), and
    telling nothing of it."""
    digest = hashlib.blake2b(what.encode(), key=incident_id, digest_size=12).hexdigest()
    return f"warroom-{digest}"


def pagerduty(
    item: Integration,
    *,
    action: str,
    dedup: str,
    summary: str = "",
    severity: str = "critical",
    source: str = "warroom",
) -> Request:
    """An Events API v2 event: trigger (with its payload), acknowledge or resolve."""
    if action not in PAGERDUTY_ACTIONS:
        raise ValueError(f"event_action must be one of {', '.join(PAGERDUTY_ACTIONS)}")
    body: dict[str, Any] = {
        "routing_key": item.secret,
        "event_action": action,
        "dedup_key": dedup[:255],
    }
    if action == "trigger":
        if severity not in PAGERDUTY_SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(PAGERDUTY_SEVERITIES)}")
        body["payload"] = {
            "summary": summary[:MAX_SUMMARY_CHARS],
            "source": source,
            "severity": severity,
        }
    base = (item.url or DEFAULT_URLS["pagerduty"]).rstrip("/")
    return Request(f"{base}/v2/enqueue", body, shown(item))


def chat_webhook(item: Integration, text: str) -> Request:
    """A message to a Slack-compatible incoming webhook (its URL is the secret)."""
    return Request(item.secret, {"text": text}, shown(item))


def json_webhook(item: Integration, event: dict[str, Any], key: str) -> Request:
    """An event to a generic webhook, with the message's idempotency key (a receiver
    that keeps them drops a delivery it has seen)."""
    return Request(item.secret, event, shown(item), {"Idempotency-Key": key})


SLACK_TOPIC_CHARS = 250
"""Slack's cap on a channel's topic."""


def slack_api(
    item: Integration, method: str, args: dict[str, Any], *, read: bool = False
) -> Request:
    """A Slack Web API call by a bot (`conversations.create`, `chat.postMessage`, ...):
    its arguments as JSON (`read`: a read method, as a GET query: Slack takes JSON only
    on its write methods), the token in the Authorization header only (never the URL or
    the body). Slack answers 200 and says in the body whether it did it (`ok`)."""
    base = (item.url or DEFAULT_URLS["slack-bot"]).rstrip("/")
    auth = {"Authorization": f"Bearer {item.secret}"}
    return Request(f"{base}/{method}", args, shown(item), auth, "GET" if read else "POST")


def slack_create(item: Integration, name: str) -> Request:
    """A private channel named `name` (the codename, never the title)."""
    return slack_api(item, "conversations.create", {"name": name, "is_private": True})


def slack_topic(item: Integration, channel: str, topic: str) -> Request:
    return slack_api(
        item, "conversations.setTopic", {"channel": channel, "topic": topic[:SLACK_TOPIC_CHARS]}
    )


def slack_invite(item: Integration, channel: str, users: list[str]) -> Request:
    """Member ids into the channel; `force`: the valid ones even if one is not."""
    return slack_api(
        item, "conversations.invite", {"channel": channel, "users": ",".join(users), "force": True}
    )


def slack_list(item: Integration, cursor: str = "") -> Request:
    """One page of the channels the bot can see (a read method: a GET query)."""
    args: dict[str, Any] = {
        "types": "private_channel",
        "exclude_archived": "true",
        "limit": 200,
    }
    if cursor:
        args["cursor"] = cursor
    return slack_api(item, "conversations.list", args, read=True)


def slack_post(item: Integration, channel: str, text: str) -> Request:
    return slack_api(item, "chat.postMessage", {"channel": channel, "text": text})
