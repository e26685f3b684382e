"""`warroom passwd PATH`: the data key wrapped anew under a new passphrase, atomically.

Through the real command line: the old passphrase stops working, the new one
works, the events are untouched; at a terminal the new one is asked twice; and a
passwd killed at any moment leaves a file that opens with exactly one of the two.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from privatefile import private_file
from ptyterm import PtyTerminal

from warroom.device import save_name
from warroom.session import Session, WrongPassphrase

NEW = "a new passphrase: violet kettle orbit"


def snapshot(path: Path) -> tuple[dict, list]:
    conn = sqlite3.connect(path)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        events = conn.execute(
            "SELECT d.key, e.seq, e.prev, e.box, e.sig FROM events e "
            "JOIN devices d ON d.id = e.dev ORDER BY d.key, e.seq"
        ).fetchall()
    finally:
        conn.close()
    return meta, events


def opens_with(path: Path, *passphrases: str) -> list[str]:
    """Which of the passphrases open the file."""
    found = []
    for passphrase in passphrases:
        try:
            Session.unlock(path, passphrase).close()
        except WrongPassphrase:
            continue
        found.append(passphrase)
    return found


@pytest.fixture
def new_file(tmp_path: Path) -> Path:
    return private_file(tmp_path / "new-passphrase.txt", NEW)


def test_passwd_rewraps_the_key(
    cli, incident: Path, passphrase: str, new_file: Path, tmp_path: Path
) -> None:
    assert cli("note", incident, "before the change").returncode == 0
    before_meta, before_events = snapshot(incident)
    timeline = cli("timeline", incident).stdout

    proc = cli("passwd", incident, "--new-passphrase-file", new_file)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"Passphrase changed for {incident}: use the new one from now on.\n"
    assert proc.stderr == ""

    proc = cli("timeline", incident)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "warroom: wrong passphrase\n"
    proc = cli("timeline", incident, passphrase_file=new_file)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == timeline
    proc = cli("verify", incident, passphrase_file=new_file)
    assert proc.returncode == 0, proc.stderr

    after_meta, after_events = snapshot(incident)
    assert after_events == before_events  # not one event touched
    changed = {k for k in before_meta if before_meta[k] != after_meta[k]}
    assert changed == {"salt", "wrapped_key"}  # a new salt; the same costs
    assert opens_with(incident, passphrase, NEW) == [NEW]


def test_the_old_wrapped_key_is_not_left_in_the_file(
    cli, incident: Path, passphrase: str, new_file: Path
) -> None:
    """Someone with the old passphrase and a copy of the file taken after the change
    must not find the old header in it: not in the page's free space, not in the WAL,
    even while another responder has the incident open (their reader holds the WAL)."""
    old_meta, _ = snapshot(incident)
    with Session.unlock(incident, passphrase) as console:  # another open console
        proc = cli("passwd", incident, "--new-passphrase-file", new_file)
        assert proc.returncode == 0, proc.stderr
        on_disk = b"".join(
            p.read_bytes() for p in (incident, Path(f"{incident}-wal")) if p.exists()
        )
        assert old_meta["wrapped_key"] not in on_disk
        assert old_meta["salt"] not in on_disk
        console.add_note("the open console goes on writing")  # same data key
    assert opens_with(incident, passphrase, NEW) == [NEW]


def test_wrong_old_passphrase_changes_nothing(
    cli, incident: Path, new_file: Path, tmp_path: Path
) -> None:
    before = snapshot(incident)
    wrong = private_file(tmp_path / "wrong.txt", "not the passphrase")
    proc = cli("passwd", incident, "--new-passphrase-file", new_file, passphrase_file=wrong)
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", "warroom: wrong passphrase\n")
    assert snapshot(incident) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("\n", "has an empty first line", id="empty"),
        pytest.param(None, "cannot read passphrase file", id="missing"),
    ],
)
def test_a_bad_new_passphrase_file_is_one_clear_line(
    cli, incident: Path, tmp_path: Path, content: str | None, message: str
) -> None:
    before = snapshot(incident)
    path = tmp_path / "new.txt"
    if content is not None:
        path.write_text(content)
        path.chmod(0o600)
    proc = cli("passwd", incident, "--new-passphrase-file", path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: ") and message in lines[0], lines
    assert snapshot(incident) == before


def test_without_a_terminal_the_new_passphrase_must_come_from_a_file(cli, incident: Path) -> None:
    before = snapshot(incident)
    proc = cli("passwd", incident)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        "warroom: no new passphrase: use --new-passphrase-file, or run it at a terminal\n"
    )
    assert snapshot(incident) == before


def test_at_a_terminal_the_new_passphrase_is_asked_twice(
    cli, incident: Path, passphrase: str
) -> None:
    save_name(cli.config_dir, "Ann")  # not asked for a name: this test is about passphrases
    env = cli.env()
    argv = [sys.executable, "-m", "warroom", "passwd", str(incident)]
    with PtyTerminal(argv, cols=100, env=env, cwd=cli.cwd) as term:
        term.wait_for("New passphrase:")
        term.burst("typed at the terminal\r")
        term.wait_for("Repeat the new passphrase:")
        term.burst("a typo\r")
        term.wait_for("do not match")
        term.wait_until(lambda: term._unlocked_count("New passphrase:") == 2)
        term.burst("typed at the terminal\r")
        term.wait_until(lambda: term._unlocked_count("Repeat the new passphrase:") == 2)
        term.burst("typed at the terminal\r")
        assert term.wait_exit(30) == 0, term.screen_dump()
        assert "typed at the terminal" not in term.raw.decode(errors="replace")  # no echo
    assert opens_with(incident, passphrase, "typed at the terminal") == ["typed at the terminal"]


def wait_for_reader(fifo: Path, proc: subprocess.Popen, timeout: float = 30) -> int:
    """Open the FIFO for writing once `proc` has opened it for reading."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: no reader yet
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.005)
    raise AssertionError("passwd never opened the new-passphrase FIFO")


