"""A real terminal for tests and benchmarks: a program in a pseudo-terminal, its output
read continuously through a terminal emulator (pyte), keys written as a person or a
paste would send them.

    with PtyTerminal([sys.executable, "-m", "warroom", "open", ...], cols=80, rows=24) as term:
        term.wait_for("amber-heron")
        term.burst("nhello\r")          # one write: what a paste or a laggy link delivers
        term.type("more", delay=0.06)   # a key every 60 ms: a person typing
        term.wait_quiet(0.5)
        assert term.count("hello") == 1

Nothing here knows warroom: any full-screen program (`less`, a bare Textual app)
can be measured the same way. The child is a session leader with the pty as its
controlling terminal, so closing the master (`hangup()`) sends it SIGHUP as a
dropped SSH connection does.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import pyte

DEFAULT_TIMEOUT = 30.0


def _controlling_tty() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyTerminal:
    """One program in a pty of `cols` x `rows`, read by a thread into a pyte screen."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = 80,
        rows: int = 24,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        term: str = "xterm-256color",
    ) -> None:
        self.cols, self.rows = cols, rows
        self.cond = threading.Condition()
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.chunks: list[tuple[float, int]] = []  # (arrival, size)
        self.raw = bytearray()  # every byte the program wrote, escapes included
        self.total = 0
        self.last_data = time.monotonic()
        self.eof = False
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        full_env = dict(os.environ if env is None else env)
        full_env.update(TERM=term, COLUMNS=str(cols), LINES=str(rows))
        self.master = master
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            cwd=cwd,
            close_fds=True,
            start_new_session=True,
            preexec_fn=_controlling_tty,
        )
        os.close(slave)
        self._closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    # -- reading -----------------------------------------------------------------

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.1)
                if not ready:
                    if self.proc.poll() is not None and self._closed:
                        break
                    continue
                data = os.read(self.master, 65536)
            except (OSError, ValueError):  # EIO: the child closed the terminal
                break
            if not data:
                break
            with self.cond:
                self.chunks.append((time.monotonic(), len(data)))
                self.raw += data
                self.total += len(data)
                self.last_data = time.monotonic()
                self.stream.feed(data)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def lines(self) -> list[str]:
        """The screen as the person sees it, one string per row."""
        with self.cond:
            return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def count(self, needle: str) -> int:
        """How many times `needle` shows on the screen (rows are searched one by one)."""
        return sum(line.count(needle) for line in self.lines())

    def rows_with(self, needle: str) -> list[str]:
        return [line for line in self.lines() if needle in line]

    def bytes_written(self) -> int:
        with self.cond:
            return self.total

    def chunks_since(self, start: float) -> list[tuple[float, int]]:
        with self.cond:
            return [(t, n) for t, n in self.chunks if t >= start]

    # -- waiting -----------------------------------------------------------------

    def wait_until(
        self, check: Callable[[], bool], timeout: float = DEFAULT_TIMEOUT, what: str = ""
    ) -> None:
        """Wait until `check()` holds (re-checked whenever output arrives)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if check():
                    return
                left = deadline - time.monotonic()
                if left <= 0 or (self.eof and not check()):
                    break
                self.cond.wait(min(left, 0.1))
        raise AssertionError(
            f"timed out after {timeout} s waiting for {what or check} "
            f"(exit code {self.proc.poll()}); the screen:\n{self.screen_dump()}"
        )

    def wait_for(self, needle: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until `needle` shows on the screen."""
        self.wait_until(lambda: self._unlocked_count(needle) > 0, timeout, repr(needle))

    def _unlocked_count(self, needle: str) -> int:
        return sum(line.count(needle) for line in self.screen.display)

    def wait_quiet(self, quiet: float = 0.5, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until nothing has been written for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.eof:
                now = time.monotonic()
                if now - self.last_data >= quiet:
                    return
                if now >= deadline:
                    raise AssertionError(f"output never went quiet for {quiet} s")
                self.cond.wait(min(quiet - (now - self.last_data), deadline - now))

    def settle(self, mark: int, quiet: float = 0.3, first: float = 2.0) -> int:
        """After an input: wait up to `first` s for output past byte `mark`, then for
        `quiet` s without any. Returns the bytes written since `mark`."""
        deadline = time.monotonic() + first
        with self.cond:
            while self.total <= mark and not self.eof and time.monotonic() < deadline:
                self.cond.wait(0.05)
        self.wait_quiet(quiet)
        return self.bytes_written() - mark

    def wait_exit(self, timeout: float = 10.0) -> int | None:
        """The exit code, or None if the program is still running after `timeout`."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def screen_dump(self) -> str:
        return "\n".join(f"|{line.rstrip()}" for line in self.screen.display)

    # -- writing -----------------------------------------------------------------

    def burst(self, keys: str | bytes) -> None:
        """All the keys in one write, as a paste or a laggy link delivers them."""
        data = keys.encode() if isinstance(keys, str) else keys
        os.write(self.master, data)

    def type(self, keys: str, delay: float = 0.06) -> None:
        """One key at a time, `delay` seconds apart, as a person types."""
        for char in keys:
            os.write(self.master, char.encode())
            time.sleep(delay)

    # -- ending ------------------------------------------------------------------

    def hangup(self) -> None:
        """Close the terminal: the kernel sends SIGHUP to the program, as on a lost link."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(OSError):
                os.close(self.master)

    def close(self) -> None:
        """Kill whatever still runs (its whole process group) and close the terminal."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.hangup()
        self.thread.join(5)

    def __enter__(self) -> PtyTerminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]"  # other escapes
)


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)
