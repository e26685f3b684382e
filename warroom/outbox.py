"""The outbox: messages queued in the encrypted file, delivered when the network is
there (`warroom outbox --flush`, `warroom page`), each once. A slack-bot's items (the
chat room, messages to it) are a few Slack Web API calls each: chatroom.py.

Once, across replicas and processes:
- Only the device that queued a message delivers it (OutboxItem.device); a replica
  synced with it sees it queued, then delivered, and never sends it itself.
- That device's processes take turns: a lock in this OS user's config dir is held
  while a flush runs, and each flush first reads what the others recorded.
- The service is told the message's identity (PagerDuty's dedup key, derived from
  the incident and who is paged; a webhook's Idempotency-Key, the message id): a
  crash between a delivery and its record does not page anyone twice. The chat
  room's channel id is recorded as soon as Slack gives it (chatroom.py): a room is
  made once.

Each delivery and each final failure becomes a timeline entry (state.py); a failure
for now is tried again after its backoff or the service's Retry-After.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from warroom.chatroom import channel_name, deliver_item, member_ids
from warroom.comms import chat_findings
from warroom.delivery import Outcome, deliver
from warroom.device import config_dir
from warroom.errors import SessionError
from warroom.payloads import (
    SLACK_TOPIC_CHARS,
    Request,
    chat_webhook,
    dedup_key,
    json_webhook,
    pagerduty,
)
from warroom.records import Integration, OutboxItem
from warroom.rules.model import Finding
from warroom.session import Session

OUTBOX_DIR = "outbox"
RETRY_LATER_MS = 60_000
"""A message that failed for now waits at least this long before its next flush."""
SEVERITY = {1: "critical", 2: "error", 3: "warning", 4: "info"}
"""PagerDuty's severity for the incident's."""


@dataclass
class Flushed:
    delivered: list[OutboxItem] = field(default_factory=list)
    failed: list[tuple[OutboxItem, str]] = field(default_factory=list)
    """Failed for good, and why."""
    waiting: list[tuple[OutboxItem, str]] = field(default_factory=list)
    """Failed for now, and why: tried again at the next flush after their wait."""


def _queued_here(session: Session) -> Iterator[OutboxItem]:
    """This device's queued messages: the ones it delivers."""
    me = session.device.public_key.hex()
    return (i for i in session.state.outbox.values() if i.status == "queued" and i.device == me)


def due(session: Session, now_ms: int | None) -> list[OutboxItem]:
    """This device's queued messages whose wait is over (`now_ms` None: all of them),
    oldest first."""
    return sorted(
        (i for i in _queued_here(session) if now_ms is None or i.next_at <= now_ms),
        key=lambda i: (i.queued_at, i.id),
    )


def next_try(session: Session) -> int | None:
    """When the first of this device's queued messages may be tried (ms), or None."""
    return min((i.next_at for i in _queued_here(session)), default=None)


def page(session: Session, who: str, message: str = "") -> list[str]:
    """Queue a PagerDuty trigger, to every PagerDuty integration, for each person
    `who` names (a role's holders, or a person by id or name); mark them paged.
    Returns the messages queued. The summary names the codename, never the title."""
    people = session.state.people_named(who)
    services = [i for i in session.state.integrations.values() if i.kind == "pagerduty"]
    if not services:
        raise SessionError(
            "no PagerDuty integration: add one with "
            "`warroom notify add PATH --kind pagerduty --secret-file F`"
        )
    incident = session.state.incident
    queued = []
    for person in people:
        summary = f"{incident.codename}: {message or 'you are paged to the incident'}"
        body = {
            "dedup": dedup_key(session.header.incident_id, f"page:{person.id}"),
            "summary": f"{summary} ({person.name})",
            "severity": SEVERITY.get(incident.severity, "critical"),
        }
        for service in services:
            about = f"page {person.name} via {service.kind} {service.name or service.id}"
            queued.append(session.queue_message(service.id, "trigger", body, about))
        if person.state != "paged":
            session.set_person(person.id, state="paged")
    return queued


