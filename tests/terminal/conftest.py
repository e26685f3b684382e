"""Fixtures for the real-terminal suite: the console started as a user starts it
(`warroom open PATH --passphrase-file F`) in a pseudo-terminal read through pyte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ptyterm import PtyTerminal

from warroom.session import Session

PASSPHRASE = "terminal: correct horse battery staple"
CODENAME = "amber-heron"


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    path = tmp_path / "pass"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(PASSPHRASE + "\n")
    return path


@pytest.fixture
def incident(tmp_path: Path, isolated_config: Path) -> Path:
    """An incident with the default playbook and no notes yet, declared by this test's
    user under the name the console then uses (a device is named by its first name)."""
    (isolated_config / "profile.json").write_text('{"name": "Ann IC"}')
    path = tmp_path / "inc.db"
    Session.create(
        path, PASSPHRASE, kdf="interactive", codename=CODENAME, title="Replica export"
    ).close()
    return path


@pytest.fixture
def console_env(tmp_path: Path, isolated_config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("WARROOM_PASSPHRASE_FILE", None)
    (isolated_config / "profile.json").write_text('{"name": "Ann IC"}')
    env["WARROOM_CONFIG_DIR"] = str(isolated_config)
    gnupghome = tmp_path / "gnupg"
    gnupghome.mkdir(mode=0o700, exist_ok=True)
    env["GNUPGHOME"] = str(gnupghome)
    return env


@pytest.fixture
def console(
    incident: Path, passfile: Path, console_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., PtyTerminal]]:
    """`console(cols=80, rows=24)` -> the console on `incident`, main screen painted."""
    started: list[PtyTerminal] = []

    def start(cols: int = 80, rows: int = 24, *extra: str) -> PtyTerminal:
        argv = [sys.executable, "-m", "warroom", "open", str(incident)]
        argv += ["--passphrase-file", str(passfile), "--auto-lock", "0", *extra]
        term = PtyTerminal(argv, cols=cols, rows=rows, env=console_env, cwd=tmp_path)
        started.append(term)
        term.wait_for(CODENAME, timeout=60)
        term.wait_quiet(0.5)
        return term

    yield start
    for term in started:
        term.close()


@pytest.fixture
def warroom(incident: Path, passfile: Path, console_env: dict[str, str]) -> Callable[..., str]:
    """`warroom("show", "--format", "json")` runs the CLI on `incident` (exit 0 asserted)."""

    def run(command: str, *args: str, env: dict[str, str] | None = None) -> str:
        argv = [command, str(incident), *args, "--passphrase-file", str(passfile)]
        proc = subprocess.run(
            [sys.executable, "-m", "warroom", *argv],
            env=env or console_env,
            input="",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    return run


@pytest.fixture
def state(warroom: Callable[..., str]) -> Callable[[], dict]:
    """`state()`: the incident as `warroom show --format json` prints it."""
    return lambda: json.loads(warroom("show", "--format", "json"))
