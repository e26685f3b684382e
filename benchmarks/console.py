"""Console benchmark: the real app in a pty, timed and its terminal output counted.

    python benchmarks/console.py [--sizes 0,100000] [--runs 3] [--screens 120x40,80x24]
                                 [--idle-seconds 60] [--parts paint,note,keys,link]

The console is started as a user starts it, `python -m warroom open PATH
--passphrase-file F` (auto-lock off), in a pseudo-terminal (TERM=xterm-256color) whose
output is read continuously into a terminal emulator (tests/support/ptyterm.py, the
real-terminal tests' own). Incidents are made beforehand with the INTERACTIVE KDF and a
known codename; the main screen has painted when the codename (which the unlock screen
never shows) is on the emulated screen. Times are taken at the arrival of the output that
made something show. The figures, by part:

paint  First paint, at 120x40, --runs times per incident size, after one start of each
       program not counted (the children cache bytecode as a user's Python does, even
       with PYTHONDONTWRITEBYTECODE set here). It counts everything a user waits for:
       Python start-up, imports, the KDF (the console derives the key while its UI
       loads, so the KDF is not subtracted; its time, measured apart, is shown) and the
       fold. For the empty incident the runs alternate with a bare Textual app
       (benchmarks/bare_app.py: one Static, started the same way, timed to its
       marker): A B A B, so both see the same machine; the ratio of the medians is
       the figure (target <= 1.8x).
       Also: when the output settles (its last byte before 1.5 s of quiet) and how long
       the app takes to exit after ctrl+q. Targets: <= 1.0 s empty, <= 2.0 s at 100k.
note   At 120x40, on each incident: bytes for one note ("n", the text typed a key every
       50 ms, Enter; target: Enter <= 4 KiB) and in --idle-seconds of doing nothing
       (target <= 1 KiB a minute).
keys   On the first incident of --sizes, at each of --screens: bytes per typed key in
       each text input, each key sent alone and its output counted until 0.3 s of quiet
       (so a key's whole redraw, findings included, counts for that key): the note input
       (n), the draft editor's body (d; focus starts there) and Subject field (clicked),
       and the incident fields' Title (s; focus starts there) and Summary (clicked).
       Mean and max. Target: <= 1 KiB a key. Also the bytes per pane switch (2 3 4 1).
       If the typed text does not then show where it was typed, the figure says so.
link   On the first incident, at each of --screens, behind benchmarks/linkemu.py (150 ms
       each way, 8000 bytes/s each way, output in 1448-byte packets): 40 keys typed 0.2 s
       apart into the note input and into the draft body, and, for reference, into the
       search prompt of `less` on a text file ("/" then the keys). The figure is the
       seconds from writing the last key to the moment the whole typed text is on the
       emulated screen at the user's end (the last key's echo: 0.3 s is the floor, the
       two link delays). Beside it: when the link went quiet (the last byte before 1.5 s
       of quiet, the draft's autosave included). Target: echo <= 0.8 s in both inputs.

Progress goes to stderr; the figures to stdout, ending in Markdown tables.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bare_app import ARGV as BARE_ARGV
from bare_app import MARKER as BARE_MARKER
from harness import (
    BENCHMARKS,
    CODENAME,
    PtyTerminal,
    Workspace,
    click,
    progress,
    progress_done,
    quit_console,
    row_of,
    shown_at,
    time_kdf,
    warm_up,
    workspace,
)

PAINT_SIZE = (120, 40)
QUIET_SECONDS = 1.5
NOTE_TEXT = "disk image taken of web-3"
NOTE_KEY_DELAY = 0.05
TYPED = "quick brown fox jumps"
"""Typed into each input, a key at a time, for the bytes per key."""
KEY_QUIET = 0.3
PANE_KEYS = "2341"
LINK_TEXT = "the quick brown fox jumps over lazy dogs"
LINK_INTERVAL = 0.2
LINK_DELAY, LINK_RATE = 0.15, 8000
ECHO_TIMEOUT = 300.0
PARTS = ("paint", "note", "keys", "link")


def fmt_s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.2f} s"


def fmt_b(size: float) -> str:
    return f"{size:,.0f} B"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


@dataclass
class Figures:
    """The rows of the final tables: measure -> column -> text."""

    columns: list[str]
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)

    def put(self, measure: str, column: str, text: str, target: str = "") -> None:
        self.rows.setdefault(measure, {})[column] = text
        if target:
            self.targets[measure] = target

    def markdown(self, first: str) -> str:
        head = [first, *self.columns, "target"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for measure, cells in self.rows.items():
            row = [
                measure,
                *(cells.get(c, "") for c in self.columns),
                self.targets.get(measure, ""),
            ]
            lines.append("| " + " | ".join(row) + " |")
        return "\n".join(lines)


# -- first paint ---------------------------------------------------------------------


@dataclass
class Paint:
    raw: float
    paint_bytes: int
    settled: float
    settled_bytes: int
    exit_seconds: float | None


def paint_once(ws: Workspace, argv: list[str], marker: str) -> tuple[Paint, PtyTerminal]:
    """Start `argv` at PAINT_SIZE; the time and bytes to `marker`, then to quiet."""
    term = ws.start(argv, *PAINT_SIZE)
    try:
        raw = shown_at(term, marker) - term.started
        paint_bytes = term.bytes_written()
        term.wait_quiet(QUIET_SECONDS)
    except BaseException:
        quit_console(term)
        raise
    return Paint(raw, paint_bytes, term.last_data - term.started, term.bytes_written(), None), term


def measure_paint(
    ws: Workspace,
    incidents: dict[int, Path],
    runs: int,
    then: Callable[[int, PtyTerminal], None],
) -> tuple[dict[int, list[Paint]], list[Paint]]:
    """`runs` first paints per incident, the empty one alternating with the bare app;
    `then(notes, term)` runs on each incident's last console before it quits."""
    consoles: dict[int, list[Paint]] = {n: [] for n in incidents}
    bare: list[Paint] = []
    progress("first paint: warming up (bytecode caches)")
    warm_up(ws, BARE_ARGV, BARE_MARKER)
    warm_up(ws, ws.console_argv(next(iter(incidents.values()))), CODENAME)
    for notes, path in incidents.items():
        for run in range(runs):
            if notes == 0:
                progress(f"first paint: bare app, run {run + 1}/{runs}")
                paint, term = paint_once(ws, BARE_ARGV, BARE_MARKER)
                paint.exit_seconds = quit_console(term)
                bare.append(paint)
            progress(f"first paint: {notes} notes, run {run + 1}/{runs}")
            paint, term = paint_once(ws, ws.console_argv(path), CODENAME)
            try:
                if run == runs - 1:
                    progress_done()
                    then(notes, term)
            finally:
                paint.exit_seconds = quit_console(term)
            consoles[notes].append(paint)
    progress_done()
    return consoles, bare


