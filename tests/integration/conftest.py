"""Fixtures for the attack-style integration tests.

Every test gets its own config dir (so its own device key), a passphrase file,
a private TMPDIR handed to the subprocesses, and a helper that runs the real
command line in a subprocess. Incidents are always made with the INTERACTIVE
KDF: it is the floor, and fast.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from gpgshim import shim  # noqa: F401  (a fixture: a `gpg` on PATH that logs its argv)

from warroom.device import Device, load_device

PASSPHRASE = "integration: correct horse battery staple"
CLI_TIMEOUT = 60


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own config dir: a fresh device key for each test."""
    directory = tmp_path / "config"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(directory))
    monkeypatch.delenv("WARROOM_PASSPHRASE_FILE", raising=False)
    return directory


@pytest.fixture(scope="session")
def passphrase() -> str:
    return PASSPHRASE


@pytest.fixture
def passphrase_file(tmp_path: Path, passphrase: str) -> Path:
    path = tmp_path / "passphrase.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(passphrase + "\n")
    return path


@pytest.fixture
def sub_tmpdir(tmp_path: Path) -> Path:
    """Given to every subprocess as TMPDIR and SQLITE_TMPDIR (the canary test scans it)."""
    directory = tmp_path / "subprocess-tmp"
    directory.mkdir(mode=0o700)
    return directory


@dataclass
class Cli:
    """Runs `python -m warroom ARGS...` in a subprocess and returns the CompletedProcess.

    The passphrase is passed through $WARROOM_PASSPHRASE_FILE unless `passphrase_file`
    says otherwise (None: no passphrase at all; stdin is /dev/null).
    """

    config_dir: Path
    passphrase_file: Path
    tmpdir: Path
    cwd: Path

    def env(
        self,
        *,
        config_dir: Path | None = None,
        passphrase_file: Path | None | str = "default",
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("WARROOM_PASSPHRASE_FILE", None)
        env["WARROOM_CONFIG_DIR"] = str(config_dir or self.config_dir)
        env["TMPDIR"] = str(self.tmpdir)
        env["SQLITE_TMPDIR"] = str(self.tmpdir)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONIOENCODING"] = "utf-8"
        if passphrase_file == "default":
            env["WARROOM_PASSPHRASE_FILE"] = str(self.passphrase_file)
        elif passphrase_file is not None:
            env["WARROOM_PASSPHRASE_FILE"] = str(passphrase_file)
        env.update(extra or {})
        return env

    def __call__(
        self,
        *args: str | os.PathLike[str],
        config_dir: Path | None = None,
        passphrase_file: Path | None | str = "default",
        env: Mapping[str, str] | None = None,
        timeout: float = CLI_TIMEOUT,
        input: str | None = None,  # noqa: A002  (subprocess.run's name)
    ) -> subprocess.CompletedProcess[str]:
        """Run the command; `input` is written to its standard input (else /dev/null)."""
        return subprocess.run(
            [sys.executable, "-m", "warroom", *map(str, args)],
            env=self.env(config_dir=config_dir, passphrase_file=passphrase_file, extra=env),
            cwd=self.cwd,
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
        )

    def start(
        self,
        *args: str | os.PathLike[str],
        passphrase_file: Path | None | str = "default",
        stdin: int = subprocess.DEVNULL,
    ) -> subprocess.Popen[str]:
        """Start `python -m warroom ARGS...` and leave it running (for tests that watch
        it, feed it late or signal it); `stdin` as for Popen (e.g. subprocess.PIPE)."""
        return subprocess.Popen(
            [sys.executable, "-m", "warroom", *map(str, args)],
            env=self.env(passphrase_file=passphrase_file),
            cwd=self.cwd,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def popen(
        self, argv: Sequence[str | os.PathLike[str]], *, config_dir: Path | None = None
    ) -> subprocess.Popen[str]:
        """Start any python command line (e.g. a worker script) with this test's env."""
        return subprocess.Popen(
            [sys.executable, *map(str, argv)],
            env=self.env(config_dir=config_dir),
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )


@pytest.fixture(scope="session")
def cli_factory(passphrase: str):
    """Make a Cli rooted in `base` (config dir, passphrase file, TMPDIR and cwd inside it),
    for module-scoped fixtures that cannot use the per-test `cli`."""

    def make(base: Path) -> Cli:
        config, tmp, cwd = base / "config", base / "subprocess-tmp", base / "cwd"
        for directory in (config, tmp, cwd):
            directory.mkdir(mode=0o700, exist_ok=True)
        pass_file = base / "passphrase.txt"
        pass_file.write_text(passphrase + "\n", encoding="utf-8")
        pass_file.chmod(0o600)
        return Cli(config, pass_file, tmp, cwd)

    return make


@pytest.fixture
def cli(config_dir: Path, passphrase_file: Path, sub_tmpdir: Path, tmp_path: Path) -> Cli:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    return Cli(config_dir, passphrase_file, sub_tmpdir, cwd)


@pytest.fixture
def incident(cli: Cli, tmp_path: Path) -> Path:
    """A fresh security incident (14 checklist steps) in a directory of its own."""
    directory = tmp_path / "incident"
    directory.mkdir()
    path = directory / "inc.db"
    proc = cli("init", path, "--kdf", "interactive", "--codename", "amber-heron")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return path


def _settle(path: Path) -> None:
    """Fold the WAL into the main file, so its bytes are the whole story."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


@pytest.fixture(scope="session")
def settle():
    """`settle(path)`: checkpoint an incident file before reading or editing its bytes."""
    return _settle


@pytest.fixture
def ann(tmp_path: Path) -> Device:
    """A device of its own (a config dir apart from the test's): Ann, in sync tests."""
    return load_device(tmp_path / "ann", name="Ann")


@pytest.fixture
def bo(tmp_path: Path) -> Device:
    """Another device: Bo."""
    return load_device(tmp_path / "bo", name="Bo")
