"""A console that stops on an error nobody foresaw prints where, never what: Textual's
own report listed every frame's local variables, which put the incident's plaintext
on the terminal and in its scrollback (a note's text, from a crash on locking)."""

from __future__ import annotations

import os
from pathlib import Path

SITECUSTOMIZE = """
import warroom.session

def add_note(self, text, *args, **kwargs):
    hidden = "".join(reversed(text))  # in this frame's locals only
    raise RuntimeError("boom " + hidden)

warroom.session.Session.add_note = add_note
"""


def test_an_unexpected_error_prints_where_it_happened_and_no_plaintext(
    console, console_env: dict[str, str], tmp_path: Path
) -> None:
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(SITECUSTOMIZE)
    console_env["PYTHONPATH"] = os.pathsep.join(
        [str(inject), *filter(None, [console_env.get("PYTHONPATH")])]
    )
    term = console(120, 40)
    term.burst("ncanary-plaintext-4471\r")
    assert term.wait_exit(15) == 1, term.screen_dump()
    term.wait_quiet(0.5)
    raw = bytes(term.raw)
    assert b"the console stopped on an unexpected RuntimeError" in raw, raw[-2000:]
    assert b"(add_note)" in raw
    assert "canary-plaintext-4471"[::-1].encode() not in raw  # no frame's locals
    assert b"boom" not in raw  # nor the error's own words
