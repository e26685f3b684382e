"""The cyclic garbage collector, held off while the program starts.

Start-up (Python, click, Textual, the first screen) allocates a few hundred thousand
objects that live to the end; the collector walking them again and again as they
appear cost ~25 ms of a ~270 ms first paint (benchmarks/startup.py). `hold()` comes
before the heavy imports, `resume()` once the program is under way: the console after
its first screen has painted, every other command as soon as its arguments are parsed.
Reference counting frees memory as usual meanwhile; only cycles wait.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_held = False


def hold() -> None:
    """Hold the collector off, if it is on (a caller that turned it off keeps it off)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def resume() -> None:
    """Turn the collector back on, if `hold` turned it off. Safe to call again."""
    global _held
    if _held:
        _held = False
        gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    """The collector off while a load makes 100k objects that hold no cycles (a fold,
    reading the rows): otherwise its repeated full passes cost a third of the open."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
