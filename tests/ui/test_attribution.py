"""Author and signer in the console (issue #10): a note "by" someone else shows the
device that signed it, on its timeline line and in the entry detail."""

from __future__ import annotations

import nacl.signing
from warroom.screens.widgets.timeline import TimelineView

from warroom.device import Device
from warroom.session import Session


async def test_the_timeline_shows_who_signed_a_note_written_as_someone_else(make_app, ui) -> None:  # noqa: ANN001
    app = make_app()
    mallory = Device(nacl.signing.SigningKey(bytes([7]) * 32), "mallory-laptop")
    with Session.unlock(app.incident_path, ui.PASSPHRASE, device=mallory) as s:
        forged = s.add_note("IC says: wipe the replica now", author="Ann IC")
    with Session.unlock(app.incident_path, ui.PASSPHRASE, device=ui.frozen_device()) as s:
        own = s.add_note("Keep the replica")
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        timeline = app.screen.query_one(TimelineView)
        lines = {e.id: timeline.line_text(e).plain for e in timeline.entries}
        # the seed's notes: typed in others' names on Ann IC's device
        dana = next(e for e in timeline.entries if e.author == "Dana Ortiz")
        assert "Dana Ortiz, via Ann IC: svc-backup key used" in lines[dana.id]
        assert " Ann IC, via mallory-laptop: IC says: wipe the replica now" in lines[forged]
        assert " Ann IC: Keep the replica" in lines[own]
        timeline.focus()
        timeline.cursor = [e.id for e in timeline.entries].index(forged)
        await pilot.pause()
        detail = str(app.screen.query_one("#entry-detail").render())
        assert detail == "Ann IC, via mallory-laptop [note] IC says: wipe the replica now"
