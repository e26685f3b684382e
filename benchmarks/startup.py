"""Where the console's start-up time goes, next to a bare Textual app's.

    python benchmarks/startup.py [--notes 0] [--runs 3] [--min-ms 2] [--depth 3]

Both programs are started in a 120x40 pty as benchmarks/console.py starts them (the
console as `warroom open PATH --passphrase-file F`, the bare app is
benchmarks/bare_app.py) and timed to their first paint, after one start of each not
counted (the children cache bytecode, as a user's Python does). Two kinds of run:

phases     Uninstrumented. A few lines of start-up code note the time (the parent's
           clock: time.monotonic) when the interpreter is ready and when each of a few
           modules (the CLI and the core, the UI) has been imported, in the program's own
           order (nothing is imported ahead of it); the first paint is timed as in
           benchmarks/console.py. Medians of --runs.
importtime `python -X importtime`: the interpreter's import log goes to a file (the
           C-level stderr), the app's output (it writes to `sys.__stderr__`) back to the
           pty, and the log is cut when the app painted, so only imports made before the
           first paint count. Shown for the run with the median import time: the time by
           package (self times: where it is spent), the same for the modules the console
           imports and the bare app does not, and the console's import tree to --depth for
           imports of at least --min-ms (cumulative: what pulled them in; "+" marks modules
           the bare app does not load). -X importtime adds overhead of its own: compare
           these figures with each other, not with the phases.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, field

from bare_app import ARGV as BARE_ARGV
from bare_app import MARKER as BARE_MARKER
from harness import (
    CODENAME,
    Workspace,
    progress,
    progress_done,
    quit_console,
    shown_at,
    warm_up,
    workspace,
)

LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")
MARKS_ENV = "WARROOM_BENCH_MARKS"
BOOT = """\
import os, runpy, sys, time
marks = [("interpreter ready", time.monotonic())]
if {importtime}:  # the app's output back to the pty; the import log stays in the file
    sys.__stderr__ = sys.stderr = open(os.dup(1), "w", errors="backslashreplace")


class Watch:
    \"\"\"Notes when each watched module has run, leaving the program's own order be.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name not in {modules}:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is not self and find and (spec := find(name, path, target)):
                break
        else:
            return None
        run = spec.loader.exec_module

        def timed(module):
            run(module)
            marks.append((name, time.monotonic()))
            with open(os.environ["{marks_env}"], "w") as fh:
                fh.writelines(f"{{at}} {{step}}\\n" for step, at in marks)

        spec.loader.exec_module = timed
        return spec


sys.meta_path.insert(0, Watch())
sys.argv[0] = "app"
runpy.{run}
"""
"""Run as `python -c`: start the program, noting when each of `modules` is imported
(in the order the program imports them)."""
CONSOLE = {
    "run": "run_module('warroom', run_name='__main__', alter_sys=True)",
    "modules": ["warroom.cli", "warroom.screens.app"],
    "marker": CODENAME,
}
BARE = {
    "run": f"run_path({BARE_ARGV[1]!r}, run_name='__main__')",
    "modules": ["textual.app", "textual.widgets"],
    "marker": BARE_MARKER,
}
GROUPS = {"warroom.screens": "warroom.screens (the UI)", "warroom": "warroom (the core)"}


@dataclass
class Import:
    self_us: int
    cumulative_us: int
    depth: int
    name: str
    children: list[Import] = field(default_factory=list)


def parse(log: str) -> list[Import]:
    """The import tree, parents before children (the log lists children first)."""
    pending: dict[int, list[Import]] = defaultdict(list)
    for line in log.splitlines():
        if match := LINE.match(line):
            self_us, cumulative, indent, name = match.groups()
            depth = len(indent) // 2
            item = Import(int(self_us), int(cumulative), depth, name, pending.pop(depth + 1, []))
            pending[depth].append(item)
    return pending[0]


def walk(items: list[Import]) -> list[Import]:
    return [x for item in items for x in (item, *walk(item.children))]


@dataclass
class Run:
    marks: list[tuple[float, str]]  # (seconds from the process start, what was ready)
    paint: float
    imports: list[Import]  # the roots of the tree; empty unless -X importtime


def run_once(ws: Workspace, program: dict, args: list[str], importtime: bool) -> Run:
    """One start to the first paint."""
    log, marks = ws.root / "importtime.log", ws.root / "marks"
    boot = BOOT.format(
        importtime=importtime, modules=program["modules"], marks_env=MARKS_ENV, run=program["run"]
    )
    python = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", boot, *args]
    argv = ["sh", "-c", 'exec "$@" 2>"$0"', str(log), *python] if importtime else python
    os.environ[MARKS_ENV] = str(marks)
    term = ws.start(argv, 120, 40)
    try:
        painted = shown_at(term, program["marker"])
        cut = log.stat().st_size if importtime else 0  # C stderr is unbuffered
    finally:
        quit_console(term)
    imports = parse(log.read_bytes()[:cut].decode()) if importtime else []
    done = [line.split(" ", 1) for line in marks.read_text().splitlines()]
    return Run(
        sorted((float(t) - term.started, what) for t, what in done), painted - term.started, imports
    )


def group_of(name: str) -> str:
    for prefix, label in GROUPS.items():
        if name == prefix or name.startswith(prefix + "."):
            return label
    top = name.split(".")[0]
    if top in sys.stdlib_module_names or top.startswith("_"):
        return "the standard library"
    return top


def total_ms(imports: list[Import]) -> float:
    return sum(i.self_us for i in imports) / 1000


def by_package(imports: list[Import], min_ms: float) -> None:
    micros: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for item in imports:
        micros[group_of(item.name)] += item.self_us
        counts[group_of(item.name)] += 1
    for group, total in sorted(micros.items(), key=lambda kv: -kv[1]):
        if total >= min_ms * 1000 / 2:
            print(f"  {total / 1000:7.1f} ms  {counts[group]:4d} modules  {group}")


def report_phases(name: str, runs: list[Run]) -> None:
    """Each step's median end, in the order the program reached them."""
    steps = [what for _, what in runs[0].marks]
    marks = [statistics.median(r.marks[i][0] for r in runs) for i in range(len(steps))]
    paint = statistics.median(r.paint for r in runs)
    parts = [f"{steps[0]} {marks[0] * 1000:.0f}"]
    steps_ms = zip(steps[1:], marks, marks[1:], strict=False)
    parts += [f"+{(b - a) * 1000:.0f} {step}" for step, a, b in steps_ms]
    parts.append(f"+{(paint - marks[-1]) * 1000:.0f} to the first paint = {paint * 1000:.0f} ms")
    print(f"  {name}: " + ", ".join(parts))