def report_paint(
    figures: Figures, consoles: dict[int, list[Paint]], bare: list[Paint], kdf: float
) -> None:
    print(
        f"\nfirst paint, {PAINT_SIZE[0]}x{PAINT_SIZE[1]}, the KDF ({kdf * 1000:.0f} ms, derived"
        " while the UI loads) included"
    )
    for notes, paints in consoles.items():
        raws = [p.raw for p in paints]
        net = statistics.median(raws)
        target = 1.0 if notes == 0 else 2.0
        exits = [p.exit_seconds for p in paints]
        exited = [e for e in exits if e is not None]
        print(
            f"  {notes:>7} notes: median {fmt_s(net)}, best {fmt_s(min(raws))}"
            f"  ({paints[-1].paint_bytes:,} bytes)"
            f"  settled {fmt_s(statistics.median(p.settled for p in paints))} raw,"
            f" {paints[-1].settled_bytes:,} bytes;  exit after ctrl+q: worst "
            f"{fmt_s(max(exited) if exited else None)}"
            + (f", {len(exits) - len(exited)} killed" if len(exited) < len(exits) else "")
        )
        figures.put(
            f"first paint of the main screen (median of {len(paints)})",
            f"{notes:,} notes",
            f"{fmt_s(net)} ({verdict(net <= target)})",
            "≤ 1.0 s / ≤ 2.0 s",
        )
    if bare:
        bare_raw = statistics.median(p.raw for p in bare)
        console_raw = statistics.median(p.raw for p in consoles[0])
        ratio = console_raw / bare_raw
        print(
            f"  bare Textual app: median {fmt_s(bare_raw)}, best {fmt_s(min(p.raw for p in bare))}"
            f" ({bare[-1].paint_bytes:,} bytes)\n"
            f"  empty incident / bare app: {ratio:.2f}x"
        )
        figures.put("bare Textual app, first paint (median)", "0 notes", fmt_s(bare_raw))
        figures.put(
            "first paint, empty incident / bare app",
            "0 notes",
            f"{ratio:.2f}x ({verdict(ratio <= 1.8)})",
            "≤ 1.8x",
        )


