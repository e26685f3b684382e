"""The console header says when the file cannot be trusted as this user last saw it:
an event stamped far ahead of this clock, and a feed rolled back."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import nacl.signing
from replicas import copy_file
from warroom.screens.widgets.timeline import TimelineView

from warroom.clock import HybridClock
from warroom.device import Device
from warroom.session import Session

Y2100 = 4_102_444_800_000  # 2100-01-01T00:00:00Z


def header(app) -> str:  # noqa: ANN001
    return str(app.screen.query_one("#header").render())


async def wait_for_verify(app, pilot) -> None:  # noqa: ANN001
    """Let the background signature check (started after the first paint) finish."""
    started = time.monotonic()
    while time.monotonic() - started < 3:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)


async def test_an_event_from_2100_is_flagged_and_does_not_drag_the_clock(make_app, ui) -> None:
    app = make_app()
    mallory = Device(nacl.signing.SigningKey(bytes([7]) * 32), "Mallory")
    clock_2100 = HybridClock(lambda: Y2100)
    with Session.unlock(app.incident_path, ui.PASSPHRASE, device=mallory, clock=clock_2100) as s:
        future_id = s.add_note("stamped in 2100")
    async with app.run_test(size=(160, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        assert "1 event(s) failed integrity checks" in header(app)
        timeline = app.screen.query_one(TimelineView)
        assert timeline.entries[-1].id == future_id  # where it claims to be: last
        assert timeline.line_text(timeline.entries[-1]).plain.startswith("!! TAMPERED")
        honest = app.session.add_note("written after it")
        assert app.session.state.entries[honest].recorded_at == ui.NOW
        await wait_for_verify(app, pilot)
        assert app.signature_problems == []  # the same problem is not counted twice
        assert "1 event(s) failed integrity checks" in header(app)


async def test_a_rolled_back_file_is_named_in_the_header(make_app, ui, tmp_path: Path) -> None:
    app = make_app()
    path = app.incident_path
    old = tmp_path / "old-copy.db"
    copy_file(path, old)
    with Session.unlock(
        path, ui.PASSPHRASE, device=ui.frozen_device(), clock=HybridClock(lambda: ui.NOW)
    ) as s:
        s.add_note("seen by this user, then lost")
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)
    copy_file(old, path)  # the older copy put in its place
    device8 = ui.frozen_device().public_key.hex()[:8]
    async with app.run_test(size=(160, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        assert f"ROLLED BACK: device {device8}" in header(app)
        assert "failed integrity" not in header(app)
        await wait_for_verify(app, pilot)
        assert app.signature_problems == []
        assert "failed integrity" not in header(app)


async def test_a_checkpoint_that_no_longer_matches_is_dropped_after_the_first_paint(
    make_app, ui
) -> None:
    """The console paints from this device's checkpoint, then checks the rows it
    summarises: one rewritten since, it folds the whole file and says so."""
    app = make_app()
    path = app.incident_path
    with Session.unlock(
        path, ui.PASSPHRASE, device=ui.frozen_device(), clock=HybridClock(lambda: ui.NOW)
    ) as s:
        assert s.save_checkpoint(force=True)
    with sqlite3.connect(path, isolation_level=None) as conn:
        changed = conn.execute(
            "UPDATE events SET box = CAST(box || x'00' AS BLOB) WHERE seq=2 AND dev="
            "(SELECT id FROM devices WHERE key=?)",
            (ui.frozen_device().public_key,),
        ).rowcount
        assert changed == 1
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    async with app.run_test(size=(160, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        session = app.session
        assert session.summarised and session.folds == 0
        assert "failed integrity" not in header(app)  # painted from the checkpoint
        await wait_for_verify(app, pilot)
        assert session.folds == 1 and not session.summarised
        assert [p.seq for p in session.problems] == [2, 3]
        assert app.signature_problems == []  # the same problems, not counted twice
        assert "2 event(s) failed integrity checks" in header(app)
        notices = [n.message for n in app._notifications]
        assert sum("did not match the file" in m for m in notices) == 1
