"""`warroom join` is all or nothing: a join stopped by a hang-up (an SSH connection
that drops), SIGTERM (a timeout, systemd, a closed tmux pane) or Ctrl-C leaves no
NEWPATH behind (an empty replica that opens, verifies "ok" with 0 events and blocks
the retry), says so in one line and exits 128 + the signal's number; the retry then
makes the whole replica. The replica is built under a temporary name beside NEWPATH
and linked into place only when complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from privatefile import private_file

from warroom.device import load_device
from warroom.session import Session

NOTES = 1_500
NOTE_CHARS = 15_000
"""Some 22 MB of invite: the join writes for long enough (half a second or more) to
be caught at it."""
IC_SECRET = "ic: join-interrupted correct horse"
INVITE_SECRET = "invite: join-interrupted one-time"
SCRIBE_SECRET = "scribe: join-interrupted battery"


@pytest.fixture(scope="module")
def big_invite(tmp_path_factory: pytest.TempPathFactory, cli_factory) -> tuple[Path, int]:
    """An invite to an incident of NOTES large notes, and how many events it holds."""
    base = tmp_path_factory.mktemp("big-invite")
    ic = cli_factory(base)
    incident = base / "big.db"
    me = load_device(ic.config_dir, name="IC")
    with Session.create(incident, IC_SECRET, kdf="interactive", title="big", device=me) as s:
        for start in range(0, NOTES, 100):
            s.add_notes([f"note {i} " + "z" * NOTE_CHARS for i in range(start, start + 100)])
        events = s.store.count()
    secret = private_file(base / "ic-pass.txt", IC_SECRET)
    invite_pass = private_file(base / "invite-pass.txt", INVITE_SECRET)
    out = base / "big.invite"
    proc = ic("invite", incident, "--out", out, "--invite-passphrase-file", invite_pass,
              passphrase_file=secret)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out, events


def _leftovers(directory: Path, name: str) -> list[str]:
    """What a join of `name` left in `directory`: NEWPATH, its -wal/-shm/-journal, or a
    temporary file of the join."""
    return sorted(p.name for p in directory.iterdir() if name in p.name)


def _wait_for_writing(proc: subprocess.Popen[str], directory: Path, name: str) -> None:
    """Until the join has made a file in `directory` (it is writing the replica)."""
    deadline = time.monotonic() + 60
    while not _leftovers(directory, name):
        assert proc.poll() is None, f"the join ended first: {proc.communicate()}"
        assert time.monotonic() < deadline, "the join made no file in 60 s"
        time.sleep(0.002)


def _join_stopped(
    cli, tmp_path: Path, invite: Path, sig: signal.Signals
) -> tuple[subprocess.Popen[str], str, str, tuple[str | Path, ...], Path]:
    """Start a join of `invite`, send `sig` once it is writing; the process, its
    output, the join's arguments and NEWPATH."""
    invite_pass = private_file(tmp_path / "invite-pass.txt", INVITE_SECRET)
    where = tmp_path / "replicas"
    where.mkdir()
    newpath = where / "mine.db"
    join = ("join", invite, newpath, "--kdf", "interactive", "--invite-passphrase-file",
            invite_pass)  # fmt: skip
    proc = cli.start(*join, passphrase_file=tmp_path / "scribe-pass.txt")
    try:
        _wait_for_writing(proc, where, newpath.name)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Joined" not in out, "the join finished before the signal: make NOTES larger"
    return proc, out, err, join, newpath


def _check_retry(cli, join: tuple[str | Path, ...], newpath: Path, events: int) -> None:
    """The same join again makes the whole replica, and leaves nothing else."""
    scribe_pass = newpath.parent.parent / "scribe-pass.txt"
    retry = cli(*join, passphrase_file=scribe_pass)
    assert retry.returncode == 0, retry.stderr
    assert _leftovers(newpath.parent, newpath.name) == ["mine.db"]
    assert oct(newpath.stat().st_mode & 0o777) == oct(0o600)
    shown = cli("info", newpath, "--format", "json", passphrase_file=scribe_pass)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["events"] == events
    checked = cli("verify", newpath, passphrase_file=scribe_pass)
    assert checked.returncode == 0, checked.stderr
    assert f"{events} events" in checked.stdout


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT])
def test_a_join_stopped_while_writing_leaves_nothing_and_the_retry_works(
    cli, tmp_path: Path, big_invite: tuple[Path, int], sig: signal.Signals
) -> None:
    invite, events = big_invite
    private_file(tmp_path / "scribe-pass.txt", SCRIBE_SECRET)
    proc, out, err, join, newpath = _join_stopped(cli, tmp_path, invite, sig)

    assert not os.path.lexists(newpath)
    assert _leftovers(newpath.parent, newpath.name) == []  # no temporary file either
    assert proc.returncode == 128 + sig, (proc.returncode, out, err)
    assert err == "warroom: join interrupted; nothing was written\n"
    _check_retry(cli, join, newpath, events)


def test_a_join_killed_outright_leaves_no_newpath_and_the_retry_sweeps_its_leftover(
    cli, tmp_path: Path, big_invite: tuple[Path, int]
) -> None:
    """SIGKILL cannot be caught: its temporary file stays, hidden, until the next join."""
    invite, events = big_invite
    private_file(tmp_path / "scribe-pass.txt", SCRIBE_SECRET)
    proc, _, _, join, newpath = _join_stopped(cli, tmp_path, invite, signal.SIGKILL)

    assert proc.returncode == -signal.SIGKILL
    assert not os.path.lexists(newpath)
    left = _leftovers(newpath.parent, newpath.name)
    assert left and all(name.startswith(".mine.db.join-") for name in left), left
    _check_retry(cli, join, newpath, events)