class Refused(SessionError):
    """A message the comms rules refused: it is not queued."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        first = findings[0]
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(f"refused by {first.rule}: {first.message}{more}")


def chat(session: Session, text: str) -> list[str]:
    """Queue a chat message to every chat integration (a Slack-compatible webhook, a
    JSON webhook, a slack-bot's chat room once made), once the comms rules pass it: the
    prefix, no banned phrase, the codename and never the title. A refused message is
    not queued (Refused)."""
    _passed(session, text)
    targets = [
        i
        for i in session.state.integrations.values()
        if i.kind in ("slack", "webhook") or (i.kind == "slack-bot" and i.room)
    ]
    if not targets:
        raise SessionError(
            "no chat integration: add one with "
            "`warroom notify add PATH --kind slack --secret-file F`, "
            "or make a chat room with `warroom chat room PATH`"
        )
    return [
        session.queue_message(
            target.id,
            "message",
            {"text": text, **({"channel": target.room} if target.kind == "slack-bot" else {})},
            f"chat message via {target.kind} {target.name or target.id}",
        )
        for target in targets
    ]


@dataclass
class RoomQueued:
    queued: list[str]
    invited: int
    """Roster handles that are Slack member ids: invited."""
    skipped: int
    """Roster handles that are not: left out."""


def room(session: Session, topic: str | None = None) -> RoomQueued:
    """Queue the chat room, to every slack-bot integration: a private channel named by
    the codename (never the title), its topic (by default the prefix, the codename
    and "incident room"; a given one must pass the comms rules, else Refused and
    nothing is queued), the roster's Slack member ids invited. Made once: a second
    (or a room already made) sets the topic and invites again (chatroom.py)."""
    codename = session.state.incident.codename
    if topic is None:
        topic = f"{session.policy.prefix}: {codename} incident room"
    _passed(session, topic)
    if len(topic) > SLACK_TOPIC_CHARS:
        raise SessionError(f"the topic is over Slack's {SLACK_TOPIC_CHARS} characters")
    bots = [i for i in session.state.integrations.values() if i.kind == "slack-bot"]
    if not bots:
        raise SessionError(
            "no slack-bot integration: add one with "
            "`warroom notify add PATH --kind slack-bot --secret-file F`"
        )
    users, skipped = member_ids(session.state.people.values())
    name = channel_name(codename)
    if not name:
        raise SessionError(f"the codename {codename!r} makes no Slack channel name")
    body = {"name": name, "topic": topic, "users": users, "skipped": skipped}
    queued = [
        session.queue_message(
            bot.id,
            "room",
            body,
            f"chat room {name} via {bot.kind} {bot.name or bot.id} "
            f"({len(users)} to invite, {skipped} handle(s) not Slack member ids: skipped)",
        )
        for bot in bots
    ]
    return RoomQueued(queued, len(users), skipped)


def _passed(session: Session, text: str) -> None:
    """Refused unless the comms rules pass a chat text (a message, a topic)."""
    errors = [
        f for f in chat_findings(session.state, session.policy, text) if f.severity == "error"
    ]
    if errors:
        raise Refused(errors)


def flush(
    session: Session,
    client: httpx.Client,
    now_ms: Callable[[], int],
    *,
    attempts: int = 5,
    sleep: Callable[[float], None] | None = None,
    lock_dir: Path | None = None,
    waiting_too: bool = False,
) -> Flushed:
    """Deliver this device's due messages, one flush of this device at a time.
    `waiting_too`: those still in their wait as well (a person asked to flush now)."""
    out = Flushed()
    with _turn(session.header.incident_id, lock_dir):
        session.poll()  # what another process recorded while this one waited its turn
        for item in due(session, None if waiting_too else now_ms()):
            service = session.state.integrations.get(item.integration)
            if service is None:
                error = "its integration was removed"
                session.record_delivery(item.id, status="failed", attempts=0, error=error)
                out.failed.append((item, error))
                continue
            options = {} if sleep is None else {"sleep": sleep}
            if service.kind == "slack-bot":
                record = functools.partial(session.record_room, service.id)
                outcome = deliver_item(item, service, client, record, attempts=attempts, **options)
            else:
                outcome = deliver(_request(item, service), client, attempts=attempts, **options)
            _record(session, item, outcome, now_ms(), out)
    return out


def _record(session: Session, item: OutboxItem, outcome: Outcome, now: int, out: Flushed) -> None:
    error = outcome.error or ""
    if outcome.delivered:
        session.record_delivery(item.id, status="delivered", attempts=outcome.attempts)
        out.delivered.append(item)
    elif outcome.final:
        session.record_delivery(item.id, status="failed", attempts=outcome.attempts, error=error)
        out.failed.append((item, error))
    else:
        wait = max(RETRY_LATER_MS, int((outcome.retry_after or 0) * 1000))
        session.record_delivery(
            item.id, status="queued", attempts=outcome.attempts, error=error, next_at=now + wait
        )
        out.waiting.append((item, error))


def _request(item: OutboxItem, service: Integration) -> Request:
    body = item.body
    if service.kind == "pagerduty":
        return pagerduty(
            service,
            action=item.action,
            dedup=str(body.get("dedup", item.id)),
            summary=str(body.get("summary", "")),
            severity=str(body.get("severity", "critical")),
        )
    if service.kind == "slack":
        return chat_webhook(service, str(body.get("text", "")))
    return json_webhook(service, dict(body), item.id)


@contextlib.contextmanager
def _turn(incident_id: bytes, lock_dir: Path | None) -> Iterator[None]:
    """This device's flushes of one incident, one at a time (this OS user's lock)."""
    folder = (lock_dir or config_dir()) / OUTBOX_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / f"{incident_id.hex()}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
