"""Bad input on the command line: exit 2, one clear line on stderr, no traceback,
and nothing written to the incident file."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from warroom.device import load_device
from warroom.session import Session


def files_digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


def event_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()


def assert_error(proc, needle: str, *, exit_code: int = 2) -> str:
    """One `warroom: ...` line on stderr that says `needle`; nothing else."""
    assert proc.returncode == exit_code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("warroom: "), proc.stderr
    assert needle in lines[0], proc.stderr
    return lines[0]


def assert_usage_error(proc, needle: str) -> str:
    """click's usage errors: a usage hint, then exactly one `Error: ...` line saying `needle`."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, proc.stderr
    assert needle in errors[0], proc.stderr
    return errors[0]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, passphrase: str, settle) -> Path:
    """One security incident with two notes, made once per module, settled."""
    directory = tmp_path_factory.mktemp("template")
    path = directory / "inc.db"
    device = load_device(directory / "config")
    with Session.create(
        path, passphrase, kdf="interactive", codename="amber-heron", device=device
    ) as session:
        session.add_note("db-replica-2 stopped", kind="action")
        session.add_note("first scan from 198.51.100.23", kind="attacker")
    settle(path)
    return path


@pytest.fixture
def busy_incident(template: Path, tmp_path: Path) -> Path:
    """A private copy of the template."""
    directory = tmp_path / "incident"
    directory.mkdir()
    path = directory / "inc.db"
    shutil.copyfile(template, path)
    return path


# -- wrong passphrase ---------------------------------------------------------


WRONG_COMMANDS = [
    ("verify",),
    ("timeline", "--format", "json"),
    ("note", "{path}", "must not be written"),
    ("roster", "add", "{path}", "Mallory", "--role", "ic"),
    ("step", "set", "{path}", "stop-attack", "done"),
]


@pytest.mark.parametrize("command", WRONG_COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_wrong_passphrase_changes_nothing(
    cli, busy_incident: Path, tmp_path: Path, command, settle
):
    path = busy_incident
    before_files = files_digest(path.parent)
    before_events = event_count(path)
    settle(path)
    assert files_digest(path.parent) == before_files
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Correct horse battery staple\n", encoding="utf-8")
    wrong.chmod(0o600)  # else the warning about its mode is a second line

    args = [a.format(path=path) for a in command]
    if "{path}" not in command:
        args.insert(1, str(path))
    proc = cli(*args, passphrase_file=wrong)

    line = assert_error(proc, "wrong passphrase")
    assert line == "warroom: wrong passphrase"
    assert proc.stdout == ""
    assert files_digest(path.parent) == before_files, "the file changed on a wrong passphrase"
    assert event_count(path) == before_events
    assert files_digest(path.parent) == before_files


# -- not an incident file ------------------------------------------------------


def test_missing_file(cli, tmp_path: Path):
    missing = tmp_path / "nowhere" / "inc.db"
    for args in (("verify", missing), ("note", missing, "hello")):
        assert_error(cli(*args), "no such file")
    assert not missing.exists()
    assert not missing.parent.exists()


def test_missing_file_in_existing_dir_is_not_created(cli, tmp_path: Path):
    missing = tmp_path / "inc.db"
    assert_error(cli("note", missing, "hello"), "no such file")
    assert not missing.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("inc.db")) == []


def make_foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT, total REAL)")
    conn.execute("INSERT INTO invoices (customer, total) VALUES ('ACME', 1234.5)")
    conn.commit()
    conn.close()


def test_non_incident_sqlite_file(cli, tmp_path: Path):
    other = tmp_path / "other.db"
    make_foreign_sqlite(other)
    for args in (("verify", other), ("note", other, "hello")):
        assert_error(cli(*args), "not a warroom incident file")


def test_sqlite_file_with_a_meta_table_but_not_ours(cli, tmp_path: Path):
    other = tmp_path / "meta.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
    conn.execute("INSERT INTO meta VALUES ('format', 1)")
    conn.commit()
    conn.close()
    assert_error(cli("verify", other), "not a warroom incident file")


def test_non_incident_sqlite_file_is_left_unchanged(cli, tmp_path: Path):
    other = tmp_path / "other.db"
    make_foreign_sqlite(other)
    before = files_digest(tmp_path)
    assert_error(cli("verify", other), "not a warroom incident file")
    assert files_digest(tmp_path) == before


