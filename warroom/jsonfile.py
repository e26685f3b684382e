"""Small private JSON files in the config dir (known heads, sync settings): written
whole or not at all, never readable by other users."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any


def write_private(path: Path, data: Any) -> None:
    """Replace `path` with `data` as JSON atomically: mode 0600, fsynced, then renamed
    over it (a crash leaves the old file or the new one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
