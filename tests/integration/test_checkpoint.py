"""The checkpoint (issue #11): a large file opens from its saved state and the rows
after it, never from a checkpoint that is stale, tampered with, someone else's, or
that disagrees with the rows it summarises."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from dbedit import dev_id
from dbedit import execute as sql

from warroom.device import Device, load_device
from warroom.replica import CHECKPOINT_AFTER
from warroom.session import Session

PASSPHRASE = "correct horse battery staple"


def has_checkpoint(path: Path, device: Device) -> bool:
    conn = sqlite3.connect(path)
    try:
        return bool(
            conn.execute(
                "SELECT count(*) FROM checkpoints c JOIN devices d ON d.id = c.dev WHERE d.key=?",
                (device.public_key,),
            ).fetchone()[0]
        )
    except sqlite3.OperationalError:  # no table: none ever saved
        return False
    finally:
        conn.close()


def whole(session: Session) -> dict:
    """Everything `show --format json` prints, and who signed what."""
    return {
        **session.state.to_dict(),
        "devices": session.state.devices,
        "signers": sorted((e.id, e.signer) for e in session.state.entries.values()),
    }


def folded_from_scratch(path: Path, device: Device) -> dict:
    """The state as a device with no checkpoint of its own reads it."""
    with Session.unlock(path, PASSPHRASE, device=device) as s:
        assert s.folds == 1 and not s.summarised
        return whole(s)


@pytest.fixture
def me(tmp_path: Path) -> Device:
    return load_device(tmp_path / "me", name="Ann")


@pytest.fixture
def other(tmp_path: Path) -> Device:
    return load_device(tmp_path / "other", name="Bo")


@pytest.fixture
def reader(tmp_path: Path) -> Device:
    return load_device(tmp_path / "reader", name="Cy")


@pytest.fixture
def incident(tmp_path: Path, me: Device, other: Device) -> Path:
    """CHECKPOINT_AFTER notes by `me`, an amended and a struck one, the roster and a
    step done, then 100 notes by `other`; `me` saves a checkpoint of it all."""
    path = tmp_path / "inc.db"
    with Session.create(path, PASSPHRASE, kdf="interactive", device=me) as s:
        ids = s.add_notes([f"mine {i}" for i in range(CHECKPOINT_AFTER)])
        s.amend_entry(ids[3], "mine 3, amended")
        s.strike_entry(ids[4], "wrong host")
        person = s.add_person("Bo Diaz", handle="bo")
        s.assign_role("ic", person)
        s.set_step(next(iter(s.state.steps)), "done")
    assert has_checkpoint(path, me)  # saved at close: CHECKPOINT_AFTER events came
    with Session.unlock(path, PASSPHRASE, device=other) as s:
        assert s.folds == 1  # it has none of its own
        s.add_notes([f"theirs {i}" for i in range(100)])
    with Session.unlock(path, PASSPHRASE, device=me) as s:
        assert s.folds == 0 and s.ledger.opened == 100  # the 100 after its checkpoint
        assert s.save_checkpoint() is False  # 100 new: below the bar
        assert s.save_checkpoint(force=True)
    return path


def test_a_large_file_opens_from_its_checkpoint_to_the_same_state(
    incident: Path, me: Device, reader: Device
) -> None:
    with Session.unlock(incident, PASSPHRASE, device=me) as s:
        assert s.folds == 0 and s.summarised
        assert s.ledger.opened == 0  # not one row decrypted
        assert not s.problems
        assert whole(s) == folded_from_scratch(incident, reader)


def test_rows_after_the_checkpoint_are_folded_in_and_a_poll_adds_more(
    incident: Path, me: Device, other: Device, reader: Device
) -> None:
    """A stale checkpoint is used for what it summarises; the rows after it are read
    (the same state as from scratch), and what comes later is polled in without a
    fold. (Late events applied to a resumed fold: tests/unit/test_checkpoint_fold.py.)"""
    with Session.unlock(incident, PASSPHRASE, device=other) as s:
        s.add_note("theirs, after the checkpoint")
        step = next(iter(s.state.steps))
        s.set_step(step, "doing")
    with Session.unlock(incident, PASSPHRASE, device=me) as s:
        assert s.folds == 0 and s.ledger.opened == 2
        assert whole(s) == folded_from_scratch(incident, reader)
        assert s.state.steps[step].status == "doing"
        with Session.unlock(incident, PASSPHRASE, device=other) as t:
            t.add_note("while open")
        s.poll()
        assert s.folds == 0
        assert s.state.timeline()[-1].text == "while open"


def test_a_tampered_checkpoint_is_never_used(incident: Path, me: Device, reader: Device) -> None:
    conn = sqlite3.connect(incident, isolation_level=None)
    (box,) = conn.execute("SELECT box FROM checkpoints").fetchone()
    flipped = box[:100] + bytes([box[100] ^ 1]) + box[101:]
    conn.execute("UPDATE checkpoints SET box=?", (flipped,))
    conn.close()
    with Session.unlock(incident, PASSPHRASE, device=me) as s:
        assert s.folds == 1 and not s.summarised
        assert whole(s) == folded_from_scratch(incident, reader)


def test_another_devices_checkpoint_is_never_used(
    incident: Path, me: Device, other: Device, reader: Device
) -> None:
    """Another responder has the passphrase, so the data key: a checkpoint they make
    (it opens) must still not be one this device resumes from. Theirs moved into this
    device's place is refused by its signature."""
    assert has_checkpoint(incident, other)  # saved as it closed: it read 1,100+ events
    mine, theirs = dev_id(incident, me), dev_id(incident, other)
    sql(incident, "DELETE FROM checkpoints WHERE dev=?", (mine,))
    sql(incident, "UPDATE checkpoints SET dev=? WHERE dev=?", (mine, theirs))
    with Session.unlock(incident, PASSPHRASE, device=me) as s:
        assert s.folds == 1 and not s.summarised
        assert whole(s) == folded_from_scratch(incident, reader)


