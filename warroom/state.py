"""The fold: events make the incident's state, in whatever order they arrive.

Order-independent by construction: `Fold.apply` takes events in any order, and its
state is at every moment the one `fold()` gives for the same events, which applies
them in `Event.order` (hlc, device, seq). A late event (another device's, or a sync)
costs a bisect plus the events of the one record it touches, never a rebuild:

- Every event belongs to one *record*: the incident, a step, a person, a role, a
  draft, the policy, an evidence item, an indicator, a follow-up, or a timeline entry
  id. A record keeps its events sorted by order. An event newer than the rest of its
  record is applied at once, as an in-order fold would; an older one is slotted in
  (bisect) and that record alone is replayed from its own events, so derived values
  (resolved_at and review_due, a step's "done" entry, a withdrawn approval, custody
  order) come out as they would in order. Records replayed keep their objects (the
  replayed values are copied into them) and their place in the state's dicts (the
  order of the event that created them).
- System entries are *claims* on an entry id, owned by the record whose event made
  them; a replay withdraws its claims and makes them again. An id's entry is derived
  from its claims in order: the first `entry.added` makes it, a system entry
  overwrites, amends and strikes apply in order (those older than the entry wait for
  it). The timeline is ordered by `TIMELINE_ORDER`, which never depends on arrival.
- Roles read people as they were at the role event's order (a name history per
  person): a person event older than a role event naming that person replays the role.
- A device is named by the name its earliest named event (in order) records.
- `apply_all` (a poll, a sync) replays each record late events landed in once, when
  the batch ends, not once per late event.

Memory: records keep their events (few: notes are not records of this kind), and an
entry made by one claim and never changed keeps no claim (its own fields rebuild
it), so a note costs its Entry and nothing more.

Last writer wins per field; timeline entries are never lost (amending or striking
keeps the original); entries the system derives from checklist, roster and incident
changes cannot be amended or struck. Malformed payloads (a buggy or hostile writer)
are skipped, never fatal.

Over 500 lines: the fold is one job (every handler and the machinery that makes them
order-independent share the record, claim and replay rules); the records themselves
live in warroom/records.py.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any

from warroom import events as ev
from warroom.events import Event
from warroom.records import (
    TIMELINE_ORDER,
    Approval,
    CustodyNote,
    Draft,
    Entry,
    Evidence,
    FollowUp,
    Incident,
    IncidentState,
    IndicatorMark,
    Integration,
    OutboxItem,
    Person,
    Revision,
    RoleHolding,
    Step,
    attribution,
    draft_dict,
    entry_dict,
)

__all__ = [
    "TIMELINE_ORDER",
    "Approval",
    "CustodyNote",
    "Draft",
    "Entry",
    "Evidence",
    "Fold",
    "FollowUp",
    "Incident",
    "IncidentState",
    "IndicatorMark",
    "Integration",
    "OutboxItem",
    "Person",
    "Revision",
    "Resumable",
    "RoleHolding",
    "Step",
    "attribution",
    "draft_dict",
    "entry_dict",
    "fold",
]

Order = tuple[int, int, bytes, int]
Key = tuple[str, str]
"""A record: (kind, id); the incident and the policy have the id ""."""

_SYSTEM, _ADD, _CHANGE = 0, 1, 2
Claim = tuple[Order, int, Any]
"""A claim on an entry id: (order, _SYSTEM, Entry) or (order, _ADD | _CHANGE, Event)."""


@dataclass
class Resumable:
    """A fold in plain parts (Fold.resumable, Fold.resume; warroom/checkpoint.py stores
    them). `devices`: (hex key, label, newest ms, first order, (naming order, name) or
    None) in the state's order; `entries`: user entries that are their own record;
    `claims`: (order, entry) bases of entries changed since; `events`: the rest."""

    devices: list[tuple[str, str, int, Order, tuple[Order, str] | None]]
    entries: list[Entry]
    claims: list[tuple[Order, Entry]]
    events: list[Event]
    last_order: Order | None


_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, OverflowError)

_DICTS = {
    "step": "steps",
    "person": "people",
    "draft": "drafts",
    "evidence": "evidence",
    "indicator": "indicators",
    "followup": "followups",
    "integration": "integrations",
    "outbox": "outbox",
}
"""Record kinds kept in a dict of the state, by id."""

_KINDS = {
    ev.INCIDENT_DECLARED: "incident",
    ev.INCIDENT_SET: "incident",
    ev.STEP_ADDED: "step",
    ev.STEP_SET: "step",
    ev.PERSON_ADDED: "person",
    ev.PERSON_SET: "person",
    ev.ROLE_ASSUMED: "role",
    ev.ROLE_RENOUNCED: "role",
    ev.ENTRY_ADDED: "entry",
    ev.ENTRY_AMENDED: "entry",
    ev.ENTRY_STRUCK: "entry",
    ev.DRAFT_SAVED: "draft",
    ev.DRAFT_APPROVED: "draft",
    ev.POLICY_SET: "policy",
    ev.EVIDENCE_ADDED: "evidence",
    ev.EVIDENCE_NOTED: "evidence",
    ev.INDICATOR_SET: "indicator",
    ev.FOLLOWUP_ADDED: "followup",
    ev.FOLLOWUP_SET: "followup",
    ev.INTEGRATION_SET: "integration",
    ev.INTEGRATION_REMOVED: "integration",
    ev.OUTBOX_QUEUED: "outbox",
    ev.OUTBOX_TRIED: "outbox",
    ev.OUTBOX_DONE: "outbox",
    ev.CHAT_ROOM: "integration",
    ev.UPDATE_SENT: "draft",
}

_first = itemgetter(0)


def _event_order(event: Event) -> Order:
    return event.order


def _route(event: Event) -> Key | None:
    """The record an event belongs to; None for one that can change no record (its
    handler would fail on it: no id, an id that is not a string, an unknown role)."""
    d = event.data
    kind = _KINDS.get(event.type)
    if kind is None or not isinstance(d, dict):
        return None
    if kind in ("incident", "policy"):
        return (kind, "")
    if kind == "role":
        role = d.get("role")
        return ("role", role) if isinstance(role, str) and role in ev.ROLES else None
    ident = d.get("value" if kind == "indicator" else "id")
    return (kind, ident) if isinstance(ident, str) else None


def _transplant(src: Any, dst: Any) -> None:
    """Copy a replayed record's values into the object consumers already hold."""
    for name in type(dst).__slots__:
        setattr(dst, name, getattr(src, name))


