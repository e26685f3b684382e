"""Leaving without losing a word: on quit, lock, hang-up, SIGTERM, or a terminal
that went away, every screen that holds typed text saves it first.

A hang-up is what a dropped SSH link looks like: the kernel sends SIGHUP, and
the terminal answers reads with end-of-file and everything else with EIO.
Textual neither handles SIGHUP nor notices the dead terminal (its input thread
reads nothing, forever), so the console ran on for minutes with unsaved text.
Here the signal and a once-a-second look at the terminal both lead to the same
path: save, close the incident, exit; and if the exit itself hangs (writing to
a frozen link), the process ends anyway two seconds later.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import termios
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.app import App

TERMINAL_CHECK_SECONDS = 1.0
EXIT_DEADLINE_SECONDS = 1.5
"""After a hang-up, the process ends this long after saving, clean exit or not."""
SIGNAL_EXIT_CODES = {signal.SIGHUP: 129, signal.SIGTERM: 143}  # 128 + the signal


@runtime_checkable
class HoldsEdits(Protocol):
    """A screen with text a person is typing (a draft, the incident's fields)."""

    def save_edits(self) -> None:
        """Save what is typed, now."""


def save_all_edits(app: App) -> None:
    """Every screen on the stack that holds typed text saves it (top first)."""
    for screen in reversed(app.screen_stack):
        if isinstance(screen, HoldsEdits):
            try:
                screen.save_edits()
            except Exception as exc:  # noqa: BLE001 - the others must still save
                print(f"warroom: could not save typed text: {exc}", file=sys.stderr)


def terminal_alive(fd: int) -> bool:
    """False once the terminal behind `fd` has hung up (tcgetattr answers EIO)."""
    try:
        termios.tcgetattr(fd)
    except termios.error:
        return False
    return True


class Leaving:
    """Signal handlers and the terminal watch for one app; `leave()` is the way out."""

    def __init__(self, app: App, close: Callable[[], None]) -> None:
        self._app = app
        self._close = close
        self._left = False
        self._fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1

    def install(self) -> None:
        loop = asyncio.get_running_loop()
        for signum, code in SIGNAL_EXIT_CODES.items():
            if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup is respected
                loop.add_signal_handler(signum, self.leave, code)
        if self._fd >= 0 and os.isatty(self._fd):
            self._app.set_interval(TERMINAL_CHECK_SECONDS, self._check_terminal)

    def _check_terminal(self) -> None:
        if not terminal_alive(self._fd):
            self.leave(SIGNAL_EXIT_CODES[signal.SIGHUP])

    def leave(self, code: int) -> None:
        """Save typed text, close the incident, exit with `code` (within 2 s, come what may)."""
        if self._left:
            return
        self._left = True
        save_all_edits(self._app)
        with contextlib.suppress(Exception):
            self._close()
        deadline = threading.Timer(EXIT_DEADLINE_SECONDS, os._exit, args=(code,))
        deadline.daemon = True
        deadline.start()
        self._app.exit(return_code=code)
