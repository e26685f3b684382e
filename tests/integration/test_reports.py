"""Reports through the real command line: the postmortem of the demo incident, and
the timeline export as Markdown, CSV and JSON, with hostile text in the notes."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from warroom import events as ev
from warroom.device import load_device
from warroom.sanitize import clean, one_line
from warroom.session import Session
from warroom.timefmt import iso

SECTIONS = [
    "Issue summary",
    "Timeline",
    "Root cause",
    "Resolution",
    "Corrective and preventive measures",
    "Follow-up tasks",
    "Attack metrics",
]
TIMELINE_COLUMNS = [
    "id", "at", "recorded_at", "author", "signer", "kind", "phase", "text", "tags", "struck",
]  # fmt: skip
MD_SPECIAL = "\\`*_~[]<>#|"
"""What the Markdown export escapes in text people typed."""


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def failed(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and needle in proc.stderr, proc.stderr


class Incident:
    """An incident file and the Cli (with its passphrase file) that opens it."""

    def __init__(self, cli, path: Path, passphrase_file: Path) -> None:
        self.cli, self.path, self.passphrase_file = cli, path, passphrase_file

    def __call__(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return self.cli(*args, passphrase_file=self.passphrase_file)

    def export(self, what: str, *args: str | Path) -> str:
        return ok(self("export", self.path, what, *args))

    def timeline_json(self) -> list[dict[str, Any]]:
        return json.loads(ok(self("timeline", self.path, "--format", "json")))


# -- Markdown, read back --------------------------------------------------------


def md_raw_cells(line: str) -> list[str]:
    """The cells of a table row as written (escapes kept): split at unescaped pipes,
    less the one space md_table puts either side."""
    assert line.startswith("| ") and line.endswith(" |"), line
    cells, start, i, body = [], 0, 0, line[1:-1]
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body[i] == "|":
            cells.append(body[start:i])
            start = i + 1
        i += 1
    cells.append(body[start:])
    assert all(c.startswith(" ") and c.endswith(" ") for c in cells), line
    return [c[1:-1] for c in cells]


def unescape(cell: str) -> str:
    return re.sub(r"\\(.)", r"\1", cell)


def unescaped_specials(cell: str) -> list[str]:
    """Markdown-active characters in a cell that are not backslash-escaped."""
    found, i = [], 0
    while i < len(cell):
        if cell[i] == "\\":
            i += 2
            continue
        if cell[i] in MD_SPECIAL:
            found.append(cell[i])
        i += 1
    return found


def md_rows(table: str) -> list[list[str]]:
    lines = table.rstrip("\n").split("\n")
    assert lines[0] == "| Time (UTC) | Kind | Who | What |"
    assert lines[1] == "|---|---|---|---|"
    return [md_raw_cells(line) for line in lines[2:]]


def expected_who(row: dict[str, Any]) -> str:
    """The author, and the signing device's name when it is not the author's."""
    if row["signer"] and row["author"] == row["signer"]:
        return row["author"]
    return f"{row['author']}, via {row['signer'] or 'device ' + row['device'][:8]}"


def expected_md_cells(row: dict[str, Any]) -> list[str]:
    """What a timeline row says in the Markdown table, once un-escaped."""
    kind = row["kind"] + (f" ({row['phase']})" if row["phase"] else "")
    text = one_line(row["text"])
    if row["struck"]:
        text = f"~~{text}~~ (struck: {one_line(row['struck'])})"
    return [row["at"], kind, one_line(expected_who(row)), text]


def assert_md_matches_json(table: str, rows: list[dict[str, Any]]) -> None:
    cells = md_rows(table)
    assert len(cells) == len(rows)
    for written, row in zip(cells, rows, strict=True):
        assert len(written) == 4, written
        assert [unescape(c) for c in written] == expected_md_cells(row)
        what = written[3]
        if row["struck"]:  # the strike-through markers are the only live markup
            assert what.startswith("~~") and re.search(r"(?<!\\)~~ \(struck: ", what)
            what = what[2:].replace("~~ (struck: ", " ", 1)
        for cell in (written[2], what):
            assert unescaped_specials(cell) == [], cell


def assert_tables_keep_their_shape(markdown: str) -> None:
    """Every row of every table has as many cells as its header."""
    lines = markdown.split("\n")
    tables = 0
    for i, line in enumerate(lines):
        if line.startswith("|---|"):
            tables += 1
            width = len(md_raw_cells(lines[i - 1]))
            assert line == "|" + "---|" * width
            for row in lines[i + 1 :]:
                if not row.startswith("|"):
                    break
                assert len(md_raw_cells(row)) == width, row
    assert tables >= 5


def section(markdown: str, title: str) -> str:
    """The body of `## title`, up to the next `## ` heading."""
    start = markdown.index(f"\n## {title}\n\n") + len(f"\n## {title}\n\n")
    end = markdown.find("\n## ", start)
    return markdown[start : end if end != -1 else len(markdown)]


# -- the demo incident ------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(cli_factory, tmp_path_factory: pytest.TempPathFactory) -> Incident:
    base = tmp_path_factory.mktemp("demo")
    cli = cli_factory(base)
    out = ok(cli("demo", "--no-open", "--dir", base / "demo", passphrase_file=None))
    facts = dict(
        line.strip().split(":", 1) for line in out.splitlines()[1:] if line.startswith("  ")
    )
    path, pass_file = Path(facts["file"].strip()), Path(facts["passphrase file"].strip())
    assert path.is_file() and pass_file.is_file()
    return Incident(cli, path, pass_file)


@pytest.fixture(scope="module")
def demo_postmortem(demo: Incident, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("postmortem") / "postmortem.md"
    assert demo.export("postmortem", "--out", out).strip() == f"wrote postmortem to {out}"
    return out.read_text(encoding="utf-8")


def test_postmortem_of_the_demo_has_every_section(demo: Incident, demo_postmortem: str) -> None:
    text = demo_postmortem
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings[: len(SECTIONS)] == SECTIONS
    assert all(h.startswith("Appendix: ") for h in headings[len(SECTIONS) :])
    state = json.loads(ok(demo("show", demo.path, "--format", "json")))
    inc = state["incident"]
    assert text.startswith(f"# Postmortem: {inc['codename']}: {inc['title']}\n")

    summary = section(text, "Issue summary")
    assert "- **Kind and severity:** security, SEV1; status contained" in summary
    assert f"- **Duration:** {iso(inc['declared_at'])} to now (ongoing)" in summary
    impact = "Names, emails and password hashes of customers copied; no card data."
    assert f"- **Impact:** {impact}" in summary
    assert "Replica credentials abused to export data." in summary

    assert section(text, "Root cause").strip() == (
        "A backup service key with shell access, left on a replica that the internet could reach."
    )
    assert section(text, "Resolution").strip() == "_Not recorded._"  # it is not resolved yet

    measures = section(text, "Corrective and preventive measures")
    assert measures.strip().split("\n\n") == [
        "**Corrective:**",
        "1. Move svc-backup to short-lived certificates",
        "**Preventive:**",
        "1. Alert on pg\\_dump run outside the backup window\n"
        "1. Keep replicas out of reach of the internet",
    ]

    due = {f["title"]: f["due"] for f in state["followups"]}
    tasks = md_rows_any(
        section(text, "Follow-up tasks"), ["Task", "Kind", "Owner", "Due", "Status"]
    )
    assert [[unescape(c) for c in row] for row in tasks] == [
        [title, kind, owner, due[title], "open"]
        for title, kind, owner in (
            ("Move svc-backup to short-lived certificates", "corrective", "Sam Okafor"),
            ("Alert on pg_dump run outside the backup window", "preventive", "Dana Ortiz"),
            ("Keep replicas out of reach of the internet", "preventive", "**unowned**"),
        )
    ]

    # The demo's attack: initial access 170 minutes ago, detected 126, contained 104.
    metrics = md_rows_any(section(text, "Attack metrics"), ["Metric", "Value"])
    assert metrics == [
        ["Time to detect", "44m"],
        ["Dwell time", "1h 6m"],
        ["Time to contain", "22m"],
        ["Time to resolve", "—"],
    ]
    printed = ok(demo("metrics", demo.path)).splitlines()
    assert [line[17:] for line in printed] == [value for _, value in metrics]

    confirmed = md_rows_any(section(text, "Appendix: confirmed indicators"), ["Indicator", "Type"])
    assert confirmed == [["198.51.100.23", "ipv4"], ["203.0.113.57", "ipv4"]]


def md_rows_any(table: str, columns: list[str]) -> list[list[str]]:
    lines = table.strip().split("\n")
    assert lines[0] == "| " + " | ".join(columns) + " |"
    assert lines[1] == "|" + "---|" * len(columns)
    return [md_raw_cells(line) for line in lines[2:]]


def test_postmortem_timeline_is_warroom_timeline(demo: Incident, demo_postmortem: str) -> None:
    rows = demo.timeline_json()
    table = demo.export("timeline", "--format", "md")
    assert section(demo_postmortem, "Timeline") == table
    assert_md_matches_json(table, rows)
    # The demo has what a timeline holds: phases, backdated and system entries.
    assert {r["kind"] for r in rows} >= {"attacker", "note", "decision", "evidence", "system"}
    assert sum(1 for r in rows if r["phase"]) == 6
    # each of the demo's people signs with a device of their own: no "X, via Y"
    assert all(r["signer"] == r["author"] for r in rows)
    assert ", via " not in table
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)


def test_postmortem_needs_a_new_file(demo: Incident, tmp_path: Path) -> None:
    existing = tmp_path / "postmortem.md"
    existing.write_text("my notes\n", encoding="utf-8")
    failed(demo("export", demo.path, "postmortem", "--out", existing), "already exists")
    assert existing.read_text(encoding="utf-8") == "my notes\n"
    failed(demo("export", demo.path, "postmortem"), "the postmortem needs --out FILE.md")


def test_timeline_export_formats(demo: Incident, tmp_path: Path) -> None:
    printed = ok(demo("timeline", demo.path, "--format", "json"))
    rows = json.loads(printed)
    assert demo.export("timeline", "--format", "json") == printed

    out = tmp_path / "timeline.json"
    assert demo.export("timeline", "--format", "json", "--out", out).startswith("wrote timeline")
    assert out.read_text(encoding="utf-8") == printed

    text = demo.export("timeline", "--format", "csv")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == TIMELINE_COLUMNS
    assert len(table) == len(rows) + 1
    for cells, row in zip(table[1:], rows, strict=True):
        got = dict(zip(TIMELINE_COLUMNS, cells, strict=True))
        same = ("id", "at", "recorded_at", "author", "signer", "kind", "phase")
        assert {k: got[k] for k in same} == {k: row[k] for k in same}
        assert got["text"] == row["text"]

    md = demo.export("timeline")  # md is the default
    assert md == demo.export("timeline", "--format", "md")
    out = tmp_path / "timeline.md"
    demo.export("timeline", "--out", out)
    assert out.read_text(encoding="utf-8") == md
    failed(demo("export", demo.path, "timeline", "--out", out), "already exists")


# -- hostile text ---------------------------------------------------------------

HOSTILE = (
    "| pipes | <script>alert(1)</script> [link](http://x) ![img](http://x/i.png) "
    "\x1b[31mred\x1b[0m ~~gone~~ *bold* _it_ `code` #tag\\ \\|\n"
    "## Root cause\nfake heading\r\n\x1b]52;c;SGVsbG8=\x07 <!-- end -->"
)
FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


@pytest.fixture(scope="module")
def hostile(cli_factory, tmp_path_factory: pytest.TempPathFactory, passphrase: str) -> Incident:
    base = tmp_path_factory.mktemp("hostile")
    cli = cli_factory(base)
    path = base / "inc.db"
    ok(cli("init", path, "--kdf", "interactive", "--playbook", "none", "--codename", "amber-heron"))
    ok(cli("note", path, HOSTILE, "--author", "@Mallory|<i>x</i>", "--tag", "=1+1", "--tag", "ok"))
    ok(cli("note", path, "--author", FORMULAS[2], "--", FORMULAS[2]))
    ok(cli("incident", "set", path, "root-cause", "Key left\n# Fake heading\n<img src=x>"))
    ok(cli("followup", "add", path, "[x](http://evil) | <b>", "--owner", "=cmd"))
    with Session.unlock(path, passphrase, device=load_device(cli.config_dir)) as session:
        for text in FORMULAS[:2] + FORMULAS[3:]:  # the rest in one go: faster
            session.add_note(text, author=text)
        struck = session.add_note("~~wrong~~ [x](y)", kind="attacker", phase="action")
        session.strike_entry(struck, "typo |\n<b>")  # no CLI command strikes
        # A hostile device: validly signed events that the session's methods refuse.
        session._one(
            ev.EVIDENCE_ADDED,
            {"id": "E9|<b>", "item": "disk", "kind": "[k](http://x)", "sha256": "`a` <i>"},
        )
        session._one(ev.FOLLOWUP_ADDED, {"id": "fx", "title": "t", "due": "| <b> [x](y)"})
        session._one(
            ev.INDICATOR_SET, {"value": "<b>|x\n1.2.3.4", "type": "[i]|", "status": "confirmed"}
        )
    return Incident(cli, path, cli.passphrase_file)


def test_hostile_text_is_neutralised_in_markdown(hostile: Incident, tmp_path: Path) -> None:
    rows = hostile.timeline_json()
    assert sum(1 for r in rows if r["struck"]) == 1
    table = hostile.export("timeline", "--format", "md")
    assert "\x1b" not in table and "\x07" not in table and "\r" not in table
    assert_md_matches_json(table, rows)

    out = tmp_path / "postmortem.md"
    hostile.export("postmortem", "--out", out)
    text = out.read_text(encoding="utf-8")
    assert section(text, "Timeline") == table
    assert re.findall(r"^## (.+)$", text, re.M)[: len(SECTIONS)] == SECTIONS
    assert len(re.findall(r"^#", text, re.M)) == len(re.findall(r"^##? ", text, re.M))
    assert re.findall(r"(?<!\\)[<\[\]`]", text) == []  # no HTML, no links, no code
    assert_tables_keep_their_shape(text)
    assert "\x1b" not in text
    assert section(text, "Root cause").strip().split("\n") == [
        "Key left",
        "\\# Fake heading",
        "\\<img src=x\\>",
    ]
    tasks = md_rows_any(
        section(text, "Follow-up tasks"), ["Task", "Kind", "Owner", "Due", "Status"]
    )
    assert [[unescape(c) for c in task] for task in tasks] == [
        ["[x](http://evil) | <b>", "corrective", "=cmd", "-", "open"],
        ["t", "corrective", "**unowned**", "| <b> [x](y)", "open"],
    ]
    assert [unescaped_specials(c) for task in tasks for c in (task[0], task[3])] == [[]] * 4
    columns = ["Id", "Kind", "Item", "SHA-256", "Kept at"]
    (item,) = md_rows_any(section(text, "Appendix: evidence"), columns)
    assert [unescape(c) for c in item] == ["E9|<b>", "[k](http://x)", "disk", "`a` <i>", ""]
    indicators = md_rows_any(section(text, "Appendix: confirmed indicators"), ["Indicator", "Type"])
    assert [[unescape(c) for c in row] for row in indicators] == [["<b>|x 1.2.3.4", "[i]|"]]
    blocklist = ok(hostile("iocs", hostile.path, "--format", "blocklist"))
    assert blocklist == ""  # not a well-formed indicator: never on a blocklist


def test_hostile_text_is_neutralised_in_csv_and_json(hostile: Incident) -> None:
    printed = ok(hostile("timeline", hostile.path, "--format", "json"))
    assert "\x1b" not in printed and "\x07" not in printed  # escaped as \u001b
    rows = json.loads(printed)
    assert hostile.export("timeline", "--format", "json") == printed
    assert any(r["text"] == HOSTILE for r in rows)  # json keeps it all, safely escaped

    text = hostile.export("timeline", "--format", "csv")
    assert "\x1b" not in text and "\x07" not in text
    table = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["id"] for r in table] == [r["id"] for r in rows]  # one row per entry
    by_id = {r["id"]: r for r in table}
    for row in rows:
        got = by_id[row["id"]]
        for column in ("author", "text"):
            value = clean(row[column])
            if value.startswith(("=", "+", "-", "@", "\t")):
                value = "'" + value
            assert got[column] == value
    hostile_row = next(by_id[r["id"]] for r in rows if r["text"] == HOSTILE)
    assert hostile_row["author"] == "'@Mallory|<i>x</i>"
    assert hostile_row["tags"] == "'=1+1;ok"
    formula_cells = [by_id[r["id"]]["text"] for r in rows if r["text"] in FORMULAS]
    assert sorted(formula_cells) == sorted("'" + clean(f) for f in FORMULAS)
    for row in table:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
