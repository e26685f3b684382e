"""`warroom note` appends without folding the file: it decrypts each device's newest
row and nothing else, its row still chains to the device's last one, and damage it did
not read is still caught by `verify` and by the next command that reads everything."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from warroom.session import Session

NOTES = 200

COUNTING = """
import sys
from warroom import ledger

def close(self, _close=ledger.Ledger.close):
    print(f"rows opened: {self.opened}", file=sys.stderr)
    _close(self)

ledger.Ledger.close = close
from warroom.cli import cli
cli(sys.argv[1:], prog_name="warroom")
"""
"""Runs the real command line, and says how many rows its ledger decrypted."""


def opened(cli, *args: str | Path) -> tuple[int, str]:
    proc = cli.popen(["-c", COUNTING, *args])
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    counts = re.findall(r"^rows opened: (\d+)$", stderr, re.MULTILINE)
    assert len(counts) == 1, stderr
    return int(counts[0]), stdout


def fill(path: Path, passphrase: str) -> None:
    with Session.unlock(path, passphrase) as s:
        s.add_notes([f"note {i}" for i in range(NOTES)])


def test_note_decrypts_only_the_heads(cli, incident: Path, passphrase: str) -> None:
    fill(incident, passphrase)
    rows, stdout = opened(cli, "note", incident, "cheap")
    assert rows == 1  # one device: its newest row, of 215
    entry = stdout.strip()
    rows, stdout = opened(cli, "timeline", incident)
    assert rows == 1 + 14 + NOTES + 1  # the timeline folds everything
    assert stdout.splitlines()[-1].endswith(f"cheap  ({entry})")
    assert cli("verify", incident).returncode == 0


def test_damage_before_a_cheap_note_is_caught_after_it(
    cli, incident: Path, passphrase: str
) -> None:
    fill(incident, passphrase)
    conn = sqlite3.connect(incident, isolation_level=None)
    conn.execute("DELETE FROM events WHERE seq=100")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    conn.close()

    proc = cli("note", incident, "after the damage")
    assert proc.returncode == 0, proc.stderr
    entry = proc.stdout.strip()

    proc = cli("verify", incident)
    assert proc.returncode == 1
    assert "#101: events 100..100 of this device are missing" in proc.stderr.splitlines()[-1]
    proc = cli("timeline", incident)
    assert proc.returncode == 0
    assert "#101: events 100..100 of this device are missing (run `warroom verify`)" in (
        proc.stderr
    )
    assert proc.stdout.splitlines()[-1].endswith(f"after the damage  ({entry})")
    # The new row chains to the device's last row: only the deleted one is a problem.
    assert len([line for line in proc.stderr.splitlines() if "warning" in line]) == 1


def test_other_append_only_commands_decrypt_only_the_heads(
    cli, incident: Path, passphrase: str
) -> None:
    fill(incident, passphrase)
    cheap = [
        ("incident", "set", incident, "summary", "replica exposed"),
        ("followup", "add", incident, "rotate the svc-backup key"),
        ("roster", "add", incident, "Ann Lee", "--email", "ann@example.com"),
    ]
    for args in cheap:
        rows, _ = opened(cli, *args)
        assert rows == 1, args  # the device's newest row only
    # What needs the state still reads it all: a role looks the person up, and a
    # status change says when the incident was resolved.
    rows, _ = opened(cli, "roster", "add", incident, "Bob Stone", "--role", "scribe")
    assert rows > NOTES
    rows, stdout = opened(cli, "incident", "set", incident, "status", "resolved")
    assert rows > NOTES and "review due" in stdout
    state = cli("show", incident, "--format", "json")
    assert "rotate the svc-backup key" in state.stdout
    assert "replica exposed" in state.stdout and "Ann Lee" in state.stdout
    assert cli("verify", incident).returncode == 0
