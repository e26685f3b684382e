"""The fold: events, in (hlc, device, seq) order, make the incident's state.

Pure and deterministic: the same events give the same state whatever order
they arrived in. Last writer wins per field; timeline entries are never lost
(amending or striking keeps the original); entries the system derives from
checklist, roster and incident changes cannot be amended or struck.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from operator import attrgetter
from typing import Any

from warroom import events as ev
from warroom.events import Event


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


@dataclass
class IncidentState:
    incident: Incident = field(default_factory=Incident)
    steps: dict[str, Step] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    roles: list[RoleHolding] = field(default_factory=list)
    entries: dict[str, Entry] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    policy_text: str = ""
    """The incident's comms policy (TOML); empty means the shipped default."""
    evidence: dict[str, Evidence] = field(default_factory=dict)
    indicators: dict[str, IndicatorMark] = field(default_factory=dict)
    followups: dict[str, FollowUp] = field(default_factory=dict)
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
        }


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


def _str(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    return value if isinstance(value, str) else default


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class Fold:
    """Applies events one by one; `state` is the result so far.

    Events must come in `Event.order`; `fold()` sorts them. Malformed payloads
    (a buggy or hostile writer) are skipped, never fatal.
    """

    def __init__(self) -> None:
        self.state = IncidentState()
        self.last_order: tuple[int, int, bytes, int] | None = None
        self._orphans: dict[str, list[Event]] = {}
        self._device_hex: dict[bytes, str] = {}
        self._named: set[bytes] = set()
        """Devices whose name is known (see IncidentState.devices)."""
        self._names: dict[str, str] = {}
        self._with_entries: set[str] = set()
        self.new_entries: list[Entry] = []
        """Entries made since the consumer last emptied this list (the console's timeline)."""
        self.device_last_ms: dict[bytes, int] = {}
        """When each device last wrote, by its clock."""

    def apply_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.apply(event)

    def apply(self, event: Event) -> None:
        self.last_order = event.order
        self.device_last_ms[event.device] = event.hlc[0]
        if event.device not in self._named:
            self._name_device(event)
        handler = _HANDLERS.get(event.type)
        if handler is None:
            return
        try:  # noqa: SIM105 - not contextlib.suppress: runs per event, and try is free
            handler(self, event, event.data)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # a malformed payload (a buggy or hostile writer) changes nothing

    # -- helpers ---------------------------------------------------------

    def _name_device(self, event: Event) -> None:
        """A device is named by the first name it records (`by`): later events cannot
        rename it, so a device writing "as" someone else shows as itself (attribution)."""
        device = self._hex(event.device)
        self.state.devices.setdefault(device, "")
        data = event.data if isinstance(event.data, dict) else {}
        name = data.get("by")
        if name is None and event.type == ev.ENTRY_ADDED:
            name = data.get("author")  # a note in the device's own name carries no `by`
        if not isinstance(name, str) or not name.strip():
            return
        self._named.add(event.device)
        self._names[device] = name
        key = name.strip().casefold()
        same = [d for d, n in self._names.items() if n.strip().casefold() == key]
        for d in same:
            label = self._names[d] if len(same) == 1 else f"{self._names[d]} ({d[:8]})"
            if self.state.devices[d] != label:
                self.state.devices[d] = label
                if d in self._with_entries:
                    for entry in self.state.entries.values():
                        if entry.device == d:
                            entry.signer = label

    def _system_entry(self, event: Event, text: str, at: int | None = None) -> None:
        device = self._hex(event.device)
        entry_id = f"s{device[:8]}-{event.seq}"
        self.state.entries[entry_id] = entry = Entry(
            id=entry_id,
            at=event.hlc[0] if at is None else at,
            recorded_at=event.hlc[0],
            author=_str(event.data, "by") or "system",
            kind="system",
            text=text,
            device=device,
            seq=event.seq,
            system=True,
            tick=event.hlc[1],
        )
        self._signed(entry)
        self.new_entries.append(entry)

    def _signed(self, entry: Entry) -> None:
        entry.signer = self.state.devices.get(entry.device, "")
        self._with_entries.add(entry.device)

    def _hex(self, device: bytes) -> str:
        if device not in self._device_hex:
            self._device_hex[device] = device.hex()
        return self._device_hex[device]

    def _person_name(self, person_id: str) -> str:
        person = self.state.people.get(person_id)
        return person.name if person else person_id

    # -- handlers --------------------------------------------------------

    def _declared(self, event: Event, d: dict[str, Any]) -> None:
        inc = self.state.incident
        inc.codename = _str(d, "codename", inc.codename)
        inc.title = _str(d, "title", inc.title)
        if d.get("kind") in ev.INCIDENT_KINDS:
            inc.kind = d["kind"]
        if d.get("severity") in ev.SEVERITIES:
            inc.severity = d["severity"]
        inc.status = "investigating"
        inc.declared_at = int(d.get("declared_at", event.hlc[0]))
        inc.declared_by = _str(d, "by")
        self._system_entry(
            event,
            f"Incident declared: {inc.kind}, SEV{inc.severity}, codename {inc.codename}",
            at=inc.declared_at,
        )

    def _incident_set(self, event: Event, d: dict[str, Any]) -> None:
        inc = self.state.incident
        changed = []
        for name, value in d["fields"].items():
            if name == "severity" and value in ev.SEVERITIES:
                inc.severity = value
            elif name == "status" and value in ev.INCIDENT_STATUSES:
                inc.status = value
                if value in ("resolved", "closed") and inc.resolved_at is None:
                    inc.resolved_at = event.hlc[0]
                    inc.review_due = inc.resolved_at + ev.REVIEW_DUE_DAYS * 86_400_000
                elif value not in ("resolved", "closed"):
                    inc.resolved_at = inc.review_due = None  # reopened
            elif name in ev.INCIDENT_FIELDS and isinstance(value, str):
                setattr(inc, name, value)
            else:
                continue
            changed.append(f"{name} -> {value}" if name in ("severity", "status") else name)
        if changed:
            self._system_entry(event, "Incident updated: " + ", ".join(changed))

    def _step_added(self, event: Event, d: dict[str, Any]) -> None:
        step_id = _str(d, "id")
        if not step_id:
            return
        step = self.state.steps.get(step_id) or Step(step_id, "", "")
        step.phase = _str(d, "phase", step.phase)
        step.title = _str(d, "title", step.title)
        step.details = _strs(d.get("details", step.details))
        step.delegate = _str(d, "delegate", step.delegate)
        step.delegate_title = _str(d, "delegate_title", step.delegate_title)
        step.playbook = _str(d, "playbook", step.playbook)
        step.order = int(d.get("order", step.order))
        self.state.steps[step_id] = step

    def _step_set(self, event: Event, d: dict[str, Any]) -> None:
        step = self.state.steps[d["id"]]
        parts = []
        if d.get("status") in ev.STEP_STATUSES and d["status"] != step.status:
            step.status = d["status"]
            parts.append(step.status)
        if isinstance(d.get("assignee"), str) and d["assignee"] != step.assignee:
            step.assignee = d["assignee"]
            parts.append(f"assigned to {step.assignee}" if step.assignee else "unassigned")
        if parts:
            self._system_entry(event, f"Step {step.title!r}: " + ", ".join(parts))

    def _person_added(self, event: Event, d: dict[str, Any]) -> None:
        person_id = _str(d, "id")
        name = _str(d, "name")
        if not person_id or not name:
            return
        person = Person(person_id, name, added_at=event.hlc[0])
        self._set_person_fields(person, d)
        self.state.people[person_id] = person
        self._system_entry(event, f"{name} added to the roster ({person.state})")

    def _person_set(self, event: Event, d: dict[str, Any]) -> None:
        person = self.state.people[d["id"]]
        before = person.state
        self._set_person_fields(person, d["fields"])
        if person.state != before:
            self._system_entry(event, f"{person.name} {person.state}")

    @staticmethod
    def _set_person_fields(person: Person, d: dict[str, Any]) -> None:
        for name in ("name", "handle", "email", "phone", "gpg"):
            if isinstance(d.get(name), str) and (name != "name" or d[name]):
                setattr(person, name, d[name])
        if isinstance(d.get("external"), bool):
            person.external = d["external"]
        if d.get("state") in ev.PERSON_STATES:
            person.state = d["state"]

    def _role_assumed(self, event: Event, d: dict[str, Any]) -> None:
        role, person_id = d["role"], d["person"]
        if role not in ev.ROLES or person_id not in self.state.people:
            return
        at = event.hlc[0]
        open_holdings = [h for h in self.state.roles if h.role == role and h.renounced_at is None]
        if any(h.person == person_id for h in open_holdings):
            return
        handed_from = ""
        if role in ev.EXCLUSIVE_ROLES:
            for h in open_holdings:
                h.renounced_at = at
                handed_from = self._person_name(h.person)
        self.state.roles.append(RoleHolding(role, person_id, at))
        text = f"{self._person_name(person_id)} is now {ev.ROLES[role]}"
        self._system_entry(
            event, text + (f" (handed over by {handed_from})" if handed_from else "")
        )

    def _role_renounced(self, event: Event, d: dict[str, Any]) -> None:
        for h in self.state.roles:
            if h.role == d["role"] and h.person == d["person"] and h.renounced_at is None:
                h.renounced_at = event.hlc[0]
                name = self._person_name(h.person)
                self._system_entry(event, f"{name} is no longer {ev.ROLES[h.role]}")

    def _entry_added(self, event: Event, d: dict[str, Any]) -> None:
        entry_id = _str(d, "id")
        if not entry_id or entry_id in self.state.entries:
            return  # ids are random; a duplicate is a replay and never overwrites
        kind = d.get("kind")
        text = d.get("text")
        author = d.get("author")
        self.state.entries[entry_id] = entry = Entry(
            entry_id,
            int(d.get("at") or event.hlc[0]),
            event.hlc[0],
            author if isinstance(author, str) else "",
            kind if kind in ev.USER_ENTRY_KINDS else "note",
            text if isinstance(text, str) else "",
            _strs(d["tags"]) if "tags" in d else [],
            self._hex(event.device),
            event.seq,
            tick=event.hlc[1],
        )
        if entry.kind == "attacker" and d.get("phase") in ev.ATTACK_PHASES:
            entry.phase = d["phase"]
        self._signed(entry)
        self.new_entries.append(entry)
        if self._orphans:
            for orphan in self._orphans.pop(entry_id, []):
                self.apply(orphan)

    def _entry_changed(self, event: Event, d: dict[str, Any]) -> None:
        entry = self.state.entries.get(d["id"])
        if entry is None:
            self._orphans.setdefault(d["id"], []).append(event)
            return
        if entry.system:
            return
        by = _str(d, "by")
        if event.type == ev.ENTRY_STRUCK:
            entry.struck = _str(d, "reason") or "struck"
            entry.struck_by = by
            return
        entry.history.append(Revision(entry.text, list(entry.tags), by, event.hlc[0]))
        entry.text = _str(d, "text", entry.text)
        if "tags" in d:
            entry.tags = _strs(d["tags"])
        if entry.kind == "attacker" and (
            d.get("phase") in ev.ATTACK_PHASES or d.get("phase") == ""
        ):
            entry.phase = d["phase"]

    def _draft_saved(self, event: Event, d: dict[str, Any]) -> None:
        draft_id = _str(d, "id")
        if not draft_id:
            return
        draft = self.state.drafts.get(draft_id) or Draft(draft_id)
        fields = d["fields"]
        content_changed = False
        for name in ev.DRAFT_CONTENT:
            if name not in fields:
                continue
            attr = "sender" if name == "from" else name
            value = fields[name]
            value = _strs(value) if name in ("to", "cc", "bcc") else value
            if name == "channel" and value not in ev.DRAFT_CHANNELS:
                continue
            if not isinstance(value, str | list):
                continue
            if getattr(draft, attr) != value:
                setattr(draft, attr, value)
                content_changed = True
        if content_changed and draft.approvals:
            draft.approvals.clear()  # an approval covers the words approved, no others
            draft.status = "draft"
        if fields.get("status") in ev.DRAFT_STATUSES and fields["status"] != "approved":
            draft.status = fields["status"]
        draft.updated_at = event.hlc[0]
        draft.updated_by = _str(d, "by")
        self.state.drafts[draft_id] = draft

    def _draft_approved(self, event: Event, d: dict[str, Any]) -> None:
        draft = self.state.drafts[d["id"]]
        draft.approvals.append(Approval(_str(d, "by"), event.hlc[0]))
        draft.status = "approved"
        self._system_entry(event, f"Draft {draft.id} approved by {_str(d, 'by')}")

    def _policy_set(self, event: Event, d: dict[str, Any]) -> None:
        text = d["text"]
        if isinstance(text, str):
            self.state.policy_text = text
            self._system_entry(event, "Comms policy replaced" if text else "Comms policy reset")

    def _evidence_added(self, event: Event, d: dict[str, Any]) -> None:
        evidence_id, item = _str(d, "id"), _str(d, "item")
        if not evidence_id or not item or evidence_id in self.state.evidence:
            return
        size = d.get("size")
        self.state.evidence[evidence_id] = Evidence(
            evidence_id,
            item,
            _str(d, "kind", "other"),
            sha256=_str(d, "sha256"),
            size=size if isinstance(size, int) else None,
            source=_str(d, "source"),
            location=_str(d, "location"),
            read_only=d.get("read_only") is not False,
            collected_by=_str(d, "collected_by") or _str(d, "by"),
            collected_at=int(d.get("collected_at") or event.hlc[0]),
            retain_until=int(d.get("retain_until") or 0),
        )
        self._system_entry(event, f"Evidence {evidence_id} registered: {item}")

    def _evidence_noted(self, event: Event, d: dict[str, Any]) -> None:
        item = self.state.evidence[d["id"]]
        if isinstance(d.get("location"), str) and d["location"]:
            item.location = d["location"]
        text = _str(d, "text")
        item.custody.append(CustodyNote(text, _str(d, "by"), event.hlc[0]))
        self._system_entry(event, f"Evidence {item.id} custody: {text}")

    def _indicator_set(self, event: Event, d: dict[str, Any]) -> None:
        value, status = _str(d, "value"), d.get("status")
        if not value or status not in ev.INDICATOR_STATUSES:
            return
        self.state.indicators[value] = IndicatorMark(
            value, _str(d, "type"), status, _str(d, "by"), event.hlc[0], _str(d, "note")
        )
        if status != "new":
            self._system_entry(event, f"Indicator {value} {status}")

    def _followup_added(self, event: Event, d: dict[str, Any]) -> None:
        followup_id, title = _str(d, "id"), _str(d, "title")
        if not followup_id or not title or followup_id in self.state.followups:
            return
        item = FollowUp(followup_id, title, added_by=_str(d, "by"), added_at=event.hlc[0])
        self._set_followup_fields(item, d)
        self.state.followups[followup_id] = item

    def _followup_set(self, event: Event, d: dict[str, Any]) -> None:
        item = self.state.followups[d["id"]]
        before = item.status
        self._set_followup_fields(item, d["fields"])
        if item.status != before:
            self._system_entry(event, f"Follow-up {item.title!r}: {item.status}")

    @staticmethod
    def _set_followup_fields(item: FollowUp, d: dict[str, Any]) -> None:
        for name in ("title", "owner", "due"):
            if isinstance(d.get(name), str) and (name != "title" or d[name]):
                setattr(item, name, d[name])
        if d.get("kind") in ev.FOLLOWUP_KINDS:
            item.kind = d["kind"]
        if d.get("status") in ev.FOLLOWUP_STATUSES:
            item.status = d["status"]


_HANDLERS = {
    ev.INCIDENT_DECLARED: Fold._declared,
    ev.INCIDENT_SET: Fold._incident_set,
    ev.STEP_ADDED: Fold._step_added,
    ev.STEP_SET: Fold._step_set,
    ev.PERSON_ADDED: Fold._person_added,
    ev.PERSON_SET: Fold._person_set,
    ev.ROLE_ASSUMED: Fold._role_assumed,
    ev.ROLE_RENOUNCED: Fold._role_renounced,
    ev.ENTRY_ADDED: Fold._entry_added,
    ev.ENTRY_AMENDED: Fold._entry_changed,
    ev.ENTRY_STRUCK: Fold._entry_changed,
    ev.DRAFT_SAVED: Fold._draft_saved,
    ev.DRAFT_APPROVED: Fold._draft_approved,
    ev.POLICY_SET: Fold._policy_set,
    ev.EVIDENCE_ADDED: Fold._evidence_added,
    ev.EVIDENCE_NOTED: Fold._evidence_noted,
    ev.INDICATOR_SET: Fold._indicator_set,
    ev.FOLLOWUP_ADDED: Fold._followup_added,
    ev.FOLLOWUP_SET: Fold._followup_set,
}


def fold(events: Iterable[Event]) -> IncidentState:
    """The state of an incident, from its events in any order."""
    f = Fold()
    f.apply_all(sorted(events, key=lambda e: e.order))
    return f.state
