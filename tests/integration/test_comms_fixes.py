"""The comms exploration's findings, through the real command line: disguised banned
phrases and titles refused, hidden characters kept out of exported files, `draft add`
from standard input, `export drafts` into a missing folder, `verify-export` without a
manifest, a bad --sign-key, and approving twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

AWP = "Attorney Work Project"
PHRASE = "We take security very seriously"
TITLE = "Secret Payroll Breach"


def write(path: Path, draft: dict[str, Any]) -> Path:
    path.write_text(json.dumps(draft), encoding="utf-8")
    return path


def one_line_error(proc: Any) -> None:
    """Bad input: exit 2, one line on stderr starting `warroom:`, no traceback."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warroom: "), proc.stderr


@pytest.fixture
def titled(cli, tmp_path: Path) -> Path:
    """An incident whose private title is TITLE."""
    path = tmp_path / "titled.db"
    proc = cli("init", path, "--kdf", "interactive", "--title", "-", input=TITLE + "\n")
    assert proc.returncode == 0, proc.stderr
    return path


def add(cli, incident: Path, draft: dict[str, Any]) -> str:
    proc = cli("draft", "add", incident, "-", input=json.dumps(draft))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def add_file(cli, incident: Path, draft: dict[str, Any], tmp_path: Path) -> str:
    """As `add`, from a file (what worked before `draft add -`)."""
    proc = cli("draft", "add", incident, write(tmp_path / "draft.json", draft))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


# --- 1: look-alikes, hidden characters ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (PHRASE.replace("take", "t\u0430ke"), "mixed-script"),
        (PHRASE.replace("seriously", "s\u0435riously"), "mixed-script"),
        (PHRASE.replace("a", "\u0251"), "banned-phrase"),
        (PHRASE.replace("seriously", "seriousIy"), "banned-phrase"),
        (PHRASE + "\u0301", "banned-phrase"),
        ("\u202eylsuoires yrev ytiruces ekat eW\u202c", "hidden-characters"),
    ],
    ids=["cyrillic-a", "cyrillic-e", "latin-alpha", "capital-I", "combining", "rlo"],
)
def test_lint_refuses_a_disguised_banned_phrase(cli, tmp_path: Path, body: str, rule: str) -> None:
    path = write(
        tmp_path / "s.json", {"channel": "statement", "title": "Update 2026-12-02", "body": body}
    )
    proc = cli("lint", "--json", path)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert rule in {f["rule"] for f in json.loads(proc.stdout)}


@pytest.mark.parametrize(
    "text",
    [
        "Secret-Payroll-Breach",
        "SecretPayrollBreach",
        "Secret Payr\u043ell Breach",
        "Secret Payroll B\u200breach",
        "S e c r e t Payroll Breach",
    ],
)
def test_approve_refuses_the_title_in_disguise(
    cli, titled: Path, tmp_path: Path, text: str
) -> None:
    draft_id = add_file(cli, titled, {"channel": "chat", "body": f"{AWP}: {text}"}, tmp_path)
    proc = cli("draft", "approve", titled, draft_id)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "error:" in proc.stdout
    assert f"{draft_id}: approved" not in proc.stdout


def test_terminal_controls_never_reach_an_exported_file(cli, incident: Path, tmp_path: Path):
    body = f"{AWP}: \x1b]52;c;cm0gLXJmIH4=\x07 hi \x9b31m C1 \u202eevil"
    draft_id = add_file(cli, incident, {"channel": "chat", "body": body}, tmp_path)
    proc = cli("draft", "approve", incident, draft_id)
    assert proc.returncode == 1
    assert "hidden-characters" in proc.stdout and "\x1b" not in proc.stdout
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    out = tmp_path / "out"
    proc = cli("export", incident, "drafts", "--out", out, "--gnupghome", home)
    assert proc.returncode != 0 and not out.exists()


def test_rules_lists_the_new_rules(cli) -> None:
    listed = {line.split()[0]: line.split()[1] for line in cli("rules").stdout.splitlines()}
    assert listed["hidden-characters"] == "error"
    assert listed["mixed-script"] == "error"


# --- 2: draft add from standard input --------------------------------------------------