# -- one note, idle ------------------------------------------------------------------


def note_and_idle(term: PtyTerminal, idle_seconds: float) -> dict[str, int]:
    """Bytes for "n", the text typed a key every 50 ms, Enter; then for idling."""
    sizes = {}
    term.wait_quiet(QUIET_SECONDS)
    mark = term.bytes_written()
    term.burst("n")
    sizes["n"] = term.settle(mark, 0.5)
    mark = term.bytes_written()
    term.type(NOTE_TEXT, delay=NOTE_KEY_DELAY)
    sizes["typing"] = term.settle(mark, 0.5)
    mark = term.bytes_written()
    term.burst("\r")
    sizes["enter"] = term.settle(mark, QUIET_SECONDS)
    mark = term.bytes_written()
    end = time.monotonic() + idle_seconds
    while (left := end - time.monotonic()) > 0:
        progress(f"idle: {left:.0f} s left")
        time.sleep(min(1.0, left))
    progress_done()
    sizes["idle"] = term.bytes_written() - mark
    return sizes


def report_note(figures: Figures, notes: int, sizes: dict[str, int], idle_seconds: float) -> None:
    column = f"{notes:,} notes"
    flow = sizes["n"] + sizes["typing"] + sizes["enter"]
    per_minute = sizes["idle"] * 60 / idle_seconds if idle_seconds else 0.0
    print(
        f"  {notes:>7} notes: Enter {sizes['enter']:,} B; whole flow {flow:,} B (n {sizes['n']:,},"
        f" {len(NOTE_TEXT)} keys {sizes['typing']:,}); idle {sizes['idle']:,} B"
        f" in {idle_seconds:.0f} s"
    )
    figures.put(
        "one note lands: bytes sent on Enter",
        column,
        f"{fmt_b(sizes['enter'])} ({verdict(sizes['enter'] <= 4096)})",
        "≤ 4 KiB",
    )
    figures.put(f"the whole note flow (n, {len(NOTE_TEXT)} keys, Enter)", column, fmt_b(flow))
    if idle_seconds:
        figures.put(
            f"bytes a minute idle (over {idle_seconds:.0f} s)",
            column,
            f"{fmt_b(per_minute)} ({verdict(per_minute <= 1024)})",
            "≤ 1 KiB",
        )


# -- bytes per key, per pane switch --------------------------------------------------


def type_counting(term: PtyTerminal, text: str) -> list[int]:
    """Each key alone; the bytes written for it, until KEY_QUIET of quiet."""
    sizes = []
    for char in text:
        mark = term.bytes_written()
        term.burst(char)
        sizes.append(term.settle(mark, KEY_QUIET, first=1.0))
    return sizes


def key(term: PtyTerminal, keys: str, quiet: float = 0.5) -> int:
    mark = term.bytes_written()
    term.burst(keys)
    return term.settle(mark, quiet)


def click_label(term: PtyTerminal, label: str, dx: int, dy: int) -> int | None:
    """Click `dx` columns right of, `dy` rows below, the row starting with `label`; the
    row clicked (None if the label is not on screen)."""
    row = row_of(term, label)
    if row is None:
        return None
    column = term.lines()[row].index(label)
    mark = term.bytes_written()
    click(term, column + dx, row + dy)
    term.settle(mark, 0.5)
    return row + dy


def landed(term: PtyTerminal, text: str, row: int | None = None) -> bool:
    lines = term.lines()
    return text in lines[row] if row is not None else any(text in line for line in lines)


