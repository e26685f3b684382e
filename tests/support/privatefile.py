"""A file only its owner may read (0600, made exclusively), holding one line: how
tests hand warroom a passphrase or a secret (never on a command line)."""

from __future__ import annotations

import os
from pathlib import Path


def private_file(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return path
