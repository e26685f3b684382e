"""Sync from the console (issue #12): a key syncs now through a real relay on
127.0.0.1, what arrives lands in the timeline once, the header says where sync
stands, and a relay that cannot be reached is said, not silent."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nacl.signing
import pytest
from relayproc import Relay
from replicas import copy_file

from warroom.clock import HybridClock
from warroom.device import Device
from warroom.ledger import RELAY_TOKEN
from warroom.session import Session
from warroom.sync import settings as sync_settings
from warroom.sync.exchange import exchange
from warroom.sync.http import HttpPeer


def header(app) -> str:  # noqa: ANN001
    return str(app.screen.query_one("#header").render())


async def settle(app, pilot, until) -> None:  # noqa: ANN001
    """Let workers and messages run until `until()` holds (5 s at most)."""
    deadline = time.monotonic() + 5
    while not until():
        assert time.monotonic() < deadline, header(app)
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)


@pytest.fixture
def relay(tmp_path: Path):  # noqa: ANN201
    data = tmp_path / "relay-data"
    data.mkdir()
    relay = Relay(data, tmp_path / "relay.log", dict(os.environ), tmp_path).start()
    yield relay
    relay.kill()


async def test_a_key_syncs_through_the_relay_and_the_header_says_so(
    make_app, ui, relay: Relay, tmp_path: Path
) -> None:
    app = make_app()
    field = tmp_path / "field.db"
    copy_file(app.incident_path, field)
    scribe = Device(nacl.signing.SigningKey(bytes([9]) * 32), "Sam Scribe")
    with Session.unlock(
        field, ui.PASSPHRASE, device=scribe, clock=HybridClock(lambda: ui.NOW + 1000)
    ) as s:
        s.add_note("seen from the field: badge reader offline")
        iid = s.header.incident_id
        token = s.ledger.derive(RELAY_TOKEN).hex()
        with HttpPeer(relay.url, iid, token) as peer:
            assert exchange(s.store, iid, peer).clean
    sync_settings.save(iid, sync_settings.SyncSettings(url=relay.url))
    async with app.run_test(size=(160, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        assert "sync: " in header(app) and "last never" in header(app)
        await pilot.press("y")
        timeline = app.screen.query_one("#timeline")
        await settle(app, pilot, lambda: "last just now" in header(app))
        texts = [e.text for e in timeline.entries]
        assert texts.count("seen from the field: badge reader offline") == 1
        assert "sync: 0 unsynced" in header(app)
        notices = [n.message for n in app._notifications]
        assert sum(m.startswith("Synced:") for m in notices) == 1

        app.session.add_note("written here after the sync")
        app.state_changed()
        await pilot.pause()
        assert "sync: 1 unsynced" in header(app)

        relay.kill()
        await pilot.press("y")
        await settle(app, pilot, lambda: "SYNC FAILED" in header(app))
        failures = [n for n in app._notifications if n.severity == "error"]
        assert len(failures) == 1 and "127.0.0.1" in failures[0].message


async def test_without_a_sync_url_the_key_says_how_to_set_one(make_app, ui) -> None:
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await ui.wait_unlocked(pilot)
        assert "sync" not in header(app)
        await pilot.press("y")
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        assert sum("no sync URL" in m for m in notices) == 1