def test_empty_file(cli, tmp_path: Path):
    empty = tmp_path / "empty.db"
    empty.touch()
    assert_error(cli("verify", empty), "not a warroom incident file")
    assert empty.read_bytes() == b""


def test_text_file(cli, tmp_path: Path):
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\n" * 100)
    assert_error(cli("timeline", text), "not a warroom incident file")


def test_directory_as_path(cli, tmp_path: Path):
    directory = tmp_path / "adir.db"
    directory.mkdir()
    for args in (("verify", directory), ("init", directory)):
        assert_usage_error(cli(*args), "is a directory")
    assert list(directory.iterdir()) == []


@pytest.fixture
def big_incident(busy_incident: Path, passphrase: str, settle) -> Path:
    """Enough events that the events table spans most of the file."""
    with Session.unlock(busy_incident, passphrase) as session:
        session.add_notes([f"note {i}: " + "x" * 200 for i in range(300)])
    settle(busy_incident)
    return busy_incident


@pytest.mark.parametrize("size", ["half", 100, 4096])
def test_truncated_incident_file(cli, big_incident: Path, size):
    path = big_incident
    full = path.stat().st_size
    assert full > 64 * 1024
    new_size = full // 2 if size == "half" else size
    with path.open("r+b") as fh:
        fh.truncate(new_size)
    for args in (("verify", path), ("note", path, "after truncation")):
        proc = cli(*args)
        assert_error(proc, "not a warroom incident file")
    assert path.stat().st_size == new_size


def test_init_refuses_an_existing_incident(cli, incident: Path, settle):
    path = incident
    assert cli("note", path, "a note, so there is more than the declaration").returncode == 0
    settle(path)
    before = files_digest(path.parent)
    proc = cli("init", path, "--kdf", "interactive", "--codename", "other-name")
    assert_error(proc, "already exists")
    assert files_digest(path.parent) == before


def test_init_refuses_any_existing_file(cli, tmp_path: Path):
    path = tmp_path / "precious.db"
    path.write_bytes(b"not yours\n")
    proc = cli("init", path, "--kdf", "interactive")
    assert_error(proc, "already exists")
    assert path.read_bytes() == b"not yours\n"
    empty = tmp_path / "empty.db"
    empty.touch()
    assert_error(cli("init", empty, "--kdf", "interactive"), "already exists")
    assert empty.read_bytes() == b""


# -- bad values ----------------------------------------------------------------


@pytest.mark.parametrize("at", ["yesterday", "2026-13-01T00:00:00Z", "1700000000"])
def test_bad_at_value(cli, busy_incident: Path, at: str):
    before = event_count(busy_incident)
    proc = cli("note", busy_incident, "backdated", "--at", at)
    assert_error(proc, "not an ISO 8601 time")
    assert proc.stdout == ""
    assert event_count(busy_incident) == before


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_out_of_range_at_is_refused_or_harmless(cli, busy_incident: Path, at: str):
    proc = cli("note", busy_incident, "backdated a long way", "--at", at)
    if proc.returncode != 0:
        assert_error(proc, at)
        return
    for args in (("timeline", busy_incident, "--format", "json"), ("show", busy_incident)):
        after = cli(*args)
        assert after.returncode == 0, after.stderr
        assert "Traceback" not in after.stderr


def test_bad_step_id(cli, busy_incident: Path):
    before = event_count(busy_incident)
    proc = cli("step", "set", busy_incident, "no-such-step", "done")
    assert_error(proc, "no checklist step 'no-such-step'")
    assert event_count(busy_incident) == before


def test_bad_step_status(cli, busy_incident: Path):
    before = event_count(busy_incident)
    proc = cli("step", "set", busy_incident, "stop-attack", "finished")
    assert_usage_error(proc, "finished")
    assert event_count(busy_incident) == before


