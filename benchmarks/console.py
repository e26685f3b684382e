"""Console benchmark: first paint, and bytes written to the terminal, of the real app in a pty.

    python benchmarks/console.py [--sizes 0,100000] [--runs 3] [--idle-seconds 60]

Each run starts `python -m warroom open PATH --passphrase-file F` in a 120x40
pseudo-terminal (TERM=xterm-256color), the way a user would, and reads the
terminal continuously. Incidents are made beforehand with the INTERACTIVE KDF
and a known codename; the main screen has painted when the codename (which the
unlock screen never shows) appears in the output, ANSI sequences stripped.
First paint counts Python start-up and imports (a user waits for those too);
the KDF, timed apart, is subtracted and the raw time shown beside it. Also
shown: when the output settles (the last byte before 1.5 s of quiet), and how
long the process takes to exit after ctrl+q.

Then, once the output has been quiet for a while: the bytes written to add one
note ("n", the text typed a key every 50 ms, Enter), and the bytes written in
--idle-seconds of doing nothing. Targets: first paint <= 1.0 s empty and
<= 2.0 s with 100k notes; one note <= 4 KiB; idle <= 1 KiB a minute.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import random
import re
import select
import statistics
import string
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

from warroom import crypto
from warroom.session import Session

PASSPHRASE = "benchmark passphrase"
CODENAME = "bench-heron"
BATCH = 5000
COLS, ROWS = 120, 40
QUIET_SECONDS = 1.5
KEY_DELAY = 0.05
NOTE_TEXT = "disk image taken of web-3"
START_TIMEOUT = 60.0
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]"  # other escapes
)


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def progress(message: str) -> None:
    print(f"  {message}".ljust(60), end="\r", file=sys.stderr, flush=True)


def progress_done() -> None:
    print(" " * 60, end="\r", file=sys.stderr, flush=True)


def note_text(rng: random.Random) -> str:
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(12)]
    return " ".join(words)[: rng.randint(40, 120)]


def make_incident(path: Path, notes: int, rng: random.Random) -> None:
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


def time_kdf(repeats: int = 5) -> list[float]:
    """Argon2id with the INTERACTIVE parameters, after one warm-up call."""
    params = crypto.KDF_PROFILES["interactive"]
    times = []
    for _ in range(repeats + 1):
        t0 = time.perf_counter()
        crypto.derive_kek(PASSPHRASE, bytes(16), params.opslimit, params.memlimit)
        times.append(time.perf_counter() - t0)
    return times[1:]


class Console:
    """The app in a pty, its output read continuously by a thread."""

    def __init__(self, path: Path, passfile: Path, config: Path, cwd: Path) -> None:
        self.cond = threading.Condition()
        self.chunks: list[tuple[float, int]] = []  # (arrival, size)
        self.output = bytearray()
        self.total = 0
        self.last_data = 0.0
        self.marker: str | None = None
        self.marker_at: float | None = None
        self.marker_bytes = 0
        self.eof = False
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        env = dict(os.environ)
        env.update(
            TERM="xterm-256color",
            COLUMNS=str(COLS),
            LINES=str(ROWS),
            WARROOM_CONFIG_DIR=str(config),
        )
        env.pop("WARROOM_PASSPHRASE_FILE", None)
        argv = [sys.executable, "-m", "warroom", "open", str(path), "--passphrase-file"]
        self.master = master
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [*argv, str(passfile)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_controlling_tty,
        )
        os.close(slave)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if not ready:
                    if self.proc.poll() is not None:
                        break
                    continue
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            now = time.perf_counter()
            with self.cond:
                self.chunks.append((now, len(data)))
                self.total += len(data)
                self.last_data = now
                if self.marker_at is None:
                    self.output += data
                    text = strip_ansi(self.output.decode("utf-8", "replace"))
                    if self.marker and self.marker in text:
                        self.marker_at = now
                        self.marker_bytes = self.total
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_marker(self, marker: str, timeout: float) -> float:
        """Seconds from process start until `marker` showed in the output."""
        with self.cond:
            self.marker = marker
            if strip_ansi(self.output.decode("utf-8", "replace")).find(marker) >= 0:
                self.marker_at = self.last_data
            deadline = time.perf_counter() + timeout
            while self.marker_at is None and not self.eof:
                left = deadline - time.perf_counter()
                if left <= 0:
                    break
                self.cond.wait(left)
            if self.marker_at is None:
                tail = strip_ansi(self.output.decode("utf-8", "replace"))[-2000:]
                raise RuntimeError(
                    f"{marker!r} never showed (exit code {self.proc.poll()}); "
                    f"last output, ANSI stripped:\n{tail}"
                )
            return self.marker_at - self.started

    def settle(self, mark: int, quiet: float = QUIET_SECONDS, timeout: float = 30.0) -> None:
        """Wait for output past `mark` (up to 5 s), then for `quiet` seconds without any."""
        deadline = time.perf_counter() + timeout
        with self.cond:
            first = time.perf_counter() + 5.0
            while self.total <= mark and not self.eof and time.perf_counter() < first:
                self.cond.wait(0.1)
            while not self.eof:
                now = time.perf_counter()
                if now - self.last_data >= quiet:
                    return
                if now >= deadline:
                    raise RuntimeError(f"output never went quiet for {quiet} s")
                self.cond.wait(min(quiet - (now - self.last_data), deadline - now))

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def count(self) -> int:
        with self.cond:
            return self.total

    def writes_since(self, start: float) -> list[tuple[float, int]]:
        with self.cond:
            return [(t - start, n) for t, n in self.chunks if t >= start]

    def quit(self) -> int | None:
        """ctrl+q, then up to 5 s for the exit; killed if it does not. Returns the exit code."""
        self.exit_seconds: float | None = 0.0
        if self.proc.poll() is None:
            sent = time.perf_counter()
            with contextlib.suppress(OSError):
                self.send("\x11")
            try:
                self.proc.wait(5)
                self.exit_seconds = time.perf_counter() - sent
            except subprocess.TimeoutExpired:
                self.exit_seconds = None
                print("  the app did not exit 5 s after ctrl+q: killed", file=sys.stderr)
                self.proc.kill()
                self.proc.wait()
        self.thread.join(5)
        os.close(self.master)
        return self.proc.returncode


def _controlling_tty() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def add_note(console: Console) -> dict[str, int]:
    """Bytes written for "n", typing the text, Enter; the console must be quiet."""
    sizes = {}
    mark = console.count()
    console.send("n")
    console.settle(mark, quiet=0.5)
    sizes["n"] = console.count() - mark
    mark = console.count()
    for char in NOTE_TEXT:
        console.send(char)
        time.sleep(KEY_DELAY)
    console.settle(mark, quiet=0.5)
    sizes["typing"] = console.count() - mark
    mark = console.count()
    console.send("\r")
    console.settle(mark)
    sizes["enter"] = console.count() - mark
    return sizes


def idle(console: Console, seconds: float) -> tuple[int, list[tuple[float, int]]]:
    start = time.perf_counter()
    mark = console.count()
    end = start + seconds
    while (left := end - time.perf_counter()) > 0:
        progress(f"idle: {left:.0f} s left")
        time.sleep(min(1.0, left))
    progress_done()
    return console.count() - mark, console.writes_since(start)


def fmt_s(seconds: float) -> str:
    return f"{seconds:5.2f} s"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="warroom-console-") as tmp_name:
        tmp = Path(tmp_name)
        config = tmp / "config"
        config.mkdir(mode=0o700)
        (config / "profile.json").write_text(json.dumps({"name": "bench"}))
        os.environ["WARROOM_CONFIG_DIR"] = str(config)
        passfile = tmp / "pass"
        passfile.write_text(PASSPHRASE + "\n")
        passfile.chmod(0o600)

        kdf_times = time_kdf()
        kdf = statistics.median(kdf_times)
        print(
            f"KDF (argon2id interactive), measured apart: median {kdf * 1000:.0f} ms, "
            f"best {min(kdf_times) * 1000:.0f} ms of {len(kdf_times)}"
        )

        paths = {}
        for n in sizes:
            path = tmp / f"incident-{n}.db"
            print(f"  creating an incident with {n} notes", file=sys.stderr)
            make_incident(path, n, rng)
            paths[n] = path

        print(f"\nfirst paint of the main screen, {COLS}x{ROWS}, {args.runs} runs, KDF excluded")
        interactions = {}
        for n in sizes:
            raws, settled, settled_bytes, exits = [], [], [], []
            for run in range(args.runs):
                progress(f"{n} notes: run {run + 1}/{args.runs}")
                console = Console(paths[n], passfile, config, tmp)
                try:
                    raws.append(console.wait_marker(CODENAME, START_TIMEOUT))
                    paint_bytes = console.marker_bytes
                    console.settle(0)
                    with console.cond:
                        settled.append(console.last_data - console.started)
                    settled_bytes.append(console.count())
                    if run == args.runs - 1:
                        progress_done()
                        note = add_note(console)
                        print(f"  {n} notes: idle for {args.idle_seconds:.0f} s", file=sys.stderr)
                        interactions[n] = (note, *idle(console, args.idle_seconds))
                finally:
                    code = console.quit()
                    exits.append(console.exit_seconds)
                if code != 0:
                    print(f"  {n} notes, run {run + 1}: exit code {code}", file=sys.stderr)
            progress_done()
            net = [r - kdf for r in raws]
            target = 1.0 if n == 0 else 2.0
            print(
                f"  {n:>7} notes: best {fmt_s(min(net))}  median {fmt_s(statistics.median(net))}"
                f"   (raw best {fmt_s(min(raws))}, median {fmt_s(statistics.median(raws))};"
                f" {paint_bytes} bytes)   target <= {target:.1f} s: "
                f"{verdict(statistics.median(net) <= target)}"
            )
            print(
                f"  {'':>7}        settled (last output before {QUIET_SECONDS} s of quiet): "
                f"raw median {fmt_s(statistics.median(settled))}, "
                f"{int(statistics.median(settled_bytes))} bytes"
            )
            exited = [e for e in exits if e is not None]
            killed = len(exits) - len(exited)
            worst = f"worst {fmt_s(max(exited))}" if exited else "never"
            killed_text = f", {killed} of {len(exits)} killed after 5 s" if killed else ""
            print(f"  {'':>7}        exit after ctrl+q: {worst}{killed_text}")

        print(f"\nbytes written to the terminal, {COLS}x{ROWS}")
        for n in sizes:
            note, idle_bytes, writes = interactions[n]
            total = sum(note.values())
            per_minute = idle_bytes * 60 / args.idle_seconds if args.idle_seconds else 0
            # The target is read as the note landing (Enter: the new line on the timeline);
            # the whole flow, with the key echo of typing, is printed beside it.
            print(
                f"  {n:>7} notes: one note lands (Enter) {note['enter']:6d} B   "
                f"target <= 4096 B: {verdict(note['enter'] <= 4096)}"
            )
            print(
                f"  {'':>7}        whole flow {total:6d} B  (n {note['n']}, typing "
                f"{len(NOTE_TEXT)} keys {note['typing']}, Enter {note['enter']})"
            )
            when = ", ".join(f"{t:.1f} s: {b} B" for t, b in writes[:8])
            more = f", ... ({len(writes)} writes)" if len(writes) > 8 else ""
            print(
                f"  {'':>7}        idle {args.idle_seconds:.0f} s {idle_bytes:6d} B"
                f"  ({per_minute:.0f} B/min; writes at {when or 'none'}{more})   "
                f"target <= 1024 B/min: {verdict(per_minute <= 1024)}"
            )


if __name__ == "__main__":
    main()
