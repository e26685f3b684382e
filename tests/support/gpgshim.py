"""A `gpg` first on PATH that logs every argv it is run with, then execs the real one:
tests that keep addresses, fingerprints and messages off gpg's command line read it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Shim:
    """A `gpg` that logs its argv (one record per run) and execs the real gpg."""

    directory: Path
    log: Path

    @property
    def binary(self) -> str:
        return str(self.directory / "gpg")

    def runs(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        data = self.log.read_text(encoding="utf-8", errors="replace")
        return [record.split("\x1f")[:-1] for record in data.split("\x1e")[:-1]]

    def calls(self, option: str) -> int:
        """How many runs had `option` (e.g. "--list-keys") in their argv."""
        return sum(option in argv for argv in self.runs())

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


@pytest.fixture
def shim(tmp_path: Path) -> Shim:
    real = shutil.which("gpg")
    assert real is not None
    directory = tmp_path / "shim-bin"
    directory.mkdir()
    log = tmp_path / "gpg-argv.log"
    script = directory / "gpg"
    script.write_text(
        "#!/bin/sh\n"
        f"{{ for a in \"$@\"; do printf '%s\\037' \"$a\"; done; printf '\\036'; }} >> '{log}'\n"
        f"exec '{real}' \"$@\"\n"
    )
    script.chmod(0o755)
    return Shim(directory, log)


def leaks(runs: list[list[str]], secrets_: list[str]) -> list[tuple[str, list[str]]]:
    """(what, argv) for every logged argv holding any of `secrets_` (case-insensitive)."""
    found = []
    for argv in runs:
        joined = "\0".join(argv).lower()
        found += [(s, argv) for s in secrets_ if s.lower() in joined]
    return found
