"""Sync from the console in a real terminal, through a real relay on 127.0.0.1: a
scribe joined by invite syncs a note; `y` in the IC's console brings it in, once, and
sends the IC's own note back; `Y` keeps syncing with no key pressed; a relay that
dies is said in the header and once as a notice, not silently. Keys are sent as one
burst and at a person's speed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from privatefile import private_file
from relayproc import Relay

FIELD_NOTE = "gate 3 badge offline"  # short: a timeline row shows it whole
IC_NOTE = "gate 3 isolated"
SECOND_FIELD_NOTE = "gate 4 quiet"
CODENAME = "amber-heron"  # conftest


def run(env: dict[str, str], *argv: str, stdin: str = "") -> str:
    """`python -m warroom ARGV` as a user runs it; exit 0 asserted."""
    proc = subprocess.run(
        [sys.executable, "-m", "warroom", *argv],
        env=env, input=stdin, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def texts(env: dict[str, str], path: Path, passfile: Path) -> list[str]:
    out = run(env, "timeline", str(path), "--format", "json", "--passphrase-file", str(passfile))
    return [e["text"] for e in json.loads(out)]


class Scribe:
    """A second responder, with a config dir (so a device) of their own, who joined
    the IC's incident by invite and writes on a replica of their own."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        config = tmp_path / "scribe-config"
        config.mkdir(mode=0o700)
        (config / "profile.json").write_text('{"name": "Sam Scribe"}')
        self.env = {**env, "WARROOM_CONFIG_DIR": str(config)}
        self.path = tmp_path / "field.db"
        self.passfile = private_file(tmp_path / "scribe-pass", "scribe: another long passphrase")

    def join(self, invite: Path, invite_pass: Path) -> None:
        run(self.env, "join", str(invite), str(self.path), "--kdf", "interactive",
            "--invite-passphrase-file", str(invite_pass),
            "--passphrase-file", str(self.passfile))  # fmt: skip

    def note_and_sync(self, text: str) -> None:
        run(self.env, "note", str(self.path), "-", "--passphrase-file", str(self.passfile),
            stdin=text)  # fmt: skip
        self.sync()

    def sync(self) -> None:
        run(self.env, "sync", str(self.path), "--passphrase-file", str(self.passfile))

    def texts(self) -> list[str]:
        return texts(self.env, self.path, self.passfile)


@pytest.fixture
def relay(tmp_path: Path, console_env: dict[str, str]):  # noqa: ANN201
    data = tmp_path / "relay-data"
    data.mkdir()
    relay = Relay(data, tmp_path / "relay.log", console_env, tmp_path).start()
    yield relay
    relay.kill()


@pytest.fixture
def scribe(incident, passfile, console_env, relay, tmp_path) -> Scribe:  # noqa: ANN001
    """The IC's incident on the relay (its URL saved), and a scribe joined by invite
    who has written one note and synced it."""
    run(console_env, "sync", str(incident), relay.url, "--passphrase-file", str(passfile))
    invite_pass = private_file(tmp_path / "invite-pass", "one-time: plane seat 14C")
    invite = tmp_path / "scribe.invite"
    run(console_env, "invite", str(incident), "--out", str(invite),
        "--invite-passphrase-file", str(invite_pass),
        "--passphrase-file", str(passfile))  # fmt: skip
    scribe = Scribe(tmp_path, console_env)
    scribe.join(invite, invite_pass)
    scribe.note_and_sync(FIELD_NOTE)
    return scribe


@pytest.mark.parametrize("send", ["burst", "type"])
def test_y_brings_the_scribes_note_in_once_and_sends_the_ics_back(  # noqa: PLR0913
    console, scribe, incident, passfile, console_env, send: str
) -> None:
    term = console(120, 40)
    assert term.count("sync: 0 unsynced") == 1, term.screen_dump()
    assert term.count(FIELD_NOTE) == 0

    getattr(term, send)("y")
    term.wait_for(FIELD_NOTE)
    term.wait_for("Synced: 0 sent, 1 received")
    term.wait_quiet(0.5)
    shown = term.count(FIELD_NOTE)  # its timeline row, and the detail line if selected
    assert term.count(f"Sam Scribe: {FIELD_NOTE}") == 1, term.screen_dump()  # one row
    assert term.count("sync: 0 unsynced, last just now") == 1, term.screen_dump()

    getattr(term, send)("y")  # nothing new: a second round changes nothing on screen
    term.wait_quiet(1.0)
    assert term.count(FIELD_NOTE) == shown, term.screen_dump()
    assert texts(console_env, incident, passfile).count(FIELD_NOTE) == 1

    getattr(term, send)(f"n{IC_NOTE}\r")
    term.wait_for("sync: 1 unsynced")
    getattr(term, send)("y")
    term.wait_for("Synced: 1 sent, 0 received")
    term.wait_for("sync: 0 unsynced")
    term.wait_quiet(0.5)
    assert term.count(f"Ann IC: {IC_NOTE}") == 1, term.screen_dump()  # its row, once
    scribe.sync()
    theirs = scribe.texts()
    assert theirs.count(IC_NOTE) == 1 and theirs.count(FIELD_NOTE) == 1, theirs


def test_Y_keeps_syncing_and_a_dead_relay_is_said_once(  # noqa: N802
    console, scribe, relay, console_env
) -> None:
    term = console(120, 40)
    term.burst("Y")
    term.wait_for("(watching)")
    term.wait_for(FIELD_NOTE)  # the first round runs at once
    scribe.note_and_sync(SECOND_FIELD_NOTE)
    term.wait_for(SECOND_FIELD_NOTE, timeout=30)  # no key pressed: the watch brought it
    term.wait_quiet(0.5)
    assert term.count(f"Sam Scribe: {SECOND_FIELD_NOTE}") == 1, term.screen_dump()  # one row

    relay.kill()
    term.wait_for("SYNC FAILED", timeout=30)
    term.wait_quiet(0.5)
    assert term.count("SYNC FAILED") == 1, term.screen_dump()
    notices = term.rows_with("127.0.0.1")
    assert len(notices) >= 1, term.screen_dump()  # the reason, naming the relay
    time.sleep(12.0)  # two more watch rounds fail the same way: not said again
    assert term.count("SYNC FAILED") == 1
    assert len(term.rows_with("127.0.0.1")) <= len(notices), term.screen_dump()

    term.burst("Y")
    term.wait_for("Stopped syncing in the background")
    term.wait_quiet(0.5)
    assert term.count("(watching)") == 0


def test_a_relay_that_cannot_be_reached_is_in_the_header_even_at_80x24(
    console, scribe, relay
) -> None:
    relay.kill()
    term = console(80, 24)
    assert term.count("SYNC FAILED") == 0
    term.type("y")
    term.wait_for("SYNC FAILED", timeout=30)
    term.wait_quiet(0.5)
    assert term.count("SYNC FAILED") == 1, term.screen_dump()
    assert term.lines()[0].startswith(f"{CODENAME}  SEV2  SYNC FAILED"), term.screen_dump()
