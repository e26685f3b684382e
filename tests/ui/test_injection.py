"""Untrusted text is shown, never obeyed: markup stays literal, escapes never reach the tty."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from ptyterm import PtyTerminal
from warroom.screens.widgets.timeline import TimelineView

from warroom.session import Session

MARKUP = [
    "[bold]x[/]",
    "[link=https://evil.example]click me[/link]",
    "[@click=app.quit]quit[/]",
    "unterminated [bold",
]
ESCAPES = {
    "csi colour": "\x1b[31mRED-CSI\x1b[0m",
    "device status report": "ask\x1b[6n",
    "osc 52 clipboard": "\x1b]52;c;cm0gLXJmIH4=\x07clip",
    "osc 8 hyperlink": "\x1b]8;;https://evil.example\x1b\\LINK\x1b]8;;\x1b\\",
    "alt screen off": "\x1b[?1049lALT",
    "c1 csi": "\x9b31mC1-CSI",
    "bidi override": "abc\u202edcba\u2066x\u2069",
}
FORBIDDEN = [
    b"\x1b[31mRED-CSI",
    b"\x1b[6n",
    b"\x1b]52;",
    b"\x1b]8;;https://evil",
    b"\x1b[?1049lALT",
    "\x9b".encode(),
    "\u202e".encode(),
    "\u2066".encode(),
    b"\x9b31m",
]


def seed(path: Path, ui) -> None:  # noqa: ANN001
    with Session.unlock(path, ui.PASSPHRASE, device=ui.frozen_device()) as s:
        for text in [*MARKUP, *ESCAPES.values()]:
            s.add_note(text, author="[red]mallory[/red]\x1b[5m")
        s.add_person("[b]Eve[/b] \x1b]52;c;ZXZl\x07", email="eve@example.com")


async def test_markup_in_notes_and_names_shows_literally(make_app, ui, incident: Path) -> None:
    seed(incident, ui)
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await ui.wait_unlocked(pilot)
        timeline = app.screen.query_one(TimelineView)
        lines = [timeline.line_text(e) for e in timeline.entries]
        plain = [line.plain for line in lines]
        for markup in MARKUP:
            assert any(markup in p for p in plain), markup
        assert all("[red]mallory[/red]" in p for p in plain if "mallory" in p)
        for line in lines:  # no style came from the text: no link, no click action
            for span in line.spans:
                style = span.style if not isinstance(span.style, str) else None
                assert style is None or (style.link is None and not style.meta), span
        roster = app.screen.query_one("#roster")
        prompts = [str(roster.get_option_at_index(i).prompt) for i in range(roster.option_count)]
        assert any("[b]Eve[/b]" in p for p in prompts)
        assert not any("\x1b" in p for p in prompts)
        await pilot.click(TimelineView)  # clicking a "[@click=app.quit]" line quits nothing
        assert app.is_running


def run_in_pty(args: list[str], env: dict[str, str], until: str, seconds: float) -> bytes:
    """Run the console in a 200x50 pseudo-terminal (wide enough for every hostile line
    whole) until `until` shows and the screen has settled, quit it with ctrl+q; return
    every byte it wrote."""
    with PtyTerminal(args, cols=200, rows=50, env=env) as term:
        term.wait_for(until, seconds)
        term.wait_quiet(1.5)  # let the rest of the screen paint
        term.burst("\x11")  # ctrl+q
        term.wait_exit(10)
    return bytes(term.raw)


GREYS_256 = {0, 7, 8, 15, 16, 231, *range(232, 256)}
GREYS_16 = {30, 37, 40, 47, 90, 97, 100, 107}


def coloured_sgr(out: bytes) -> list[str]:
    """SGR colours that are not shades of grey (what NO_COLOR forbids)."""
    found = []
    for params in re.findall(rb"\x1b\[([0-9;]*)m", out):
        p = [int(x) for x in params.split(b";") if x]
        i = 0
        while i < len(p):
            if p[i] in (38, 48) and i + 2 < len(p) and p[i + 1] == 5:
                if p[i + 2] not in GREYS_256:
                    found.append(params.decode())
                i += 3
            elif p[i] in (38, 48) and i + 4 < len(p) and p[i + 1] == 2:
                if not p[i + 2] == p[i + 3] == p[i + 4]:
                    found.append(params.decode())
                i += 5
            else:
                if (30 <= p[i] <= 47 or 90 <= p[i] <= 107) and p[i] not in GREYS_16:
                    found.append(params.decode())
                i += 1
    return found


@pytest.mark.parametrize("no_color", [False, True])
def test_no_escape_from_the_corpus_reaches_the_terminal(
    incident: Path,
    ui,
    tmp_path: Path,
    no_color: bool,  # noqa: ANN001
) -> None:
    seed(incident, ui)
    config = tmp_path / "cfg"
    config.mkdir()
    (config / "profile.json").write_text(json.dumps({"name": "tester"}))
    pass_file = tmp_path / "pass"
    pass_file.write_text(ui.PASSPHRASE + "\n")
    pass_file.chmod(0o600)
    env = {
        **os.environ,
        "WARROOM_CONFIG_DIR": str(config),
    }
    if no_color:
        env["NO_COLOR"] = "1"
    out = run_in_pty(
        [
            sys.executable,
            "-m",
            "warroom",
            "open",
            str(incident),
            "--passphrase-file",
            str(pass_file),
            "--auto-lock",
            "0",
        ],
        env,
        until="amber-heron",
        seconds=30,
    )
    assert b"amber-heron" in re.sub(rb"\x1b\[[0-9;?]*[a-zA-Z]", b"", out), out[-2000:]
    for sequence in FORBIDDEN:
        assert sequence not in out, sequence
    # the visible rest of the corpus did arrive, stripped of its controls
    text = re.sub(rb"\x1b\[[0-9;?]*[a-zA-Z]", b"", out)
    assert b"RED-C" in text and b"ask[6n" in text and b"]52;c;" in text
    if no_color:
        assert not coloured_sgr(out), "colour despite NO_COLOR"