def run_passwd(
    cli, incident: Path, fifo: Path, old_file: Path, new: str, stop_after: float | None
) -> float:
    """Start passwd; hand it the new passphrase through a FIFO (so the moment it has
    read both passphrases is known); `stop_after` seconds later SIGSTOP then SIGKILL
    it (None: let it finish). Returns the seconds from the hand-over to the end."""
    proc = cli.start("passwd", incident, "--new-passphrase-file", fifo, passphrase_file=old_file)
    try:
        fd = wait_for_reader(fifo, proc)
        os.write(fd, (new + "\n").encode())
        os.close(fd)
        handed = time.monotonic()
        if stop_after is None:
            _, stderr = proc.communicate(timeout=60)
            assert proc.returncode == 0, stderr
            return time.monotonic() - handed
        time.sleep(stop_after)
        with contextlib.suppress(ProcessLookupError):  # it may have finished already
            os.kill(proc.pid, signal.SIGSTOP)
            os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        return time.monotonic() - handed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_passwd_killed_at_any_moment_leaves_exactly_one_passphrase(
    cli, incident: Path, passphrase: str, new_file: Path, tmp_path: Path
) -> None:
    """Killed from the moment it has both passphrases to past the end: a coarse sweep
    finds when the change lands, then bisection aims the kills at that moment (the
    KDF and the one transaction). Every kill must leave exactly one passphrase."""
    assert cli("note", incident, "must survive").returncode == 0
    _, events = snapshot(incident)
    fifo = tmp_path / "new.fifo"
    os.mkfifo(fifo, 0o600)
    files = {passphrase: cli.passphrase_file, NEW: new_file}
    current = [passphrase]

    def killed_at(delay: float) -> bool:
        """One passwd from the current passphrase to the other; whether it changed."""
        old = current[0]
        run_passwd(cli, incident, fifo, files[old], NEW if old == passphrase else passphrase, delay)
        works = opens_with(incident, passphrase, NEW)
        assert len(works) == 1, (delay, works)
        assert snapshot(incident)[1] == events
        current[0] = works[0]
        return works[0] != old

    # How long a whole run takes from the hand-over (it changes the passphrase too).
    full = run_passwd(cli, incident, fifo, files[passphrase], NEW, None)
    current[0] = NEW
    outcomes = []
    low, high = 0.0, None
    for step in range(40):  # the coarse sweep: from at once to well past the end
        delay = full * step / 8
        outcomes.append(killed_at(delay))
        if outcomes[-1]:
            high = delay
            break
        low = delay
    assert high is not None, outcomes
    for _ in range(6):  # bisection, towards the moment the new header lands
        middle = (low + high) / 2
        outcomes.append(killed_at(middle))
        low, high = (low, middle) if outcomes[-1] else (middle, high)
    assert False in outcomes and True in outcomes, outcomes
