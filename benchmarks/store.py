"""Store benchmark: open+fold time, durable append latency, bytes on disk per note,
`warroom note` as a whole process on an empty and a large file, and concurrent
writers each on its own device.

    python benchmarks/store.py [--sizes 1000,10000,100000] [--appends 500]
                               [--note-events 100000] [--note-rounds 7]
                               [--writers 8] [--writer-notes 300]
                               [--child-pythonpath DIR]

Incidents are made with the INTERACTIVE KDF and the KDF time is reported apart
(it is the same whatever the file holds). Targets on a 2-core machine:
100k open+fold <= 0.5 s (from the checkpoint), append p99 <= 10 ms, <= 400 bytes
per note beyond its text, `warroom note` on 100k events <= 1.3x its time on an empty file.

Concurrent writers: --writers processes, each with its own config dir (its own
device), append --writer-notes notes each to one file at once, through the facade;
the wall time, and how often any of them folded the whole file (once each at open
is the floor: a late event from another device must not rebuild the state).
Out-of-order apply cost per event is in benchmarks/fold.py.

The `note` processes run interleaved (empty, large, empty, large, ...) so a busy
machine slows both alike; each figure is the median, with the peak RSS of the
process (getrusage of the child, from wait4). `--child-pythonpath` runs them
against another tree (a copy of the old code: the "before" figures). `--sizes none`
skips the open+fold section.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warroom import crypto
from warroom.device import load_device
from warroom.session import Header, Session, open_store

PASSPHRASE = "benchmark passphrase"
BATCH = 5000


def note_text(rng: random.Random) -> str:
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(12)]
    return " ".join(words)[: rng.randint(40, 120)]


def make_incident(path: Path, notes: int, rng: random.Random) -> int:
    """Create an incident holding `notes` notes; returns the bytes of note text."""
    text_bytes = 0
    with Session.create(path, PASSPHRASE, kdf="interactive", title="bench") as session:
        done = 0
        while done < notes:
            texts = [note_text(rng) for _ in range(min(BATCH, notes - done))]
            text_bytes += sum(len(t.encode()) for t in texts)
            session.add_notes(texts)
            done += len(texts)
            print(f"  writing {done}/{notes}", end="\r", file=sys.stderr, flush=True)
    print(" " * 40, end="\r", file=sys.stderr)
    return text_bytes


def time_kdf() -> float:
    params = crypto.KDF_PROFILES["interactive"]
    t0 = time.perf_counter()
    crypto.derive_kek(PASSPHRASE, bytes(16), params.opslimit, params.memlimit)
    return time.perf_counter() - t0


def open_fold_seconds(path: Path, tmp: Path, repeats: int = 3) -> dict[str, float]:
    """Best of a few, alternating: open the file and fold it (the KDF done once
    beforehand, exactly as `Session.unlock` does it), three ways: from scratch (a device
    with no checkpoint: read, decrypt, chain-check and fold every row), resumed from
    the checkpoint `make_incident`'s device saved as it closed, and resumed then
    checked against the rows it summarises (what reading commands do; the console
    checks after its first paint)."""
    store = open_store(path)
    header = Header.from_meta(store.meta(), str(path))
    store.close()
    kek = crypto.derive_kek(PASSPHRASE, header.salt, header.opslimit, header.memlimit)
    aad = crypto.wrap_aad(header.incident_id, header.salt, (header.opslimit, header.memlimit))
    data_key = crypto.open_box(kek, header.wrapped_key, aad)
    ways = {
        "scratch": (load_device(tmp / "no-checkpoint"), False),
        "resumed": (load_device(), False),
        "resumed+check": (load_device(), True),
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(repeats):
        for way, (device, check) in ways.items():
            t0 = time.perf_counter()
            session = Session(open_store(path), header, data_key, device, check=check)
            best[way] = min(best[way], time.perf_counter() - t0)
            assert (session.folds == 1) == (way == "scratch"), way
            session.ledger.close()  # not session.close(): it would save a checkpoint
    return best


LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    t0 = time.perf_counter()
    proc = subprocess.Popen(job["argv"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=job["env"], cwd=job["cwd"])
    proc.stdin.write(job["stdin"].encode())
    proc.stdin.close()
    errors = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    print(json.dumps([seconds, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status),
                      errors]), flush=True)
"""
"""Starts the `note` processes and measures them. It is started first, while this
process is small: a child's peak RSS (ru_maxrss) counts the pages of the process it
was forked from, and this one holds 100k events by then."""


class Launcher:
    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, argv: list[str], env: dict[str, str], cwd: str, stdin: str) -> tuple:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        job = {"argv": argv, "env": env, "cwd": cwd, "stdin": stdin}
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        return tuple(json.loads(self._proc.stdout.readline()))

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        self._proc.wait()


