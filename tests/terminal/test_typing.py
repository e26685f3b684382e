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


@pytest.mark.parametrize("speed", SPEEDS)
def test_three_notes_in_one_write_all_land_in_order(console, state, speed: str) -> None:
    """A paste or a laggy link delivers several notes at once: the `n` after an Enter
    opens the next note (it went to the closing note input, and the note's letters
    then ran as commands: `s`, `e`, `c` opened the evidence register, `d` a draft)."""
    term = console(120, 40)
    notes = ["first scene", "second: disk seized", "third: creds rotated"]
    send(term, "".join(f"n{text}\r" for text in notes), speed)
    current = wait_state(state, lambda s: len(user_entries(s)) >= 3)
    term.wait_quiet(0.7)
    assert [e["text"] for e in user_entries(current)] == notes
    for text in notes:
        assert term.count(f"Ann IC: {text}") == 1, term.screen_dump()
    assert not current["drafts"] and not current["evidence"]
    assert "Evidence register" not in term.text()


@pytest.mark.parametrize("key", ["\x0c", "\x11"])  # ctrl+l, ctrl+q
def test_a_note_sent_with_lock_or_quit_behind_it_is_saved_first(console, state, key: str) -> None:
    term = console(120, 40)
    term.burst(f"nlast words before leaving\r{key}")
    if key == "\x11":
        assert term.wait_exit(15) == 0, term.screen_dump()
    else:
        term.wait_for("passphrase")
        term.wait_quiet(0.5)
        assert term.proc.poll() is None, term.screen_dump()  # locked, not crashed
        assert "Traceback" not in term.text()
    texts = [e["text"] for e in user_entries(state())]
    assert texts == ["last words before leaving"]


def test_a_filter_says_what_it_hides_and_esc_shows_all(
    console, warroom, console_env: dict[str, str], incident: Path, passfile: Path, tmp_path: Path
) -> None:
    """A filter left on must not hide an urgent note unseen: the pane's title counts
    what it hides, new entries too, and Esc (no `/` first) shows everything."""
    for text in ("alpha one", "beta two"):
        warroom("note", text)
    term = console(120, 40)
    term.burst("3/alpha\r")
    term.wait_for("FILTER /alpha: 2 hidden")  # "beta two" and the declaration
    other = {**console_env, "WARROOM_CONFIG_DIR": str(tmp_path / "bob")}
    subprocess.run(
        [sys.executable, "-m", "warroom", "note", str(incident), "-"]
        + ["--passphrase-file", str(passfile)],
        input="ATTACKER back on web-3", text=True, env=other, check=True,
        capture_output=True, timeout=60,
    )  # fmt: skip
    term.wait_for("FILTER /alpha: 3 hidden")
    assert term.count("ATTACKER back on web-3") == 0
    term.burst("\x1b")
    term.wait_for(": ATTACKER back on web-3")
    term.wait_quiet(0.7)
    assert term.count("FILTER") == 0, term.screen_dump()
    assert term.count(": beta two") == 1 and term.count(": alpha one") == 1
    assert term.count("3 Timeline") == 1
