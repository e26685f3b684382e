"""Rollback and deleted feeds: each OS user remembers the newest heads it has seen.

Deleting a device's newest rows, all of one responder's rows, or putting an older
copy of the file in its place used to pass `warroom verify`. Now every command
warns (one line naming the device), and `verify` exits 1 naming it. The attacks
use sqlite3 and file copies, as someone with write access to the file would.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from warroom.device import load_device

SEEN = "(deleted, or an older copy of the file)"


@pytest.fixture
def bob(tmp_path: Path) -> Path:
    """A second responder: a config dir (so a device key) of their own."""
    directory = tmp_path / "config-bob"
    directory.mkdir(mode=0o700)
    return directory


def dev8(config: Path) -> str:
    return load_device(config).public_key.hex()[:8]


def incident_hex(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM meta WHERE key='incident_id'").fetchone()[0].hex()
    finally:
        conn.close()


def run_sql(path: Path, *statements: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for sql, params in statements:
            conn.execute(sql, params)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()


def note(cli, path: Path, text: str, config: Path | None = None) -> str:
    proc = cli("note", path, text, config_dir=config)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr, proc.stderr
    return proc.stdout.strip()


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warroom: warning: ")]


def assert_caught(cli, path: Path, device8: str, reason: str) -> None:
    """Every command warns once, naming the device; `verify` fails naming it."""
    message = f"device {device8} {reason}"
    proc = cli("verify", path)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert proc.stderr.splitlines()[-1] == f"warroom: verify failed: {message}", proc.stderr
    for command in (("info", path), ("timeline", path), ("note", path, "after the rollback")):
        proc = cli(*command)
        assert proc.returncode == 0, (command, proc.stderr)
        assert warnings(proc.stderr) == [f"warroom: warning: {message} (run `warroom verify`)"], (
            command,
            proc.stderr,
        )


def test_deleting_a_devices_newest_rows_is_caught(cli, incident: Path, bob: Path) -> None:
    for i in range(3):
        note(cli, incident, f"bob {i}", bob)
    assert cli("info", incident).returncode == 0  # this user sees bob's feed up to #3
    conn = sqlite3.connect(incident)
    (bob_dev,) = conn.execute(
        "SELECT id FROM devices WHERE key=?", (load_device(bob).public_key,)
    ).fetchone()
    conn.close()
    run_sql(incident, ("DELETE FROM events WHERE dev=? AND seq>=2", (bob_dev,)))
    assert_caught(
        cli,
        incident,
        dev8(bob),
        f"rolled back: you have seen its events up to #3, the file ends at #1 {SEEN}",
    )


def test_deleting_all_of_one_responders_rows_is_caught(cli, incident: Path, bob: Path) -> None:
    note(cli, incident, "bob was here", bob)
    note(cli, incident, "and here", bob)
    assert cli("timeline", incident).returncode == 0
    key = load_device(bob).public_key
    run_sql(
        incident,
        ("DELETE FROM events WHERE dev=(SELECT id FROM devices WHERE key=?)", (key,)),
        ("DELETE FROM devices WHERE key=?", (key,)),
    )
    assert_caught(
        cli,
        incident,
        dev8(bob),
        f"vanished: you have seen its events up to #2, the file has none {SEEN}",
    )


def test_an_older_copy_of_the_file_is_caught(cli, incident: Path, settle) -> None:
    settle(incident)
    old = incident.with_name("old-copy.db")
    shutil.copyfile(incident, old)
    for i in range(2):
        note(cli, incident, f"after the copy {i}")
    proc = cli("info", incident, "--format", "json")
    events = json.loads(proc.stdout)["events"]
    settle(incident)
    shutil.copyfile(old, incident)  # the older copy put in its place
    assert_caught(
        cli,
        incident,
        dev8(cli.config_dir),
        f"rolled back: you have seen its events up to #{events}, "
        f"the file ends at #{events - 2} {SEEN}",
    )


def test_a_rewritten_feed_is_caught_even_when_longer(
    cli, incident: Path, bob: Path, settle
) -> None:
    """An older copy, written on past what this user saw: seqs go forward, history not."""
    note(cli, incident, "bob 1", bob)
    settle(incident)
    old = incident.with_name("old-copy.db")
    shutil.copyfile(incident, old)
    note(cli, incident, "bob 2 (the one this user saw)", bob)
    assert cli("info", incident).returncode == 0
    elsewhere = bob.with_name("config-bob-elsewhere")  # bob's key, on another machine
    elsewhere.mkdir(mode=0o700)
    shutil.copy2(bob / "device.key", elsewhere / "device.key")
    for i in range(2):
        note(cli, old, f"bob's other history {i}", elsewhere)
    settle(old)
    settle(incident)
    shutil.copyfile(old, incident)
    assert_caught(
        cli,
        incident,
        dev8(bob),
        "rewritten: its event #2 is not the one you have seen (an altered or older copy "
        "of the file)",
    )


def test_heads_move_forward_and_honest_use_raises_no_alarm(
    cli, incident: Path, bob: Path, config_dir: Path
) -> None:
    for i in range(2):
        note(cli, incident, f"ann {i}")
        note(cli, incident, f"bob {i}", bob)
    proc = cli("verify", incident)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    info = json.loads(cli("info", incident, "--format", "json").stdout)
    assert info["incident_id"] == incident_hex(incident)
    assert info["rollbacks"] == 0
    known = config_dir / "known-heads" / f"{info['incident_id']}.json"
    heads = json.loads(known.read_text())["heads"]
    ann, bob_key = (load_device(d).public_key.hex() for d in (config_dir, bob))
    assert set(heads) == {ann, bob_key}
    assert heads[bob_key][0] == 2
    assert heads[ann][0] == next(d["events"] for d in info["devices"] if d["this"])
    assert stat.S_IMODE(known.stat().st_mode) == 0o600
    assert stat.S_IMODE(known.parent.stat().st_mode) == 0o700
    leftovers = [p.name for p in known.parent.iterdir() if p.name not in (known.name, ".lock")]
    assert leftovers == []
    assert "passphrase" not in known.read_text()
    with (bob / "known-heads" / known.name).open() as fh:  # bob remembers too
        assert set(json.load(fh)["heads"]) == {ann, bob_key}


def test_a_fresh_user_cannot_tell(cli, incident: Path, bob: Path, tmp_path: Path) -> None:
    """What remains: with no known heads (a fresh user, a fresh machine), a rollback
    to before the first open is not seen. The README says so."""
    note(cli, incident, "bob 1", bob)
    note(cli, incident, "bob 2", bob)
    key = load_device(bob).public_key
    run_sql(
        incident,
        ("DELETE FROM events WHERE seq=2 AND dev=(SELECT id FROM devices WHERE key=?)", (key,)),
    )
    fresh = tmp_path / "config-fresh"
    fresh.mkdir(mode=0o700)
    proc = cli("verify", incident, config_dir=fresh)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    # ... but bob's own device remembers its feed.
    proc = cli("verify", incident, config_dir=bob)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1].startswith(f"warroom: verify failed: device {dev8(bob)}")


def test_an_unwritable_config_dir_costs_the_anchor_not_the_command(
    cli, incident: Path, config_dir: Path
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes through directory permissions")
    config_dir.chmod(0o500)
    try:
        proc = cli("note", incident, "still works")
        assert proc.returncode == 0, proc.stderr
    finally:
        config_dir.chmod(0o700)


def test_concurrent_writers_and_readers_raise_no_false_alarm(
    cli, incident: Path, bob: Path
) -> None:
    """Known heads are read before the rows and recorded after a commit: readers racing
    writers of the same OS user (one config dir) must never see the file "behind"."""
    for _round in range(3):
        running = []
        for i in range(4):
            config = bob if i % 2 else None
            running.append(
                cli.popen(["-m", "warroom", "note", incident, f"n{i}"], config_dir=config)
            )
            running.append(cli.popen(["-m", "warroom", "verify", incident], config_dir=config))
        for proc in running:
            stdout, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, stderr
            assert stderr == "", stderr