def note_process(
    launcher: Launcher, path: Path, passphrase_file: Path, text: str, pythonpath: str | None
) -> tuple[float, int]:
    """Run `warroom note PATH -` (the text on stdin) as a process of its own: returns
    its wall time in seconds and its peak RSS in bytes. It runs in the file's folder,
    not here: `python -m` puts the working directory first on sys.path, before
    PYTHONPATH."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    argv = [sys.executable, "-m", "warroom", "note", str(path), "-"]
    argv += ["--passphrase-file", str(passphrase_file)]
    seconds, rss, code, errors = launcher.run(argv, env, str(path.parent), text)
    if code != 0:
        raise SystemExit(f"warroom note failed ({code}): {errors}")
    return seconds, rss


def note_figures(
    launcher: Launcher,
    tmp: str,
    events: int,
    rounds: int,
    rng: random.Random,
    pythonpath: str | None,
) -> None:
    """`warroom note` on an empty file and on one of `events` notes, interleaved."""
    passphrase_file = Path(tmp) / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    passphrase_file.chmod(0o600)
    files = {0: Path(tmp) / "note-0.db", events: Path(tmp) / f"bench-{events}.db"}
    for n, path in files.items():
        if not path.exists():
            make_incident(path, n, rng)
    results: dict[int, list[tuple[float, int]]] = {n: [] for n in files}
    note_process(launcher, files[0], passphrase_file, "warm-up", pythonpath)  # page cache, .pyc
    for i in range(rounds):
        for n, path in files.items():
            run = note_process(launcher, path, passphrase_file, note_text(rng), pythonpath)
            results[n].append(run)
            print(f"  note round {i + 1}/{rounds}", end="\r", file=sys.stderr, flush=True)
    print(" " * 40, end="\r", file=sys.stderr)
    where = f" (PYTHONPATH={pythonpath})" if pythonpath else ""
    print(f"\n`warroom note` as a whole process, {rounds} rounds interleaved, medians{where}")
    medians = {}
    for n, runs in results.items():
        medians[n] = statistics.median(t for t, _ in runs)
        rss = statistics.median(r for _, r in runs)
        print(f"  {n:>7} events: {medians[n] * 1000:8.0f} ms   peak RSS {rss / 2**20:6.1f} MB")
    print(f"  ratio {events} / 0: {medians[events] / medians[0]:.2f}x (target <= 1.3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--appends", type=int, default=500)
    parser.add_argument("--note-events", type=int, default=100_000)
    parser.add_argument("--note-rounds", type=int, default=7)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writer-notes", type=int, default=300)
    parser.add_argument(
        "--child-pythonpath", help="PYTHONPATH for the `warroom note` processes only"
    )
    args = parser.parse_args()
    launcher = Launcher()  # first, while this process is small
    sizes = [] if args.sizes == "none" else [int(s) for s in args.sizes.split(",")]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("WARROOM_CONFIG_DIR", str(Path(tmp) / "config"))
        load_device()
        print(f"KDF (argon2id interactive), reported apart: {time_kdf() * 1000:.0f} ms")
        print("\nopen + fold (KDF excluded; best of 3, alternating)")
        print("            from scratch  from checkpoint  + its check   on disk (checkpoint in)")
        for n in sizes:
            path = Path(tmp) / f"bench-{n}.db"
            text_bytes = make_incident(path, n, rng)
            size = path.stat().st_size + _size(Path(f"{path}-wal"))
            seconds = open_fold_seconds(path, Path(tmp))
            per_note = (size - _baseline(tmp)) / n
            scratch, resumed, checked = (seconds[w] * 1000 for w in seconds)
            print(
                f"  {n:>7}: {scratch:9.0f} ms {resumed:12.0f} ms {checked:10.0f} ms   "
                f"{per_note:5.0f} bytes/note, "
                f"{per_note - text_bytes / n:4.0f} beyond text"
            )
        path = Path(tmp) / "append.db"
        make_incident(path, 0, rng)
        latencies = []
        with Session.unlock(path, PASSPHRASE) as session:
            for _ in range(args.appends):
                text = note_text(rng)
                t0 = time.perf_counter()
                session.add_note(text)
                latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"\ndurable append ({args.appends} notes, one transaction each, synchronous=FULL)")
        print(f"  p50 {statistics.median(latencies):.2f} ms   p99 {p99:.2f} ms")
        note_figures(launcher, tmp, args.note_events, args.note_rounds, rng, args.child_pythonpath)
        concurrent_writers(Path(tmp), args.writers, args.writer_notes, rng)
    launcher.close()


WRITER = """
import json, sys
from warroom.session import Session
with Session.unlock(sys.argv[1], sys.argv[2]) as session:
    for i in range(int(sys.argv[3])):
        session.add_note(f"writer note {i}")
    print(json.dumps({"folds": session.folds, "generation": session.generation}))
"""
"""One concurrent writer: its notes, then how often it folded the whole file."""


def concurrent_writers(tmp: Path, writers: int, notes: int, rng: random.Random) -> None:
    path = tmp / "concurrent.db"
    make_incident(path, 0, rng)
    procs = []
    t0 = time.perf_counter()
    for n in range(writers):
        env = dict(os.environ, WARROOM_CONFIG_DIR=str(tmp / f"writer-{n}"))
        argv = [sys.executable, "-c", WRITER, str(path), PASSPHRASE, str(notes)]
        procs.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True))
    outs = [json.loads(p.communicate()[0]) for p in procs]
    wall = time.perf_counter() - t0
    folds = sum(o["folds"] for o in outs)
    rebuilt = sum(o["generation"] for o in outs)
    print(f"\n{writers} writers x {notes} notes, each its own device, at once")
    print(
        f"  {wall:.2f} s wall; whole-file folds {folds} ({writers} at open is the floor);"
        f" timeline reshapes {rebuilt}"
    )


_BASE: dict[str, int] = {}


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _baseline(tmp: str) -> int:
    """Bytes of an incident with no notes (header, declaration, checklist)."""
    if tmp not in _BASE:
        path = Path(tmp) / "baseline.db"
        make_incident(path, 0, random.Random(1))
        _BASE[tmp] = path.stat().st_size + _size(Path(f"{path}-wal"))
    return _BASE[tmp]


if __name__ == "__main__":
    main()
