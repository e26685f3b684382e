"""What the console benchmarks share: a private workspace (config dir, passphrase file),
incidents made beforehand, and the console started in a real pty as a user starts it.

The pty and its terminal emulator are the test suite's own (`tests/support/ptyterm.py`,
`PtyTerminal`): the benchmarks measure what the tests assert on, through the same code.
"""

from __future__ import annotations

import json
import os
import random
import signal
import string
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from warroom import crypto
from warroom.session import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
from ptyterm import PtyTerminal  # noqa: E402  (found through the line above)

__all__ = ["PtyTerminal"]

PASSPHRASE = "benchmark passphrase"
CODENAME = "bench-heron"
"""The main screen has painted when this shows: the unlock screen never shows it."""
BATCH = 5000
START_TIMEOUT = 60.0
BENCHMARKS = Path(__file__).resolve().parent


def progress(message: str) -> None:
    """One status line on stderr, overwritten by the next."""
    print(f"  {message}".ljust(70), end="\r", file=sys.stderr, flush=True)


def progress_done() -> None:
    print(" " * 70, end="\r", file=sys.stderr, flush=True)


def note_text(rng: random.Random) -> str:
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(12)]
    return " ".join(words)[: rng.randint(40, 120)]


def time_kdf(repeats: int = 5) -> list[float]:
    """Argon2id with the INTERACTIVE parameters, after one warm-up call."""
    params = crypto.KDF_PROFILES["interactive"]
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        crypto.derive_kek(PASSPHRASE, bytes(16), params.opslimit, params.memlimit)
        times.append(time.perf_counter() - t0)
    return times[1:]


@dataclass
class Workspace:
    """A temporary directory with a config dir (a known user name), a passphrase file
    and the incidents made in it."""

    root: Path
    config: Path
    passfile: Path

    def make_incident(self, notes: int, rng: random.Random) -> Path:
        """An incident named CODENAME with `notes` notes, made with the INTERACTIVE KDF."""
        path = self.root / f"incident-{notes}.db"
        if path.exists():
            return path
        with Session.create(
            path, PASSPHRASE, kdf="interactive", codename=CODENAME, title="bench"
        ) as session:
            done = 0
            while done < notes:
                texts = [note_text(rng) for _ in range(min(BATCH, notes - done))]
                session.add_notes(texts)
                done += len(texts)
                progress(f"writing {done}/{notes} notes")
        progress_done()
        return path

    def env(self) -> dict[str, str]:
        """The children's environment. Bytecode is cached, as a user's Python does: with
        PYTHONDONTWRITEBYTECODE every start would compile the changed modules again."""
        env = dict(os.environ)
        env.pop("WARROOM_PASSPHRASE_FILE", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["WARROOM_CONFIG_DIR"] = str(self.config)
        env["GNUPGHOME"] = str(self.root / "gnupg")
        return env

    def console_args(self, incident: Path) -> list[str]:
        """`warroom open` exactly as a user runs it, auto-lock off (after `warroom`)."""
        return ["open", str(incident), "--passphrase-file", str(self.passfile), "--auto-lock", "0"]

    def console_argv(self, incident: Path) -> list[str]:
        return [sys.executable, "-m", "warroom", *self.console_args(incident)]

    def start(self, argv: Sequence[str], cols: int, rows: int) -> PtyTerminal:
        return PtyTerminal(argv, cols=cols, rows=rows, env=self.env(), cwd=self.root)


@contextmanager
def workspace() -> Iterator[Workspace]:
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as name:
        root = Path(name)
        config = root / "config"
        config.mkdir(mode=0o700)
        (config / "profile.json").write_text(json.dumps({"name": "bench"}))
        (root / "gnupg").mkdir(mode=0o700)
        os.environ["WARROOM_CONFIG_DIR"] = str(config)  # the incidents' device key
        passfile = root / "pass"
        passfile.write_text(PASSPHRASE + "\n")
        passfile.chmod(0o600)
        yield Workspace(root, config, passfile)


def shown_at(term: PtyTerminal, needle: str, timeout: float = START_TIMEOUT) -> float:
    """When (time.monotonic) `needle` first showed on the emulated screen: the arrival
    time of the output that made it show, not the time this thread noticed."""
    seen: list[float] = []

    def check() -> bool:  # runs under term.cond, so last_data is the chunk just fed
        if not seen and any(needle in line for line in term.screen.display):
            seen.append(term.last_data)
        return bool(seen)

    term.wait_until(check, timeout, repr(needle))
    return seen[0]


def row_of(term: PtyTerminal, label: str) -> int | None:
    """The first screen row that starts with `label` (leading blanks ignored)."""
    return next((i for i, line in enumerate(term.lines()) if line.lstrip().startswith(label)), None)


def click(term: PtyTerminal, x: int, y: int) -> None:
    """A left click at column `x`, row `y` (0-based), as xterm reports it (SGR mode)."""
    term.burst(f"\x1b[<0;{x + 1};{y + 1}M\x1b[<0;{x + 1};{y + 1}m")


def warm_up(ws: Workspace, argv: Sequence[str], marker: str) -> None:
    """One start, not measured: it writes the bytecode caches the measured starts use."""
    term = ws.start(argv, 120, 40)
    try:
        shown_at(term, marker)
    finally:
        quit_console(term)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc), e.g. the program behind linkemu.py."""
    found = []
    with suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def quit_console(term: PtyTerminal, key: str = "\x11", timeout: float = 5.0) -> float | None:
    """ctrl+q (or `key`); seconds until the process exited, or None if it had to be killed
    (with everything it started: a program behind the link runs in a session of its own)."""
    below = descendants(term.proc.pid)
    sent = time.monotonic()
    if term.proc.poll() is None:
        with suppress(OSError):
            term.burst(key)
    code = term.wait_exit(timeout)
    took = time.monotonic() - sent if code is not None else None
    term.close()
    for pid in below if code is None else []:  # killed: what it started lives on
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return took
