"""Sync between two replicas of one incident, through the exchange every transport
uses (warroom/sync/exchange.py): both end with the same rows and the same state, a
fork raises the alarm on both sides, and a hostile row is refused with nothing
written."""

from __future__ import annotations

from pathlib import Path

import nacl.signing
import pytest
from replicas import copy_file

from warroom import crypto
from warroom.device import Device
from warroom.ledger import FORKED
from warroom.session import Session
from warroom.store import Row
from warroom.sync import intake
from warroom.sync.exchange import IGNORED_HAVE, UNSHOWN_FORK, exchange
from warroom.sync.peer import StorePeer, vector_of

PASSPHRASE = "correct horse battery staple"


def whole(path: Path, device: Device) -> dict:
    with Session.unlock(path, PASSPHRASE, device=device) as s:
        return {**s.state.to_dict(), "devices": s.state.devices}


def sync(here: Path, there: Path, device: Device):  # noqa: ANN201
    with Session.unlock(here, PASSPHRASE, device=device, fold=False) as s:
        far = Session.unlock(there, PASSPHRASE, device=device, fold=False)
        try:
            return exchange(
                s.store, s.header.incident_id, StorePeer(far.store, s.header.incident_id)
            )
        finally:
            far.close()


@pytest.fixture
def pair(tmp_path: Path, ann: Device) -> tuple[Path, Path]:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    with Session.create(a, PASSPHRASE, kdf="interactive", device=ann, codename="amber-heron"):
        pass
    copy_file(a, b)
    return a, b


def test_two_replicas_apart_converge_both_ways(
    pair: tuple[Path, Path], ann: Device, bo: Device
) -> None:
    a, b = pair
    step = None
    with Session.unlock(a, PASSPHRASE, device=ann) as s:
        s.add_notes([f"ann {i}" for i in range(30)])
        step = next(iter(s.state.steps))
        s.set_step(step, "done")
    with Session.unlock(b, PASSPHRASE, device=bo) as s:
        s.add_notes([f"bo {i}" for i in range(20)])
        s.set_step(step, "doing")  # the same step flipped on both sides while apart
    report = sync(a, b, ann)
    assert report.clean
    assert (report.pushed, report.pulled) == (31, 21)
    assert whole(a, ann) == whole(b, bo)
    again = sync(a, b, ann)  # idempotent: nothing moves, nothing is duplicated
    assert (again.pushed, again.pulled) == (0, 0) and again.clean
    assert whole(a, ann) == whole(b, bo)


def test_an_interrupted_sync_resumes_without_duplicates(
    pair: tuple[Path, Path], ann: Device, bo: Device
) -> None:
    a, b = pair
    with Session.unlock(b, PASSPHRASE, device=bo) as s:
        s.add_notes([f"bo {i}" for i in range(50)])
    with (
        Session.unlock(a, PASSPHRASE, device=ann, fold=False) as here,
        Session.unlock(b, PASSPHRASE, device=bo, fold=False) as there,
    ):
        peer = StorePeer(there.store, here.header.incident_id)
        have = {device: seq for device, (seq, _) in vector_of(here.store).items()}
        rows = peer.pull(have, 20)  # one batch arrived, then the link dropped
        taken = intake.take(here.store, here.header.incident_id, rows)
        assert len(taken.added) == 20
    report = sync(a, b, ann)
    assert report.pulled == 30 and report.clean
    with Session.unlock(a, PASSPHRASE, device=ann) as s:
        texts = [e.text for e in s.state.entries.values() if e.text.startswith("bo ")]
        assert sorted(texts) == sorted(f"bo {i}" for i in range(50))


def test_a_fork_raises_the_alarm_on_both_sides(pair: tuple[Path, Path], ann: Device) -> None:
    """One device writes two different rows at one seq on two replicas (a copied file
    written on both): after sync, both keep the other's row and both say so."""
    a, b = pair
    with Session.unlock(a, PASSPHRASE, device=ann) as s:
        s.add_note("written in a")
    with Session.unlock(b, PASSPHRASE, device=ann) as s:
        s.add_note("written in b")
    report = sync(a, b, ann)
    assert len(report.forks) == 1
    for path in (a, b):
        with Session.unlock(path, PASSPHRASE, device=ann) as s:
            assert [p.reason for p in s.problems] == [FORKED]
            assert not s.verify().ok
    assert sync(a, b, ann).forks == []  # known evidence is not recorded twice


@pytest.mark.parametrize("attack", ["flipped box", "bad signature", "gap", "off chain"])
def test_a_hostile_row_is_refused_and_nothing_from_it_on_is_taken(
    pair: tuple[Path, Path], bo: Device, attack: str
) -> None:
    a, b = pair
    with Session.unlock(b, PASSPHRASE, device=bo) as s:
        s.add_notes(["one", "two", "three"])
        iid = s.header.incident_id
        rows = s.store.rows(after={bo.public_key: 0})
    first, second, third = (r for r in rows if r.device == bo.public_key)
    if attack == "flipped box":
        box = bytearray(second.box)
        box[10] ^= 1
        second = Row(second.device, second.seq, second.prev, bytes(box), second.sig)
        offered = [first, second, third]
    elif attack == "bad signature":
        offered = [first, second, Row(third.device, 3, third.prev, third.box, bytes(64))]
    elif attack == "gap":
        offered = [first, third]
    else:
        offered = [first, Row(second.device, 2, bytes(32), second.box, second.sig)]
    with Session.unlock(a, PASSPHRASE, fold=False) as s:
        before = s.store.count()
        taken = intake.take(s.store, iid, offered)
        assert len(taken.rejected) >= 1
        assert s.store.count() == before + len(taken.added)
        assert all(r.seq < min(x.seq for x in taken.rejected) for r in taken.added)


