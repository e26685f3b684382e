"""Author and signer in the fold (issue #10): a device's name is the first it records;
two devices with one name both show their key; a device named late is named on the
entries it wrote before."""

from __future__ import annotations

from typing import Any

from warroom import events as ev
from warroom.events import Event
from warroom.state import attribution, fold

ANN, BOB, EVE = (bytes([i]) * 32 for i in (1, 2, 3))


def event(device: bytes, seq: int, ms: int, type_: str, data: dict[str, Any]) -> Event:
    return Event(device, seq, (ms, 0), type_, data)


def note(device: bytes, seq: int, ms: int, text: str, **data: Any) -> Event:
    return event(
        device, seq, ms, ev.ENTRY_ADDED, {"id": text, "kind": "note", "text": text, **data}
    )


def who(state: Any, entry_id: str) -> str:
    entry = state.entries[entry_id]
    return attribution(entry.author, entry.signer, entry.device)


def test_a_device_is_named_by_the_first_name_it_records() -> None:
    state = fold(
        [
            event(ANN, 1, 1, ev.INCIDENT_DECLARED, {"codename": "c", "by": "Ann Lee"}),
            note(ANN, 2, 2, "ann-own", author="Ann Lee"),
            note(BOB, 1, 3, "bob-as-ann", author="Ann Lee", by="bob-laptop"),
            # a later event claiming another name does not rename the device
            note(BOB, 2, 4, "bob-renamed", author="Ann Lee", by="Ann Lee"),
            note(BOB, 3, 5, "bob-own", author="bob-laptop"),
        ]
    )
    assert state.devices == {ANN.hex(): "Ann Lee", BOB.hex(): "bob-laptop"}
    assert who(state, "ann-own") == "Ann Lee"
    assert who(state, "bob-as-ann") == "Ann Lee, via bob-laptop"
    assert who(state, "bob-renamed") == "Ann Lee, via bob-laptop"
    assert who(state, "bob-own") == "bob-laptop"


def test_two_devices_with_one_name_both_show_their_keys() -> None:
    state = fold(
        [
            event(ANN, 1, 1, ev.INCIDENT_DECLARED, {"codename": "c", "by": "Ann Lee"}),
            note(ANN, 2, 2, "ann-own", author="Ann Lee"),
            note(EVE, 1, 3, "eve-as-ann", author="Ann Lee", by=" ann lee"),
        ]
    )
    ann, eve = ANN.hex()[:8], EVE.hex()[:8]
    assert who(state, "ann-own") == f"Ann Lee, via Ann Lee ({ann})"
    assert who(state, "eve-as-ann") == f"Ann Lee, via  ann lee ({eve})"


def test_a_device_named_late_is_named_on_its_earlier_entries() -> None:
    """A device whose first events carry no name (a hostile or an old writer)."""
    events = [
        event(ANN, 1, 1, ev.INCIDENT_DECLARED, {"codename": "c", "by": "Ann Lee"}),
        note(BOB, 1, 2, "unnamed", author=""),
        note(BOB, 2, 3, "claims-ann", author="Ann Lee", by=""),
    ]
    state = fold(events)
    assert who(state, "unnamed") == f"via device {BOB.hex()[:8]}"
    assert who(state, "claims-ann") == f"Ann Lee, via device {BOB.hex()[:8]}"
    state = fold([*events, event(BOB, 3, 4, ev.STEP_SET, {"id": "x", "by": "bob-laptop"})])
    assert who(state, "unnamed") == "via bob-laptop"
    assert who(state, "claims-ann") == "Ann Lee, via bob-laptop"
