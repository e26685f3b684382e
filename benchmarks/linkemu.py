"""A slow link between a terminal and a program, as ssh over a poor line would give it.

    python benchmarks/linkemu.py [--delay 0.15] [--rate 8000] -- PROGRAM [ARGS...]

Run it in a terminal (or in a pty, as benchmarks/console.py does): PROGRAM gets a pty of
its own, the size of this terminal, and every byte between the two crosses an emulated
link, in each direction apart: it waits its turn behind the bytes sent before it (the link
carries `--rate` bytes a second; a token bucket with no burst allowance, so a large
redraw queues the keys' echo behind it as a real link does), then travels `--delay`
seconds. Output is sent in packets of at most PACKET bytes, a TCP segment on Ethernet,
so a screenful arrives piece by piece. This terminal is put in raw mode, as ssh does,
so every key reaches PROGRAM unchanged. The exit code is PROGRAM's.

It is a process of its own, not a thread of the benchmark, so the benchmark's own work
(parsing the output into a screen) cannot delay the link's clock.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import sys
import termios
import time
import tty
from collections import deque

PACKET = 1448
"""Bytes per packet: a TCP segment's payload on Ethernet."""
READ_SIZE = 65536


class Direction:
    """One way of the link: a FIFO at `rate` bytes a second, then `delay` seconds."""

    def __init__(self, rate: float, delay: float) -> None:
        self.rate, self.delay = rate, delay
        self.free_at = 0.0  # when the link has carried everything queued so far
        self.queue: deque[tuple[float, bytes]] = deque()  # (arrival time, packet)

    def send(self, data: bytes, now: float) -> None:
        for start in range(0, len(data), PACKET):
            packet = data[start : start + PACKET]
            self.free_at = max(self.free_at, now) + len(packet) / self.rate
            self.queue.append((self.free_at + self.delay, packet))

    def next_arrival(self) -> float | None:
        return self.queue[0][0] if self.queue else None

    def arrived(self, now: float) -> bytes:
        """The packets that have reached the far end by `now`, joined."""
        out = bytearray()
        while self.queue and self.queue[0][0] <= now:
            out += self.queue.popleft()[1]
        return bytes(out)


def write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def relay(argv: list[str], rate: float, delay: float) -> int:
    """Run `argv` behind the link; returns its exit code."""
    size = None
    with contextlib.suppress(OSError):  # not a terminal: the program keeps the default size
        size = fcntl.ioctl(0, termios.TIOCGWINSZ, bytes(8))
    pid, master = pty.fork()  # the child: a new session, the pty its controlling terminal
    if pid == 0:
        if size is not None:
            fcntl.ioctl(0, termios.TIOCSWINSZ, size)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    up, down = Direction(rate, delay), Direction(rate, delay)  # keys in, output out
    user_open = program_open = True
    while True:
        now = time.monotonic()
        if keys := up.arrived(now):
            with contextlib.suppress(OSError):
                write_all(master, keys)
        if output := down.arrived(now):
            write_all(1, output)
        if not program_open and not down.queue:
            break
        arrivals = [t for t in (up.next_arrival(), down.next_arrival()) if t is not None]
        timeout = max(0.0, min(arrivals) - now) if arrivals else None
        readers = [fd for fd, is_open in ((0, user_open), (master, program_open)) if is_open]
        ready, _, _ = select.select(readers, [], [], timeout)
        now = time.monotonic()
        for fd in ready:
            try:
                data = os.read(fd, READ_SIZE)
            except OSError:  # EIO: the program closed its terminal
                data = b""
            if fd == 0:
                user_open = bool(data)
                up.send(data, now)
            elif data:
                down.send(data, now)
            else:
                program_open = False
    os.close(master)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        usage="%(prog)s [--delay S] [--rate B] -- PROGRAM [ARGS...]",
        epilog="\n".join(__doc__.split("\n")[4:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--delay", type=float, default=0.15, help="seconds each way (0.15)")
    parser.add_argument("--rate", type=float, default=8000, help="bytes a second each way (8000)")
    parser.add_argument("program", nargs=argparse.REMAINDER, help="what to run behind the link")
    args = parser.parse_args()
    argv = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not argv:
        parser.error("no PROGRAM given")
    saved = termios.tcgetattr(0) if os.isatty(0) else None
    if saved is not None:
        tty.setraw(0)
    try:
        return relay(argv, args.rate, args.delay)
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)


if __name__ == "__main__":
    sys.exit(main())
