"""Editing an incident file behind warroom's back, as an attacker with write access
would (tests of tampering): one statement, then the WAL folded into the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from warroom.device import Device


def execute(path: Path, statement: str, params: tuple = ()) -> int:
    """Run one statement on the file; the rows it changed."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        changed = conn.execute(statement, params).rowcount
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return changed
    finally:
        conn.close()


def dev_id(path: Path, device: Device) -> int:
    """The file's id for a device (events.dev)."""
    conn = sqlite3.connect(path)
    try:
        found = conn.execute("SELECT id FROM devices WHERE key=?", (device.public_key,))
        return found.fetchone()[0]
    finally:
        conn.close()