def report_imports(console: list[Import], bare: list[Import], min_ms: float, depth: int) -> None:
    every, known = walk(console), {i.name for i in walk(bare)}
    print("\nthe console: import time by package (self times)")
    by_package(every, min_ms)
    extra = [i for i in every if i.name not in known]
    print(f"\nimported by the console, not by the bare app: {total_ms(extra):.0f} ms")
    by_package(extra, min_ms)
    print(f"\nthe console's imports of >= {min_ms:g} ms, cumulative, to depth {depth}")
    for item in every:
        if item.depth <= depth and item.cumulative_us >= min_ms * 1000:
            own = f"(self {item.self_us / 1000:.1f})"
            mark = " " if item.name in known else "+"
            indent = "  " * item.depth
            print(f"  {item.cumulative_us / 1000:7.1f} ms {own:>12} {mark} {indent}{item.name}")


def median_run(runs: list[Run]) -> Run:
    totals = [total_ms(walk(r.imports)) for r in runs]
    return runs[totals.index(statistics.median_low(totals))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="\n".join(__doc__.split("\n")[4:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--notes", type=int, default=0, help="notes in the incident (0)")
    parser.add_argument("--runs", type=int, default=3, help="starts of each kind (3)")
    parser.add_argument("--min-ms", type=float, default=2.0, help="smallest import shown (2)")
    parser.add_argument("--depth", type=int, default=3, help="deepest nesting shown (3)")
    args = parser.parse_args()
    runs: dict[tuple[str, bool], list[Run]] = defaultdict(list)
    with workspace() as ws:
        incident = ws.make_incident(args.notes, random.Random(7))
        command = ws.console_args(incident)
        progress("warming up (bytecode caches)")
        warm_up(ws, BARE_ARGV, BARE_MARKER)
        warm_up(ws, ws.console_argv(incident), CODENAME)
        for run in range(args.runs):
            for importtime in (False, True):
                progress(f"run {run + 1}/{args.runs}{' -X importtime' if importtime else ''}")
                runs["bare", importtime].append(run_once(ws, BARE, [], importtime))
                runs["console", importtime].append(run_once(ws, CONSOLE, command, importtime))
    progress_done()
    print(
        f"phases, median of {args.runs} (ms from the process start; the console derives"
        " its key while the UI is imported)"
    )
    report_phases("bare app", runs["bare", False])
    report_phases("console ", runs["console", False])
    console, bare = median_run(runs["console", True]), median_run(runs["bare", True])
    totals = {k: [f"{total_ms(walk(r.imports)):.0f}" for r in v] for k, v in runs.items()}
    print(
        f"\n-X importtime, imports before the first paint (ms): console "
        f"{', '.join(totals['console', True])}; bare app {', '.join(totals['bare', True])}"
    )
    report_imports(console.imports, bare.imports, args.min_ms, args.depth)


if __name__ == "__main__":
    main()
