"""The ledger under the session: the cheap open (heads only), its appends, and the one
chain check that the open and verify() share."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from dbedit import dev_id, execute

from warroom import events as ev
from warroom.clock import HybridClock, wall_ms
from warroom.device import Device, load_device
from warroom.heads import KnownHeads
from warroom.ledger import open_store, unwrap_key
from warroom.session import Session

PASSPHRASE = "correct horse battery staple"
Y2100 = 4_102_444_800_000


@pytest.fixture
def other(tmp_path: Path) -> Device:
    return load_device(tmp_path / "other-device", name="Bo")


@pytest.fixture
def incident(tmp_path: Path, other: Device) -> Path:
    """This device: the declaration, the checklist and 30 notes; another: 10 notes."""
    path = tmp_path / "inc.db"
    with Session.create(path, PASSPHRASE, kdf="interactive", codename="amber-heron") as s:
        s.add_notes([f"mine {i}" for i in range(30)])
    with Session.unlock(path, PASSPHRASE, device=other) as s:
        s.add_notes([f"theirs {i}" for i in range(10)])
    return path


def sql(path: Path, statement: str, params: tuple = ()) -> None:
    assert execute(path, statement, params) == 1


def test_a_cheap_open_decrypts_each_device_head_only_and_appends_without_a_fold(
    incident: Path,
) -> None:
    with Session.unlock(incident, PASSPHRASE, fold=False) as s:
        assert s.ledger.opened == 2  # one head per device, of 56 rows
        assert s.folds == 0
        s.add_note("cheap")
        s.add_note("cheaper")
        assert s.folds == 0
        assert s.ledger.opened == 2  # appending decrypts nothing either
        assert not s.problems and not s.rollbacks
    with Session.unlock(incident, PASSPHRASE) as full:
        assert full.folds == 1
        assert not full.problems
        texts = [e.text for e in full.state.timeline()]
        assert texts[-2:] == ["cheap", "cheaper"]  # the clock moved past every head
        assert full.verify().ok  # chained to the device's last row, and signed


def test_reading_the_state_of_a_cheap_open_folds_the_whole_file(incident: Path) -> None:
    with Session.unlock(incident, PASSPHRASE, fold=False) as s:
        entry = s.add_note("then looked")
        assert s.folds == 0
        assert s.state.entries[entry].text == "then looked"
        assert s.folds == 1
        assert sum(1 for e in s.state.entries.values() if not e.system) == 41
        s.add_note("folded in place")  # now folded: appends fold as before
        assert s.folds == 1 and s.state.timeline()[-1].text == "folded in place"


def test_the_clock_of_a_cheap_open_moves_past_every_head(incident: Path, other: Device) -> None:
    """Another device whose clock is 5 minutes fast (within the bound): this device's
    next note, appended without a fold, still sorts after its last one."""
    fast = HybridClock(lambda: wall_ms() + 5 * 60_000)
    with Session.unlock(incident, PASSPHRASE, device=other, clock=fast) as s:
        s.add_note("fast")
        stamp = s.clock.last
    with Session.unlock(incident, PASSPHRASE, fold=False) as s:
        assert s.clock.last == stamp
        s.add_note("after the fast one")
    with Session.unlock(incident, PASSPHRASE) as full:
        assert not full.problems
        texts = [e.text for e in full.state.timeline()]
        assert texts[-2:] == ["fast", "after the fast one"]


def test_a_cheap_open_flags_a_head_stamped_too_far_ahead(incident: Path, other: Device) -> None:
    with Session.unlock(incident, PASSPHRASE, device=other, clock=HybridClock(lambda: Y2100)) as s:
        s.add_note("from 2100")
    with Session.unlock(incident, PASSPHRASE) as full:
        expected = list(full.problems)
    with Session.unlock(incident, PASSPHRASE, fold=False) as cheap:
        assert cheap.problems == expected  # the same words as the full open
        assert [p.seq for p in cheap.problems] == [11]
        assert cheap.clock.last[0] < Y2100  # not followed
        cheap.add_note("honest")
    with Session.unlock(incident, PASSPHRASE) as full:
        assert full.state.timeline()[-1].text == "from 2100"


@pytest.mark.parametrize("how", ["rolled back", "vanished", "rewritten"])
def test_a_cheap_open_catches_a_rollback_of_what_this_user_saw(
    incident: Path, other: Device, how: str, tmp_path: Path
) -> None:
    Session.unlock(incident, PASSPHRASE).close()  # heads known: the other device at #10
    dev = dev_id(incident, other)
    if how == "rolled back":
        sql(incident, "DELETE FROM events WHERE dev=? AND seq=10", (dev,))
    elif how == "vanished":
        conn = sqlite3.connect(incident, isolation_level=None)
        conn.execute("DELETE FROM events WHERE dev=?", (dev,))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        conn.close()
    else:  # the feed moved on, and the row this user saw was changed
        store = open_store(incident)  # by another OS user: this one does not see #11
        header, key = unwrap_key(incident, store, PASSPHRASE)
        elsewhere = KnownHeads(tmp_path / "elsewhere.json")
        with Session(store, header, key, other, known=elsewhere) as s:
            s.add_note("eleventh")
        sql(incident, "UPDATE events SET sig=zeroblob(64) WHERE dev=? AND seq=10", (dev,))
    with Session.unlock(incident, PASSPHRASE) as full:
        expected = list(full.rollbacks)
    assert [r.reason.split(":")[0] for r in expected] == [how]
    with Session.unlock(incident, PASSPHRASE, fold=False) as cheap:
        assert cheap.rollbacks == expected
        assert cheap.ledger.opened <= 2


@pytest.mark.parametrize("tamper", ["delete-middle", "alter-box", "alter-prev"])
def test_tampering_before_a_cheap_append_is_caught_by_verify_and_the_next_open(
    incident: Path, other: Device, tamper: str
) -> None:
    me = load_device()
    if tamper == "delete-middle":
        sql(incident, "DELETE FROM events WHERE dev=? AND seq=20", (dev_id(incident, me),))
        culprit = (me.public_key.hex(), 21)
    else:
        column = "box" if tamper == "alter-box" else "prev"
        sql(
            incident,
            f"UPDATE events SET {column}=zeroblob(length({column})) WHERE dev=? AND seq=5",
            (dev_id(incident, other),),
        )
        culprit = (other.public_key.hex(), 5)
    with Session.unlock(incident, PASSPHRASE, fold=False) as cheap:
        assert not cheap.problems  # it read the heads, not the damaged rows
        entry = cheap.add_note("written after the damage")
    with Session.unlock(incident, PASSPHRASE) as full:
        flagged = {(p.device, p.seq) for p in full.problems}
        assert culprit in flagged
        assert entry in full.state.entries  # the new row itself chains correctly
        assert (me.public_key.hex(), 46) not in flagged
        report = full.verify()
        assert not report.ok
        assert (report.problems[0].device, report.problems[0].seq) == culprit
        # One chain check: verify names each damaged row as the open does, so the
        # console (which shows verify's problems not already flagged) counts it once.
        assert set(report.problems) <= set(full.problems)


def test_a_cheap_session_catches_up_with_another_process_of_its_device(incident: Path) -> None:
    with Session.unlock(incident, PASSPHRASE, fold=False) as first:
        with Session.unlock(incident, PASSPHRASE, fold=False) as second:
            second.add_note("second")
        first.add_note("first")  # seq taken after the other's, read inside the lock
        assert first.folds == 0
    with Session.unlock(incident, PASSPHRASE) as full:
        assert not full.problems and full.verify().ok
        assert [e.text for e in full.state.timeline()][-2:] == ["second", "first"]


@pytest.mark.parametrize("type_", ["page.sent", "outbox.delivery.done"])
def test_an_event_type_from_a_newer_warroom_is_skipped_not_flagged(
    incident: Path, type_: str
) -> None:
    """A newer version's event (arriving by sync) is signed and opens like any other:
    it is read and skipped by the fold, never reported as tampered."""
    with Session.unlock(incident, PASSPHRASE) as s:
        before = s.state.to_dict()
        s.ledger.append([(type_, {"id": "x", "by": "Newer"})])
    with Session.unlock(incident, PASSPHRASE) as s:
        assert s.problems == [] and s.verify().ok
        assert s.state.to_dict() == before


@pytest.mark.parametrize("type_", [["step.set"], {"t": 1}, 7, "Step.Set", "step", "a.b.c.d.e"])
def test_a_payload_whose_type_is_not_a_type_is_refused_not_a_crash(type_: object) -> None:
    raw = json.dumps({"t": type_, "h": [1, 0], "d": {}}).encode()
    with pytest.raises(ev.PayloadError):
        ev.decode_payload(bytes(32), 1, raw)
