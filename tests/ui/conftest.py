"""A deterministic incident and an app factory for console tests and snapshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nacl.signing
import pytest
from warroom.screens.app import WarroomApp, build_app

from warroom.clock import HybridClock
from warroom.device import Device
from warroom.session import Session

PASSPHRASE = "correct horse battery staple"
NOW = 1_795_000_000_000  # 2026-11-18T11:06:40Z: every clock in these tests is frozen here
MINUTE = 60_000


def frozen_device(name: str = "Ann IC", seed: int = 1) -> Device:
    return Device(nacl.signing.SigningKey(bytes([seed]) * 32), name)


def frozen_clock() -> HybridClock:
    return HybridClock(lambda: NOW)


def seed_incident(path: Path, notes: int = 6) -> None:
    """A small incident whose every displayed byte is fixed."""
    with Session.create(
        path,
        PASSPHRASE,
        kdf="interactive",
        codename="amber-heron",
        title="Replica export",
        kind="security",
        severity=1,
        device=frozen_device(),
        clock=frozen_clock(),
        declared_at=NOW - 95 * MINUTE,
    ) as s:
        ic = s.add_person("Marcus Webb", email="marcus@example.com", state="joined")
        s.assign_role("ic", ic)
        sec = s.add_person("Dana Ortiz", email="dana@example.com", state="joined")
        s.assign_role("security", sec)
        texts = [
            ("attacker", "Dana Ortiz", "svc-backup key used from 198.51.100.23"),
            ("action", "Priya Nair", "db-replica-2 stopped from the provider console"),
            ("decision", "Marcus Webb", "Keep the disks; no terminate"),
            ("evidence", "Dana Ortiz", "Snapshot snap-0a1b2c3d taken"),
            ("note", "Priya Nair", "No sign of the key elsewhere so far"),
            ("note", "Marcus Webb", "Legal counsel paged"),
        ]
        for i, (kind, author, text) in enumerate(texts[:notes]):
            s.add_note(text, kind=kind, author=author, at=NOW - (90 - 10 * i) * MINUTE)
        s.set_step("stop-attack", status="done")
        s.set_step("cut-vector", status="doing", assignee="Dana Ortiz")
        s.save_draft(
            channel="email",
            audience="legal",
            sender="marcus@example.com",
            to=["lena@counsel.example"],
            subject="Attorney Work Project",
            body="Scope so far: names and emails.",
        )
        s.save_draft(
            channel="sms", audience="on-call", to=["+15550100"], body="Move to a secure channel"
        )


@pytest.fixture
def incident(tmp_path: Path) -> Path:
    path = tmp_path / "amber.db"
    seed_incident(path)
    return path


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def empty_gnupghome(tmp_path: Path) -> Path:
    """A GnuPG home with no keys: the console never reads the user's own ~/.gnupg in tests."""
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    return home


@pytest.fixture
def make_app(incident: Path, empty_gnupghome: Path) -> Callable[..., WarroomApp]:
    def factory(**options) -> WarroomApp:  # noqa: ANN003
        options.setdefault("gnupghome", empty_gnupghome)
        options.setdefault("passphrase", PASSPHRASE)
        options.setdefault("device", frozen_device())
        options.setdefault("clock", frozen_clock())
        options.setdefault("now_ms", lambda: NOW)
        options.setdefault("keymap", {})
        return build_app(incident, **options)

    return factory


async def wait_unlocked(pilot) -> None:  # noqa: ANN001
    """Let the unlock worker finish and the main screen settle."""
    for _ in range(100):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if pilot.app.session is not None and type(pilot.app.screen).__name__ == "MainScreen":
            return
    raise AssertionError("the console did not unlock")


class UiKit:
    """Helpers for tests (conftest modules are not importable under importlib mode)."""

    PASSPHRASE = PASSPHRASE
    NOW = NOW
    FakeMonotonic = FakeMonotonic
    frozen_device = staticmethod(frozen_device)
    seed_incident = staticmethod(seed_incident)
    wait_unlocked = staticmethod(wait_unlocked)


@pytest.fixture
def ui() -> UiKit:
    return UiKit()
