"""The fold is deterministic: any arrival order of the same events gives the same state,
whether the events are sorted first (`fold`) or applied one by one as they arrive
(`Fold.apply`), and a late event is applied once, never by re-applying the others."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from warroom import events as ev
from warroom.events import Event
from warroom.state import Fold, fold

DEVICES = [bytes([i]) * 32 for i in range(1, 4)]
ENTRY_IDS = ["e1", "e2", "e3"]
STEP_IDS = ["s1", "s2"]
PEOPLE = ["p1", "p2"]
DRAFTS = ["d1", "d2"]
words = st.sampled_from(["alpha", "bravo", "charlie", "[bold]x[/]", ""])

payloads: st.SearchStrategy[tuple[str, dict[str, Any]]] = st.one_of(
    st.builds(
        lambda c, t: (ev.INCIDENT_DECLARED, {"codename": c, "title": t, "kind": "ddos"}),
        words,
        words,
    ),
    st.builds(
        lambda s, v: (ev.INCIDENT_SET, {"fields": {"status": s, "summary": v}}),
        st.sampled_from(ev.INCIDENT_STATUSES),
        words,
    ),
    st.builds(
        lambda i, t: (ev.STEP_ADDED, {"id": i, "phase": "p", "title": t}),
        st.sampled_from(STEP_IDS),
        words,
    ),
    st.builds(
        lambda i, s, a: (ev.STEP_SET, {"id": i, "status": s, "assignee": a}),
        st.sampled_from(STEP_IDS),
        st.sampled_from(ev.STEP_STATUSES),
        words,
    ),
    st.builds(
        lambda i, n: (ev.PERSON_ADDED, {"id": i, "name": n or "x"}), st.sampled_from(PEOPLE), words
    ),
    st.builds(
        lambda i, s: (ev.PERSON_SET, {"id": i, "fields": {"state": s}}),
        st.sampled_from(PEOPLE),
        st.sampled_from(ev.PERSON_STATES),
    ),
    st.builds(
        lambda r, p: (ev.ROLE_ASSUMED, {"role": r, "person": p}),
        st.sampled_from(["ic", "scribe"]),
        st.sampled_from(PEOPLE),
    ),
    st.builds(
        lambda r, p: (ev.ROLE_RENOUNCED, {"role": r, "person": p}),
        st.sampled_from(["ic", "scribe"]),
        st.sampled_from(PEOPLE),
    ),
    st.builds(
        lambda i, t, at: (ev.ENTRY_ADDED, {"id": i, "text": t, "at": at, "author": "a"}),
        st.sampled_from(ENTRY_IDS),
        words,
        st.integers(0, 50),
    ),
    st.builds(
        lambda i, t: (ev.ENTRY_AMENDED, {"id": i, "text": t}), st.sampled_from(ENTRY_IDS), words
    ),
    st.builds(
        lambda i, r: (ev.ENTRY_STRUCK, {"id": i, "reason": r}), st.sampled_from(ENTRY_IDS), words
    ),
    st.builds(
        lambda i, b, to: (ev.DRAFT_SAVED, {"id": i, "fields": {"body": b, "to": to}}),
        st.sampled_from(DRAFTS),
        words,
        st.lists(words, max_size=2),
    ),
    st.builds(lambda i: (ev.DRAFT_APPROVED, {"id": i, "by": "ic"}), st.sampled_from(DRAFTS)),
    # malformed payloads must change nothing and crash nothing
    st.builds(lambda t: (t, {"id": 7, "fields": "nope"}), st.sampled_from(sorted(ev.EVENT_TYPES))),
)


@st.composite
def event_logs(draw: st.DrawFn) -> list[Event]:
    items = draw(
        st.lists(
            st.tuples(st.sampled_from(DEVICES), st.integers(0, 20), payloads),
            min_size=1,
            max_size=40,
        )
    )
    seqs: dict[bytes, int] = {}
    out = []
    for device, ms, (type_, data) in items:
        seqs[device] = seqs.get(device, 0) + 1
        # small clock range: many ties, broken by device and seq
        out.append(Event(device, seqs[device], (ms, draw(st.integers(0, 2))), type_, data))
    return out


@settings(max_examples=300, deadline=None)
@given(log=event_logs(), data=st.data())
def test_any_arrival_order_gives_the_same_state(log: list[Event], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(log))
    assert fold(shuffled).to_dict() == fold(log).to_dict()
    one_by_one = Fold()
    for event in shuffled:  # in arrival order, unsorted
        one_by_one.apply(event)
    assert one_by_one.state == fold(log)
    assert one_by_one.state.to_dict() == fold(log).to_dict()


@settings(max_examples=100, deadline=None)
@given(log=event_logs())
def test_no_timeline_entry_is_ever_lost(log: list[Event]) -> None:
    added = {e.data["id"] for e in log if e.type == ev.ENTRY_ADDED and e.data["id"] in ENTRY_IDS}
    assert added <= set(fold(log).entries)


def test_last_writer_wins_per_field() -> None:
    d = DEVICES[0]
    log = [
        Event(d, 1, (1, 0), ev.STEP_ADDED, {"id": "s1", "phase": "p", "title": "T"}),
        Event(d, 2, (5, 0), ev.STEP_SET, {"id": "s1", "assignee": "ann"}),
        Event(DEVICES[1], 1, (3, 0), ev.STEP_SET, {"id": "s1", "status": "done"}),
        Event(DEVICES[1], 2, (6, 0), ev.STEP_SET, {"id": "s1", "status": "doing"}),
    ]
    step = fold(log).steps["s1"]
    assert (step.status, step.assignee) == ("doing", "ann")


def test_amend_keeps_the_original_and_system_entries_stay_put() -> None:
    d = DEVICES[0]
    log = [
        Event(d, 1, (1, 0), ev.ENTRY_ADDED, {"id": "e1", "text": "first", "author": "a"}),
        Event(d, 2, (2, 0), ev.ENTRY_AMENDED, {"id": "e1", "text": "second", "by": "b"}),
        Event(d, 3, (3, 0), ev.STEP_ADDED, {"id": "s1", "phase": "p", "title": "T"}),
        Event(d, 4, (4, 0), ev.STEP_SET, {"id": "s1", "status": "done"}),
    ]
    state = fold(log)
    system = next(e for e in state.entries.values() if e.system)
    log += [
        Event(d, 5, (5, 0), ev.ENTRY_STRUCK, {"id": "e1", "reason": "wrong host"}),
        Event(d, 6, (6, 0), ev.ENTRY_AMENDED, {"id": system.id, "text": "forged"}),
        Event(d, 7, (7, 0), ev.ENTRY_STRUCK, {"id": system.id, "reason": "hide"}),
    ]
    state = fold(log)
    entry = state.entries["e1"]
    assert entry.text == "second" and [r.text for r in entry.history] == ["first"]
    assert entry.struck == "wrong host"
    assert state.entries[system.id].text == system.text
    assert state.entries[system.id].struck is None


def test_ic_is_handed_over_not_doubled() -> None:
    d = DEVICES[0]
    log = [
        Event(d, 1, (1, 0), ev.PERSON_ADDED, {"id": "p1", "name": "Ann"}),
        Event(d, 2, (2, 0), ev.PERSON_ADDED, {"id": "p2", "name": "Bo"}),
        Event(d, 3, (3, 0), ev.ROLE_ASSUMED, {"role": "ic", "person": "p1"}),
        Event(d, 4, (9, 0), ev.ROLE_ASSUMED, {"role": "ic", "person": "p2"}),
    ]
    state = fold(log)
    assert [p.name for p in state.holders("ic")] == ["Bo"]
    ann = next(h for h in state.roles if h.person == "p1")
    assert (ann.assumed_at, ann.renounced_at) == (3, 9)


def test_editing_an_approved_draft_withdraws_the_approval() -> None:
    d = DEVICES[0]
    log = [
        Event(d, 1, (1, 0), ev.DRAFT_SAVED, {"id": "d1", "fields": {"body": "v1"}}),
        Event(d, 2, (2, 0), ev.DRAFT_APPROVED, {"id": "d1", "by": "ic"}),
    ]
    assert fold(log).drafts["d1"].status == "approved"
    log.append(Event(d, 3, (3, 0), ev.DRAFT_SAVED, {"id": "d1", "fields": {"body": "v2"}}))
    draft = fold(log).drafts["d1"]
    assert (draft.status, draft.approvals) == ("draft", [])


class CountingFold(Fold):
    """Counts every `apply`: a rebuild would re-apply the events already folded."""

    def __init__(self) -> None:
        super().__init__()
        self.applied = 0

    def apply(self, event: Event) -> bool:
        self.applied += 1
        return super().apply(event)


def test_a_late_event_is_applied_once_and_nothing_is_rebuilt() -> None:
    ann, bob = DEVICES[0], DEVICES[1]
    log = [
        Event(ann, 1, (1, 0), ev.INCIDENT_DECLARED, {"codename": "c", "by": "Ann"}),
        Event(ann, 2, (2, 0), ev.STEP_ADDED, {"id": "s1", "phase": "p", "title": "T"}),
        Event(ann, 3, (4, 0), ev.ENTRY_ADDED, {"id": "e1", "text": "one", "author": "Ann"}),
        Event(ann, 4, (6, 0), ev.INCIDENT_SET, {"fields": {"status": "resolved"}}),
        Event(ann, 5, (8, 0), ev.STEP_SET, {"id": "s1", "status": "done", "by": "Ann"}),
    ]
    late = [  # bob's events, written before ann's last ones, arriving after them
        Event(bob, 1, (3, 0), ev.ENTRY_ADDED, {"id": "e2", "text": "two", "author": "Bo"}),
        Event(bob, 2, (5, 0), ev.INCIDENT_SET, {"fields": {"status": "contained"}}),
        Event(bob, 3, (7, 0), ev.STEP_SET, {"id": "s1", "status": "done", "by": "Bo"}),
    ]
    f = CountingFold()
    for event in log:
        assert f.apply(event) is False
    for event in late:
        assert f.apply(event) is True  # late, and applied there and then
    assert f.applied == len(log) + len(late)  # exactly once each: no re-application
    assert f.late == len(late)
    assert f.state == fold(log + late)
    assert f.state.to_dict() == fold(log + late).to_dict()
    # what the late events changed, as an in-order fold has it
    assert [e.id for e in f.state.timeline() if not e.system] == ["e2", "e1"]
    assert f.state.incident.resolved_at == 6  # resolved after bob's "contained"
    done = [e for e in f.state.timeline() if e.text.startswith("Step 'T'")]
    assert [e.author for e in done] == ["Bo"]  # bob set it first; ann's set changed nothing


def test_the_fold_needs_no_last_order() -> None:
    """`last_order` is informational: a fold that forgets it still folds late events."""
    d = DEVICES[0]
    log = [
        Event(d, i, (10 - i, 0), ev.ENTRY_ADDED, {"id": f"e{i}", "text": "x"}) for i in (1, 2, 3)
    ]
    f = Fold()
    for event in log:
        f.apply(event)
        f.last_order = None
    assert f.state == fold(log)


def test_an_amend_older_than_its_entry_waits_for_it() -> None:
    d = DEVICES[0]
    amend = Event(d, 1, (1, 0), ev.ENTRY_AMENDED, {"id": "e1", "text": "second", "by": "b"})
    added = Event(d, 2, (2, 0), ev.ENTRY_ADDED, {"id": "e1", "text": "first", "author": "a"})
    stray = Event(d, 3, (3, 0), ev.ENTRY_STRUCK, {"id": "nowhere", "reason": "r"})
    for arrival in ([amend, added, stray], [stray, added, amend]):
        f = Fold()
        for event in arrival:
            f.apply(event)
        entry = f.state.entries["e1"]
        assert entry.text == "second" and [r.text for r in entry.history] == ["first"]
        assert set(f.state.entries) == {"e1"}  # a change to an id never added makes nothing


def test_a_device_is_named_by_its_first_name_in_event_order_not_arrival() -> None:
    d = DEVICES[0]
    later = Event(d, 2, (5, 0), ev.ENTRY_ADDED, {"id": "e1", "text": "x", "author": "Mallory"})
    earlier = Event(d, 1, (1, 0), ev.STEP_SET, {"id": "s9", "by": "Ann"})
    f = Fold()
    f.apply(later)
    assert f.state.devices == {d.hex(): "Mallory"}
    f.apply(earlier)
    assert f.state.devices == {d.hex(): "Ann"}
    assert f.state.entries["e1"].signer == "Ann"