def _str(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    return value if isinstance(value, str) else default


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class Fold:
    """Applies events one by one, in any order; `state` is the result so far, always
    the state of the events applied taken in `Event.order` (see the module's doc).

    An event applied twice (the same order) is applied once.
    """

    def __init__(self) -> None:
        self.state = IncidentState()
        self.last_order: Order | None = None
        """The newest order applied. Informational: correctness never needs it."""
        self.late = 0
        """How many events arrived older than one applied before them."""
        self.new_entries: list[Entry] = []
        """Entries made since the consumer last emptied this list (the console's timeline)."""
        self.reshaped = 0
        """Bumped when an entry leaves the timeline or is replaced by one at another place
        in it (a late event undid a system entry; a hostile writer reused an id): a
        consumer holding entries in order re-reads `state.timeline()`. Entries changed
        in place (amended, struck, renamed signer, replayed text) do not bump it."""
        self.device_last_ms: dict[bytes, int] = {}
        """When each device last wrote, by its clock."""
        self._records: dict[Key, list[Event]] = {}
        self._born: dict[Key, Order] = {}
        """The order of the event that put each dict record in the state (its place)."""
        self._owned: dict[Key, list[tuple[str, Order]]] = {}
        """The system entries each record's events claimed: (entry id, order)."""
        self._slots: dict[str, Claim | list[Claim]] = {}
        self._deferred: set[str] | None = None
        """Entry ids to derive once a replay is over (None: derive at once)."""
        self._reusable: dict[tuple[str, Order], Entry] | None = None
        """While a record replays: the system entries its events made before."""
        self._batch: set[Key] | None = None
        """In `apply_all`: the records to replay when the batch ends."""
        self._batch_slots: set[str] | None = None
        """In `apply_all`: the entry ids to derive when the batch ends."""
        self._batch_people: dict[str, Order] | None = None
        """In `apply_all`: each person changed, at the oldest order (see _roles_after)."""
        self._key: Key = ("", "")
        """The record whose event runs now (owner of the system entries it makes)."""
        self._holdings: dict[str, list[tuple[Order, RoleHolding]]] = {}
        self._role_orders: list[Order] = []
        """The order of the event that made each of state.roles, in step with it."""
        self._open: dict[str, list[RoleHolding]] = {}
        """Role -> its holdings not renounced, oldest first."""
        self._role_people: dict[str, set[str]] = {}
        """Role -> the people its events name."""
        self._name_history: dict[str, list[tuple[Order, str]]] = {}
        """Person -> (order, name) from the event that made or renamed them."""
        self._first_seen: dict[str, Order] = {}
        self._named: dict[str, tuple[Order, str]] = {}
        """Device -> its earliest named event's order and the name it recorded."""
        self._seen: dict[bytes, list[Any]] = {}
        """Device -> [hex key, its newest ms, its naming event's order or None]: what
        `apply` checks on every event, in one look-up."""

    # -- checkpoints: what a later open resumes from (warroom/checkpoint.py) ----

    def resumable(self) -> Resumable:
        """What `resume` needs to rebuild this fold exactly, late events included: the
        devices as seen, the entries that are their own record (most notes: taken as
        they are), and every event and claim the fold keeps (records, entries with more
        than one claim), applied again on resume."""
        entries, claims, events = [], [], []
        slots = self._slots
        for entry in self.state.entries.values():
            if not entry.system and entry.id not in slots:
                entries.append(entry)
        for held in slots.values():
            for order, kind, item in [held] if isinstance(held, tuple) else held:
                if isinstance(item, Event):
                    events.append(item)
                elif kind == _ADD:  # system claims are made again by their records
                    claims.append((order, item))
        for record in self._records.values():
            events.extend(record)
        devices = [
            (
                device,
                label,
                self.device_last_ms[bytes.fromhex(device)],
                self._first_seen[device],
                self._named.get(device),
            )
            for device, label in self.state.devices.items()
        ]
        return Resumable(devices, entries, claims, events, self.last_order)

    @classmethod
    def resume(cls, saved: Resumable) -> Fold:
        """A fold equal to the one `saved` came from, in state and in what it does with
        the events applied next (late ones too): the devices and lone entries are put
        back as they were, the kept events and claims applied again, in one batch."""
        f = cls()
        for device, label, last_ms, first, named in saved.devices:
            key = bytes.fromhex(device)
            f.state.devices[device] = label
            f._first_seen[device] = first
            if named is not None:
                f._named[device] = named
            f._seen[key] = [device, last_ms, None if named is None else named[0]]
            f.device_last_ms[key] = last_ms
        entries = f.state.entries
        for entry in saved.entries:
            entries[entry.id] = entry
        f._batch, f._batch_slots, f._batch_people = set(), set(), {}
        try:
            for order, entry in saved.claims:
                f._claim(entry.id, (order, _ADD, entry))
            for event in saved.events:
                f.apply(event)
        finally:
            f._end_batch()
        f.last_order, f.late, f.reshaped = saved.last_order, 0, 0
        f.new_entries = list(entries.values())
        return f

    def apply_all(self, events: Iterable[Event]) -> None:
        """Apply a batch (a poll, a sync), in any order: each record that late events
        land in is replayed once, after the batch, not once per late event."""
        if self._batch is not None:
            for event in events:
                self.apply(event)
            return
        self._batch, self._batch_slots, self._batch_people = set(), set(), {}
        try:
            for event in events:
                self.apply(event)
        finally:
            self._end_batch()

    def _end_batch(self) -> None:
        records, self._batch = self._batch or set(), None
        slots, self._batch_slots = self._batch_slots or set(), None
        people, self._batch_people = self._batch_people or {}, None
        if not records and not slots and not people:
            return
        self._deferred = set(slots)
        for key in sorted(key for key in records if key[0] != "role"):
            self._replay(key)
        roles = {key for key in records if key[0] == "role"}
        for person_id, order in people.items():
            roles.update(self._roles_after(person_id, order))
        for key in sorted(roles):
            self._replay(key)
        touched, self._deferred = self._deferred, None
        for entry_id in sorted(touched):
            self._derive(entry_id)

    def apply(self, event: Event) -> bool:
        """Fold in one event, in whatever order it comes. Returns whether it was late
        (older than one applied before): nothing more to do either way."""
        order = event.order
        late = self.last_order is not None and order < self.last_order
        if late:
            self.late += 1
        else:
            self.last_order = order
        device, ms = event.device, event.hlc[0]
        seen = self._seen.get(device)
        if seen is None:
            self._seen[device] = seen = [device.hex(), ms, None]
            self.device_last_ms[device] = ms
            self._see_device(event, order, seen[0])
        else:
            if ms > seen[1]:
                seen[1] = self.device_last_ms[device] = ms
            named = seen[2]
            if named is None or order < named or order < self._first_seen[seen[0]]:
                self._see_device(event, order, seen[0])
        kind = _KINDS.get(event.type)
        if kind == "entry":  # the common case, inline
            ident = event.data.get("id") if isinstance(event.data, dict) else None
            if isinstance(ident, str):
                self._claim(
                    ident, (order, _ADD if event.type == ev.ENTRY_ADDED else _CHANGE, event)
                )
            return late
        key = _route(event) if kind is not None else None
        if key is None:
            return late
        ident = key[1]
        if kind == "role" and isinstance(person := event.data.get("person"), str):
            self._role_people.setdefault(ident, set()).add(person)
        events = self._records.get(key)
        batch = self._batch
        if events is None:
            self._records[key] = [event]
            self._run(key, event)
        elif order > events[-1].order:
            events.append(event)
            if batch is None or key not in batch:  # else replayed when the batch ends
                self._run(key, event)
        else:
            i = bisect_left(events, order, key=_event_order)
            if i < len(events) and events[i].order == order:
                return late  # the same event again
            events.insert(i, event)
            if batch is None:
                self._replay(key)
            else:
                batch.add(key)
        if kind == "person":
            if self._batch_people is None:
                for role in self._roles_after(ident, order):
                    self._replay(role)
            elif ident not in self._batch_people or order < self._batch_people[ident]:
                self._batch_people[ident] = order
        return late

    # -- records -----------------------------------------------------------

    def _run(self, key: Key, event: Event) -> None:
        """Apply one event to its record, as the newest of that record's events."""
        kind, ident = key
        table = _DICTS.get(kind)
        target: dict[str, Any] | None = getattr(self.state, table) if table else None
        fresh = target is not None and ident not in target
        self._key = key
        try:  # noqa: SIM105 - not contextlib.suppress: runs per event, and try is free
            _HANDLERS[event.type](self, event, event.data)
        except _MALFORMED:
            pass  # a malformed payload (a buggy or hostile writer) changes nothing
        if target is None:
            return
        if fresh and ident in target:
            self._born[key] = event.order
            self._place(kind, target)
        if kind == "person" and ident in target:
            history = self._name_history.setdefault(ident, [])
            name = target[ident].name
            if not history or history[-1][1] != name:
                history.append((event.order, name))

    def _replay(self, key: Key) -> None:
        """Rebuild one record from its events (one was slotted in among them)."""
        outer = self._deferred
        if outer is None:
            self._deferred = set()
        reusable: dict[tuple[str, Order], Entry] = {}
        for entry_id, order in self._owned.pop(key, ()):
            claims = self._claims(entry_id)
            reusable[(entry_id, order)] = claims[bisect_left(claims, order, key=_first)][2]
        self._reusable = reusable
        kind, ident = key
        table = _DICTS.get(kind)
        target: dict[str, Any] = getattr(self.state, table) if table else {}
        old: Any = None
        if table:
            old = target.pop(ident, None)
            self._born.pop(key, None)
            if kind == "person":
                self._name_history.pop(ident, None)
        elif kind == "incident":
            old, self.state.incident = self.state.incident, Incident()
        elif kind == "policy":
            self.state.policy_text = ""
        elif kind == "role":
            self._holdings[ident], self._open[ident] = [], []
            self._rebuild_roles()
        for event in self._records[key]:
            self._run(key, event)
        self._reusable = None
        for entry_id, order in reusable:  # made before, not now
            self._unclaim(entry_id, order)
        if table:
            new = target.get(ident)
            if old is not None and new is not None and new is not old:
                _transplant(new, old)
                target[ident] = old
        elif kind == "incident":
            _transplant(self.state.incident, old)
            self.state.incident = old
        if outer is None:
            touched, self._deferred = self._deferred, None
            for entry_id in sorted(touched or ()):
                self._derive(entry_id)

    def _place(self, kind: str, target: dict[str, Any]) -> None:
        """Keep a dict in the order its records were made (its last key was just added)."""
        if len(target) < 2:
            return
        keys = reversed(target)
        last = next(keys)
        if self._born[(kind, next(keys))] > self._born[(kind, last)]:
            items = sorted(target.items(), key=lambda item: self._born[(kind, item[0])])
            target.clear()
            target.update(items)

    def _roles_after(self, person_id: str, order: Order) -> list[Key]:
        """The roles with an event after `order` naming this person (changed at `order`:
        they read the name and the roster as they were)."""
        return [
            ("role", role)
            for role, people in self._role_people.items()
            if person_id in people and self._records[("role", role)][-1].order > order
        ]

    def _person_at(self, person_id: str, order: Order) -> str | None:
        """A person's name just before `order`; None if not on the roster then."""
        history = self._name_history.get(person_id)
        if not history:
            return None
        i = bisect_left(history, order, key=_first)
        return history[i - 1][1] if i else None

    def _name_at(self, person_id: str, order: Order) -> str:
        name = self._person_at(person_id, order)
        return person_id if name is None else name

    def _add_holding(
        self, order: Order, holding: RoleHolding, holdings: list[tuple[Order, RoleHolding]]
    ) -> None:
        holdings.append((order, holding))
        i = bisect_left(self._role_orders, order)
        self._role_orders.insert(i, order)
        self.state.roles.insert(i, holding)

    def _rebuild_roles(self) -> None:
        pairs = sorted(
            (pair for holdings in self._holdings.values() for pair in holdings), key=_first
        )
        self._role_orders = [order for order, _ in pairs]
        self.state.roles[:] = [holding for _, holding in pairs]

    # -- devices -----------------------------------------------------------

    def _see_device(self, event: Event, order: Order, device: str) -> None:
        """List the device (hex key; in the order of its first event) and name it by
        the first name it records (`by`), first in event order: later events cannot
        rename it, so a device writing "as" someone else shows as itself (attribution)."""
        devices = self.state.devices
        first = self._first_seen.get(device)
        if first is None or order < first:
            self._first_seen[device] = order
            if first is None:
                devices[device] = ""
            if len(devices) > 1:
                items = sorted(devices.items(), key=lambda item: self._first_seen[item[0]])
                if list(devices) != [d for d, _ in items]:
                    devices.clear()
                    devices.update(items)
        known = self._named.get(device)
        if known is not None and known[0] < order:
            return
        data = event.data if isinstance(event.data, dict) else {}
        name = data.get("by")
        if name is None and event.type == ev.ENTRY_ADDED:
            name = data.get("author")  # a note in the device's own name carries no `by`
        if not isinstance(name, str) or not name.strip():
            return
        self._named[device] = (order, name)
        self._seen[event.device][2] = order
        keys = {name.strip().casefold()}
        if known is not None:
            keys.add(known[1].strip().casefold())
        self._relabel(keys)

    def _relabel(self, keys: set[str]) -> None:
        """Label the devices named by these (casefolded) names: the name, with the key's
        first 8 hex digits when more than one device recorded it."""
        devices, changed = self.state.devices, set()
        for key in keys:
            same = [d for d, (_, n) in self._named.items() if n.strip().casefold() == key]
            for d in same:
                label = self._named[d][1]
                if len(same) > 1:
                    label = f"{label} ({d[:8]})"
                if devices[d] != label:
                    devices[d] = label
                    changed.add(d)
        if changed:
            for entry in self.state.entries.values():
                if entry.device in changed:
                    entry.signer = devices[entry.device]

    # -- timeline entries ----------------------------------------------------

    def _system_entry(self, event: Event, text: str, at: int | None = None) -> None:
        device = self._seen[event.device][0]
        entry_id = f"s{device[:8]}-{event.seq}"
        entry = Entry(
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
        self._owned.setdefault(self._key, []).append((entry_id, event.order))
        if self._reusable is not None:  # replaying: keep the claim this event made before
            before = self._reusable.pop((entry_id, event.order), None)
            if before is not None:
                if (before.text, before.at, before.author) == (text, entry.at, entry.author):
                    return
                self._unclaim(entry_id, event.order)
        self._claim(entry_id, (event.order, _SYSTEM, entry))

    def _claims(self, entry_id: str) -> list[Claim]:
        """An id's claims, in order. An entry made by one claim and never changed since
        (most notes, every system entry) keeps no record of it: its claim is rebuilt
        from the entry itself, so a note costs no memory beyond its Entry."""
        held = self._slots.get(entry_id)
        if held is None:
            entry = self.state.entries.get(entry_id)
            if entry is None:
                return []
            order = (entry.recorded_at, entry.tick, bytes.fromhex(entry.device), entry.seq)
            if entry.system:
                return [(order, _SYSTEM, entry)]
            return [(order, _ADD, replace(entry, tags=list(entry.tags), history=[]))]
        return [held] if isinstance(held, tuple) else held

    def _claim(self, entry_id: str, claim: Claim) -> None:
        held = self._slots.get(entry_id)
        if held is None and self._deferred is None and entry_id not in self.state.entries:
            _, kind, item = claim  # a new id (a note): the common case, at once
            if kind == _CHANGE:
                self._slots[entry_id] = claim  # waits for its entry
            else:
                self._settle(entry_id, item if kind == _SYSTEM else self._made(item))
            return
        claims: list[Claim] | None = [held] if isinstance(held, tuple) else held
        if claims is None:
            claims = self._claims(entry_id)  # an entry's own claim, or none
        if not claims:
            self._slots[entry_id] = claim
            claims = [claim]
        else:
            if held is not claims:
                self._slots[entry_id] = claims
            if claim[0] > claims[-1][0]:
                claims.append(claim)
            else:
                i = bisect_left(claims, claim[0], key=_first)
                if i < len(claims) and claims[i][0] == claim[0]:
                    return  # the same event again
                claims.insert(i, claim)
                claims = None  # not the newest: derive from them all
        if self._deferred is not None:
            self._deferred.add(entry_id)
            return
        dirty = self._batch_slots
        if dirty is not None and (claims is None or entry_id in dirty):
            dirty.add(entry_id)  # derived when the batch ends
            return
        if claims is None:
            self._derive(entry_id)
            return
        # The newest claim on this id: apply it to the entry as derived so far.
        _, kind, item = claim
        entry = self.state.entries.get(entry_id)
        if kind == _SYSTEM:
            self._settle(entry_id, item)
        elif kind == _CHANGE:
            if entry is not None and not entry.system:
                self._changed(entry, item)
        elif entry is None:
            if len(claims) == 1:
                self._settle(entry_id, self._made(item))
            else:
                self._derive(entry_id)  # amends older than the entry wait for it
        if len(claims) == 1 and kind != _CHANGE:
            del self._slots[entry_id]  # the entry is its own record (see _claims)

    def _unclaim(self, entry_id: str, order: Order) -> None:
        claims = self._claims(entry_id)
        del claims[bisect_left(claims, order, key=_first)]
        # none left: [] until derived (absent would mean "the entry is its own claim")
        self._slots[entry_id] = claims[0] if len(claims) == 1 else claims
        if self._deferred is None:
            self._derive(entry_id)
        else:
            self._deferred.add(entry_id)

    def _derive(self, entry_id: str) -> None:
        """An id's entry from its claims, in order: the first `entry.added` makes it
        (ids are random: a duplicate is a replay and never overwrites), a system entry
        overwrites, amends and strikes apply in order, those older than the entry
        once it is made."""
        entry: Entry | None = None
        waiting: list[Event] = []
        for _, claim, item in self._claims(entry_id):
            if claim == _SYSTEM:
                entry = item
            elif claim == _ADD:
                if entry is None:
                    entry = self._made(item)
                    if entry is not None:
                        for change in waiting:
                            self._changed(entry, change)
                        waiting = []
            elif entry is None:
                waiting.append(item)
            elif not entry.system:
                self._changed(entry, item)
        self._settle(entry_id, entry)
        held = self._slots.get(entry_id)
        if isinstance(held, list) and len(held) < 2:
            held = held[0] if held else None
            if held is None:
                del self._slots[entry_id]  # no claims, no entry
        if isinstance(held, tuple) and held[1] != _CHANGE:
            del self._slots[entry_id]  # the entry is its own record (see _claims)

    def _made(self, item: Event | Entry) -> Entry | None:
        """The entry an `entry.added` makes (None if malformed); from an entry's own
        claim (see _claims), a fresh copy of it."""
        if isinstance(item, Entry):
            return replace(item, tags=list(item.tags), history=[])
        event, d = item, item.data
        try:
            kind, text, author = d.get("kind"), d.get("text"), d.get("author")
            entry = Entry(
                d["id"],
                int(d.get("at") or event.hlc[0]),
                event.hlc[0],
                author if isinstance(author, str) else "",
                kind if kind in ev.USER_ENTRY_KINDS else "note",
                text if isinstance(text, str) else "",
                _strs(d["tags"]) if "tags" in d else [],
                self._seen[event.device][0],
                event.seq,
                tick=event.hlc[1],
            )
            if entry.kind == "attacker" and d.get("phase") in ev.ATTACK_PHASES:
                entry.phase = d["phase"]
        except _MALFORMED:
            return None
        return entry

    @staticmethod
    def _changed(entry: Entry, event: Event) -> None:
        d = event.data
        try:
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
        except _MALFORMED:
            pass

    def _settle(self, entry_id: str, entry: Entry | None) -> None:
        """Put an id's derived entry in the state, keeping the object the consumer holds
        when its place in the timeline is the same."""
        entries = self.state.entries
        old = entries.get(entry_id)
        if entry is None:
            if old is not None:
                del entries[entry_id]
                self.reshaped += 1
            return
        entry.signer = self.state.devices.get(entry.device, "")
        if old is None:
            entries[entry_id] = entry
            self.new_entries.append(entry)
        elif old is not entry:
            if (old.at, old.recorded_at, old.tick) == (entry.at, entry.recorded_at, entry.tick):
                _transplant(entry, old)
            else:
                entries[entry_id] = entry
                self.reshaped += 1

    # -- handlers: each applies one event to its record, as that record's newest --

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
        order = event.order
        if role not in ev.ROLES or self._person_at(person_id, order) is None:
            return
        at = event.hlc[0]
        holdings = self._holdings.setdefault(role, [])
        open_holdings = self._open.setdefault(role, [])
        if any(h.person == person_id for h in open_holdings):
            return
        handed_from = ""
        if role in ev.EXCLUSIVE_ROLES:
            for h in open_holdings:
                h.renounced_at = at
                handed_from = self._name_at(h.person, order)
            open_holdings.clear()
        holding = RoleHolding(role, person_id, at)
        open_holdings.append(holding)
        self._add_holding(order, holding, holdings)
        text = f"{self._name_at(person_id, order)} is now {ev.ROLES[role]}"
        self._system_entry(
            event, text + (f" (handed over by {handed_from})" if handed_from else "")
        )

    def _role_renounced(self, event: Event, d: dict[str, Any]) -> None:
        open_holdings = self._open.get(d["role"], [])
        for h in list(open_holdings):
            if h.person == d["person"]:
                open_holdings.remove(h)
                h.renounced_at = event.hlc[0]
                name = self._name_at(h.person, event.order)
                self._system_entry(event, f"{name} is no longer {ev.ROLES[h.role]}")

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
        by = _str(d, "by")
        if any(a.by == by for a in draft.approvals):
            # the same approver again (of the same words: an edit clears approvals)
            # is one approval, not two: the count is read as how many approved
            if draft.status == "approved":
                return
        else:
            draft.approvals.append(Approval(by, event.hlc[0]))
        draft.status = "approved"
        self._system_entry(event, f"Draft {draft.id} approved by {_str(d, 'by')}")

    def _update_sent(self, event: Event, d: dict[str, Any]) -> None:
        draft = self.state.drafts[d["id"]]
        draft.status = "sent"
        draft.sent_at = event.hlc[0]
        self._system_entry(event, f"Stakeholder update sent (draft {draft.id})")

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

    def _integration_set(self, event: Event, d: dict[str, Any]) -> None:
        item_id, kind = _str(d, "id"), d.get("kind")
        if not item_id or kind not in ev.INTEGRATION_KINDS:
            return
        item = self.state.integrations.get(item_id)
        fresh = item is None
        if item is None:
            item = Integration(item_id, kind, added_by=_str(d, "by"), added_at=event.hlc[0])
        item.kind = kind
        item.name = _str(d, "name", item.name)
        item.url = _str(d, "url", item.url)
        item.secret = _str(d, "secret", item.secret)
        self.state.integrations[item_id] = item
        what = f"{kind} {item.name}" if item.name else kind
        self._system_entry(event, f"Integration {'added' if fresh else 'changed'}: {what}")

    def _integration_removed(self, event: Event, d: dict[str, Any]) -> None:
        item = self.state.integrations.pop(d["id"])
        what = f"{item.kind} {item.name}" if item.name else item.kind
        self._system_entry(event, f"Integration removed: {what}")

    def _chat_room(self, event: Event, d: dict[str, Any]) -> None:
        item = self.state.integrations[d["id"]]
        channel = d["channel"]
        if item.kind != "slack-bot" or not ev.SLACK_CHANNEL_ID.fullmatch(channel):
            return
        item.room = channel
        what = f"{item.kind} {item.name}" if item.name else item.kind
        self._system_entry(event, f"Chat room made: via {what}")

    def _outbox_queued(self, event: Event, d: dict[str, Any]) -> None:
        item_id, body = _str(d, "id"), d.get("body")
        if not item_id or item_id in self.state.outbox or not isinstance(body, dict):
            return
        item = OutboxItem(
            item_id,
            _str(d, "integration"),
            _str(d, "action"),
            body,
            _str(d, "about"),
            device=self._seen[event.device][0],
            queued_at=event.hlc[0],
        )
        self.state.outbox[item_id] = item
        self._system_entry(event, f"Queued: {item.about}")

    def _outbox_tried(self, event: Event, d: dict[str, Any]) -> None:
        item = self.state.outbox[d["id"]]
        if item.status != "queued" or event.device.hex() != item.device:
            return  # only its own device delivers it
        item.attempts += max(0, int(d.get("attempts", 1)))
        item.next_at = int(d.get("next_at", 0))
        item.error = _str(d, "error")

    def _outbox_done(self, event: Event, d: dict[str, Any]) -> None:
        item = self.state.outbox[d["id"]]
        status = d.get("status")
        if item.status != "queued" or status not in ("delivered", "failed"):
            return
        if event.device.hex() != item.device:
            return
        item.status = status
        item.attempts += max(0, int(d.get("attempts", 1)))
        item.error = _str(d, "error")
        if status == "delivered":
            self._system_entry(event, f"Delivered: {item.about}")
        else:
            self._system_entry(event, f"Not delivered: {item.about}: {item.error}")


_HANDLERS = {
    ev.INCIDENT_DECLARED: Fold._declared,
    ev.INCIDENT_SET: Fold._incident_set,
    ev.STEP_ADDED: Fold._step_added,
    ev.STEP_SET: Fold._step_set,
    ev.PERSON_ADDED: Fold._person_added,
    ev.PERSON_SET: Fold._person_set,
    ev.ROLE_ASSUMED: Fold._role_assumed,
    ev.ROLE_RENOUNCED: Fold._role_renounced,
    ev.DRAFT_SAVED: Fold._draft_saved,
    ev.DRAFT_APPROVED: Fold._draft_approved,
    ev.POLICY_SET: Fold._policy_set,
    ev.EVIDENCE_ADDED: Fold._evidence_added,
    ev.EVIDENCE_NOTED: Fold._evidence_noted,
    ev.INDICATOR_SET: Fold._indicator_set,
    ev.FOLLOWUP_ADDED: Fold._followup_added,
    ev.FOLLOWUP_SET: Fold._followup_set,
    ev.INTEGRATION_SET: Fold._integration_set,
    ev.INTEGRATION_REMOVED: Fold._integration_removed,
    ev.OUTBOX_QUEUED: Fold._outbox_queued,
    ev.OUTBOX_TRIED: Fold._outbox_tried,
    ev.OUTBOX_DONE: Fold._outbox_done,
    ev.CHAT_ROOM: Fold._chat_room,
    ev.UPDATE_SENT: Fold._update_sent,
}


def fold(events: Iterable[Event]) -> IncidentState:
    """The state of an incident, from its events in any order."""
    f = Fold()
    f.apply_all(sorted(events, key=_event_order))
    return f.state
