"""The timeline stays a line-API view at 100k entries: a few widgets, visible lines only."""

from __future__ import annotations

from pathlib import Path

from warroom.screens.app import build_app
from warroom.screens.widgets.timeline import TimelineView

from warroom.session import Session

ENTRIES = 100_000


async def test_timeline_with_100k_entries(tmp_path: Path, ui) -> None:
    path = tmp_path / "big.db"
    with Session.create(path, ui.PASSPHRASE, kdf="interactive", codename="big-heron") as s:
        for start in range(0, ENTRIES, 10_000):
            s.add_notes(
                f"note {i}: scan from 198.51.100.{i % 250}" for i in range(start, start + 10_000)
            )
    app = build_app(path, passphrase=ui.PASSPHRASE, device=ui.frozen_device(), keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        timeline = app.screen.query_one(TimelineView)
        assert len(timeline.entries) > ENTRIES
        assert len(list(app.screen.query("*"))) < 80  # not a widget per row
        assert timeline.current().text == f"note {ENTRIES - 1}: scan from 198.51.100.249"

        rendered: list[int] = []
        original = timeline.render_line

        def counting(y: int):  # noqa: ANN202
            rendered.append(y)
            return original(y)

        timeline.render_line = counting
        await pilot.press("3", "home")
        await pilot.pause()
        assert timeline.cursor == 0
        # only rows on screen are drawn, a few repaints' worth, never the 100k
        assert rendered and max(rendered) <= timeline.size.height
        assert len(rendered) <= 10 * timeline.size.height
        await pilot.press("end", "pageup", "up")
        await pilot.pause()
        assert timeline.cursor < len(timeline.entries) - timeline.size.height
        await pilot.press("slash", *"note 99999:", "enter")
        await pilot.pause()
        assert [e.text for e in timeline.entries] == ["note 99999: scan from 198.51.100.249"]
