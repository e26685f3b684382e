"""A repeated approval by the same approver is one approval (finding 9 of the comms
exploration: `approvals` grew by one per `draft approve` run)."""

from __future__ import annotations

from warroom import events as ev
from warroom.events import Event
from warroom.state import fold

D1, D2 = b"\x01" * 32, b"\x02" * 32


def saved(device: bytes, seq: int, t: int, body: str) -> Event:
    return Event(device, seq, (t, 0), ev.DRAFT_SAVED, {"id": "d1", "fields": {"body": body}})


def approved(device: bytes, seq: int, t: int, by: str) -> Event:
    return Event(device, seq, (t, 0), ev.DRAFT_APPROVED, {"id": "d1", "by": by})


def test_the_same_approver_twice_is_one_approval() -> None:
    log = [saved(D1, 1, 1, "v1"), approved(D1, 2, 2, "ic"), approved(D1, 3, 3, "ic")]
    draft = fold(log).drafts["d1"]
    assert draft.status == "approved"
    assert [(a.by, a.at) for a in draft.approvals] == [("ic", 2)]


def test_two_approvers_are_two_approvals() -> None:
    log = [saved(D1, 1, 1, "v1"), approved(D1, 2, 2, "ic"), approved(D2, 1, 3, "legal")]
    assert [a.by for a in fold(log).drafts["d1"].approvals] == ["ic", "legal"]


def test_a_late_repeat_keeps_the_earliest_approval() -> None:
    log = [saved(D1, 1, 1, "v1"), approved(D2, 1, 5, "ic"), approved(D1, 2, 3, "ic")]
    assert [(a.by, a.at) for a in fold(log).drafts["d1"].approvals] == [("ic", 3)]


def test_approving_again_after_an_edit_counts() -> None:
    log = [
        saved(D1, 1, 1, "v1"),
        approved(D1, 2, 2, "ic"),
        saved(D1, 3, 3, "v2"),
        approved(D1, 4, 4, "ic"),
    ]
    draft = fold(log).drafts["d1"]
    assert (draft.status, [(a.by, a.at) for a in draft.approvals]) == ("approved", [("ic", 4)])
