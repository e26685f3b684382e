"""The chat room (issue #13): what a slack-bot integration's outbox items do, as Slack
Web API calls. A "room" item makes a private channel named by the codename (never the
title), sets its topic, invites the roster's Slack member ids; a "message" item posts
to that channel. warroom/outbox.py queues them and calls `deliver` when it flushes.

Each call is a request of payloads.py (the bot token in its Authorization header
only) sent by delivery.deliver (retries, backoff, 429 and Retry-After), then read:
Slack answers 200 and says in the body whether it did it (`{"ok": false, "error":
"invalid_auth"}`). Such an error is final but for Slack's own transient ones.

Once: the channel's id is recorded in the file (`record_room`: Session.record_room,
a `chat.room` event) the moment Slack gives it, and a delivery of an integration
whose room is known skips the create. A create answered `name_taken` with no id
recorded (a crash between Slack making the channel and the record) finds the
channel by name (conversations.list, at most LIST_PAGES pages): only a private one
the bot is in, made since the item was queued (a channel of the codename's name
that anyone else made first is never the room). Setting the topic
and inviting again are harmless, so a delivery tried again after a failure halfway
makes no second channel.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from warroom import events as ev
from warroom.delivery import Outcome, deliver
from warroom.payloads import (
    Request,
    slack_create,
    slack_invite,
    slack_list,
    slack_post,
    slack_topic,
)
from warroom.records import Integration, OutboxItem, Person

MEMBER_ID = re.compile(r"@?([UW](?=[A-Z]*[0-9])[A-Z0-9]{2,30})")
"""A handle that is a Slack member id (U012AB3CD, @W0123ABCD: U or W, then capital
letters and digits, at least one digit); other handles are skipped, not guessed at."""
LIST_PAGES = 20
CLOCK_SLACK_MS = 5 * 60_000
"""How far Slack's clock (a channel's `created`) may be behind ours."""
"""conversations.list pages read looking for a channel by name (200 channels each)."""
TRANSIENT = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
"""Slack's errors that say: try again later (the rest are final)."""
HARMLESS = frozenset({"already_in_channel", "cant_invite_self"})
"""conversations.invite's errors that leave the room as it should be."""
_WORD = re.compile(r"[a-z0-9_]{1,64}")
_NOT_IN_NAME = re.compile(r"[^a-z0-9_-]+")
SLACK_NAME_CHARS = 80


def channel_name(codename: str) -> str:
    """The Slack channel name for a codename: lower-case letters, digits, `-` and `_`
    (anything else becomes `-`), at most SLACK_NAME_CHARS; "" if nothing is left."""
    name = _NOT_IN_NAME.sub("-", codename.strip().lower()).strip("-")
    return name[:SLACK_NAME_CHARS].rstrip("-")


def member_ids(people: Iterable[Person]) -> tuple[list[str], int]:
    """The roster's Slack member ids, each once, in roster order; and how many handles
    were something else (skipped)."""
    ids: list[str] = []
    skipped = 0
    for person in people:
        handle = person.handle.strip()
        if not handle:
            continue
        found = MEMBER_ID.fullmatch(handle)
        if found is None:
            skipped += 1
        elif found.group(1) not in ids:
            ids.append(found.group(1))
    return ids, skipped


def deliver_item(
    item: OutboxItem,
    service: Integration,
    client: httpx.Client,
    record_room: Callable[[str], None],
    **options: Any,
) -> Outcome:
    """Deliver a slack-bot's outbox item ("room" or "message"); `options` go to
    delivery.deliver (attempts, sleep). The outcome's attempts count every call's."""
    calls = _Calls(client, options)
    if item.action == "room":
        outcome = _room(item, service, calls, record_room)
    elif item.action == "message":
        channel = str(item.body.get("channel") or service.room)
        if not ev.SLACK_CHANNEL_ID.fullmatch(channel):
            why = f"the {service.kind} integration has no chat room"
            return Outcome(False, 0, None, why, final=True)
        outcome, _ = calls.send(slack_post(service, channel, str(item.body.get("text", ""))))
    else:
        why = f"a {service.kind} integration cannot {item.action!r}"
        return Outcome(False, 0, None, why, final=True)
    return dataclasses.replace(outcome, attempts=calls.spent)