def test_a_fork_below_the_peers_head_is_found_whatever_sorts_first(
    pair: tuple[Path, Path], ann: Device, bo: Device
) -> None:
    """Bo's feed forks at #1 and the peer holds more of it: the row at #1 is fetched
    from under the peer's head (not Ann's, whose feed sorts first) and compared."""
    a, b = pair
    with Session.unlock(a, PASSPHRASE, device=bo) as s:
        s.add_note("x, in a")
    with Session.unlock(b, PASSPHRASE, device=bo) as s:
        s.add_note("y, in b")
        s.add_note("z, in b")
    report = sync(a, b, ann)
    assert [(r.device, r.seq) for r in report.forks] == [(bo.public_key, 1)]
    for path in (a, b):
        with Session.unlock(path, PASSPHRASE, device=ann) as s:
            assert [p.reason for p in s.problems] == [FORKED]


def stranger_rows(incident_id: bytes, boxes: list[bytes]) -> list[Row]:
    """Rows a party without the passphrase can make: a device key of its own, the
    incident id (plaintext in every file), a valid chain and valid signatures, and
    boxes it could not seal under the incident's key."""
    key = nacl.signing.SigningKey.generate()
    device = bytes(key.verify_key)
    rows, prev = [], crypto.GENESIS_PREV
    for seq, box in enumerate(boxes, 1):
        sig = crypto.sign(key, crypto.signed_bytes(incident_id, device, seq, prev, box))
        rows.append(Row(device, seq, prev, box, sig))
        prev = crypto.row_hash(device, seq, prev, box, sig)
    return rows


def test_rows_signed_by_a_stranger_are_refused_by_a_replica_and_said(
    pair: tuple[Path, Path], ann: Device
) -> None:
    """A relay (or a far file, or its operator) knows the incident id but not the key:
    it can sign rows with a key of its own that every signature and chain check
    passes. A replica refuses them (they do not open under its key), takes nothing,
    keeps no "fork" of them, and says so; the far side, which has no key, took them."""
    a, b = pair
    with Session.unlock(b, PASSPHRASE, device=ann, fold=False) as far:
        iid = far.header.incident_id
        planted = stranger_rows(iid, [b"\x01" * 80, b"\x02" * 80])
        taken = StorePeer(far.store, iid).push(planted)
        assert taken.added == 2  # no key there: signatures and chain are all it checks
    with (
        Session.unlock(a, PASSPHRASE, device=ann) as here,
        Session.unlock(b, PASSPHRASE, device=ann, fold=False) as far,
    ):
        before = here.store.count()
        report = exchange(here.store, iid, StorePeer(far.store, iid), opens=here.ledger.opens)
        assert report.pulled == 0 and report.forks == []
        refused = [(p.seq, p.reason) for p in report.rejected_here]
        assert refused == [(1, intake.NOT_OURS), (2, intake.NOT_OURS)]
        assert here.store.count() == before and here.store.forks() == []
    with Session.unlock(a, PASSPHRASE, device=ann) as here:
        assert here.problems == [] and here.verify().ok


def test_a_peer_that_answers_past_what_was_asked_cannot_hold_a_sync_forever(
    pair: tuple[Path, Path], ann: Device, bo: Device
) -> None:
    a, b = pair
    with Session.unlock(b, PASSPHRASE, device=bo) as s:
        s.add_note("one")

    class Deaf(StorePeer):
        def pull(self, have: dict[bytes, int], limit: int = 5000) -> list[Row]:
            return self.store.rows(after={}, limit=limit)  # ignores `have`

    with (
        Session.unlock(a, PASSPHRASE, device=ann, fold=False) as here,
        Session.unlock(b, PASSPHRASE, device=bo, fold=False) as far,
    ):
        iid = here.header.incident_id
        report = exchange(here.store, iid, Deaf(far.store, iid), opens=here.ledger.opens)
    assert not report.clean
    assert any(p.reason == IGNORED_HAVE for p in report.rejected_here)


def test_a_peer_that_claims_another_head_but_shows_no_row_is_not_clean(
    pair: tuple[Path, Path], ann: Device
) -> None:
    a, b = pair

    class Liar(StorePeer):
        def vector(self):  # noqa: ANN202
            return {d: (seq, bytes(32)) for d, (seq, _) in super().vector().items()}

    with (
        Session.unlock(a, PASSPHRASE, device=ann, fold=False) as here,
        Session.unlock(b, PASSPHRASE, device=ann, fold=False) as far,
    ):
        iid = here.header.incident_id
        report = exchange(here.store, iid, Liar(far.store, iid), opens=here.ledger.opens)
    assert not report.clean
    assert [p.reason for p in report.rejected_there] == [UNSHOWN_FORK]
