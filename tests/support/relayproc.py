"""A real `warroom relay` process on 127.0.0.1 for tests, started as a user starts it
(`python -m warroom relay --host 127.0.0.1 --port N --data DIR`), its log in a file
(a pipe left unread would fill and block it), waited for until it answers, and
killed at the end."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from ports import free_port

START_TIMEOUT_S = 20.0


@dataclass
class Relay:
    """One relay's folder and port; `start()` runs it in a process of its own."""

    data: Path
    log: Path
    env: dict[str, str]
    cwd: Path
    extra: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Relay:
        argv = ["relay", "--host", "127.0.0.1", "--port", str(self.port), "--data", str(self.data)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "warroom", *argv, *self.extra],
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        raise AssertionError(f"the relay did not answer in {START_TIMEOUT_S} s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def files(self) -> dict[str, bytes]:
        """The relay's database files and WALs, by name (-shm is a reader's index)."""
        files = sorted(self.data.iterdir())
        return {p.name: p.read_bytes() for p in files if not p.name.endswith("-shm")}

    def count(self, incident_id: bytes) -> int:
        path = self.data / f"{incident_id.hex()}.db"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT count(*) FROM events").fetchone()[0]
