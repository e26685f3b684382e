"""The fold is order-independent by construction (issue #11): events applied one by
one through `Fold.apply`, in any arrival order, give exactly the state `fold()` gives
in the canonical order, and a late event is applied without re-applying anything."""

from __future__ import annotations

import random
from typing import Any

from eventlogs import DEVICES, PEOPLE, applied, event_logs, snapshot, system_id
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom import events as ev
from warroom.events import Event
from warroom.state import Fold, fold


def in_batches(events: list[Event], cuts: list[int]) -> Fold:
    """Applied through `apply_all` in batches (polls, syncs), cut at `cuts`."""
    f = Fold()
    start = 0
    for cut in [*sorted(cuts), len(events)]:
        f.apply_all(events[start:cut])
        start = max(start, cut)
    return f


@settings(max_examples=500, deadline=None)
@given(log=event_logs(), data=st.data())
def test_any_arrival_order_applied_one_by_one_gives_the_canonical_state(
    log: list[Event], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(log))
    canonical = fold(log)
    f = applied(arrival)
    assert f.state == canonical
    assert snapshot(f.state) == snapshot(canonical)
    cuts = data.draw(st.lists(st.integers(0, len(log)), max_size=4))
    assert snapshot(in_batches(arrival, cuts).state) == snapshot(canonical)


@settings(max_examples=200, deadline=None)
@given(log=event_logs(), data=st.data())
def test_every_prefix_of_an_arrival_is_the_canonical_state_of_what_arrived(
    log: list[Event], data: st.DataObject
) -> None:
    """Not only the end: after each apply, the state is that of the events so far."""
    arrival = data.draw(st.permutations(log))
    f = Fold()
    for n, event in enumerate(arrival, 1):
        f.apply(event)
        assert snapshot(f.state) == snapshot(fold(arrival[:n]))


@settings(max_examples=100, deadline=None)
@given(log=event_logs(), data=st.data())
def test_an_event_applied_twice_is_applied_once(log: list[Event], data: st.DataObject) -> None:
    again = data.draw(st.lists(st.sampled_from(log), max_size=5))
    arrival = data.draw(st.permutations(log + again))
    assert snapshot(applied(arrival).state) == snapshot(fold(log))


def test_entry_objects_survive_a_late_event_that_changes_them() -> None:
    """The console keeps entries it drew: a late amend or rename changes them in place."""
    ann, bob = DEVICES[0], DEVICES[1]
    f = Fold()
    f.apply(Event(ann, 1, (10, 0), ev.ENTRY_ADDED, {"id": "a", "text": "v1", "author": ""}))
    f.apply(Event(ann, 3, (30, 0), ev.ENTRY_AMENDED, {"id": "a", "text": "v3"}))
    entry = f.state.entries["a"]
    f.apply(Event(ann, 2, (20, 0), ev.ENTRY_AMENDED, {"id": "a", "text": "v2"}))
    f.apply(Event(ann, 0, (5, 0), ev.STEP_SET, {"id": "x", "by": "Ann"}))  # names ann late
    assert f.state.entries["a"] is entry
    assert (entry.text, [r.text for r in entry.history]) == ("v3", ["v1", "v2"])
    assert entry.signer == "Ann"
    assert f.reshaped == 0
    f.apply(Event(bob, 1, (1, 0), ev.ENTRY_ADDED, {"id": "b", "text": "early"}))
    assert f.new_entries[-1].id == "b"


def test_a_late_event_that_undoes_a_system_entry_says_the_timeline_reshaped() -> None:
    ann, bob = DEVICES[0], DEVICES[1]
    step = Event(ann, 1, (1, 0), ev.STEP_ADDED, {"id": "s", "phase": "p", "title": "T"})
    bob_done = Event(bob, 1, (6, 0), ev.STEP_SET, {"id": "s", "status": "done"})
    ann_done = Event(ann, 2, (5, 0), ev.STEP_SET, {"id": "s", "status": "done"})
    f = applied([step, bob_done])
    assert [e.seq for e in f.state.timeline()] == [1]  # bob's "done"
    f.apply(ann_done)  # ann was first: bob's set changes nothing now
    assert [(e.device, e.seq) for e in f.state.timeline()] == [(ann.hex(), 2)]
    assert f.reshaped == 1
    assert snapshot(f.state) == snapshot(fold([step, bob_done, ann_done]))


def _random_payload(r: random.Random) -> tuple[str, dict[str, Any]]:
    """Long, dense mixes (hand-overs, renames, approvals, custody): what hypothesis's
    short logs rarely reach."""
    k = r.randrange(16)
    if k == 0:
        return ev.PERSON_ADDED, {"id": r.choice(PEOPLE), "name": r.choice(["Ann", "Bo", "Cy"])}
    if k == 1:
        fields = {"name": r.choice(["Ann2", "Bo2", ""]), "state": r.choice(ev.PERSON_STATES)}
        return ev.PERSON_SET, {"id": r.choice(PEOPLE), "fields": fields}
    if k in (2, 3, 4):
        role = r.choice(["ic", "scribe", "ic"])
        return ev.ROLE_ASSUMED, {"role": role, "person": r.choice(PEOPLE), "by": "Ann"}
    if k == 5:
        return ev.ROLE_RENOUNCED, {"role": r.choice(["ic", "scribe"]), "person": r.choice(PEOPLE)}
    if k == 6:
        return ev.INCIDENT_SET, {"fields": {"status": r.choice(ev.INCIDENT_STATUSES)}}
    if k == 7:
        return ev.STEP_SET, {"id": "a", "status": r.choice(ev.STEP_STATUSES)}
    if k == 8:
        return ev.STEP_ADDED, {"id": "a", "title": r.choice(["T", "U"]), "phase": "p"}
    if k == 9:
        return ev.DRAFT_SAVED, {"id": "d", "fields": {"body": r.choice(["x", "y"])}}
    if k == 10:
        return ev.DRAFT_APPROVED, {"id": "d", "by": r.choice(["Ann", "Bo"])}
    ids = ["e1", "e2", system_id(0, 3), system_id(3, 2)]
    if k == 11:
        return ev.ENTRY_ADDED, {"id": r.choice(ids), "text": "t", "at": r.randrange(50)}
    if k == 12:
        return ev.ENTRY_AMENDED, {"id": r.choice(ids), "text": r.choice(["u", "v"])}
    if k == 13:
        return ev.INDICATOR_SET, {"value": "x.example", "status": r.choice(ev.INDICATOR_STATUSES)}
    if k == 14:
        return ev.POLICY_SET, {"text": r.choice(["a", ""])}
    type_ = r.choice([ev.EVIDENCE_ADDED, ev.EVIDENCE_NOTED])
    return type_, {"id": "v", "item": "disk", "text": r.choice(["moved", "sealed"])}


def test_long_dense_logs_in_random_arrival_orders() -> None:
    for seed in range(300):
        r = random.Random(seed)
        seqs: dict[bytes, int] = {}
        log = []
        for _ in range(r.randrange(1, 120)):
            device = r.choice(DEVICES)
            seqs[device] = seqs.get(device, 0) + 1
            type_, data = _random_payload(r)
            log.append(Event(device, seqs[device], (r.randrange(60), r.randrange(2)), type_, data))
        arrival = log[:]
        r.shuffle(arrival)
        canonical = snapshot(fold(log))
        assert snapshot(applied(arrival).state) == canonical, seed
        cuts = [r.randrange(len(log) + 1) for _ in range(r.randrange(4))]
        assert snapshot(in_batches(arrival, cuts).state) == canonical, seed