def test_draft_add_reads_json_from_stdin(cli, incident: Path) -> None:
    draft_id = add(cli, incident, {"channel": "chat", "body": f"{AWP}: bridge at 14:00"})
    listed = json.loads(cli("draft", "list", incident, "--format", "json").stdout)
    assert [(d["id"], d["body"]) for d in listed] == [(draft_id, f"{AWP}: bridge at 14:00")]


def test_draft_add_reads_an_email_from_stdin(cli, incident: Path) -> None:
    eml = f"From: ic@example.com\nTo: ann@example.com\nSubject: {AWP}\n\nhello there\n"
    proc = cli("draft", "add", incident, "-", "--format", "eml", input=eml)
    assert proc.returncode == 0, proc.stderr
    (draft,) = json.loads(cli("draft", "list", incident, "--format", "json").stdout)
    assert (draft["subject"], draft["to"], draft["body"].strip()) == (
        AWP,
        ["ann@example.com"],
        "hello there",
    )


def test_draft_add_format_names_a_file_without_a_suffix(cli, incident: Path, tmp_path: Path):
    path = write(tmp_path / "draft.txt", {"channel": "chat", "body": f"{AWP}: hi"})
    proc = cli("draft", "add", incident, path, "--format", "json")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("{", "standard input:1: invalid JSON"),
        ("[1]", "standard input: a draft must be a JSON object"),
        ("x" * (16 * 1024 * 1024 + 1), "standard input: too large for a draft"),
    ],
    ids=["bad-json", "not-object", "too-large"],
)
def test_draft_add_from_stdin_refuses_bad_input(cli, incident: Path, data: str, words: str):
    proc = cli("draft", "add", incident, "-", input=data)
    one_line_error(proc)
    assert words in proc.stderr


# --- 3: export drafts into a missing folder -------------------------------------------


def test_export_drafts_refuses_a_missing_parent(cli, incident: Path, tmp_path: Path) -> None:
    draft = {"channel": "chat", "body": f"{AWP}: bridge at 14:00"}
    draft_id = add_file(cli, incident, draft, tmp_path)
    assert cli("draft", "approve", incident, draft_id).returncode == 0
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    out = tmp_path / "q1" / "q2"
    proc = cli("export", incident, "drafts", "--out", out, "--gnupghome", home)
    one_line_error(proc)
    assert "q1" in proc.stderr
    assert not (tmp_path / "q1").exists()
    proc = cli("export", incident, "drafts", "--out", tmp_path / "ok", "--gnupghome", home)
    assert proc.returncode == 0, proc.stderr  # the folder itself is still made


def test_export_drafts_with_a_bad_sign_key_is_one_line(cli, incident: Path, tmp_path: Path):
    proc = cli("export", incident, "drafts", "--out", tmp_path / "o", "--sign-key", "DEADBEEF")
    one_line_error(proc)
    assert "--sign-key" in proc.stderr


# --- 4: verify-export without a manifest ----------------------------------------------


def test_verify_export_without_a_manifest(cli, tmp_path: Path) -> None:
    folder = tmp_path / "h"
    folder.mkdir()
    proc = cli("verify-export", folder, "--expect-gpg", "A" * 40)
    one_line_error(proc)
    assert "manifest.json" in proc.stderr and "Errno" not in proc.stderr


def test_verify_export_of_a_missing_folder(cli, tmp_path: Path) -> None:
    one_line_error(cli("verify-export", tmp_path / "nosuch", "--expect-gpg", "A" * 40))


# --- 5: approving twice ---------------------------------------------------------------


def test_approving_twice_keeps_one_approval(cli, incident: Path, tmp_path: Path) -> None:
    draft = {"channel": "chat", "body": f"{AWP}: bridge at 14:00"}
    draft_id = add_file(cli, incident, draft, tmp_path)
    assert cli("draft", "approve", incident, draft_id).returncode == 0
    proc = cli("draft", "approve", incident, draft_id)
    assert proc.returncode == 0, proc.stderr
    assert "already approved" in proc.stdout
    (draft,) = json.loads(cli("draft", "list", incident, "--format", "json").stdout)
    assert len(draft["approvals"]) == 1
