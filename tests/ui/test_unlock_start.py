"""Unlocking with the passphrase given (`--passphrase-file`): the key is derived while
the UI loads, and the unlock screen shows only when it is slow or fails."""

from __future__ import annotations

import gc
from concurrent.futures import Future

from textual.widgets import Input
from warroom.screens.main import MainScreen
from warroom.screens.unlock import UnlockScreen

from warroom import gcpause
from warroom.session import Session, WrongPassphrase


def status_of(app) -> str:  # noqa: ANN001
    return str(app.screen.query_one("#unlock-status").render())


async def test_a_quick_unlock_goes_straight_to_the_main_screen(make_app, ui) -> None:
    app = make_app()
    shown: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            shown.append(type(app.screen).__name__)
            if isinstance(app.screen, MainScreen):
                break
            await pilot.pause(0.02)
        await ui.wait_unlocked(pilot)
        assert "UnlockScreen" not in shown
        assert [type(s).__name__ for s in app.screen_stack][1:] == ["MainScreen"]
        await pilot.press("ctrl+l")  # locking still lands on the unlock screen
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and app.session is None
        assert len(app.screen_stack) == 2


async def test_a_slow_unlock_shows_that_it_is_unlocking(make_app, ui, incident) -> None:
    pending: Future[Session] = Future()
    app = make_app(passphrase=None, unlocking=pending)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.4)  # past SHOW_UNLOCKING_AFTER
        assert isinstance(app.screen, UnlockScreen)
        assert "Unlocking" in status_of(app)
        assert app.screen.query_one("#passphrase", Input).disabled
        pending.set_result(Session.unlock(incident, ui.PASSPHRASE, device=ui.frozen_device()))
        await ui.wait_unlocked(pilot)
        assert len(app.screen_stack) == 2  # the unlock screen was replaced, not stacked


async def test_a_wrong_passphrase_file_asks_for_the_passphrase(make_app, ui) -> None:
    app = make_app(passphrase="not the passphrase")
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if isinstance(app.screen, UnlockScreen) and "wrong passphrase" in status_of(app):
                break
        assert "wrong passphrase" in status_of(app) and app.session is None
        field = app.screen.query_one("#passphrase", Input)
        assert not field.disabled and app.focused is field
        await pilot.press(*ui.PASSPHRASE, "enter")
        await ui.wait_unlocked(pilot)
        assert len(app.screen_stack) == 2


async def test_a_failed_unlock_that_was_slow_says_why(make_app, ui) -> None:
    pending: Future[Session] = Future()
    app = make_app(passphrase=None, unlocking=pending)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.4)
        pending.set_exception(WrongPassphrase())
        for _ in range(50):
            await pilot.pause(0.02)
            if "wrong passphrase" in status_of(app):
                break
        assert "wrong passphrase" in status_of(app)
        assert not app.screen.query_one("#passphrase", Input).disabled


async def test_the_garbage_collector_is_back_on_after_the_first_paint(make_app, ui) -> None:
    app = make_app()
    gcpause.hold()  # as `warroom open` does before loading the UI
    try:
        assert not gc.isenabled()
        async with app.run_test(size=(120, 40)) as pilot:
            await ui.wait_unlocked(pilot)
            await pilot.pause()
            assert gc.isenabled()
    finally:
        gcpause.resume()
        gc.enable()


def test_the_pause_leaves_a_collector_it_did_not_stop_alone() -> None:
    gc.disable()
    try:
        gcpause.hold()
        gcpause.resume()
        assert not gc.isenabled()  # turned off by its owner, not by the hold
    finally:
        gc.enable()
    gcpause.hold()
    assert not gc.isenabled()
    gcpause.resume()
    gcpause.resume()
    assert gc.isenabled()
