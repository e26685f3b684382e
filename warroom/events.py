"""Event types, their payloads, and the vocabularies they draw on.

An event is one change by one device. Its payload, sealed in the store, is
`{"t": type, "h": [ms, counter], "d": data}`: the hybrid logical clock travels
inside the ciphertext so even timing is secret.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from warroom.clock import Hlc

INCIDENT_DECLARED = "incident.declared"
INCIDENT_SET = "incident.set"
STEP_ADDED = "step.added"
STEP_SET = "step.set"
PERSON_ADDED = "person.added"
PERSON_SET = "person.set"
ROLE_ASSUMED = "role.assumed"
ROLE_RENOUNCED = "role.renounced"
ENTRY_ADDED = "entry.added"
ENTRY_AMENDED = "entry.amended"
ENTRY_STRUCK = "entry.struck"
DRAFT_SAVED = "draft.saved"
DRAFT_APPROVED = "draft.approved"
POLICY_SET = "policy.set"
EVIDENCE_ADDED = "evidence.added"
EVIDENCE_NOTED = "evidence.noted"
INDICATOR_SET = "indicator.set"
FOLLOWUP_ADDED = "followup.added"
FOLLOWUP_SET = "followup.set"
INTEGRATION_SET = "integration.set"
INTEGRATION_REMOVED = "integration.removed"
OUTBOX_QUEUED = "outbox.queued"
OUTBOX_TRIED = "outbox.tried"
OUTBOX_DONE = "outbox.done"
CHAT_ROOM = "chat.room"
"""A slack-bot integration's chat room is known: {"id": integration id, "channel":
Slack's channel id, "by"} (warroom/chatroom.py: recorded once the channel exists, so a
delivery tried again never makes a second)."""
UPDATE_SENT = "update.sent"
"""A stakeholder update went out: {"id": draft id, "by"} (warroom/updates.py)."""

EVENT_TYPES = frozenset(
    {
        INCIDENT_DECLARED,
        INCIDENT_SET,
        STEP_ADDED,
        STEP_SET,
        PERSON_ADDED,
        PERSON_SET,
        ROLE_ASSUMED,
        ROLE_RENOUNCED,
        ENTRY_ADDED,
        ENTRY_AMENDED,
        ENTRY_STRUCK,
        DRAFT_SAVED,
        DRAFT_APPROVED,
        POLICY_SET,
        EVIDENCE_ADDED,
        EVIDENCE_NOTED,
        INDICATOR_SET,
        FOLLOWUP_ADDED,
        FOLLOWUP_SET,
        INTEGRATION_SET,
        INTEGRATION_REMOVED,
        OUTBOX_QUEUED,
        OUTBOX_TRIED,
        OUTBOX_DONE,
        CHAT_ROOM,
        UPDATE_SENT,
    }
)

INCIDENT_KINDS = ("security", "ddos", "outage")
SEVERITIES = (1, 2, 3, 4)
INCIDENT_STATUSES = ("investigating", "contained", "eradicated", "recovered", "resolved", "closed")
STEP_STATUSES = ("todo", "doing", "done", "skipped")
PERSON_STATES = ("paged", "joined", "left")
ENTRY_KINDS = ("note", "action", "decision", "evidence", "attacker", "comms", "status", "system")
USER_ENTRY_KINDS = tuple(k for k in ENTRY_KINDS if k != "system")
DRAFT_CHANNELS = ("email", "chat", "sms", "statement")
DRAFT_STATUSES = ("draft", "review", "approved", "sent")
ATTACK_PHASES = (
    "reconnaissance",
    "initial-access",
    "action",
    "exfiltration",
    "detected",
    "contained",
    "eradicated",
)
"""The phase an `attacker` timeline entry marks (the attack timeline's metrics)."""
INDICATOR_STATUSES = ("new", "confirmed", "dismissed")
FOLLOWUP_KINDS = ("corrective", "preventive")
FOLLOWUP_STATUSES = ("open", "done", "dropped")
INTEGRATION_KINDS = ("pagerduty", "slack", "webhook", "slack-bot")
OUTBOX_STATUSES = ("queued", "delivered", "failed")
"""PagerDuty Events API v2 (the secret: a routing key), a Slack-compatible incoming
webhook and a generic JSON webhook (the secret: the URL), a Slack bot (a token)."""
SLACK_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,40}")
"""A Slack channel's id (a `chat.room`'s channel): public or private."""
REVIEW_DUE_DAYS = 14
"""The post-incident review is due this many days after the incident is resolved."""

ROLES: dict[str, str] = {
    "ic": "Incident Commander",
    "deputy": "Deputy IC",
    "scribe": "Scribe",
    "security": "Security lead",
    "sme": "Subject-matter expert",
    "internal-liaison": "Internal liaison",
    "external-liaison": "External / comms liaison",
    "legal": "Legal counsel",
    "executive": "Executive sponsor",
}
ROLE_DUTIES: dict[str, str] = {
    "ic": "Runs the response: sets priorities, assigns the work, approves what is said.",
    "deputy": "Backs up the IC, tracks open actions, takes over at a handoff.",
    "scribe": "Keeps the timeline: what happened, what was decided, by whom, when.",
    "security": "Leads containment, evidence handling and the forensic analysis.",
    "sme": "Knows one service deeply; investigates and fixes it (name the service).",
    "internal-liaison": "Keeps staff and leadership informed, once forensics allows it.",
    "external-liaison": "Drafts customer, partner and public statements for approval.",
    "legal": "Advises on privilege, notification duties and law enforcement.",
    "executive": "Makes the business calls and clears resources and spending.",
}
EXCLUSIVE_ROLES = frozenset({"ic"})
"""Roles one person holds at a time: assuming one hands it over."""

INCIDENT_FIELDS = ("title", "severity", "status", "summary", "impact", "root_cause", "resolution")
PERSON_FIELDS = ("name", "handle", "email", "phone", "gpg", "external", "state")
DRAFT_FIELDS = (
    "channel",
    "audience",
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "topic",
    "title",
    "body",
    "status",
)
DRAFT_CONTENT = tuple(f for f in DRAFT_FIELDS if f != "status")
"""The fields an approval covers: changing one withdraws it."""


@dataclass(frozen=True, slots=True)
class Event:
    """A decrypted event, with where it sits in its device's feed."""

    device: bytes
    seq: int
    hlc: Hlc
    type: str
    data: dict[str, Any]

    @property
    def order(self) -> tuple[int, int, bytes, int]:
        """The total order every replica folds in."""
        return (self.hlc[0], self.hlc[1], self.device, self.seq)


def encode_payload(type_: str, hlc: Hlc, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {"t": type_, "h": [hlc[0], hlc[1]], "d": data}, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


_decode = json.JSONDecoder().decode


class PayloadError(ValueError):
    pass


_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*){1,3}")
"""What an event type looks like (`noun.verb`). A type this version does not know (a
newer warroom's, arriving by sync) is read and skipped by the fold, never flagged as
tampered: the row is signed and opens like any other."""


def decode_payload(device: bytes, seq: int, raw: bytes) -> Event:
    try:
        obj = _decode(raw.decode("utf-8"))
        type_, (ms, counter), data = obj["t"], obj["h"], obj["d"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise PayloadError("payload is not an event") from exc
    known = isinstance(type_, str) and (type_ in EVENT_TYPES or _TYPE_NAME.fullmatch(type_))
    if not known or not isinstance(data, dict):
        raise PayloadError(f"not an event type: {type_!r}")
    return Event(device, seq, (int(ms), int(counter)), type_, data)
