"""Integrations (`warroom notify`, the first part of issue #13), as real processes: each
kind's secret comes from a file or standard input, never argv; it is kept only inside
the encrypted file, shown masked, and never written to the timeline or any output."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from pathlib import Path

import pytest
from cmdlines import all_cmdlines
from privatefile import private_file

TOKEN = secrets.token_hex(6)
ROUTING_KEY = f"R{TOKEN}0123456789abcdefABCD"
HOOK = f"https://hooks.example.com/services/T000/B000/{TOKEN}XYZ"


def outputs(cli, incident: Path) -> str:
    """Everything warroom prints about the incident."""
    runs = [
        cli("notify", "list", incident),
        cli("notify", "list", incident, "--format", "json"),
        cli("show", incident, "--format", "json"),
        cli("timeline", incident, "--format", "json"),
        cli("export", incident, "timeline", "--format", "md"),
    ]
    assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
    return "".join(run.stdout + run.stderr for run in runs)


def test_secrets_go_in_by_file_or_stdin_and_come_out_masked_only(
    cli, incident: Path, tmp_path: Path, settle
) -> None:
    key_file = private_file(tmp_path / "routing-key", ROUTING_KEY)
    added = cli(
        "notify", "add", incident, "--kind", "pagerduty", "--secret-file", key_file,
        "--name", "on-call", "--url", "http://127.0.0.1:9/pd",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    pd = added.stdout.strip()
    hook = cli("notify", "add", incident, "--kind", "slack", "--secret-file", "-", input=HOOK)
    assert hook.returncode == 0, hook.stderr
    listed = json.loads(cli("notify", "list", incident, "--format", "json").stdout)
    assert [(i["id"], i["kind"], i["secret"]) for i in listed] == [
        (pd, "pagerduty", f"…{ROUTING_KEY[-4:]}"),
        (hook.stdout.strip(), "slack", f"…{HOOK[-4:]}"),
    ]
    text = outputs(cli, incident)
    assert TOKEN not in text
    assert text.count("Integration added: pagerduty on-call") >= 2  # timeline json and md
    settle(incident)
    data = b"".join(p.read_bytes() for p in incident.parent.iterdir() if p.is_file())
    assert TOKEN.encode() not in data  # sealed like every event

    removed = cli("notify", "remove", incident, pd)
    assert removed.returncode == 0, removed.stderr
    listed = json.loads(cli("notify", "list", incident, "--format", "json").stdout)
    assert [i["kind"] for i in listed] == ["slack"]
    assert "Integration removed: pagerduty on-call" in outputs(cli, incident)


def test_no_secret_is_on_any_command_line_while_notify_add_runs(cli, incident: Path) -> None:
    proc = cli.start("notify", "add", incident, "--kind", "webhook", "--secret-file", "-",
                     stdin=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while "warroom" not in all_cmdlines().get(proc.pid, "") and time.monotonic() < deadline:
            time.sleep(0.01)
        seen = [line for _ in range(5) for line in all_cmdlines().values()]
        assert any("notify" in line for line in seen)
        assert not any(TOKEN in line for line in seen)
        out, err = proc.communicate(HOOK + "\n", timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err


@pytest.mark.parametrize(
    ("kind", "secret", "extra", "words"),
    [
        ("pagerduty", "short", [], "not a PagerDuty routing key"),
        ("slack", "http://hooks.example.com/x", [], "must be https"),
        ("webhook", "", [], "needs its secret"),
        ("slack-bot", "not-a-token-at-all", [], "not a Slack bot token"),
        ("slack", HOOK, ["--url", "https://x.example"], "--url is for pagerduty and slack-bot"),
        ("pagerduty", ROUTING_KEY, ["--url", "ftp://x"], "must be https"),
    ],
)
def test_a_bad_integration_is_one_line_exit_2_and_nothing_added(
    cli, incident: Path, kind: str, secret: str, extra: list[str], words: str
) -> None:
    proc = cli("notify", "add", incident, "--kind", kind, "--secret-file", "-", *extra,
               input=secret)  # fmt: skip
    assert proc.returncode == 2, proc.stdout
    assert proc.stderr.count("\n") == 1 and words in proc.stderr, proc.stderr
    assert TOKEN not in proc.stderr
    assert json.loads(cli("notify", "list", incident, "--format", "json").stdout) == []
