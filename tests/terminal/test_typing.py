"""What a person sees in a real terminal: each entry once, and keys typed fast go
where they were meant to, in order (a paste, a fast typist, a laggy link: one write)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

SPEEDS = ["burst", "human"]


def send(term, keys: str, speed: str) -> None:  # noqa: ANN001
    if speed == "burst":
        term.burst(keys)
    else:
        term.type(keys)


def wait_state(state: Callable[[], dict], check: Callable[[dict], bool], timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        current = state()
        if check(current) or time.monotonic() > deadline:
            return current
        time.sleep(0.2)


def user_entries(current: dict) -> list[dict]:
    return [e for e in current["timeline"] if e["kind"] != "system"]


@pytest.mark.parametrize("speed", SPEEDS)
def test_own_note_appears_once(console, speed: str) -> None:
    term = console(80, 24)
    send(term, "nfirst-own-note\r", speed)
    row = "note     Ann IC: first-own-note"  # a timeline row, not the detail line under it
    term.wait_for(row)
    term.wait_quiet(0.7)
    assert term.count(row) == 1, term.screen_dump()


def test_note_from_another_process_appears_once(
    console, console_env: dict[str, str], incident: Path, passfile: Path, tmp_path: Path
) -> None:
    term = console(120, 40)
    other = {**console_env, "WARROOM_CONFIG_DIR": str(tmp_path / "bob")}
    subprocess.run(
        [sys.executable, "-m", "warroom", "note", str(incident), "from-bob-live"]
        + ["--passphrase-file", str(passfile)],
        env=other,
        check=True,
        capture_output=True,
        timeout=60,
    )
    row = ": from-bob-live"  # a timeline row ("... note     bob: from-bob-live")
    term.wait_for(row, timeout=5)
    term.wait_quiet(0.7)
    assert term.count(row) == 1, term.screen_dump()


@pytest.mark.parametrize("speed", SPEEDS)
def test_note_typed_in_one_write_adds_exactly_that(console, state, speed: str) -> None:
    """`e`, `a`, `t`, `space` inside the text are letters of the note, not commands."""
    term = console(80, 24)
    text = "evidence taken at 02:14 from web-3"
    send(term, f"n{text}\r", speed)
    current = wait_state(state, lambda s: bool(user_entries(s)))
    assert [e["text"] for e in user_entries(current)] == [text]
    term.wait_quiet(0.7)
    assert term.count(f"Ann IC: {text}") == 1, term.screen_dump()
    assert "Evidence" not in term.text() and " L " not in term.text()  # no register, still UTC
    assert all(step["status"] == "todo" for step in current["checklist"])  # no step cycled
    assert not current["roles"]  # nobody assigned


@pytest.mark.parametrize("speed", SPEEDS)
def test_keys_after_d_go_into_the_new_draft(console, state, speed: str) -> None:
    term = console(120, 40)
    send(term, "dBridge moves to the new room", speed)
    current = wait_state(
        state, lambda s: bool(s["drafts"]) and s["drafts"][0]["body"].endswith("m")
    )
    assert [d["body"] for d in current["drafts"]] == ["Bridge moves to the new room"]


@pytest.mark.parametrize("speed", SPEEDS)
def test_keys_after_s_go_into_the_incident_title(console, state, speed: str) -> None:
    term = console(120, 40)
    send(term, "s: db replica", speed)  # the title field has the focus when `s` opens
    current = wait_state(state, lambda s: s["incident"]["title"].endswith("replica"))
    assert current["incident"]["title"] == "Replica export: db replica"


def test_filter_typed_in_one_write_filters(console, warroom) -> None:
    for text in ("alpha one", "beta two", "alpha three"):
        warroom("note", text)
    term = console(120, 40)
    term.burst("/alpha\r")
    term.wait_for("filter: /alpha")
    term.wait_quiet(0.5)
    assert term.count(": alpha one") == 1 and term.count(": beta two") == 0
    assert term.count("note     Ann IC: alpha three") == 1, term.screen_dump()
