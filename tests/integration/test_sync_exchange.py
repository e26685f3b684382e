"""Sync between two replicas of one incident, through the exchange every transport
uses (warroom/sync/exchange.py): both end with the same rows and the same state, a
fork raises the alarm on both sides, and a hostile row is refused with nothing
written."""

from __future__ import annotations

from pathlib import Path

import pytest
from replicas import copy_file

from warroom.device import Device
from warroom.ledger import FORKED
from warroom.session import Session
from warroom.store import Row
from warroom.sync import intake
from warroom.sync.exchange import exchange
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
def test_a_hostile_row_is_refused_and_nothing_is_written(
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
