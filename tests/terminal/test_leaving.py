"""Typed text survives quitting, locking, a hang-up and SIGTERM; the console does not
outlive its terminal, and refuses to start without one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

EXIT_SECONDS = 2.0


def drafts(state: Callable[[], dict]) -> list[str]:
    return [d["body"] for d in state()["drafts"]]


def session_processes(sid: int) -> list[int]:
    """Processes still alive in the console's session (it and anything it started)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == sid:
                    alive.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return alive


@pytest.mark.parametrize("key", ["\x11", "\x0c"], ids=["ctrl+q", "ctrl+l"])
def test_draft_text_typed_just_before_quit_or_lock_is_saved(console, state, key: str) -> None:
    term = console(120, 40)
    term.burst("d")
    term.wait_for("Esc saves and closes")
    term.burst("Counsel joins at 14:00" + key)  # ctrl+q / ctrl+l within the same write
    if key == "\x11":
        assert term.wait_exit(5) == 0
    else:
        term.wait_for("passphrase")  # the unlock screen
    assert drafts(state) == ["Counsel joins at 14:00"]


def test_incident_field_typed_just_before_quit_is_saved(console, state) -> None:
    term = console(120, 40)
    term.burst("s")
    term.wait_for("Root cause")
    term.burst("\t\t\tKey leaked in CI\x11")  # title -> status -> severity -> summary
    assert term.wait_exit(5) == 0
    assert state()["incident"]["summary"] == "Key leaked in CI"


def test_typing_on_is_saved_at_least_once_a_second(console, state) -> None:
    term = console(120, 40)
    term.burst("d")
    term.wait_for("Esc saves and closes")
    typed = ""
    started = time.monotonic()
    saves: list[str] = []
    while time.monotonic() - started < 3.0:
        term.type("word ", delay=0.05)  # never a pause of 0.8 s
        typed += "word "
        body = (drafts(state) or [""])[0]
        if body and (not saves or body != saves[-1]):
            saves.append(body)
    assert len(saves) >= 2, saves  # saved while typing went on, not only at the end
    assert all(typed.startswith(s) for s in saves)


@pytest.mark.parametrize("how", ["hangup", "sigterm"])
def test_hangup_or_sigterm_while_typing_saves_and_exits(console, state, how: str) -> None:
    term = console(120, 40)
    term.burst("d")
    term.wait_for("Esc saves and closes")
    text = "Bridge moved to room 4, everyone on the call"
    term.type(text, delay=0.03)
    pid = term.proc.pid
    sent = time.monotonic()
    if how == "hangup":
        term.hangup()  # the terminal goes away, as when the SSH link drops
    else:
        os.kill(pid, signal.SIGTERM)
    code = term.wait_exit(5)
    took = time.monotonic() - sent
    assert code == (129 if how == "hangup" else 143), code
    assert took <= EXIT_SECONDS, f"exited {took:.2f} s after the {how}"
    assert session_processes(pid) == []
    body = drafts(state)[0]
    assert text.startswith(body) and len(text) - len(body) <= 30  # at most ~1 s of keys lost


def test_console_exits_when_its_terminal_is_gone_even_if_sighup_is_ignored(
    incident: Path, passfile: Path, console_env: dict[str, str], state, tmp_path: Path
) -> None:
    """SIGHUP ignored by whatever started it (nohup): the dead terminal is noticed anyway."""
    from ptyterm import PtyTerminal

    ignore_hup = (
        "import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
        "os.execv(sys.executable, [sys.executable, '-m', 'warroom', *sys.argv[1:]])"
    )
    argv = [sys.executable, "-c", ignore_hup, "open", str(incident)]
    argv += ["--passphrase-file", str(passfile), "--auto-lock", "0"]
    with PtyTerminal(argv, cols=120, rows=40, env=console_env, cwd=tmp_path) as term:
        term.wait_for("amber-heron", timeout=60)
        term.burst("d")
        term.wait_for("Esc saves and closes")
        term.burst("still here")
        time.sleep(0.3)
        term.hangup()
        assert term.wait_exit(5) == 129, "the console outlived its terminal"
    assert drafts(state) == ["still here"]


@pytest.mark.parametrize(
    "args",
    [["open", "{path}"], ["new"], ["demo", "--dir", "{tmp}/demo"]],
    ids=["open", "new", "demo"],
)
def test_console_commands_refuse_without_a_terminal(
    args: list[str], incident: Path, passfile: Path, console_env: dict[str, str], tmp_path: Path
) -> None:
    argv = [a.format(path=incident, tmp=tmp_path) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "warroom", *argv],
        env={**console_env, "WARROOM_PASSPHRASE_FILE": str(passfile)},
        capture_output=True,
        text=True,
        timeout=30,
        input="",
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "needs a terminal" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "demo").exists()  # the demo made nothing it then left behind
