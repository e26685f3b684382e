"""How the console looks at 80x24 and 120x40, with every clock frozen."""

from __future__ import annotations

import pytest

SIZES = [(80, 24), (120, 40)]


def unlocked(ui):  # noqa: ANN001, ANN201
    async def run_before(pilot) -> None:  # noqa: ANN001
        await ui.wait_unlocked(pilot)

    return run_before


def then_press(ui, *keys: str):  # noqa: ANN001, ANN201
    async def run_before(pilot) -> None:  # noqa: ANN001
        await ui.wait_unlocked(pilot)
        await pilot.press(*keys)
        await pilot.app.workers.wait_for_complete()  # e.g. the draft editor's key lookups
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_main_screen(snap_compare, make_app, ui, size) -> None:  # noqa: ANN001
    assert snap_compare(make_app(), terminal_size=size, run_before=unlocked(ui))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_unlock_screen(snap_compare, make_app, size) -> None:  # noqa: ANN001
    assert snap_compare(make_app(passphrase=None), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_help_screen(snap_compare, make_app, ui, size) -> None:  # noqa: ANN001
    assert snap_compare(make_app(), terminal_size=size, run_before=then_press(ui, "question_mark"))


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_draft_editor(snap_compare, make_app, ui, size) -> None:  # noqa: ANN001
    assert snap_compare(make_app(), terminal_size=size, run_before=then_press(ui, "4", "enter"))


def test_sms_draft_shows_its_banner(snap_compare, make_app, ui) -> None:  # noqa: ANN001
    press = then_press(ui, "4", "down", "enter")
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=press)
