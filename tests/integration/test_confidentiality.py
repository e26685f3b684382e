"""Nothing a person types reaches the disk in the clear.

A random canary goes into every field a person can fill (codename, title,
notes, authors, tags, roster entries, drafts, incident fields), through the CLI
and through the Session API; then no byte of any file the test or its
subprocesses could have written (the incident's directory with its -wal and
-shm, the subprocesses' TMPDIR, the config dir) may contain it, in UTF-8 or
UTF-16, while a session is still open and after everything is closed.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from warroom.session import Session


def make_canary(kind: str) -> str:
    if kind == "short":
        return secrets.token_hex(5)  # 10 characters
    return f"Canary{secrets.token_hex(10)}-\u00fcn\u00efc\u00f8d\u00e9-{secrets.token_hex(4)}"


def encodings(canary: str) -> set[bytes]:
    forms = {canary, canary.upper(), canary.lower()}
    escaped = json.dumps(canary)[1:-1]  # what a JSON writer with ensure_ascii would store
    out = {escaped.encode("ascii")}
    for form in forms:
        for codec in ("utf-8", "utf-16-le", "utf-16-be"):
            out.add(form.encode(codec))
    ascii_core = canary.split("-")[0]  # survives any encoding of the rest
    if len(ascii_core) >= 10:
        out.add(ascii_core.encode("ascii"))
        out.add(ascii_core.encode("utf-16-le"))
    return out


def scan(roots: list[Path], canary: str) -> list[str]:
    """Every file under `roots` (and every file name) that holds the canary."""
    needles = encodings(canary)
    hits = []
    seen = 0
    for root in roots:
        for path in sorted(root.rglob("*")):
            if canary.lower() in path.name.lower():
                hits.append(f"{path}: in the file name")
            if not path.is_file():
                continue
            seen += 1
            data = path.read_bytes()
            for needle in needles:
                if needle in data:
                    hits.append(f"{path}: {needle!r} at byte {data.index(needle)}")
    assert seen, "scanned nothing"
    return hits


@pytest.mark.parametrize("kind", ["long", "short"])
def test_canary_never_on_disk(
    cli,
    tmp_path: Path,
    sub_tmpdir: Path,
    config_dir: Path,
    passphrase: str,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
):
    monkeypatch.setenv("TMPDIR", str(sub_tmpdir))
    monkeypatch.setenv("SQLITE_TMPDIR", str(sub_tmpdir))
    canary = make_canary(kind)
    directory = tmp_path / "incident"
    directory.mkdir()
    path = directory / "inc.db"
    roots = [directory, sub_tmpdir, config_dir, cli.cwd]

    def ok(*args: str | Path) -> str:
        proc = cli(*args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == ""
        return proc.stdout.strip()

    ok(
        "init", path, "--kdf", "interactive", "--codename", f"cc-{canary}",
        "--title", f"Title {canary}",
    )  # fmt: skip
    person = ok(
        "roster", "add", path, f"Name {canary}", "--role", "ic",
        "--email", f"{canary}@example.com", "--phone", f"+1 555 {canary}",
        "--handle", f"@{canary}", "--gpg", f"{canary}",
    )  # fmt: skip
    cli_note = ok("note", path, f"cli note {canary}", "--author", f"by {canary}", "--tag", canary)
    ok("step", "set", path, "stop-attack", "doing", "--assignee", f"Ann {canary}")
    assert not scan(roots, canary)

    session = Session.unlock(path, passphrase)
    try:
        api_note = session.add_note(f"api note {canary}", kind="evidence", tags=[canary])
        session.amend_entry(api_note, f"amended {canary}")
        session.strike_entry(cli_note, f"struck because {canary}")
        draft = session.save_draft(
            to=[f"{canary}@example.org"],
            cc=[f"cc-{canary}@example.org"],
            subject=f"Attorney Work Project {canary}",
            body=f"Body line one {canary}\n" * 5,
        )
        session.save_draft(draft, title=f"Statement {canary}", sender=f"from-{canary}")
        session.set_incident(summary=f"summary {canary}", impact=f"impact {canary}")
        session.set_person(person, phone=f"+44 {canary}")
        # Another process writes while this session holds the file open.
        ok("note", path, f"while open {canary}", "--kind", "decision")
        wal = Path(f"{path}-wal")
        assert wal.exists() and wal.stat().st_size > 0, "expected a live WAL"
        assert Path(f"{path}-shm").exists()
        hits = scan(roots, canary)
        assert not hits, hits
    finally:
        session.close()

    assert not scan(roots, canary)

    # Not vacuous: the canary is really in there, under the passphrase.
    with Session.unlock(path, passphrase) as session:
        state = session.state
        assert canary in state.incident.codename and canary in state.incident.title
        assert canary in state.drafts[draft].body and canary in state.drafts[draft].to[0]
        assert canary in state.people[person].email
        texts = [entry.text for entry in state.entries.values()]
        assert sum(canary in text for text in texts) >= 3
    rows = json.loads(ok("timeline", path, "--format", "json"))
    assert any(canary in row["text"] for row in rows)
    hits = scan(roots + [tmp_path], canary)
    assert not hits, hits