def measure_keys(term: PtyTerminal) -> dict[str, tuple[list[int], bool]]:
    """Bytes per key in each input, and per pane switch: name -> (sizes, text landed)."""
    out: dict[str, tuple[list[int], bool]] = {}
    term.wait_quiet(QUIET_SECONDS)
    out["pane switch (2 3 4 1)"] = ([key(term, k) for k in PANE_KEYS], True)

    progress("bytes per key: note input")
    key(term, "n")
    out["note input"] = (type_counting(term, TYPED), landed(term, TYPED))
    key(term, "\x1b")

    progress("bytes per key: draft editor")
    key(term, "d", 0.7)
    out["draft body"] = (type_counting(term, TYPED), landed(term, TYPED))
    row = click_label(term, "Subject", 12, 0)
    sizes = type_counting(term, TYPED)
    out["draft Subject"] = (sizes, row is not None and landed(term, TYPED, row))
    key(term, "\x1b", 1.0)

    progress("bytes per key: incident fields")
    key(term, "s", 0.7)
    row = row_of(term, "Title")
    sizes = type_counting(term, TYPED)
    out["incident Title"] = (sizes, row is not None and landed(term, TYPED, row))
    row = click_label(term, "Summary", 2, 1)
    sizes = type_counting(term, TYPED)
    out["incident Summary"] = (sizes, row is not None and landed(term, TYPED, row))
    key(term, "\x1b")
    key(term, "\x1b")
    progress_done()
    return out


def report_keys(figures: Figures, screen: str, out: dict[str, tuple[list[int], bool]]) -> None:
    print(f"  {screen}:")
    for name, (sizes, ok) in out.items():
        mean, most = statistics.mean(sizes), max(sizes)
        where = "" if ok else "  (the typed text did not show where it was typed)"
        print(f"    {name:<22} mean {fmt_b(mean):>9}  max {fmt_b(most):>9}  each {sizes}{where}")
        switch = name.startswith("pane")
        ok_text = "" if switch else f" ({verdict(most <= 1024)})"
        figures.put(
            f"bytes per {name}, mean / max" if switch else f"bytes per key, {name}, mean / max",
            screen,
            f"{fmt_b(mean)} / {fmt_b(most)}{ok_text}" + ("" if ok else " (text misplaced)"),
            "" if switch else "≤ 1 KiB",
        )


# -- the slow link -------------------------------------------------------------------


@dataclass
class Echo:
    echo: float | None  # last key written -> whole text on the user's screen
    quiet: float | None  # last key written -> last byte before 1.5 s of quiet
    link_bytes: int  # bytes the link delivered from the first key to quiet


def type_over_link(term: PtyTerminal, needle_prefix: str = "") -> Echo:
    """LINK_TEXT a key every LINK_INTERVAL; when its last key's echo arrived."""
    mark = term.bytes_written()
    term.type(LINK_TEXT[:-1], delay=LINK_INTERVAL)
    last_key = time.monotonic()
    term.burst(LINK_TEXT[-1])
    progress("slow link: waiting for the last key's echo")
    try:
        echo: float | None = shown_at(term, needle_prefix + LINK_TEXT, ECHO_TIMEOUT) - last_key
    except AssertionError:
        echo = None
    progress("slow link: waiting for the link to go quiet")
    term.wait_quiet(QUIET_SECONDS, timeout=ECHO_TIMEOUT)
    progress_done()
    return Echo(echo, term.last_data - last_key, term.bytes_written() - mark)


def linked(argv: list[str]) -> list[str]:
    link = [sys.executable, str(BENCHMARKS / "linkemu.py")]
    return [*link, "--delay", str(LINK_DELAY), "--rate", str(LINK_RATE), "--", *argv]


def measure_link(ws: Workspace, incident: Path, cols: int, rows: int) -> dict[str, Echo]:
    out: dict[str, Echo] = {}
    progress(f"slow link {cols}x{rows}: console first paint")
    term = ws.start(linked(ws.console_argv(incident)), cols, rows)
    try:
        shown_at(term, CODENAME, ECHO_TIMEOUT)
        term.wait_quiet(QUIET_SECONDS, timeout=ECHO_TIMEOUT)
        key(term, "n", QUIET_SECONDS)
        progress(f"slow link {cols}x{rows}: typing into the note input")
        out["note input"] = type_over_link(term)
        key(term, "\x1b", QUIET_SECONDS)
        key(term, "d", QUIET_SECONDS)
        progress(f"slow link {cols}x{rows}: typing into the draft body")
        out["draft body"] = type_over_link(term)
    finally:
        quit_console(term, timeout=ECHO_TIMEOUT)
    text = ws.root / "less.txt"
    text.write_text("".join(f"line {i}: nothing to see here\n" for i in range(500)))
    term = ws.start(linked(["less", str(text)]), cols, rows)
    try:
        shown_at(term, "line 0:", ECHO_TIMEOUT)
        key(term, "/", QUIET_SECONDS)
        progress(f"slow link {cols}x{rows}: typing into less's search prompt")
        out["less (reference)"] = type_over_link(term, "/")
    finally:
        quit_console(term, key="\x03q", timeout=2.0)
    return out


