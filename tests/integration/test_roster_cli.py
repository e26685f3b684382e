"""`warroom roster set`: people marked paged, joined or left by hand (PagerDuty's
Events API says nothing of who acknowledged), by role, id or name."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def states(cli, path: Path) -> dict[str, str]:  # noqa: ANN001
    shown = json.loads(ok(cli("show", path, "--format", "json")))
    return {p["name"]: p["state"] for p in shown["roster"]}


def test_roster_set_by_role_id_and_name(cli, incident: Path) -> None:  # noqa: ANN001
    ok(cli("roster", "add", incident, "Ann Lee", "--role", "ic"))
    bo = ok(cli("roster", "add", incident, "Bo Diaz", "--role", "legal")).strip()
    ok(cli("roster", "add", incident, "Cy Park", "--role", "legal"))
    assert states(cli, incident) == {"Ann Lee": "paged", "Bo Diaz": "paged", "Cy Park": "paged"}

    out = ok(cli("roster", "set", incident, "legal", "--state", "joined"))
    assert out.splitlines() == [f"{bo}  Bo Diaz  joined", out.splitlines()[1]]
    assert out.count("joined") == 2
    assert states(cli, incident) == {"Ann Lee": "paged", "Bo Diaz": "joined", "Cy Park": "joined"}

    ok(cli("roster", "set", incident, bo, "--state", "left"))
    ok(cli("roster", "set", incident, "-", "--state", "joined", input="ann lee\n"))
    assert states(cli, incident) == {"Ann Lee": "joined", "Bo Diaz": "left", "Cy Park": "joined"}

    before = json.loads(ok(cli("timeline", incident, "--format", "json")))
    ok(cli("roster", "set", incident, "Ann Lee", "--state", "joined"))  # already: no event
    assert json.loads(ok(cli("timeline", incident, "--format", "json"))) == before


def test_roster_set_names_no_one_is_one_line_exit_2(cli, incident: Path) -> None:  # noqa: ANN001
    ok(cli("roster", "add", incident, "Ann Lee"))
    ok(cli("roster", "add", incident, "ann lee"))
    for who, says in (
        ("scribe", "no one holds the role 'scribe'"),
        ("Nobody", "no role or person 'Nobody' on the roster"),
        ("Ann Lee", "2 people are named 'Ann Lee': give their id"),
    ):
        proc = cli("roster", "set", incident, who, "--state", "joined")
        assert proc.returncode == 2, (proc.stdout, proc.stderr)
        assert proc.stderr.strip().splitlines() == [f"warroom: {says}"], proc.stderr
    assert set(states(cli, incident).values()) == {"paged"}
