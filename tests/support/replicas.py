"""Replicas for sync tests: a consistent copy of an incident file (WAL included), as
a backup or a scribe's copy makes it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_file(source: Path, target: Path) -> None:
    """`target` becomes a copy of the incident at `source` (SQLite's backup API)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