def report_link(figures: Figures, screen: str, out: dict[str, Echo]) -> None:
    print(f"  {screen}:")
    for name, echo in out.items():
        print(
            f"    {name:<18} last-key echo {fmt_s(echo.echo):>8}   quiet after"
            f" {fmt_s(echo.quiet):>8}   {echo.link_bytes:,} bytes over the link"
        )
        target = "" if name.startswith("less") else "≤ 0.8 s"
        ok = "" if not target else f" ({verdict(echo.echo is not None and echo.echo <= 0.8)})"
        figures.put(
            f"slow link, 40 keys at 5/s: last-key echo, {name}",
            screen,
            f"{fmt_s(echo.echo)}{ok}, quiet after {fmt_s(echo.quiet)}",
            target,
        )


# -- main ----------------------------------------------------------------------------


def screen_size(text: str) -> tuple[int, int]:
    cols, rows = text.lower().split("x")
    return int(cols), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="\n".join(__doc__.split("\n")[4:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", default="0,100000", help="notes per incident (0,100000)")
    parser.add_argument("--runs", type=int, default=3, help="first paints per incident (3)")
    parser.add_argument(
        "--screens", default="120x40,80x24", help="sizes for keys and link (120x40,80x24)"
    )
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="idle time (60)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"any of {','.join(PARTS)}")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    screens = [screen_size(s) for s in args.screens.split(",")]
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(parts - set(PARTS)))}")
    by_size = Figures([f"{n:,} notes" for n in sizes])
    by_screen = Figures([f"{c}x{r}" for c, r in screens])

    with workspace() as ws:
        kdf_times = time_kdf()
        kdf = statistics.median(kdf_times)
        print(f"KDF (argon2id interactive), measured apart: median {kdf * 1000:.0f} ms")
        incidents = {}
        for n in sizes:
            print(f"  creating an incident with {n} notes", file=sys.stderr)
            incidents[n] = ws.make_incident(n, random.Random(7))

        if parts & {"paint", "note"}:
            notes_out: dict[int, dict[str, int]] = {}

            def then(notes: int, term: PtyTerminal) -> None:
                if "note" in parts:
                    print(f"  {notes} notes: one note, then idle", file=sys.stderr)
                    notes_out[notes] = note_and_idle(term, args.idle_seconds)

            consoles, bare = measure_paint(
                ws, incidents, args.runs if "paint" in parts else 1, then
            )
            if "paint" in parts:
                report_paint(by_size, consoles, bare, kdf)
            if notes_out:
                print(f"\none note, and idle, {PAINT_SIZE[0]}x{PAINT_SIZE[1]}")
                for notes, out in notes_out.items():
                    report_note(by_size, notes, out, args.idle_seconds)

        first = incidents[sizes[0]]
        if "keys" in parts:
            print(f"\nbytes per typed key and per pane switch, {sizes[0]} notes")
            for cols, rows in screens:
                term = ws.start(ws.console_argv(first), cols, rows)
                try:
                    shown_at(term, CODENAME)
                    out = measure_keys(term)
                finally:
                    quit_console(term)
                report_keys(by_screen, f"{cols}x{rows}", out)

        if "link" in parts:
            print(
                f"\nslow link ({LINK_DELAY * 1000:.0f} ms each way, {LINK_RATE} bytes/s each way),"
                f" {len(LINK_TEXT)} keys {LINK_INTERVAL} s apart, {sizes[0]} notes"
            )
            for cols, rows in screens:
                report_link(by_screen, f"{cols}x{rows}", measure_link(ws, first, cols, rows))

    if by_size.rows:
        print("\n" + by_size.markdown(f"measure ({PAINT_SIZE[0]}x{PAINT_SIZE[1]})"))
    if by_screen.rows:
        print(f"\n{by_screen.markdown(f'measure ({sizes[0]:,} notes)')}")


if __name__ == "__main__":
    main()
