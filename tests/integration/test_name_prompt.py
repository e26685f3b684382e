"""The first-use name prompt, in a real terminal: Enter alone takes the OS user name
(shown as the default), saves it, and no later command asks again."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ptyterm import PtyTerminal

PROMPT = "Your name as it will appear on timelines"
OS_USER = "ann-os"


def in_terminal(cli, argv: list[str], *, answer: str | None) -> str:  # noqa: ANN001
    """Run `python -m warroom ARGV` in a pty, as the `cli` fixture would, with LOGNAME
    alone naming the user (as under su, cron or a bare container: no $USER). Press
    `answer` + Enter at the name prompt (None: expect none). The screen, once it exited 0."""
    env = cli.env(extra={"LOGNAME": OS_USER})
    env.pop("USER", None)
    with PtyTerminal([sys.executable, "-m", "warroom", *argv], cols=100, env=env) as term:
        if answer is not None:
            term.wait_for(PROMPT)
            term.burst(answer + "\r")
        assert term.wait_exit(timeout=60) == 0, term.screen_dump()
        return term.text()


def test_enter_at_the_name_prompt_takes_the_os_user_name_and_asks_once(
    cli, tmp_path: Path, config_dir: Path
) -> None:
    path = tmp_path / "inc.db"
    screen = in_terminal(cli, ["init", str(path), "--kdf", "interactive"], answer="")
    assert screen.count(f"{PROMPT} [{OS_USER}]:") == 1
    assert json.loads((config_dir / "profile.json").read_text()) == {"name": OS_USER}

    assert PROMPT not in in_terminal(cli, ["note", str(path), "first note"], answer=None)
    shown = cli("show", path, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    timeline = json.loads(shown.stdout)["timeline"]
    assert [e["author"] for e in timeline if e["text"] == "first note"] == [OS_USER]


def test_a_name_typed_at_the_prompt_is_kept(cli, tmp_path: Path, config_dir: Path) -> None:
    in_terminal(cli, ["init", str(tmp_path / "inc.db"), "--kdf", "interactive"], answer=" Ann Lee ")
    assert json.loads((config_dir / "profile.json").read_text()) == {"name": "Ann Lee"}
