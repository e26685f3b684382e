"""The fold is order-independent by construction (issue #11): events applied one by
one through `Fold.apply`, in any arrival order, give exactly the state `fold()` gives
in the canonical order, and a late event is applied without re-applying anything."""

from __future__ import annotations

import random
from dataclasses import asdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from warroom import events as ev
from warroom.events import Event
from warroom.state import Fold, IncidentState, fold

DEVICES = [bytes([i]) * 32 for i in range(1, 4)] + [bytes([1] * 4 + [9] * 28)]
"""The last shares its first 8 hex digits with the first: their system entry ids collide."""
IDS = ["a", "b"]
PEOPLE = ["p1", "p2", "p3"]
NAMES = ["Ann", "ann ", "Bo", "", "[b]x[/b]"]
words = st.sampled_from(["alpha", "bravo", "", "[bold]x[/]", "\x1b[2J"])
names = st.sampled_from(NAMES)
by = st.one_of(st.none(), names, st.just(7))
times = st.integers(0, 40)


def _with_by(data: dict[str, Any], who: Any) -> dict[str, Any]:
    return data if who is None else {**data, "by": who}


def _system_id(device: int, seq: int) -> str:
    return f"s{DEVICES[device].hex()[:8]}-{seq}"


payloads: st.SearchStrategy[tuple[str, dict[str, Any]]] = st.one_of(
    st.builds(
        lambda c, k, s, at: (
            ev.INCIDENT_DECLARED,
            {"codename": c, "title": c, "kind": k, "severity": s, "declared_at": at},
        ),
        words,
        st.sampled_from([*ev.INCIDENT_KINDS, "bogus"]),
        st.sampled_from([1, 2, 3, 4, 9]),
        st.one_of(times, st.just("x")),
    ),
    st.builds(
        lambda f: (ev.INCIDENT_SET, {"fields": f}),
        st.dictionaries(
            st.sampled_from(["status", "severity", "summary", "root_cause", "codename"]),
            st.one_of(st.sampled_from([*ev.INCIDENT_STATUSES, "gone"]), st.integers(1, 5), words),
            max_size=3,
        ),
    ),
    st.builds(
        lambda i, t, o: (ev.STEP_ADDED, {"id": i, "phase": "p", "title": t, "order": o}),
        st.sampled_from(IDS),
        words,
        st.one_of(st.integers(0, 3), st.just("x")),
    ),
    st.builds(
        lambda i, s, a, who: (ev.STEP_SET, _with_by({"id": i, "status": s, "assignee": a}, who)),
        st.sampled_from(IDS),
        st.sampled_from(ev.STEP_STATUSES),
        words,
        by,
    ),
    st.builds(
        lambda i, n, s, who: (ev.PERSON_ADDED, _with_by({"id": i, "name": n, "state": s}, who)),
        st.sampled_from(PEOPLE),
        names,
        st.sampled_from(ev.PERSON_STATES),
        by,
    ),
    st.builds(
        lambda i, f: (ev.PERSON_SET, {"id": i, "fields": f}),
        st.sampled_from(PEOPLE),
        st.fixed_dictionaries(
            {}, optional={"state": st.sampled_from(ev.PERSON_STATES), "name": names}
        ),
    ),
    st.builds(
        lambda t, r, p, who: (t, _with_by({"role": r, "person": p}, who)),
        st.sampled_from([ev.ROLE_ASSUMED, ev.ROLE_RENOUNCED]),
        st.sampled_from(["ic", "scribe", "nobody"]),
        st.sampled_from(PEOPLE),
        by,
    ),
    st.builds(
        lambda i, t, at, a, k, ph: (
            ev.ENTRY_ADDED,
            {"id": i, "text": t, "at": at, "author": a, "kind": k, "phase": ph, "tags": [t]},
        ),
        st.one_of(
            st.sampled_from(IDS), st.builds(_system_id, st.integers(0, 3), st.integers(1, 6))
        ),
        words,
        st.one_of(times, st.just(None), st.just("x")),
        names,
        st.sampled_from(["note", "attacker", "system"]),
        st.sampled_from(["detected", "bogus", ""]),
    ),
    st.builds(
        lambda t, i, x, who: (t, _with_by({"id": i, "text": x, "reason": x, "phase": ""}, who)),
        st.sampled_from([ev.ENTRY_AMENDED, ev.ENTRY_STRUCK]),
        st.one_of(
            st.sampled_from(IDS), st.builds(_system_id, st.integers(0, 3), st.integers(1, 6))
        ),
        words,
        by,
    ),
    st.builds(
        lambda i, f, who: (ev.DRAFT_SAVED, _with_by({"id": i, "fields": f}, who)),
        st.sampled_from(IDS),
        st.fixed_dictionaries(
            {},
            optional={
                "body": words,
                "to": st.lists(words, max_size=2),
                "channel": st.sampled_from(["email", "fax"]),
                "status": st.sampled_from(ev.DRAFT_STATUSES),
            },
        ),
        by,
    ),
    st.builds(
        lambda i, who: (ev.DRAFT_APPROVED, {"id": i, "by": who}), st.sampled_from(IDS), names
    ),
    st.builds(lambda t: (ev.POLICY_SET, {"text": t}), st.one_of(words, st.just(3))),
    st.builds(
        lambda i, item, at: (ev.EVIDENCE_ADDED, {"id": i, "item": item, "collected_at": at}),
        st.sampled_from(IDS),
        words,
        st.one_of(times, st.just("x")),
    ),
    st.builds(
        lambda i, t, loc: (ev.EVIDENCE_NOTED, {"id": i, "text": t, "location": loc, "by": "Bo"}),
        st.sampled_from(IDS),
        words,
        words,
    ),
    st.builds(
        lambda v, s: (ev.INDICATOR_SET, {"value": v, "type": "ip", "status": s, "by": "Ann"}),
        st.sampled_from(["10.0.0.1", "evil.example", ""]),
        st.sampled_from([*ev.INDICATOR_STATUSES, "maybe"]),
    ),
    st.builds(
        lambda i, t, s: (ev.FOLLOWUP_ADDED, {"id": i, "title": t, "status": s}),
        st.sampled_from(IDS),
        words,
        st.sampled_from(ev.FOLLOWUP_STATUSES),
    ),
    st.builds(
        lambda i, f: (ev.FOLLOWUP_SET, {"id": i, "fields": f}),
        st.sampled_from(IDS),
        st.fixed_dictionaries(
            {}, optional={"status": st.sampled_from(ev.FOLLOWUP_STATUSES), "title": words}
        ),
    ),
    # hostile and malformed payloads: change nothing they cannot, crash nothing
    st.builds(
        lambda t, bad: (t, bad),
        st.sampled_from(sorted(ev.EVENT_TYPES)),
        st.sampled_from(
            [
                {"id": 7, "fields": "nope"},
                {"id": ["x"], "role": ["ic"], "person": {}},
                {"id": "a", "fields": ["body"]},
                {"id": "a", "fields": {"status": "resolved"}, "order": "x", "tags": "t"},
                {"value": 5, "status": "confirmed", "text": None},
                {"by": "   "},
                {"role": "ic"},
            ]
        ),
    ),
)


