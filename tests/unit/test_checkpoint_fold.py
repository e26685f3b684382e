"""A fold saved in a checkpoint and resumed is the fold it was saved from: the same
state, and the same state again after any further events, late ones included (they
land among the events the checkpoint summarises, as sync delivers them)."""

from __future__ import annotations

import json

from eventlogs import DEVICES, applied, event_logs, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom import checkpoint
from warroom import events as ev
from warroom.events import Event
from warroom.state import Fold, fold


def saved_and_resumed(f: Fold) -> Fold:
    vector = {device: (1, bytes(32)) for device in DEVICES}
    blob = checkpoint.encode(checkpoint.Checkpoint(vector, f.resumable()))
    back = checkpoint.decode(blob)
    assert back.vector == vector
    return Fold.resume(back.fold)


@settings(max_examples=400, deadline=None)
@given(log=event_logs(), data=st.data())
def test_a_resumed_fold_takes_later_and_late_events_as_the_original_does(
    log: list[Event], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(log))
    cut = data.draw(st.integers(0, len(arrival)))
    before = applied(arrival[:cut])
    resumed = saved_and_resumed(before)
    assert snapshot(resumed.state) == snapshot(before.state)
    assert resumed.state == before.state
    for event in arrival[cut:]:
        before.apply(event)
        resumed.apply(event)
        assert snapshot(resumed.state) == snapshot(before.state)
    assert snapshot(resumed.state) == snapshot(fold(log))


@settings(max_examples=100, deadline=None)
@given(log=event_logs(), data=st.data())
def test_a_resumed_fold_takes_a_batch_and_a_second_checkpoint(
    log: list[Event], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(log))
    cut = data.draw(st.integers(0, len(arrival)))
    resumed = saved_and_resumed(applied(arrival[:cut]))
    resumed.apply_all(arrival[cut:])
    again = saved_and_resumed(resumed)
    assert snapshot(again.state) == snapshot(fold(log))


def test_a_note_is_kept_as_its_entry_not_its_event() -> None:
    """Notes are the bulk of a file: the checkpoint holds their entries, not events
    to apply again; an amended note keeps the events that changed it."""
    ann = DEVICES[0]
    events = [
        Event(ann, n, (n, 0), ev.ENTRY_ADDED, {"id": f"e{n}", "text": "t", "author": "Ann"})
        for n in range(1, 6)
    ]
    amend = Event(ann, 6, (6, 0), ev.ENTRY_AMENDED, {"id": "e1", "text": "u"})
    parts = applied([*events, amend]).resumable()
    assert sorted(e.id for e in parts.entries) == ["e2", "e3", "e4", "e5"]
    assert parts.events == [amend]
    assert [e.id for _, e in parts.claims] == ["e1"]


def test_damaged_or_foreign_bytes_are_unusable() -> None:
    blob = checkpoint.encode(checkpoint.Checkpoint({}, Fold().resumable()))
    body = json.loads(checkpoint.zlib.decompress(blob))
    other_types = checkpoint.zlib.compress(json.dumps({**body, "types": "x.y"}).encode())
    for bad in (
        blob[:-3],
        b"x" + blob,
        b"",
        checkpoint.zlib.compress(b'{"format": 99}'),
        other_types,
    ):
        try:
            checkpoint.decode(bad)
        except checkpoint.Unusable:
            continue
        raise AssertionError(f"decoded {bad[:20]!r}")
