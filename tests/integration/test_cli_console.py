"""The console's CLI entry points, short of a terminal: routing, errors, the demo."""

from __future__ import annotations

import json
from pathlib import Path


def test_bare_path_routes_to_open(cli, tmp_path: Path) -> None:
    proc = cli(tmp_path / "missing.db")
    assert proc.returncode == 2
    assert "no such file" in proc.stderr and "Traceback" not in proc.stderr


def test_open_refuses_a_foreign_file_before_the_ui(cli, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not an incident")
    proc = cli("open", path)
    assert proc.returncode == 2 and "not a warroom incident file" in proc.stderr


def test_demo_makes_a_realistic_incident(cli, tmp_path: Path) -> None:
    proc = cli("demo", "--no-open", "--dir", tmp_path / "demo")
    assert proc.returncode == 0, proc.stderr
    db = next((tmp_path / "demo").glob("demo-*.db"))
    pass_file = db.with_suffix(".pass")
    assert oct(pass_file.stat().st_mode & 0o777) == "0o600"
    assert f"passphrase:      {pass_file.read_text().strip()}" in proc.stdout
    shown = cli("show", db, "--format", "json", "--passphrase-file", pass_file)
    state = json.loads(shown.stdout)
    notes = [e for e in state["timeline"] if e["kind"] != "system"]
    assert len(notes) >= 25 and len({e["author"] for e in notes}) >= 4
    statuses = {s["status"] for s in state["checklist"]}
    assert {"done", "doing", "todo"} <= statuses  # half done
    holders = {r["role"] for r in state["roles"] if r["renounced_at"] is None}
    assert "ic" in holders and "scribe" not in holders  # staffed, with a gap
    assert "sms" in {d["channel"] for d in state["drafts"]}  # one breaks the rules
    assert cli("verify", db, "--passphrase-file", pass_file).returncode == 0