def test_bad_role(cli, busy_incident: Path, passphrase: str):
    before = event_count(busy_incident)
    proc = cli("roster", "add", busy_incident, "Mallory", "--role", "overlord")
    assert_usage_error(proc, "overlord")
    assert event_count(busy_incident) == before
    with Session.unlock(busy_incident, passphrase) as session:
        assert not session.state.people


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--kind", "gossip", "gossip"),
        ("--format", "xml", "xml"),
    ],
)
def test_bad_choice(cli, busy_incident: Path, option: str, value: str, needle: str):
    command = "note" if option == "--kind" else "timeline"
    args = [command, busy_incident] + (["x"] if command == "note" else [])
    assert_usage_error(cli(*args, option, value), needle)


def test_bad_passphrase_file(cli, busy_incident: Path, tmp_path: Path):
    assert_error(
        cli("verify", busy_incident, passphrase_file=tmp_path / "nope.txt"),
        "cannot read passphrase file",
    )
    blank = tmp_path / "blank.txt"
    blank.write_text("\nsecond line\n")
    blank.chmod(0o600)
    assert_error(cli("verify", busy_incident, passphrase_file=blank), "empty first line")


def test_no_passphrase_without_a_terminal_is_a_usage_error(cli, busy_incident: Path):
    proc = cli("verify", busy_incident, passphrase_file=None)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr


def test_good_commands_still_work(cli, busy_incident: Path):
    """Sanity: the error tests above fail for the reason they say, not a broken setup."""
    proc = cli("timeline", busy_incident, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    texts = [row["text"] for row in json.loads(proc.stdout)]
    assert "db-replica-2 stopped" in texts
    assert cli("verify", busy_incident).returncode == 0


# -- times given by hand (issue #10) ---------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (
            "1970-01-01T00:00:00Z",  # the epoch: 0 ms, once taken silently as "now"
            "--at '1970-01-01T00:00:00Z' is before 1990-01-01: not a time an incident happened",
        ),
        (
            "1989-12-31T23:59:59Z",
            "--at '1989-12-31T23:59:59Z' is before 1990-01-01: not a time an incident happened",
        ),
        ("2100-01-01T00:00:00Z", "--at '2100-01-01T00:00:00Z' is more than a day after"),
    ],
)
def test_an_insane_at_is_refused(cli, busy_incident: Path, at: str, expected: str):
    before = event_count(busy_incident)
    proc = cli("note", busy_incident, "backdated", "--at", at)
    line = assert_error(proc, expected)
    assert line.startswith(f"warroom: {expected}")
    assert proc.stdout == ""
    assert event_count(busy_incident) == before


def test_an_at_more_than_a_day_ahead_is_refused_and_within_a_day_taken(cli, busy_incident: Path):
    now = datetime.now(UTC)
    late = (now + timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_error(cli("note", busy_incident, "too late", "--at", late), "more than a day after")
    soon = (now + timedelta(hours=23)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for at in ("1990-01-01T00:00:00Z", soon):
        proc = cli("note", busy_incident, f"at {at}", "--at", at)
        assert proc.returncode == 0, proc.stderr
    rows = json.loads(cli("timeline", busy_incident, "--format", "json").stdout)
    assert {row["text"]: row["at"] for row in rows if row["text"].startswith("at ")} == {
        "at 1990-01-01T00:00:00Z": "1990-01-01T00:00:00Z",
        f"at {soon}": soon,
    }


# -- the passphrase file's mode (issue #10) --------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_passphrase_file_others_can_read_draws_a_warning(
    cli, busy_incident: Path, passphrase: str, tmp_path: Path, mode: int
):
    """As ssh says of a private key: used, but not silently."""
    loose = tmp_path / "loose.txt"
    loose.write_text(passphrase + "\n", encoding="utf-8")
    loose.chmod(mode)
    proc = cli("verify", busy_incident, passphrase_file=loose)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        f"warroom: warning: passphrase file {loose} is accessible by group or others "
        f"(mode {mode:04o}); whoever can read it can open the incident: `chmod 600 {loose}`\n"
    )


def test_a_private_passphrase_file_draws_no_warning(
    cli, busy_incident: Path, passphrase: str, tmp_path: Path
):
    private = tmp_path / "private.txt"
    private.write_text(passphrase + "\n", encoding="utf-8")
    private.chmod(0o600)
    proc = cli("verify", busy_incident, passphrase_file=private)
    assert (proc.returncode, proc.stderr) == (0, "")
