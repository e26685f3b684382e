"""What an IC under stress hit (issue 9), through Pilot: drafts told apart, the timeline
back at its tail after a filter, the keys that always show, the palette in words, the
demo's story. (The registers' part, 80 columns and the row just added, is in
test_registers.py, with their seed.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList, Static
from warroom.screens.keys import MAIN_KEYS, REGISTER_KEYS
from warroom.screens.palette import DOES
from warroom.screens.widgets.keyhints import KeyHints, key_line
from warroom.screens.widgets.timeline import TimelineView

import warroom.comms
from warroom.clock import HybridClock
from warroom.demo import create_demo
from warroom.session import Session
from warroom.state import attribution

MINUTE = 60_000


def screen_lines(app) -> list[str]:  # noqa: ANN001
    """The screen as a person sees it, one string per row."""
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


def plain(widget: Static) -> str:
    return str(widget.render())


# -- the drafts pane ----------


async def test_drafts_pane_rows_say_what_each_draft_is_its_errors_and_when(
    make_app, ui, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    later = HybridClock(lambda: ui.NOW + 30 * MINUTE)
    device = ui.frozen_device()
    with Session.unlock(app.incident_path, ui.PASSPHRASE, device=device, clock=later) as s:
        s.save_draft(
            channel="statement",
            audience="public",
            title="Security notice",
            body="We take security very seriously.",
        )
    reviews: list[str] = []
    review = warroom.comms.review
    monkeypatch.setattr(warroom.comms, "review", lambda *a: reviews.append(a[2].id) or review(*a))
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("4")
        pane = app.screen.query_one("#drafts", OptionList)
        rows = [pane.get_option_at_index(i).prompt.plain for i in range(pane.option_count)]
        assert rows == [
            "email     draft    ok       11:06Z  Scope so far: names and emails."
            "  → lena@counsel.example",
            "sms       draft    ok       11:06Z  Move to a secure channel  → +15550100",
            "statement draft    2 errors 11:36Z  Security notice",
        ]
        assert app._keyring is None  # no gpg: lena@counsel.example's key is not looked up
        assert sorted(reviews) == sorted(app.session.state.drafts)  # once per draft
        await pilot.press("n", *"bridge moved", "enter")  # a change that is not a draft's
        await pilot.pause()
        assert len(reviews) == 3  # the pane redrew nothing: no rules ran again


# -- the timeline filter ----------


async def test_clearing_a_filter_returns_the_timeline_to_its_tail(make_app, ui) -> None:
    app = make_app()
    with Session.unlock(app.incident_path, ui.PASSPHRASE, device=ui.frozen_device()) as s:
        for i in range(40):
            s.add_note(f"older note {i}", at=ui.NOW - (300 - i) * MINUTE)
    async with app.run_test(size=(80, 24)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("3", "slash", *"Dana", "enter")
        await pilot.pause()
        timeline = app.screen.query_one(TimelineView)
        assert len(timeline.entries) == 5
        await pilot.press("slash", "escape")
        await pilot.pause()
        newest = app.session.state.timeline()[-1]
        assert timeline.current() is newest and timeline.cursor == len(timeline.entries) - 1
        top, height = timeline.scroll_offset.y, timeline.scrollable_content_region.height
        assert top <= timeline.cursor < top + height  # in view, not only selected


# -- the key line and the palette ----------

ALWAYS = " ?  Help  ^p  Palette  ^q  Quit "


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_help_palette_and_quit_always_show_on_the_key_line(make_app, ui, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await ui.wait_unlocked(pilot)
        line = screen_lines(app)[-1]
        assert line.endswith(ALWAYS) and line.count("…") == 1
        await pilot.press("e")  # a register's key line too
        line = screen_lines(app)[-1]
        assert line.endswith(ALWAYS) and line.startswith(" a  Add item  c  Custody note ")


def test_the_key_line_drops_what_does_not_fit_for_an_ellipsis() -> None:
    assert key_line(MAIN_KEYS, {}, 80).plain == (  # the four pane keys as one hint
        " 1-4  Panes  n  Note  space  Cycle step …        ?  Help  ^p  Palette  ^q  Quit "
    )
    remapped = key_line(MAIN_KEYS, {"focus.roster": "r"}, 80).plain  # not 1-4 any more
    assert remapped.startswith(" 1  Checklist  r  Roster  3  Timeline …")
    wide = key_line(MAIN_KEYS, {"help": "f1", "quit": "ctrl+x"}, 400).plain
    assert wide.endswith(" f1  Help  ^p  Palette  ^x  Quit ") and "…" not in wide
    assert wide.count(" Help ") == 1 and wide.count(" Lock ") == 1
    assert len(key_line(MAIN_KEYS, {}, 400)) == 400


async def test_the_key_line_is_drawn_for_the_width_after_a_resize(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert plain(app.screen.query_one(KeyHints)).endswith(ALWAYS)
        assert screen_lines(app)[-1].endswith(ALWAYS)


async def test_the_palette_says_what_each_command_does_and_its_key(make_app, ui) -> None:
    app = make_app(keymap={"evidence.open": "E"})
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.5)
        shown = "\n".join(screen_lines(app))
        assert "Go to the checklist  (key 1)" in shown
        assert "focus_pane" not in shown and "app.export_drafts" not in shown
        await pilot.press(*"Evidence")
        await pilot.pause(0.5)
        shown = "\n".join(screen_lines(app))
        expected = "Open the evidence register: items, hashes, chain of custody  (key E)"
        assert shown.count(expected) == 1 and "open_register" not in shown
        await pilot.press("escape")
        await pilot.press("E", "ctrl+p")
        await pilot.pause(0.5)
        await pilot.press(*"Evidence register: Custody")
        await pilot.pause(0.5)
        shown = "\n".join(screen_lines(app))
        assert shown.count("Add a chain-of-custody note to the selected item  (key c)") == 1


def test_every_key_says_what_it_does_in_the_palette() -> None:
    ids = {b.id for b in MAIN_KEYS} | {b.id for keys in REGISTER_KEYS.values() for b in keys}
    assert ids <= set(DOES)


# -- the demo's story ----------


def test_the_demos_system_entries_belong_to_its_story(tmp_path: Path, ui) -> None:
    with create_demo(
        tmp_path / "demo.db", ui.PASSPHRASE, device=ui.frozen_device("Ann IC"), now=ui.NOW
    ) as session:
        state = session.state
        timeline = state.timeline()
        system = [e for e in timeline if e.system]
        people = {p.name for p in state.people.values()}
        assert {e.author for e in system} <= people  # never the one who ran `warroom demo`
        assert state.incident.declared_by == "Priya Nair"
        assert max(e.recorded_at for e in timeline) < ui.NOW - 5 * MINUTE
        assert len({e.at for e in system}) >= 15  # spread over the story, not one moment
        assert timeline[-1].text.startswith("sha256 of the exfil tool")
        for entry in system:  # each when its teller did it: 124 minutes ago, and after
            assert ui.NOW - 124 * MINUTE <= entry.at == entry.recorded_at
        assert session.device.name == "Ann IC"  # the device is the user's again
        # Each of the story's people signed with a device of their own: nobody is shown
        # "via" someone else, and the user's own note is theirs alone.
        assert all(attribution(e.author, e.signer, e.device) == e.author for e in timeline)
        session.add_note("checking the replica myself")
        mine = session.state.timeline()[-1]
        assert attribution(mine.author, mine.signer, mine.device) == "Ann IC"
        evidence = list(state.evidence.values())
        assert {e.collected_by for e in evidence} == {"Dana Ortiz"}
        assert [(ui.NOW - e.collected_at) // MINUTE for e in evidence] == [117, 101, 76]


async def test_the_demo_opens_on_the_breach(tmp_path: Path, ui, empty_gnupghome: Path) -> None:
    from warroom.screens.app import build_app

    path = tmp_path / "demo.db"
    create_demo(path, ui.PASSPHRASE, device=ui.frozen_device("Ann IC"), now=ui.NOW).close()
    app = build_app(
        path,
        passphrase=ui.PASSPHRASE,
        device=ui.frozen_device("Ann IC"),
        clock=HybridClock(lambda: ui.NOW),
        now_ms=lambda: ui.NOW,
        keymap={},
        gnupghome=empty_gnupghome,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        timeline = app.screen.query_one(TimelineView)
        top = timeline.scroll_offset.y
        height = timeline.scrollable_content_region.height
        in_view = timeline.entries[top : top + height]
        assert timeline.current().text.startswith("sha256 of the exfil tool")
        assert not any(e.author == "Ann IC" for e in in_view)
        assert sum(not e.system for e in in_view) > height // 2  # the story, not set-up


async def test_a_filter_in_the_timeline_title_is_shown_as_typed_not_as_markup(make_app, ui) -> None:
    """The pane's title repeats the filter: a title given as a string is markup, so
    `[@click=app.quit]` typed into the filter was live in the border."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        await pilot.press("3", "slash", *"[b]x[@click=app.quit]", "enter")
        await pilot.pause()
        top = [line for line in screen_lines(app) if "3 Timeline" in line]
        assert len(top) == 1, screen_lines(app)
        assert "FILTER /[b]x[@click=app.quit]: " in top[0], top
