"""The stakeholder update rhythm in a real terminal: the header counts down to the
next update and turns loud when it is late; `u` drafts the update from its template;
`U` on that draft records it sent, and the countdown starts again."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from warroom.session import Session

PASSPHRASE = "terminal: correct horse battery staple"  # conftest's
CODENAME = "amber-heron"
LATE_BY_MIN = 15


@pytest.fixture
def incident(request: pytest.FixtureRequest, tmp_path: Path, isolated_config: Path) -> Path:
    """A SEV1 incident (an update every 30 minutes by the default policy) declared 45
    minutes ago, with no update sent: the update is 15 minutes late (or as late as the
    test's `incident` parameter says, in ms: negative is not due yet)."""
    late_ms = getattr(request, "param", LATE_BY_MIN * 60_000)
    (isolated_config / "profile.json").write_text('{"name": "Ann IC"}')
    path = tmp_path / "inc.db"
    declared = int(time.time() * 1000) - 30 * 60_000 - late_ms
    Session.create(
        path, PASSPHRASE, kdf="interactive", codename=CODENAME, title="Replica export",
        severity=1, declared_at=declared,
    ).close()  # fmt: skip
    return path


def header(term) -> str:  # noqa: ANN001
    return term.lines()[0]


def reversed_text(term, needle: str) -> bool:  # noqa: ANN001
    """Whether `needle` shows in the header in reverse video (loud)."""
    line = header(term)
    start = line.index(needle)
    row = term.screen.buffer[0]
    return all(row[x].reverse for x in range(start, start + len(needle)))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_a_late_update_is_loud_in_the_header(console, size: tuple[int, int]) -> None:
    term = console(*size)
    late = f"update LATE {LATE_BY_MIN}"
    term.wait_for("update LATE")
    line = header(term)
    assert line.count("update LATE") == 1, line
    assert late in line or f"update LATE {LATE_BY_MIN + 1}" in line, line
    assert reversed_text(term, "update LATE"), line
    assert term.count("update LATE") == 1, term.screen_dump()


@pytest.mark.parametrize("send", ["burst", "type"])
def test_u_drafts_the_update_and_U_records_it_sent(console, warroom, send: str) -> None:  # noqa: N802
    term = console(120, 40)
    term.wait_for("update LATE")
    getattr(term, send)("u")
    term.wait_for("Esc saves and closes")
    term.wait_quiet(0.5)
    assert "Replica export" not in term.text()  # the codename, never the private title
    getattr(term, send)("\x1b")  # saves and closes
    term.wait_for("4 Drafts 1")
    getattr(term, send)("4U")  # the drafts pane, then: this draft went out
    term.wait_for("next update")
    term.wait_quiet(0.5)
    line = header(term)
    assert line.count("next update") == 1 and "update LATE" not in line, line
    assert not reversed_text(term, "next update"), line

    drafts = json.loads(warroom("show", "--format", "json"))["drafts"]
    assert len(drafts) == 1, drafts
    assert drafts[0]["status"] == "sent", drafts
    texts = [e["text"] for e in json.loads(warroom("timeline", "--format", "json"))]
    assert sum(t.startswith("Stakeholder update sent") for t in texts) == 1, texts
    status = json.loads(warroom("status", "--format", "json"))
    assert status["late"] is False, status


@pytest.mark.parametrize("incident", [-8_000], indirect=True)
def test_the_header_turns_loud_when_the_update_falls_due_with_no_key(console) -> None:
    """Due 8 s after declaring: the header says so within a second of it, untouched
    (its countdown is redrawn when its words change, not on the app's minute tick)."""
    term = console(120, 40)
    assert header(term).count("update due in 1 min") == 1, header(term)
    term.wait_for("update LATE 1 min", timeout=20)
    assert reversed_text(term, "update LATE 1 min")
    assert header(term).count("update") == 1
