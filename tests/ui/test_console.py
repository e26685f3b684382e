"""The console through Pilot: every key in the contract and each flow."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from textual.widgets import Input
from warroom.screens.assign import AssignScreen
from warroom.screens.draft import DraftScreen
from warroom.screens.help import HelpScreen
from warroom.screens.main import MainScreen
from warroom.screens.unlock import UnlockScreen
from warroom.screens.widgets.timeline import TimelineView

from warroom.session import Session


async def test_unlock_with_the_right_passphrase(make_app, ui) -> None:
    app = make_app(passphrase=None)
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, UnlockScreen)
        field = app.screen.query_one("#passphrase", Input)
        assert field.password  # masked
        await pilot.press(*ui.PASSPHRASE)
        await pilot.press("enter")
        await ui.wait_unlocked(pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.session.state.incident.codename == "amber-heron"


async def test_unlock_with_a_wrong_passphrase_says_so(make_app, ui) -> None:
    app = make_app(passphrase=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*"not the passphrase", "enter")
        for _ in range(50):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if "wrong passphrase" in str(app.screen.query_one("#unlock-status").render()):
                break
        assert "wrong passphrase" in str(app.screen.query_one("#unlock-status").render())
        assert isinstance(app.screen, UnlockScreen) and app.session is None
        assert app.screen.query_one("#passphrase", Input).value == ""


async def test_number_keys_focus_the_four_panes(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        for key, widget_id in [
            ("2", "roster"),
            ("3", "timeline"),
            ("4", "drafts"),
            ("1", "checklist-list"),
        ]:
            await pilot.press(key)
            assert app.focused is not None and app.focused.id == widget_id, key


async def test_n_adds_a_note_and_escape_cancels(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        before = len(app.session.state.entries)
        await pilot.press("1", "n")
        assert app.focused.id == "command-input"
        await pilot.press(*"web-3 isolated", "enter")
        texts = [e.text for e in app.session.state.entries.values()]
        assert "web-3 isolated" in texts and len(texts) == before + 1
        timeline = app.screen.query_one(TimelineView)
        assert timeline.entries[-1].text == "web-3 isolated"  # follows the tail
        assert app.focused.id == "checklist-list"  # where it was: the note shows anyway
        await pilot.press("1", "n", *"never mind", "escape")
        assert len(app.session.state.entries) == before + 1
        assert app.focused.id == "checklist-list"
        assert app.screen.query_one("#command-input", Input).value == ""
    with Session.unlock(app.incident_path, ui.PASSPHRASE) as s:
        assert any(e.text == "web-3 isolated" for e in s.state.entries.values())


async def test_space_cycles_the_selected_step(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("1")
        step_id = app.screen.query_one("#checklist").selected_step()
        assert step_id == "stop-attack"
        await pilot.press("down")  # cut-vector: doing
        step_id = app.screen.query_one("#checklist").selected_step()
        assert app.session.state.steps[step_id].status == "doing"
        await pilot.press("space")
        assert app.session.state.steps[step_id].status == "done"
        system = [e.text for e in app.session.state.entries.values() if e.system]
        assert any("Cut off the attack vector" in t and "done" in t for t in system)


async def test_a_assigns_a_step_to_someone_on_the_roster(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("1", "a")
        assert isinstance(app.screen, AssignScreen)
        await pilot.press("down", "enter")  # second person: Dana Ortiz
        assert app.session.state.steps["stop-attack"].assignee == "Dana Ortiz"


async def test_a_assigns_a_role_to_a_new_person(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("2", "down", "down")  # ic, deputy, scribe
        assert app.screen.query_one("#roster").selected() == "role:scribe"
        await pilot.press("a")
        assert isinstance(app.screen, AssignScreen)
        app.screen.query_one("#assign-name", Input).focus()
        await pilot.press(*"Sam Okafor", "enter")
        assert [p.name for p in app.session.state.holders("scribe")] == ["Sam Okafor"]


async def test_enter_on_an_empty_name_says_what_to_do_and_assigns_nothing(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("2", "down", "down", "a")  # the scribe role
        app.screen.query_one("#assign-name", Input).focus()
        await pilot.press("space", "enter")
        assert isinstance(app.screen, AssignScreen)  # still asking, and saying so
        said = [n.message for n in app._notifications]
        assert said.count("Type a name, or pick someone above (Esc cancels)") == 1
        assert not app.session.state.holders("scribe")


async def test_d_opens_a_new_draft_that_autosaves(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        before = set(app.session.state.drafts)
        await pilot.press("d")
        assert isinstance(app.screen, DraftScreen)
        await pilot.press(*"Bridge moves to the new room")
        typed = time.monotonic()

        def saved_bodies() -> list[str]:
            return [d.body for i, d in app.session.state.drafts.items() if i not in before]

        while time.monotonic() - typed < 1.0 and saved_bodies() != ["Bridge moves to the new room"]:
            await pilot.pause(0.05)
        assert saved_bodies() == ["Bridge moves to the new room"], "not saved within 1 s"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_slash_filters_the_timeline(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("slash", *"snapshot", "enter")
        timeline = app.screen.query_one(TimelineView)
        assert [e.text for e in timeline.entries] == ["Snapshot snap-0a1b2c3d taken"]
        await pilot.press("slash", "escape")
        assert len(timeline.entries) == len(app.session.state.entries)


async def test_question_mark_opens_help(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_ctrl_l_locks_and_drops_the_state(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert app.session is None
        assert not any(isinstance(s, MainScreen) for s in app.screen_stack)


async def test_auto_lock_after_idle_minutes(make_app, ui) -> None:
    fake = ui.FakeMonotonic()
    app = make_app(monotonic=fake, auto_lock_minutes=15)
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        fake.now += 14 * 60
        app.check_auto_lock()
        assert app.session is not None
        await pilot.press("3")  # activity resets the idle clock
        fake.now += 14 * 60
        app.check_auto_lock()
        assert app.session is not None
        fake.now += 61
        app.check_auto_lock()
        await pilot.pause()
        assert app.session is None and isinstance(app.screen, UnlockScreen)


async def test_ctrl_q_quits(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running and app.return_code == 0


async def test_every_binding_has_an_id_and_can_be_remapped(make_app, ui) -> None:
    app = make_app(keymap={"note": "ctrl+n"})
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        for binding in [*app.BINDINGS, *MainScreen.BINDINGS]:
            assert binding.id, binding
        await pilot.press("ctrl+n")
        assert app.focused.id == "command-input"


async def test_another_process_note_appears_within_a_second(make_app, ui, tmp_path: Path) -> None:
    app = make_app()
    code = (
        "from warroom.session import Session\n"
        f"s = Session.unlock({str(app.incident_path)!r}, {ui.PASSPHRASE!r})\n"
        "s.add_note('written by the deputy elsewhere')\n"
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert child.returncode == 0, child.stderr
        written = time.monotonic()
        timeline = app.screen.query_one(TimelineView)
        while time.monotonic() - written < 1.0:
            if any(e.text == "written by the deputy elsewhere" for e in timeline.entries):
                break
            await pilot.pause(0.05)
        assert any(e.text == "written by the deputy elsewhere" for e in timeline.entries)


async def test_compact_layout_at_80x24(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.wait_unlocked(pilot)
        assert app.screen.has_class("compact")
        assert app.screen.query_one("#checklist").display
        await pilot.press("3")
        shown = [
            p
            for p in ("checklist", "roster", "timeline-pane", "drafts")
            if app.screen.query_one(f"#{p}").has_class("active")
        ]
        assert shown == ["timeline-pane"]
        await pilot.press("1", "n", *"seen at 80 columns", "enter")  # one pane shows:
        assert app.focused.id == "timeline"  # the note lands where it can be seen
        assert app.screen.query_one("#timeline-pane").has_class("active")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        assert not app.screen.has_class("compact")


async def test_new_incident_wizard_declares_and_opens(tmp_path: Path, ui) -> None:
    from warroom.screens.app import build_app
    from warroom.screens.wizard import NewIncidentScreen

    app = build_app(None, new_in=tmp_path, kdf="interactive", device=ui.frozen_device(), keymap={})
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, NewIncidentScreen)
        first = app.screen.query_one("#new-codename", Input).value
        await pilot.press("ctrl+r")
        second = app.screen.query_one("#new-codename", Input).value
        assert second != first and app.screen.query_one("#new-path", Input).value.endswith(
            f"{second}.db"
        )
        await pilot.press(*"Edge 5xx spike")
        app.screen.query_one("#new-pass", Input).value = "shortpass"  # 9: an offline guess away
        app.screen.query_one("#new-pass2", Input).value = "shortpass"
        await pilot.press("ctrl+s")
        assert "give at least 10" in str(app.screen.query_one("#new-status").render())
        assert isinstance(app.screen, NewIncidentScreen)
        app.screen.query_one("#new-pass", Input).value = "a passphrase"
        app.screen.query_one("#new-pass2", Input).value = "another"
        await pilot.press("ctrl+s")
        assert "differ" in str(app.screen.query_one("#new-status").render())
        app.screen.query_one("#new-pass2", Input).value = "a passphrase"
        await pilot.press("ctrl+s")
        await ui.wait_unlocked(pilot)
        assert app.session.state.incident.codename == second
        assert app.session.state.incident.title == "Edge 5xx spike"
    assert (tmp_path / f"{second}.db").exists()
    with Session.unlock(tmp_path / f"{second}.db", "a passphrase") as s:
        assert len(s.state.steps) == 14


async def test_a_forged_signature_is_flagged_in_the_console(make_app, ui) -> None:
    import sqlite3

    app = make_app()
    with Session.unlock(app.incident_path, ui.PASSPHRASE, device=ui.frozen_device()) as s:
        entry_id = s.add_note("this row's signature will be broken")
        entry = s.state.entries[entry_id]
    with sqlite3.connect(app.incident_path) as db:
        sig = db.execute("SELECT sig FROM events WHERE seq=?", (entry.seq,)).fetchone()[0]
        forged = bytes([sig[0] ^ 1]) + sig[1:]
        db.execute("UPDATE events SET sig=? WHERE seq=?", (forged, entry.seq))
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        waited = time.monotonic()  # the background signature check starts after first paint
        while not app.signature_problems and time.monotonic() - waited < 10:
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
        assert [p.seq for p in app.signature_problems] == [entry.seq]
        timeline = app.screen.query_one(TimelineView)
        line = timeline.line_text(next(e for e in timeline.entries if e.id == entry_id))
        assert line.plain.startswith("!! TAMPERED")
        assert "failed integrity" in str(app.screen.query_one("#header").render())


async def test_t_toggles_utc_and_local_time(make_app, ui, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30, no daylight saving
    time.tzset()
    try:
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await ui.wait_unlocked(pilot)
            timeline = app.screen.query_one(TimelineView)
            first = timeline.entries[0]
            assert timeline.line_text(first).plain.startswith("11-18 09:31 Z")
            await pilot.press("t")
            assert timeline.line_text(first).plain.startswith("11-18 15:01 L")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_command_palette_offers_every_action(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Cycle step")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.state.steps["stop-attack"].status == "todo"  # done -> todo


async def test_keymap_file_remaps_keys_and_the_key_line_says_so(
    make_app, ui, isolated_config: Path
) -> None:
    (isolated_config / "keymap.toml").write_text('note = "ctrl+n"\n')
    app = make_app(keymap=None)  # read from the config dir, as a user's would be
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        hints = str(app.screen.query_one("#key-hints").render())
        assert " ^n  Note " in hints and " n  Note " not in hints
        await pilot.press("ctrl+n")
        assert app.focused.id == "command-input"
