"""The session facade: what the CLI and the console rely on."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from warroom.session import Session, SessionError, WrongPassphrase

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def incident(tmp_path: Path) -> Path:
    path = tmp_path / "inc.db"
    Session.create(path, PASSPHRASE, kdf="interactive", codename="amber-heron").close()
    return path


def test_create_seeds_the_security_checklist(incident: Path) -> None:
    with Session.unlock(incident, PASSPHRASE) as s:
        assert s.state.incident.codename == "amber-heron"
        steps = s.state.checklist()
        assert len(steps) == 14
        assert steps[0].id == "stop-attack" and steps[-1].id == "external-comms"
        by_id = {step.id: step for step in steps}
        assert by_id["internal-comms"].delegate_title == "VP or Director of Engineering"
        assert by_id["external-comms"].delegate_title == "Marketing"


def test_create_refuses_an_existing_file(incident: Path) -> None:
    before = incident.read_bytes()
    with pytest.raises(SessionError, match="already exists"):
        Session.create(incident, "other", kdf="interactive")
    assert incident.read_bytes() == before


def test_wrong_passphrase_is_refused(incident: Path) -> None:
    with pytest.raises(WrongPassphrase):
        Session.unlock(incident, "not it")


def test_generated_codename_is_two_words(tmp_path: Path) -> None:
    with Session.create(tmp_path / "x.db", PASSPHRASE, kdf="interactive", kind="outage") as s:
        assert len(s.state.incident.codename.split("-")) == 2


def test_changes_are_events_and_system_entries_follow(incident: Path) -> None:
    with Session.unlock(incident, PASSPHRASE) as s:
        note = s.add_note("replica stopped", kind="action", tags=["db"])
        s.set_step("stop-attack", status="done", assignee="Ann")
        ann = s.add_person("Ann", email="ann@example.com", state="joined")
        s.assign_role("ic", ann)
        s.amend_entry(note, "replica stopped (not terminated)")
    with Session.unlock(incident, PASSPHRASE) as s:
        entry = s.state.entries[note]
        assert entry.text == "replica stopped (not terminated)"
        assert entry.history[0].text == "replica stopped"
        system = [e.text for e in s.state.timeline() if e.system]
        assert any("Stop the attack" in t and "done" in t for t in system)
        assert any("Ann is now Incident Commander" in t for t in system)
        system_id = next(e.id for e in s.state.timeline() if e.system)
        with pytest.raises(SessionError, match="system"):
            s.strike_entry(system_id, "hide it")


def test_cycle_step(incident: Path) -> None:
    with Session.unlock(incident, PASSPHRASE) as s:
        seen = [s.cycle_step("forensics") for _ in range(3)]
    assert seen == ["doing", "done", "todo"]


def test_bad_input_is_a_clear_error(incident: Path) -> None:
    with Session.unlock(incident, PASSPHRASE) as s:
        with pytest.raises(SessionError, match="no checklist step"):
            s.set_step("nope", status="done")
        with pytest.raises(SessionError, match="status must be"):
            s.set_step("forensics", status="finished")
        with pytest.raises(SessionError, match="role must be"):
            s.assign_role("king", "p000000")
        with pytest.raises(SessionError, match="needs some text"):
            s.add_note("   ")


def test_another_process_append_is_seen_within_a_second(incident: Path) -> None:
    code = (
        "import sys\nfrom warroom.session import Session\n"
        f"s = Session.unlock({str(incident)!r}, {PASSPHRASE!r})\n"
        "print(s.add_note('from the other terminal'), flush=True)\n"
        "s.close()\n"
    )
    with Session.unlock(incident, PASSPHRASE) as s:
        s.poll()
        child = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
        )
        assert child.returncode == 0, child.stderr
        entry_id = child.stdout.strip()
        written = time.monotonic()
        seen = False
        while time.monotonic() - written < 1.0:
            if any(e.data.get("id") == entry_id for e in s.poll()):
                seen = True
                break
            time.sleep(0.05)
        assert seen, "the other process's note did not arrive within 1 s"
        assert s.state.entries[entry_id].text == "from the other terminal"
        assert s.poll() == []  # nothing new: no work


def test_events_out_of_clock_order_refold_to_the_same_state(incident: Path) -> None:
    """A writer whose clock is behind appends after us; the fold still sorts by HLC."""
    code = (
        "from warroom.clock import HybridClock\nfrom warroom.session import Session\n"
        f"s = Session.unlock({str(incident)!r}, {PASSPHRASE!r},"
        " clock=HybridClock(lambda: 1000))\n"
        "s.clock._last = (1000, 0)\n"
        "s.set_step('forensics', status='doing')\n"
    )
    with Session.unlock(incident, PASSPHRASE) as s:
        s.set_step("forensics", status="done")
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert child.returncode == 0, child.stderr
        s.poll()
        assert s.generation == 0  # it arrived out of order: slotted in, nothing rebuilt
        # our change carries the later clock, so it wins although it was written first
        assert s.state.steps["forensics"].status == "done"
        live = s.state.to_dict()
    with Session.unlock(incident, PASSPHRASE) as fresh:
        assert fresh.state.to_dict() == live


# -- a wrong clock, the known heads, the key chain ---------------------------------

Y2100 = 4_102_444_800_000  # 2100-01-01T00:00:00Z


def test_a_stamp_too_far_ahead_does_not_move_the_clock() -> None:
    from warroom.clock import MAX_SKEW_MS, HybridClock

    clock = HybridClock(lambda: 1_000_000)
    assert clock.observe((1_000_000 + MAX_SKEW_MS + 1, 0)) is False
    assert clock.last == (0, 0)
    assert clock.tick() == (1_000_000, 0)
    assert clock.observe((1_000_000 + MAX_SKEW_MS, 5)) is True  # at the bound: followed
    assert clock.tick() == (1_000_000 + MAX_SKEW_MS, 6)


def test_a_far_future_event_refolds_from_memory_to_the_same_state(
    incident: Path, tmp_path: Path
) -> None:
    """With an event from 2100 in the file every honest event sorts before it: each
    one refolds (from the events kept in memory), to exactly what a fresh open gives."""
    from warroom.clock import HybridClock
    from warroom.device import load_device

    mallory = load_device(tmp_path / "mallory")
    with Session.unlock(
        incident, PASSPHRASE, device=mallory, clock=HybridClock(lambda: Y2100)
    ) as m:
        m.set_step("forensics", status="skipped")
        m.set_incident(summary="from the future")
    code = (
        "from warroom.session import Session\n"
        f"s = Session.unlock({str(incident)!r}, {PASSPHRASE!r})\n"
        "s.add_note('from another process')\n"
        "s.set_incident(summary='honest')\n"
    )
    with Session.unlock(incident, PASSPHRASE) as s:
        assert [p.seq for p in s.problems] == [1, 2]
        assert s.clock.last[0] < Y2100
        s.add_note("one")
        s.set_step("forensics", status="done")
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert child.returncode == 0, child.stderr
        s.poll()
        s.add_note("two")
        assert s.generation == 0  # each arrived before the 2100 events: slotted in
        # Last writer by the clock: the 2100 changes still win; they are flagged.
        assert s.state.steps["forensics"].status == "skipped"
        assert s.state.incident.summary == "from the future"
        assert s.state.timeline()[-1].recorded_at == Y2100
        live = s.state.to_dict()
    with Session.unlock(incident, PASSPHRASE) as fresh:
        assert fresh.state.to_dict() == live
        assert len(fresh.problems) == 2


def test_change_passphrase(incident: Path) -> None:
    with Session.unlock(incident, PASSPHRASE) as s:
        note = s.add_note("kept")
        with pytest.raises(SessionError, match="must not be empty"):
            s.change_passphrase("")
        s.change_passphrase("another one")
        s.add_note("after the change")  # the open session goes on with the same key
    with pytest.raises(WrongPassphrase):
        Session.unlock(incident, PASSPHRASE)
    with Session.unlock(incident, "another one") as s:
        assert s.state.entries[note].text == "kept"
        assert s.verify().ok


@pytest.mark.parametrize(
    "meta",
    [
        {"opslimit": 16, "memlimit": 1024**3},
        {"opslimit": 1},
        {"memlimit": 1024**3},
        {"opslimit": "2"},
        {"kdf": "argon2i"},
    ],
)
def test_kdf_header_out_of_range_is_named_before_deriving(
    incident: Path, meta: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from warroom import crypto

    conn = sqlite3.connect(incident)
    with conn:
        for key, value in meta.items():
            conn.execute("UPDATE meta SET value=? WHERE key=?", (value, key))
    conn.close()

    def never(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("the key derivation ran on an out-of-range header")

    monkeypatch.setattr(crypto.argon2id, "kdf", never)
    with pytest.raises(SessionError) as caught:
        Session.unlock(incident, PASSPHRASE)
    assert str(caught.value) == (
        f"{incident}: the file's key-derivation header is out of range (damaged or tampered)"
    )
    assert not isinstance(caught.value, WrongPassphrase)
