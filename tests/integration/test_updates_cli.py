"""Stakeholder updates through the real command line (issue #13): `warroom update new`,
`warroom update sent` and `warroom status`, each a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from warroom.clock import wall_ms
from warroom.device import load_device
from warroom.session import Session

MIN = 60_000
ONE_MINUTE_POLICY = "update_every = { SEV1 = 1 }\n"


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def refused(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """Exit `code`, one line on stderr, no traceback; the line."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(autouse=True)
def empty_gnupghome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`update sent` makes a keyring (for email drafts): never the user's ~/.gnupg."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))


def status_json(cli: Any, path: Path) -> dict[str, Any]:
    return json.loads(ok(cli("status", path, "--format", "json")))


def show_json(cli: Any, path: Path) -> dict[str, Any]:
    return json.loads(ok(cli("show", path, "--format", "json")))


def test_update_new_then_sent_then_status(cli: Any, incident: Path) -> None:
    before = status_json(cli, incident)
    assert (before["severity"], before["interval_minutes"]) == (2, 60)
    assert (before["last_at"], before["updates_sent"]) == (None, 0)
    declared = show_json(cli, incident)["incident"]["declared_at"]
    assert before["due_at"] == declared + 60 * MIN

    draft_id = ok(cli("update", "new", incident)).strip()
    assert re.fullmatch(r"d[0-9a-f]{8}", draft_id)
    drafts = json.loads(ok(cli("draft", "list", incident, "--format", "json")))
    (draft,) = drafts
    assert (draft["id"], draft["channel"], draft["audience"]) == (draft_id, "chat", "stakeholders")
    assert not [f for f in draft["findings"] if f["severity"] == "error"]
    assert draft["body"].startswith("Attorney Work Project: ")
    assert "amber-heron" in draft["body"]
    assert "Next update: by " in draft["body"]

    start = wall_ms()
    out = ok(cli("update", "sent", incident, draft_id))
    assert out.startswith(f"{draft_id}: sent at ") and "next update due" in out

    after = status_json(cli, incident)
    assert after["updates_sent"] == 1
    assert after["last_at"] is not None and after["last_at"] >= start - 1_000
    assert after["due_at"] == after["last_at"] + 60 * MIN
    assert after["late"] is False and after["minutes_late"] is None
    assert 58 <= after["minutes_left"] <= 60

    state = show_json(cli, incident)
    sent = [e for e in state["timeline"] if e["text"].startswith("Stakeholder update sent")]
    assert [e["text"] for e in sent] == [f"Stakeholder update sent (draft {draft_id})"]
    (draft,) = state["drafts"]
    assert (draft["status"], draft["sent_at"]) == ("sent", after["last_at"])

    text = ok(cli("status", incident))
    assert "SEV2" in text and "every 60 min" in text
    assert re.search(r"last update +\d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    assert re.search(r"next due +\d{4}-\d\d-\d\d \d\d:\d\d UTC: in (58|59|60) min", text)

    again = refused(cli("update", "sent", incident, draft_id), 2)
    assert "already sent" in again


def test_a_draft_with_a_banned_phrase_is_not_sent(
    cli: Any, incident: Path, passphrase: str
) -> None:
    draft_id = ok(cli("update", "new", incident)).strip()
    with Session.unlock(incident, passphrase, device=load_device(cli.config_dir)) as session:
        body = session.state.drafts[draft_id].body
        session.save_draft(draft_id, body=body + "\nWe take security seriously.")
    line = refused(cli("update", "sent", incident, draft_id), 1)
    assert line.startswith(f"warroom: draft {draft_id} not sent: banned-phrase: ")
    assert status_json(cli, incident)["last_at"] is None
    state = show_json(cli, incident)
    assert not [e for e in state["timeline"] if "Stakeholder update sent" in e["text"]]
    assert state["drafts"][0]["status"] == "draft"


def test_an_unknown_draft_is_exit_2(cli: Any, incident: Path) -> None:
    line = refused(cli("update", "sent", incident, "d00000000"), 2)
    assert line == "warroom: no draft 'd00000000'"


def test_a_sev1_incident_with_no_update_is_late(cli: Any, tmp_path: Path, passphrase: str) -> None:
    """Declared 7 minutes ago on a 1-minute rhythm: no update since, so late by 6."""
    path = tmp_path / "late.db"
    declared = wall_ms() - 7 * MIN
    Session.create(
        path,
        passphrase,
        kdf="interactive",
        codename="amber-heron",
        severity=1,
        device=load_device(cli.config_dir),
        declared_at=declared,
    ).close()
    (tmp_path / "policy.toml").write_text(ONE_MINUTE_POLICY, encoding="utf-8")
    ok(cli("policy", "set", path, tmp_path / "policy.toml"))
    assert show_json(cli, path)["incident"]["declared_at"] == declared
    status = status_json(cli, path)
    assert (status["severity"], status["interval_minutes"]) == (1, 1)
    assert status["due_at"] == declared + MIN
    assert status["late"] is True and status["minutes_left"] is None
    assert status["minutes_late"] in (6, 7)
    text = ok(cli("status", path))
    assert re.search(r"next due +\S+ \S+ UTC: late by (6|7) min", text), text


def test_status_on_a_one_minute_rhythm(cli: Any, tmp_path: Path) -> None:
    """Made by `init --policy`: due one minute after the declaration, and late exactly
    when the time is past it."""
    (tmp_path / "policy.toml").write_text(ONE_MINUTE_POLICY, encoding="utf-8")
    path = tmp_path / "inc.db"
    ok(
        cli(
            "init",
            path,
            "--kdf",
            "interactive",
            "--severity",
            "1",
            "--policy",
            tmp_path / "policy.toml",
        )
    )
    declared = show_json(cli, path)["incident"]["declared_at"]
    status = status_json(cli, path)
    assert status["due_at"] == declared + MIN
    assert status["late"] is (status["now"] > declared + MIN)


def test_no_rhythm_for_sev4_nor_once_resolved(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "inc.db"
    ok(cli("init", path, "--kdf", "interactive", "--severity", "4"))
    assert "no update rhythm for SEV4" in ok(cli("status", path))
    status = status_json(cli, path)
    assert (status["rhythm"], status["due_at"], status["late"]) == (False, None, False)
    ok(cli("incident", "set", path, "severity", "1"))
    assert status_json(cli, path)["interval_minutes"] == 30
    ok(cli("incident", "set", path, "status", "resolved"))
    assert "resolved: no update rhythm" in ok(cli("status", path))
    assert status_json(cli, path)["due_at"] is None


def test_help_explains(cli: Any) -> None:
    assert "update_every" in ok(cli("status", "--help"))
    assert "template" in ok(cli("update", "new", "--help"))
    assert "exit 1" in ok(cli("update", "sent", "--help"))