@pytest.mark.parametrize("how", ["deleted", "changed"])
def test_a_checkpoint_whose_last_rows_are_gone_or_changed_is_dropped(
    incident: Path, me: Device, other: Device, how: str
) -> None:
    dev = dev_id(incident, other)
    if how == "deleted":
        assert sql(incident, "DELETE FROM events WHERE dev=? AND seq=100", (dev,)) == 1
    else:
        assert sql(incident, "UPDATE events SET sig=zeroblob(64) WHERE dev=? AND seq=100", (dev,))
    with Session.unlock(incident, PASSPHRASE, device=me) as s:
        assert s.folds == 1 and not s.summarised
        assert s.problems or s.rollbacks  # what changed is reported as without one
        assert sum(e.text.startswith("theirs") for e in s.state.entries.values()) == (
            99 if how == "deleted" else 100
        )
    assert not has_checkpoint(incident, me)  # dropped, and not saved with problems seen


@pytest.mark.parametrize("who", ["a reading command", "the console"])
def test_a_summarised_row_changed_is_caught_and_the_file_folded_again(
    incident: Path, me: Device, who: str
) -> None:
    """An early row rewritten (its box, and so its hash): the checkpoint still names
    the same last rows, but the chain no longer reaches them. Reading commands check
    before they use the state; the console checks after its first paint."""
    dev = dev_id(incident, me)
    assert sql(
        incident,
        "UPDATE events SET box = CAST(box || x'00' AS BLOB) WHERE dev=? AND seq=20",
        (dev,),
    )
    if who == "a reading command":
        with Session.unlock(incident, PASSPHRASE, device=me) as s:
            assert s.folds == 1 and not s.summarised
            assert [p.seq for p in s.problems] == [20, 21]
    else:
        with Session.unlock(incident, PASSPHRASE, device=me, check=False) as s:
            assert s.summarised and s.folds == 0 and not s.problems
            assert [p.seq for p in s.checkpoint_problems()] == [21]
            generation = s.generation
            s.distrust_checkpoint()
            assert s.folds == 1 and not s.summarised and s.generation == generation + 1
            assert [p.seq for p in s.problems] == [20, 21]
    assert not has_checkpoint(incident, me)


def test_a_cheap_open_checks_the_checkpoint_when_it_first_reads_the_state(
    incident: Path, me: Device
) -> None:
    dev = dev_id(incident, me)
    assert sql(
        incident,
        "UPDATE events SET box = CAST(box || x'00' AS BLOB) WHERE dev=? AND seq=20",
        (dev,),
    )
    with Session.unlock(incident, PASSPHRASE, device=me, fold=False) as s:
        assert not s.save_checkpoint(force=True)  # nothing folded: nothing to save
        assert s.state.entries
        assert s.folds == 1 and not s.summarised
        assert [p.seq for p in s.problems] == [20, 21]