def _room(
    item: OutboxItem, service: Integration, calls: _Calls, record_room: Callable[[str], None]
) -> Outcome:
    body = item.body
    name = str(body.get("name", ""))
    channel = service.room
    if not channel:
        outcome, data = calls.send(slack_create(service, name))
        if data.get("error") == "name_taken":
            outcome, channel = _find(service, name, item.queued_at, calls)
        elif outcome.delivered:
            channel = _channel_id(data.get("channel"))
            if not channel:
                return _final(outcome, f"{service.kind} gave no channel id")
        if not channel:
            return outcome
        record_room(channel)
    outcome, _ = calls.send(slack_topic(service, channel, str(body.get("topic", ""))))
    if not outcome.delivered:
        return outcome
    users = [u for u in body.get("users", []) if isinstance(u, str)]
    if users:
        outcome, data = calls.send(slack_invite(service, channel, users))
        if not outcome.delivered and data.get("error") not in HARMLESS:
            return outcome
    return Outcome(True, calls.spent, outcome.status)


def _find(service: Integration, name: str, since_ms: int, calls: _Calls) -> tuple[Outcome, str]:
    """The private channel named `name` that the bot made for this item before (a crash
    between Slack making it and its record): one the bot is a member of, made no
    earlier than the item was queued. A public channel of that name, or an older one,
    is never taken for the room: whoever knows the codename can make a channel of it."""
    cursor = ""
    for _ in range(LIST_PAGES):
        outcome, data = calls.send(slack_list(service, cursor))
        if not outcome.delivered:
            return outcome, ""
        channels = data.get("channels")
        for channel in channels if isinstance(channels, list) else []:
            if isinstance(channel, dict) and channel.get("name") == name:
                found = _channel_id(channel) if _ours(channel, since_ms) else ""
                if found:
                    return outcome, found
        meta = data.get("response_metadata")
        cursor = meta.get("next_cursor", "") if isinstance(meta, dict) else ""
        if not cursor or not isinstance(cursor, str):
            break
    why = (
        f"{service.kind} answered name_taken: a channel named {name} exists that is not "
        "the room made for this incident (not private, not the bot's, or older): "
        "rename or archive it in Slack, then run `warroom chat room` again"
    )
    return _final(outcome, why), ""


def _ours(channel: dict[str, Any], since_ms: int) -> bool:
    created = channel.get("created")
    return (
        channel.get("is_private") is True
        and channel.get("is_member") is True
        and type(created) is int
        and created * 1000 >= since_ms - CLOCK_SLACK_MS
    )


def _channel_id(channel: object) -> str:
    ident = channel.get("id") if isinstance(channel, dict) else None
    return ident if isinstance(ident, str) and ev.SLACK_CHANNEL_ID.fullmatch(ident) else ""


def _final(outcome: Outcome, why: str) -> Outcome:
    return Outcome(False, outcome.attempts, outcome.status, why, final=True)


class _Calls:
    """Slack calls through delivery.deliver, keeping count of the attempts."""

    def __init__(self, client: httpx.Client, options: dict[str, Any]) -> None:
        self.client = client
        self.options = options
        self.spent = 0

    def send(self, request: Request) -> tuple[Outcome, dict[str, Any]]:
        """One call: its outcome (an `ok: false` is not delivered) and Slack's answer
        ({} if none)."""
        outcome = deliver(request, self.client, **self.options)
        self.spent += outcome.attempts
        if not outcome.delivered:
            return outcome, {}
        data = outcome.answer
        if data is None:
            return _final(outcome, f"{request.shown} did not answer as Slack does"), {}
        if data.get("ok") is True:
            return outcome, data
        error = data.get("error")
        word = error if isinstance(error, str) and _WORD.fullmatch(error) else "an error"
        failed = Outcome(
            False,
            outcome.attempts,
            outcome.status,
            f"{request.shown} answered {word}",
            final=word not in TRANSIENT,
        )
        return failed, data
