"""Free text off the command line (issue #10): a command line is readable by every
user of the host (/proc/PID/cmdline, ps), so every free-text value can come from
standard input instead, read as strict UTF-8 and never past its cap.

The secrecy tests start the real command with a standard input that stays silent
for a while, read every process's /proc/PID/cmdline as another user would, and only
then write the secret: it must be in the incident, and in no command line."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cmdlines import all_cmdlines

from warroom.device import save_name

SECRET = "ACME-7731 breach: attacker holds db creds for payroll-prod"
"""Text that must never show in a command line."""


def run_watched(cli, args: list[str], stdin_text: str, secret: str) -> subprocess.CompletedProcess:
    """Run the command with a standard input that stays silent while every command line
    on the host is read (several times, over half a second); then feed it."""
    proc = cli.start(*args, stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10  # its command line shows once exec is done
        while "warroom" not in all_cmdlines().get(proc.pid, "") and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(5):
            lines = all_cmdlines()
            assert "warroom" in lines.get(proc.pid, ""), "the command is not running"
            leaks = {pid: line for pid, line in lines.items() if secret in line}
            assert leaks == {}, f"the secret is in a command line: {leaks}"
            time.sleep(0.1)
        assert proc.poll() is None, "it did not wait for its standard input"
        out, err = proc.communicate(stdin_text, timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def shown(cli, *args: str | Path) -> dict:
    proc = cli(*args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def texts(cli, path: Path) -> list[str]:
    return [row["text"] for row in shown(cli, "timeline", path)]


# -- the scanner sees what it is meant to catch --------------------------------


def test_the_scanner_catches_text_in_argv(cli, incident: Path, tmp_path: Path) -> None:
    """The control: the old form, `note PATH TEXT`, held waiting on a passphrase FIFO,
    shows TEXT to every user. (So an empty scan above means something.)"""
    fifo = tmp_path / "pass.fifo"
    os.mkfifo(fifo, 0o600)
    proc = cli.start("note", incident, SECRET + " (argv)", passphrase_file=fifo)
    try:
        deadline = time.monotonic() + 10
        while SECRET not in all_cmdlines().get(proc.pid, "") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert SECRET + " (argv)" in all_cmdlines()[proc.pid]
        with open(fifo, "w", encoding="utf-8") as fh:  # noqa: PTH123  (a FIFO)
            fh.write(cli.passphrase_file.read_text(encoding="utf-8"))
        assert proc.wait(timeout=60) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert texts(cli, incident)[-1] == SECRET + " (argv)"  # the old form still works


# -- every free text, from standard input --------------------------------------


def test_note_from_stdin_never_shows_in_a_command_line(cli, incident: Path) -> None:
    proc = run_watched(cli, ["note", str(incident), "-"], SECRET + "\nsecond line\n", SECRET)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    assert texts(cli, incident)[-1] == SECRET + "\nsecond line"


def test_note_with_no_text_reads_stdin_when_it_is_not_a_terminal(cli, incident: Path) -> None:
    proc = run_watched(cli, ["note", str(incident), "--kind", "action"], SECRET + "\n", SECRET)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    rows = shown(cli, "timeline", incident)
    assert (rows[-1]["kind"], rows[-1]["text"]) == ("action", SECRET)


def test_note_from_json_takes_text_author_and_tags(cli, incident: Path) -> None:
    data = {"text": SECRET, "author": "Ann Lee", "tags": ["payroll", "creds"]}
    proc = run_watched(cli, ["note", str(incident), "--from-json", "-"], json.dumps(data), SECRET)
    assert proc.returncode == 0, proc.stderr
    row = shown(cli, "timeline", incident)[-1]
    assert (row["text"], row["author"], row["tags"]) == (SECRET, "Ann Lee", ["payroll", "creds"])


def test_init_title_from_stdin(cli, tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    args = ["init", str(path), "--kdf", "interactive", "--title", "-"]
    proc = run_watched(cli, args, SECRET + "\n", SECRET)
    assert proc.returncode == 0, proc.stderr
    assert shown(cli, "show", path)["incident"]["title"] == SECRET


def test_incident_set_summary_from_stdin(cli, incident: Path) -> None:
    proc = run_watched(cli, ["incident", "set", str(incident), "summary", "-"], SECRET, SECRET)
    assert proc.returncode == 0, proc.stderr
    assert shown(cli, "show", incident)["incident"]["summary"] == SECRET


def test_roster_add_from_json(cli, incident: Path) -> None:
    secret_phone = "+1 202 555 0199"
    data = {"name": "Ann Lee", "email": "ann.lee@example.com", "phone": secret_phone}
    args = ["roster", "add", str(incident), "--role", "legal", "--from-json", "-"]
    proc = run_watched(cli, args, json.dumps(data), secret_phone)
    assert proc.returncode == 0, proc.stderr
    (person,) = shown(cli, "show", incident)["roster"]
    assert (person["name"], person["email"], person["phone"], person["roles"]) == (
        "Ann Lee",
        "ann.lee@example.com",
        secret_phone,
        ["legal"],
    )


def test_evidence_add_from_json(cli, incident: Path) -> None:
    data = {"description": SECRET, "location": "vault 3, shelf B", "collected_by": "Ann"}
    args = ["evidence", "add", str(incident), "--kind", "log-export", "--from-json", "-"]
    proc = run_watched(cli, args, json.dumps(data), SECRET)
    assert proc.returncode == 0, proc.stderr
    (row,) = shown(cli, "evidence", "list", incident)
    assert (row["item"], row["location"], row["collected_by"]) == (
        SECRET,
        "vault 3, shelf B",
        "Ann",
    )


def test_evidence_note_from_stdin(cli, incident: Path) -> None:
    added = cli("evidence", "add", incident, "--kind", "other", "--description", "usb stick",
                "--location", "safe")  # fmt: skip
    assert added.returncode == 0, added.stderr
    evidence_id = added.stdout.split()[0]
    args = ["evidence", "note", str(incident), evidence_id, "-"]
    proc = run_watched(cli, args, SECRET, SECRET)
    assert proc.returncode == 0, proc.stderr
    (row,) = shown(cli, "evidence", "list", incident)
    assert row["custody"][-1]["text"] == SECRET


def test_followup_add_from_stdin(cli, incident: Path) -> None:
    proc = run_watched(cli, ["followup", "add", str(incident), "-"], SECRET, SECRET)
    assert proc.returncode == 0, proc.stderr
    assert [f["title"] for f in shown(cli, "followup", "list", incident)] == [SECRET]


def test_iocs_confirm_from_json(cli, incident: Path) -> None:
    data = {"value": "203.0.113.77", "note": SECRET}
    args = ["iocs", "confirm", str(incident), "--from-json", "-"]
    proc = run_watched(cli, args, json.dumps(data), "203.0.113.77")
    assert proc.returncode == 0, proc.stderr
    (row,) = [r for r in shown(cli, "iocs", "list", incident) if r["value"] == "203.0.113.77"]
    assert (row["status"], row["note"]) == ("confirmed", SECRET)


def test_step_assignee_from_stdin(cli, incident: Path) -> None:
    args = ["step", "set", str(incident), "stop-attack", "doing", "--assignee", "-"]
    proc = run_watched(cli, args, "Ann Lee (on leave, covering)\n", "on leave")
    assert proc.returncode == 0, proc.stderr
    (step,) = [s for s in shown(cli, "show", incident)["checklist"] if s["id"] == "stop-attack"]
    assert step["assignee"] == "Ann Lee (on leave, covering)"


# -- at a terminal: asked for, one line -----------------------------------------


@pytest.fixture
def named(config_dir: Path) -> None:
    """A display name already saved, so a terminal asks only for the note."""
    save_name(config_dir, "Tester")


def test_note_with_no_text_at_a_terminal_asks_for_one_line(
    cli, incident: Path, named: None
) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "warroom", "note", str(incident)],
        env=cli.env(),
        cwd=cli.cwd,
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    try:
        seen = b""
        deadline = time.monotonic() + 30
        while b"The note: " not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                seen += os.read(master, 1024)
        assert b"The note: " in seen, seen
        os.write(master, (SECRET + "\n").encode())
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert texts(cli, incident)[-1] == SECRET


# -- bad and oversized input -----------------------------------------------------


def assert_one_line(proc, expected: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr == f"warroom: {expected}\n"
    assert proc.stdout == ""


def test_a_byte_that_is_not_utf8_on_stdin_is_one_line(cli, incident: Path) -> None:
    before = texts(cli, incident)
    proc = subprocess.run(
        [sys.executable, "-m", "warroom", "note", str(incident), "-"],
        env=cli.env(),
        cwd=cli.cwd,
        input=b"payroll \xff creds\n",
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.decode() == (
        "warroom: the note: standard input is not valid UTF-8 (the byte 0xFF)\n"
    )
    assert texts(cli, incident) == before


def test_a_note_over_the_os_argument_limit_comes_through_stdin(cli, incident: Path) -> None:
    """200,000 characters cannot be one argument (Linux: 128 KiB, "Argument list too
    long"); on standard input they reach warroom, whose cap then refuses them in one
    line. A note at the cap goes through."""
    too_long = "y" * 200_000
    with pytest.raises(OSError, match="Argument list too long"):
        subprocess.run([sys.executable, "-c", "pass", too_long], check=False)
    proc = cli("note", incident, "-", input=too_long)
    assert_one_line(proc, "the note is more than 16,000 characters; the most is 16,000")
    at_cap = "z" * 15_999 + "\u00e9"
    proc = cli("note", incident, "-", input=at_cap + "\n")
    assert proc.returncode == 0, proc.stderr
    assert texts(cli, incident)[-1] == at_cap


MEASURED = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(code)\n"
)
"""Runs a command and prints its peak RSS in KiB. Through this small process, not
straight from pytest: a child's peak counts what its parent held when it forked."""


def test_a_hundred_megabytes_on_stdin_is_refused_without_reading_them(cli, incident: Path) -> None:
    """Refused after a cap's worth: the process stays small and quick, and the writer
    gets a broken pipe rather than having 100 MB swallowed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", MEASURED, sys.executable, "-m", "warroom", "note", incident, "-"],
        env=cli.env(),
        cwd=cli.cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    chunk = b"x" * (1 << 20)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            for _ in range(100):
                proc.stdin.write(chunk)
            proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    started = time.monotonic()
    writer.start()
    proc.wait(timeout=60)  # not communicate(): it would close stdin under the writer
    elapsed = time.monotonic() - started
    writer.join(timeout=10)
    out, err = proc.stdout.read(), proc.stderr.read()  # a line each: no pipe filled up
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == 2, err
    assert err.decode() == (
        "warroom: the note is more than 16,000 characters; the most is 16,000\n"
    )
    peak_kib = int(out)
    assert peak_kib < 80 * 1024, f"peak RSS {peak_kib} KiB"  # 100 MB read would be > 200
    assert elapsed < 10
    assert texts(cli, incident)[-1] != "x"


def test_a_note_in_argv_over_the_cap_is_one_line(cli, incident: Path) -> None:
    before = texts(cli, incident)
    proc = cli("note", incident, "n" * 16_001)
    assert_one_line(proc, "the note is 16,001 characters; the most is 16,000")
    assert texts(cli, incident) == before


def test_a_summary_over_its_cap_is_one_line(cli, incident: Path) -> None:
    proc = cli("incident", "set", incident, "summary", "-", input="s" * 16_001)
    assert_one_line(proc, "the summary is 16,001 characters; the most is 16,000")
    assert shown(cli, "show", incident)["incident"]["summary"] == ""


def test_one_stdin_per_command(cli, incident: Path) -> None:
    proc = cli("note", incident, "-", "--author", "-", input="text")
    assert_one_line(
        proc,
        "the author: standard input is already taken by the note; "
        "give several texts at once with --from-json -",
    )
    proc = cli("note", incident, "-", "--from-json", "-", input="{}")
    assert_one_line(
        proc,
        "the note: standard input is already taken by --from-json; "
        "give several texts at once with --from-json -",
    )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("[1, 2]", "--from-json: not a JSON object of text, author, tags"),
        (
            "{nope",
            "--from-json: not JSON: Expecting property name enclosed in double quotes "
            "(line 1, column 2)",
        ),  # fmt: skip
        (
            '{"text": "x", "when": 1}',
            "--from-json: unknown field(s) 'when'; known: text, author, tags",
        ),
        ('{"text": 5}', '--from-json: "text" must be a str'),
        ('{"tags": "a,b", "text": "x"}', '--from-json: "tags" must be a list of strings'),
    ],
)
def test_bad_from_json_is_one_line(cli, incident: Path, payload: str, expected: str) -> None:
    assert_one_line(cli("note", incident, "--from-json", "-", input=payload), expected)


def test_a_field_in_json_and_argv_is_refused(cli, incident: Path) -> None:
    proc = cli("note", incident, "argv text", "--from-json", "-", input='{"text": "json text"}')
    assert_one_line(proc, '"text" is given twice: on the command line and in --from-json')


def test_help_says_stdin_is_the_safe_form(cli) -> None:
    for args in (
        ("note",),
        ("init",),
        ("incident", "set"),
        ("roster", "add"),
        ("evidence", "add"),
        ("evidence", "note"),
        ("followup", "add"),
        ("iocs", "confirm"),
    ):
        proc = cli(*args, "--help")
        assert proc.returncode == 0, proc.stderr
        flat = " ".join(proc.stdout.split())
        assert "every user of this host" in flat, args
        assert "/proc/PID/cmdline" in flat, args


def test_argv_forms_still_work(cli, incident: Path) -> None:
    """Back compatibility: scripts that pass text as arguments keep working."""
    assert cli("note", incident, "plain argv note").returncode == 0
    assert cli("incident", "set", incident, "summary", "argv summary").returncode == 0
    assert cli("roster", "add", incident, "Bob", "--email", "bob@example.com").returncode == 0
    assert cli("followup", "add", incident, "rotate keys", "--owner", "Bob").returncode == 0
    assert "plain argv note" in texts(cli, incident)
    assert shown(cli, "show", incident)["incident"]["summary"] == "argv summary"
