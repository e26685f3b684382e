"""The records of an incident's state (what the fold in state.py makes) and their
plain-data forms. Kept apart from the fold so each reads alone; import them from
`warroom.state`, which re-exports them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from operator import attrgetter
from typing import Any

from warroom.errors import SessionError
from warroom.events import ROLES


@dataclass(slots=True)
class Incident:
    codename: str = ""
    title: str = ""
    kind: str = "security"
    severity: int = 2
    status: str = "investigating"
    declared_at: int | None = None
    declared_by: str = ""
    resolved_at: int | None = None
    review_due: int | None = None
    summary: str = ""
    impact: str = ""
    root_cause: str = ""
    resolution: str = ""


@dataclass(slots=True)
class Step:
    id: str
    phase: str
    title: str
    details: list[str] = field(default_factory=list)
    delegate: str = ""
    delegate_title: str = ""
    playbook: str = ""
    order: int = 0
    status: str = "todo"
    assignee: str = ""


@dataclass(slots=True)
class RoleHolding:
    role: str
    person: str
    assumed_at: int
    renounced_at: int | None = None


@dataclass(slots=True)
class Person:
    id: str
    name: str
    handle: str = ""
    email: str = ""
    phone: str = ""
    gpg: str = ""
    external: bool = False
    state: str = "paged"
    added_at: int = 0


@dataclass(slots=True)
class Revision:
    text: str
    tags: list[str]
    by: str
    at: int


@dataclass(slots=True)
class Entry:
    id: str
    at: int
    recorded_at: int
    author: str
    kind: str
    text: str
    tags: list[str] = field(default_factory=list)
    device: str = ""
    seq: int = 0
    system: bool = False
    history: list[Revision] = field(default_factory=list)
    struck: str | None = None
    struck_by: str = ""
    tick: int = 0
    """The HLC counter of the recording: orders entries recorded in the same millisecond."""
    phase: str = ""
    """For `attacker` entries: the attack phase it marks (events.ATTACK_PHASES)."""
    signer: str = ""
    """The signing device's name in this incident (IncidentState.devices); "" if unknown."""


TIMELINE_ORDER = attrgetter("at", "recorded_at", "tick", "id")
"""The order of the timeline: when it happened (backdated entries slot in), then as recorded."""


@dataclass(slots=True)
class Approval:
    by: str
    at: int


@dataclass(slots=True)
class Draft:
    id: str
    channel: str = "email"
    audience: str = "internal"
    sender: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    topic: str = ""
    title: str = ""
    body: str = ""
    status: str = "draft"
    approvals: list[Approval] = field(default_factory=list)
    updated_at: int = 0
    updated_by: str = ""
    sent_at: int | None = None
    """When it last went out as a stakeholder update (update.sent; warroom/updates.py)."""


@dataclass(slots=True)
class CustodyNote:
    text: str
    by: str
    at: int


@dataclass(slots=True)
class Evidence:
    id: str
    item: str
    kind: str
    sha256: str = ""
    size: int | None = None
    source: str = ""
    location: str = ""
    read_only: bool = True
    collected_by: str = ""
    collected_at: int = 0
    retain_until: int = 0
    custody: list[CustodyNote] = field(default_factory=list)


@dataclass(slots=True)
class IndicatorMark:
    """A person's verdict on an indicator of compromise."""

    value: str
    type: str
    status: str
    by: str
    at: int
    note: str = ""


@dataclass(slots=True)
class FollowUp:
    id: str
    title: str
    kind: str = "corrective"
    owner: str = ""
    due: str = ""
    status: str = "open"
    added_by: str = ""
    added_at: int = 0


@dataclass(slots=True)
class Integration:
    """Where messages leave for (warroom notify): its secret never leaves the file but
    to the service it is for, and is shown masked (`masked`)."""

    id: str
    kind: str
    name: str = ""
    url: str = ""
    """An endpoint that is not secret: PagerDuty's or Slack's API base, if not the default."""
    secret: str = field(default="", repr=False)
    """Never in a repr: a traceback that shows locals must not show a key or token."""
    added_by: str = ""
    added_at: int = 0
    room: str = ""
    """A slack-bot's chat room: its Slack channel id, once made (`chat.room`)."""


@dataclass(slots=True)
class OutboxItem:
    """A message waiting to leave, or gone (warroom/outbox.py). Only the device that
    queued it delivers it: two replicas, or two of its processes, send it once."""

    id: str
    integration: str
    action: str
    """What it asks of the service: a PagerDuty event action, or "message"."""
    body: dict[str, Any] = field(default_factory=dict)
    """What the request is made of (payloads.py), never the secret."""
    about: str = ""
    """What the timeline says it is ("page Ann Lee (IC)")."""
    device: str = ""
    """The device that queued it (hex): the one that delivers it."""
    queued_at: int = 0
    status: str = "queued"
    attempts: int = 0
    next_at: int = 0
    """Not tried again before this (ms; a Retry-After, a backoff)."""
    error: str = ""


