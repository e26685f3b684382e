"""A far incident file through ssh: `ssh [user@]host warroom sync-stdio PATH`, spoken
to over its stdin and stdout (warroom/sync/stdio.py).

    ssh://[user@]host[:port]/path/to/inc.db      an absolute path on the host
    ssh://host/~/inc.db                          a path below the login's home

$WARROOM_REMOTE_COMMAND is the far side's warroom (default `warroom`; e.g. a venv's
`/opt/warroom/bin/warroom`, split as a shell would); $WARROOM_SSH_OPTIONS adds ssh
options (e.g. `-i KEY -o UserKnownHostsFile=FILE`), split the same way. Nothing
secret goes on either command line: the far side needs no passphrase, and ssh's
own authentication is ssh's (keys, agent, its prompt on the terminal).
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
import shlex
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar, cast

from warroom.errors import SessionError
from warroom.sanitize import one_line
from warroom.store import Row
from warroom.sync.peer import PULL_LIMIT, Pushed, Vector
from warroom.sync.stdio import Closed, StdioPeer

REMOTE_COMMAND_ENV = "WARROOM_REMOTE_COMMAND"
SSH_OPTIONS_ENV = "WARROOM_SSH_OPTIONS"
SSH_UNREACHABLE = 255
"""ssh's own exit status when it could not connect (or lost the connection)."""
STDERR_LINES = 20

T = TypeVar("T")


class Unreachable(SessionError):
    """ssh could not reach the host (after retries), or the connection dropped."""


@dataclass(frozen=True)
class Target:
    user: str | None
    host: str
    port: int | None
    path: str

    def argv(self, environ: dict[str, str] | None = None, *, batch: bool = False) -> list[str]:
        """The ssh command line: options, the host, the far side's command. `batch`:
        ssh never asks anything (BatchMode): for the console, whose terminal a prompt
        would fight, and for unattended rounds."""
        env = os.environ if environ is None else environ
        remote = shlex.split(env.get(REMOTE_COMMAND_ENV) or "warroom")
        options = shlex.split(env.get(SSH_OPTIONS_ENV) or "")
        where = f"{self.user}@{self.host}" if self.user else self.host
        port = ["-p", str(self.port)] if self.port else []
        unasked = ["-o", "BatchMode=yes"] if batch else []
        command = shlex.join([*remote, "sync-stdio", "--", self.path])
        return ["ssh", "-T", "-e", "none", *unasked, *options, *port, "--", where, command]


def parse_url(url: str) -> Target:
    """ssh://[user@]host[:port]/path; SessionError with the reason when it is not."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:  # an unclosed [, a bad IPv6 address
        raise SessionError(f"not an ssh:// URL ({one_line(str(exc))})") from None
    if parts.password is not None:  # first: every message below shows the URL
        raise SessionError("ssh:// URLs take no password (ssh asks, or uses your keys)")
    if parts.scheme != "ssh":
        raise SessionError(f"not an ssh:// URL: {one_line(url)}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:  # 0 would mean ssh's default, 22: a host the user did not name
        raise SessionError(f"{one_line(url)}: a bad port (give a number from 1 to 65535)")
    host = parts.hostname or ""
    if not host or host.startswith("-") or any(c.isspace() for c in host):
        raise SessionError(f"{one_line(url)}: no host (ssh://[user@]host[:port]/path/inc.db)")
    path = urllib.parse.unquote(parts.path)
    if path.startswith("/~/"):
        path = path[3:]
    if not path.strip("/") or parts.query or parts.fragment or "\0" in path:
        raise SessionError(f"{one_line(url)}: no file path (ssh://host/path/to/inc.db)")
    user = urllib.parse.unquote(parts.username) if parts.username else None
    if user is not None and (not user or user.startswith("-")):
        raise SessionError(f"{one_line(url)}: a bad user name")
    return Target(user, host, port, path)


class SshPeer:
    """A Peer at the far end of `ssh host warroom sync-stdio PATH`.

    Connects on first use; a dropped connection is Unreachable, and the next use
    connects again (a watch keeps one SshPeer). An ssh that cannot connect (exit 255)
    is tried `retries` times more, with exponential backoff and jitter."""

    def __init__(
        self,
        url: str,
        incident_id: bytes,
        *,
        retries: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        batch: bool = False,
    ) -> None:
        self.target = parse_url(url)
        self.incident_id = incident_id
        self.retries = retries
        self.batch = batch
        self._sleep = sleep
        self._proc: subprocess.Popen[bytes] | None = None
        self._link: StdioPeer | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._reader: threading.Thread | None = None

    # -- Peer ------------------------------------------------------------------------

    def vector(self) -> Vector:
        return self._call(lambda link: link.vector())

    def pull(self, have: dict[bytes, int], limit: int = PULL_LIMIT) -> list[Row]:
        return self._call(lambda link: link.pull(have, limit))

    def push(self, rows: list[Row]) -> Pushed:
        return self._call(lambda link: link.push(rows))

    def forks(self) -> list[Row]:
        return self._call(lambda link: link.forks())

    # -- the connection ----------------------------------------------------------------

    def _call(self, request: Callable[[StdioPeer], T]) -> T:
        link = self._link or self._connect()
        try:
            return request(link)
        except Closed:
            status = self.close()
            raise Unreachable(self._why(status, "the connection dropped")) from None

    def _connect(self) -> StdioPeer:
        for attempt in range(self.retries + 1):
            self._start()
            proc = cast("subprocess.Popen[bytes]", self._proc)
            try:
                self._link = StdioPeer(
                    cast(BinaryIO, proc.stdin), cast(BinaryIO, proc.stdout), self.incident_id
                )
                return self._link
            except Closed:
                status = self.close()
            if status != SSH_UNREACHABLE:  # ssh got through; the far side said no
                raise SessionError(self._why(status, "the far side ended at once"))
            if attempt < self.retries:
                self._sleep(min(30.0, 2.0**attempt) * (0.5 + random.random()))
        raise Unreachable(self._why(SSH_UNREACHABLE, "cannot connect"))

    def _start(self) -> None:
        self._stderr.clear()
        try:
            self._proc = subprocess.Popen(
                self.target.argv(batch=self.batch),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise SessionError(f"cannot run ssh: {exc.strerror or exc}") from None
        self._reader = threading.Thread(
            target=self._drain, args=(self._proc.stderr,), name="warroom-ssh-stderr", daemon=True
        )
        self._reader.start()

    def _drain(self, stream: BinaryIO) -> None:
        for line in stream:
            text = one_line(line.decode("utf-8", "replace")).strip()
            if text:
                self._stderr.append(text)

    def _why(self, status: int | None, default: str) -> str:
        said = self._stderr[-1] if self._stderr else default
        said = said.removeprefix("warroom: ")
        host = self.target.host
        if status == SSH_UNREACHABLE:
            return f"ssh {host}: unreachable: {said}"
        return f"ssh {host}: {said}"

    def close(self) -> int | None:
        """End the far side (its stdin closes: it finishes and exits); its status."""
        proc, self._proc, self._link = self._proc, None, None
        if proc is None:
            return None
        with contextlib.suppress(OSError):
            cast(BinaryIO, proc.stdin).close()
        try:
            status = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait(5)
        if self._reader is not None:  # its last lines say why
            self._reader.join(2)
        with contextlib.suppress(OSError):
            cast(BinaryIO, proc.stdout).close()
        return status
