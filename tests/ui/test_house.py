"""The UI's house (issue #11): what the user is shown is literal text, every key in
the contract can be remapped (a bad keymap is an error before the UI starts), and a
time no calendar holds is shown as `?`, never a crash."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest
from warroom.screens.draft import DraftScreen
from warroom.screens.main import MainScreen
from warroom.screens.widgets.timeline import TimelineView

from warroom.clock import HybridClock
from warroom.device import save_name
from warroom.session import Session

SCREENS = Path(__file__).resolve().parents[2] / "screens"
LIVE_MARKUP = "[@click=app.quit]quit[/]"


# -- results and errors, as literal text --------------------------------------------


async def test_a_refused_approval_shows_the_subject_literally_and_clicking_it_does_nothing(
    make_app, ui
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ui.wait_unlocked(pilot)
        draft_id = app.session.save_draft(
            channel="email",
            sender="marcus@example.com",
            to=["dana@example.com"],
            subject=LIVE_MARKUP,
            body="Scope so far.",
        )
        app.state_changed()
        app.push_screen(DraftScreen(app.session, draft_id))
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert app.session.state.drafts[draft_id].status != "approved"
        refused = [n for n in app._notifications if "cannot be approved" in n.message]
        assert refused
        await pilot.pause(0.2)
        toast = app.screen.query_one("Toast")
        shown = str(toast.render())
        region = toast.region
        live = [
            (x, y)
            for y in range(region.y, region.bottom)
            for x in range(region.x, region.right)
            if "@click" in app.screen.get_style_at(x, y).meta
        ]
        # A live [@click=app.quit] would quit on a click on its text: click there,
        # or (none found, as it must be) anywhere on the notification.
        x, y = live[0] if live else region.center
        await pilot.click(offset=(x, y))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert not live
        assert LIVE_MARKUP in shown  # the brackets as typed, not a link


SHOWS = {"notify", "Static", "Label", "update", "add_row", "Option"}
"""Calls that put text on the screen; a plain str given to them is parsed as markup."""


def _made_up(node: ast.expr) -> bool:
    """Whether an argument is text put together at run time from values (an
    f-string, `+` or `%`, str(), .format(), .join()), not a constant or a Text."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _made_up(node.left) or _made_up(node.right) or isinstance(node.left, ast.Constant)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in {"str", "repr", "format", "one_line"}
        if isinstance(func, ast.Attribute) and func.attr in {"format", "join"}:
            made_by = func.value  # Text("\n").join(...) is a Text: literal
            return not (isinstance(made_by, ast.Call) and getattr(made_by.func, "id", "") == "Text")
    return False


def _markup_off(call: ast.Call) -> bool:
    return any(
        k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    )


def test_no_text_put_together_from_values_reaches_the_screen_as_markup() -> None:
    """An AST walk over screens/: every notify() passes markup=False (there is one, in
    safe.show_result), and no widget is given a str made from values unless
    markup=False: such text goes through safe.literal/assemble (a literal Text)."""
    offenders = []
    for path in sorted(SCREENS.rglob("*.py")):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in SHOWS or _markup_off(call):
                continue
            if name == "notify" or any(_made_up(a) for a in call.args):
                offenders.append(f"{path.relative_to(SCREENS)}:{call.lineno}")
    assert not offenders, offenders


# -- times no calendar holds ------------------------------------------------------------

FAR_FUTURE_MS = 300_000_000_000_000  # the year 11476: past datetime's year 9999


async def test_an_entry_stamped_outside_the_calendar_shows_as_a_question_mark(
    make_app, ui, incident: Path
) -> None:
    """A hostile (or broken) device's clock: its events carry that time. (A clock
    that reads before the epoch cannot do it: the HLC never stamps below 0.)"""
    stamp = FAR_FUTURE_MS
    hostile = ui.frozen_device("Mallory", seed=7)
    with Session.unlock(
        incident, ui.PASSPHRASE, device=hostile, clock=HybridClock(lambda: stamp)
    ) as s:
        s.add_note("written by a clock gone wrong")
        s.save_draft(channel="chat", topic="Attorney Work Project: bridge", body="x")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        assert isinstance(app.screen, MainScreen)
        timeline = app.screen.query_one(TimelineView)
        entry = next(e for e in timeline.entries if e.text == "written by a clock gone wrong")
        assert entry.at == stamp
        assert timeline.line_text(entry).plain.removeprefix("!! TAMPERED ").startswith("? ")
        await pilot.press("3", "end", "t")  # local time too
        await pilot.pause()
        assert timeline.line_text(entry).plain.removeprefix("!! TAMPERED ").startswith("? ")


# -- the key contract: every screen's keys, a bad keymap refused before the UI ------