@st.composite
def event_logs(draw: st.DrawFn) -> list[Event]:
    items = draw(
        st.lists(
            st.tuples(st.integers(0, len(DEVICES) - 1), times, payloads), min_size=1, max_size=60
        )
    )
    seqs: dict[bytes, int] = {}
    out = []
    for index, ms, (type_, data) in items:
        device = DEVICES[index]
        seqs[device] = seqs.get(device, 0) + 1
        # a small clock range: many ties, broken by the counter, device and seq
        out.append(Event(device, seqs[device], (ms, draw(st.integers(0, 2))), type_, data))
    return out


def snapshot(state: IncidentState) -> dict[str, Any]:
    """Everything a reader sees, in the order they see it."""
    return {
        "dict": state.to_dict(),
        "timeline": [(e.id, asdict(e)) for e in state.timeline()],
        "orders": {
            name: list(getattr(state, name))
            for name in ("steps", "people", "drafts", "evidence", "indicators", "followups")
        },
        "devices": list(state.devices.items()),
        "roles": [asdict(h) for h in state.roles],
        "policy": state.policy_text,
    }


def applied(events: list[Event]) -> Fold:
    f = Fold()
    for event in events:
        f.apply(event)
    return f


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
    ids = ["e1", "e2", _system_id(0, 3), _system_id(3, 2)]
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
