"""What another local user sees of every process: its command line (/proc/PID/cmdline,
`ps`). Tests that keep secrets off argv scan it while a command runs."""

from __future__ import annotations

import os
from pathlib import Path


def all_cmdlines() -> dict[int, str]:
    """Every process's command line, as any local user can read it."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        found[int(entry)] = raw.replace(b"\0", b" ").decode("utf-8", "replace")
    return found