async def test_the_draft_editors_keys_can_be_remapped_from_the_keymap_file(
    make_app, ui, isolated_config: Path
) -> None:
    """`draft.approve = "ctrl+o"` crashed the console with a traceback (unknown id)."""
    (isolated_config / "keymap.toml").write_text('draft.approve = "ctrl+o"\n')
    app = make_app(keymap=None)  # read from the config dir, as a user's would be
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("4", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DraftScreen)
        await pilot.press("ctrl+o")
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert any("cannot be approved" in m for m in said), said  # the approve action ran


@pytest.mark.parametrize(
    ("toml", "line", "words"),
    [
        ('note = "ctrl+n"\ndraft.aprove = "ctrl+o"\n', 2, "unknown binding id 'draft.aprove'"),
        ('\n\n"export.run" = "ctrl+"\n', 3, "export.run: 'ctrl+' is not a key"),
        ('help.close = "hyperdrive"\n', 1, "'hyperdrive' is not a key"),
        ("timeline.up = 5\n", 1, "a key is a string, not an integer"),
        ('note = "n\n', 1, "TOML syntax error"),
    ],
)
def test_a_keymap_the_console_cannot_use_is_one_line_before_the_ui(
    isolated_config: Path, tmp_path: Path, toml: str, line: int, words: str
) -> None:
    """`warroom open` says so, exit 2, and the UI never starts (in a real pty)."""
    keymap = isolated_config / "keymap.toml"
    keymap.write_text(toml)
    path, pass_file = tmp_path / "inc.db", tmp_path / "pass"
    pass_file.write_text("pw\n")
    pass_file.chmod(0o600)
    with Session.create(path, "pw", kdf="interactive") as s:
        s.add_note("x")
    said = _console_output(isolated_config, "open", str(path), "--passphrase-file", str(pass_file))
    assert said.startswith(f"warroom: {keymap}:{line}: "), said
    assert words in said


@pytest.mark.parametrize("command", [("new", "--dir", "."), ("demo", "--dir", "demo")])
def test_new_and_demo_refuse_a_bad_keymap_before_the_ui(
    isolated_config: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    keymap = isolated_config / "keymap.toml"
    keymap.write_text('draft.approve = "ctrl+o"\nnew.declare = "ctrl+s+"\n')
    said = _console_output(isolated_config, *command, cwd=tmp_path)
    assert said.startswith(f"warroom: {keymap}:2: new.declare: "), said
    assert not list(tmp_path.rglob("*.db"))  # the demo was not made


def _console_output(config: Path, *args: str, cwd: Path | None = None) -> str:
    """What a console command printed in a pty, where it must have exited 2 at once
    with one line and no UI (no alternate screen, nothing drawn)."""
    from ptyterm import PtyTerminal

    save_name(config, "Ann IC")  # else the first run asks for a name
    env = {**os.environ, "WARROOM_CONFIG_DIR": str(config)}
    with PtyTerminal([sys.executable, "-m", "warroom", *args], env=env, cwd=cwd) as term:
        assert term.wait_exit(30) == 2, term.screen_dump()
        term.wait_quiet(0.2)
        raw = bytes(term.raw).decode("utf-8", "replace")
    assert "\x1b[" not in raw, raw  # nothing drawn: the UI did not start
    assert "Traceback" not in raw, raw
    lines = raw.strip().splitlines()
    assert len(lines) == 1, raw
    return lines[0]


def test_every_binding_of_every_screen_is_in_the_key_contract() -> None:
    """The screens' BINDINGS come from keys.py, each with an id a keymap may name."""
    from textual.binding import Binding
    from warroom.screens import keys

    ids = {b.id for b in keys.all_keys()}
    for path in sorted(SCREENS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        made = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Binding"
        ]
        if path.name != "keys.py":
            for call in made:  # only widgets of Textual's own kind, with no id, elsewhere
                assert not any(k.arg == "id" for k in call.keywords), f"{path.name}:{call.lineno}"
    for binding in keys.all_keys():
        assert isinstance(binding, Binding) and binding.id in ids
    for wanted in (
        "draft.approve",
        "export.run",
        "new.declare",
        "assign.cancel",
        "help.close",
        "timeline.up",
        "form.save",
        "evidence.add",
        "quit",
    ):
        assert wanted in ids


def test_hash_progress_messages_merge_per_file() -> None:
    """A slow UI gets a file's latest progress once, not every step (can_replace)."""
    from warroom.screens.messages import HashJob, HashProgress

    one, other = HashJob(Path("a.img")), HashJob(Path("b.img"))
    assert HashProgress(one).can_replace(HashProgress(one))
    assert not HashProgress(one).can_replace(HashProgress(other))