def masked(secret: str) -> str:
    """A secret as people may see it: its last four characters, if it is long enough
    that they tell nothing."""
    return f"…{secret[-4:]}" if len(secret) >= 16 else "…"


@dataclass
class IncidentState:
    incident: Incident = field(default_factory=Incident)
    steps: dict[str, Step] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    roles: list[RoleHolding] = field(default_factory=list)
    entries: dict[str, Entry] = field(default_factory=dict)
    """Entries by id. A map, not a sequence: its order depends on arrival; `timeline()`
    gives the order."""
    drafts: dict[str, Draft] = field(default_factory=dict)
    policy_text: str = ""
    """The incident's comms policy (TOML); empty means the shipped default."""
    evidence: dict[str, Evidence] = field(default_factory=dict)
    indicators: dict[str, IndicatorMark] = field(default_factory=dict)
    followups: dict[str, FollowUp] = field(default_factory=dict)
    integrations: dict[str, Integration] = field(default_factory=dict)
    outbox: dict[str, OutboxItem] = field(default_factory=dict)
    devices: dict[str, str] = field(default_factory=dict)
    """Every device with events here (hex public key) -> its name: the first name it
    recorded (an event's `by`), with its key's first 8 hex digits when another device
    recorded the same name; "" while it has recorded none."""

    def checklist(self) -> list[Step]:
        return sorted(self.steps.values(), key=lambda s: (s.order, s.id))

    def timeline(self) -> list[Entry]:
        """Entries in the order things happened (backdated entries slot in)."""
        return sorted(self.entries.values(), key=TIMELINE_ORDER)

    def holders(self, role: str) -> list[Person]:
        return [
            self.people[h.person]
            for h in self.roles
            if h.role == role and h.renounced_at is None and h.person in self.people
        ]

    def people_named(self, who: str) -> list[Person]:
        """Who `who` names on the roster: a role's holders (`ic`, `legal`, ...), a person
        by id, or by name (any case). SessionError says why when it names no one, or
        several people of one name."""
        if who in ROLES:
            held = self.holders(who)
            if not held:
                raise SessionError(f"no one holds the role {who!r}")
            return held
        if who in self.people:
            return [self.people[who]]
        wanted = who.strip().casefold()
        named = [p for p in self.people.values() if p.name.casefold() == wanted]
        if len(named) == 1:
            return named
        if named:
            raise SessionError(f"{len(named)} people are named {who!r}: give their id")
        raise SessionError(f"no role or person {who!r} on the roster")

    def roles_of(self, person_id: str) -> list[str]:
        return [h.role for h in self.roles if h.person == person_id and h.renounced_at is None]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `warroom show --format json`."""
        return {
            "incident": asdict(self.incident),
            "checklist": [asdict(s) for s in self.checklist()],
            "roster": [{**asdict(p), "roles": self.roles_of(p.id)} for p in self.people.values()],
            "roles": [asdict(h) for h in self.roles],
            "timeline": [entry_dict(e) for e in self.timeline()],
            "drafts": [draft_dict(d) for d in self.drafts.values()],
            "evidence": [asdict(e) for e in self.evidence.values()],
            "indicators": [asdict(m) for m in self.indicators.values()],
            "followups": [asdict(f) for f in self.followups.values()],
            "integrations": [integration_dict(i) for i in self.integrations.values()],
            "outbox": [asdict(o) for o in self.outbox.values()],
        }


def integration_dict(item: Integration) -> dict[str, Any]:
    """An integration as printed: the secret masked."""
    return {**asdict(item), "secret": masked(item.secret)}


def entry_dict(entry: Entry) -> dict[str, Any]:
    out = asdict(entry)
    out["history"] = [asdict(r) for r in entry.history]
    return out


def attribution(author: str, signer: str, device: str) -> str:
    """Who wrote an entry, for people to read: the author it names and, when that is
    not the signing device's name (Entry.signer), the device too: "Ann Lee, via
    bob-laptop". The author is whatever the writer typed (`note --author`); the device
    (hex key `device`) signed it."""
    if signer and author == signer:
        return author
    via = signer or f"device {device[:8]}"
    return f"{author}, via {via}" if author else f"via {via}"


def draft_dict(draft: Draft) -> dict[str, Any]:
    out = asdict(draft)
    out["from"] = out.pop("sender")
    return out
