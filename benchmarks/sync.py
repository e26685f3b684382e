"""Sync benchmarks, one function a part:

    python benchmarks/sync.py [--parts bundle,relay] [--events 100000]
                              [--relay-events 10000] [--rounds 3]

relay   through a real relay on 127.0.0.1: --relay-events (10k) events pushed into an
        empty relay and pulled into an empty replica, and 100 new events into
        --events (100k), pushed by one replica and pulled by another (targets:
        10k <= 2 s, 100 into 100k <= 0.3 s).
bundle  `bundle export` and `bundle import` of --events events (notes from one
        device) into a replica that lacks them: in-process, each step timed apart
        (reading the rows, sealing, writing the file; opening the blocks, the
        signature checks, the chain check and the write), then the import as a
        whole `warroom bundle import` process. Target on a 2-core machine: import
        of 100k <= 3 s (signature checks on both cores: intake.signatures_hold).

Incidents are made with the INTERACTIVE KDF; the unlock (KDF) time is reported
apart. Each figure is the median of --rounds, each round on a fresh copy, as wall
time and CPU time (all threads): on a busy machine the CPU time, halved where two
cores work, tells what an idle one would show. The load average is printed too.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

from warroom.device import load_device
from warroom.ledger import BUNDLE_KEY, RELAY_TOKEN
from warroom.session import Session
from warroom.sync import bundle, intake, runner

PASSPHRASE = "benchmark passphrase"
BATCH = 5000


def _median(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} s"


def _copy(source: Path, target: Path) -> None:
    """A fresh copy of `source` at `target` (whatever was there before is gone)."""
    for name in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        name.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _make(work: Path, events: int) -> tuple[Path, Path]:
    """A: the incident with `events` notes; B: a copy of it before the notes."""
    device = load_device(work / "config-a", name="Ann")
    a, b = work / "a.db", work / "b.db"
    with Session.create(a, PASSPHRASE, kdf="interactive", device=device, codename="bench"):
        pass
    _copy(a, b)
    with Session.unlock(a, PASSPHRASE, device=device, fold=False) as s:
        for start in range(0, events, BATCH):
            count = min(BATCH, events - start)
            s.add_notes([f"note {start + i}: the quick brown fox" for i in range(count)])
            print(f"  made {start + count:,} events".ljust(40), end="\r", file=sys.stderr)
    print(" " * 40, end="\r", file=sys.stderr)
    return a, b


class Steps:
    """Each step's wall and CPU seconds (all threads: on a busy machine, the CPU time
    tells what the wall time would be near on an idle one), over the rounds."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}

    def time(self, name: str, call: Callable[[], object]) -> object:
        t0, c0 = time.perf_counter(), time.process_time()
        result = call()
        self.add(name, time.perf_counter() - t0, time.process_time() - c0)
        return result

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall.setdefault(name, []).append(wall)
        self.cpu.setdefault(name, []).append(cpu)

    def print(self) -> None:
        print(f"  {'step':<42} {'wall':>9} {'cpu':>9}")
        for name, times in self.wall.items():
            print(f"  {name:<42} {_median(times)} {_median(self.cpu[name])}")


def _export_once(a: Path, out: Path, steps: Steps) -> None:
    out.unlink(missing_ok=True)
    s = steps.time("export: unlock (KDF)", partial(Session.unlock, a, PASSPHRASE, fold=False))
    with s:
        rows = steps.time("export: rows read", partial(bundle.rows_for, s.store, None))
        buf = io.BytesIO()
        header = bundle.new_header(s.header.incident_id)
        key = s.ledger.derive(BUNDLE_KEY)
        steps.time("export: sealed", partial(bundle.write, buf, key, header, rows))
    steps.time("export: file written", partial(out.write_bytes, buf.getvalue()))


def _import_once(b: Path, out: Path, work: Path, events: int, steps: Steps) -> None:
    target = work / "b-round.db"
    _copy(b, target)
    device = load_device(work / "config-b", name="Bo")
    unlock = partial(Session.unlock, target, PASSPHRASE, device=device, fold=False)
    s = steps.time("import: unlock (KDF)", unlock)
    with s:
        t0, c0 = time.perf_counter(), time.process_time()
        iid = s.header.incident_id
        with out.open("rb") as fh, intake.SignatureChecks(iid, s.ledger.opens) as checks:
            head = bundle.read_header(fh, str(out))
            key = s.ledger.derive(BUNDLE_KEY)
            read = partial(bundle.read_rows, fh, key, head, "b", None, checks.submit)
            got = steps.time("import: blocks opened (checks begun)", read)
            take = partial(intake.take, s.store, iid, got, strict=True, checks=checks)
            taken = steps.time("import: checked and written", take)
        steps.add("import: total (no KDF)", time.perf_counter() - t0, time.process_time() - c0)
        assert len(taken.added) == events, len(taken.added)
        check = partial(intake.signatures_hold, iid, got, s.ledger.opens)
        steps.time("  checks alone (2 threads)", check)


def _import_process(b: Path, out: Path, work: Path, steps: Steps) -> None:
    """`warroom bundle import` as a whole process: its wall time and CPU (wait4)."""
    target = work / "b-cli.db"
    _copy(b, target)
    env = dict(os.environ, WARROOM_CONFIG_DIR=str(work / "config-b"))
    env["WARROOM_PASSPHRASE_FILE"] = str(work / "pass")
    argv = [sys.executable, "-m", "warroom", "bundle", "import", str(target), str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, proc.returncode
    steps.add(
        "import: `warroom bundle import`", time.perf_counter() - t0, usage.ru_utime + usage.ru_stime
    )


def bundle_part(args: argparse.Namespace, work: Path) -> None:
    a, b = _make(work, args.events)
    out = work / "out.wrb"
    steps = Steps()
    for _ in range(args.rounds):
        _export_once(a, out, steps)
        _import_once(b, out, work, args.events, steps)
        _import_process(b, out, work, steps)
    load = os.getloadavg()[0]
    print(f"bundle: {args.events:,} events, {out.stat().st_size / 2**20:.1f} MiB; load {load:.1f}")
    steps.print()


class _Relay:
    """`warroom relay` as a user runs it, on 127.0.0.1, over a data folder of its own."""

    def __init__(self, data: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        data.mkdir()
        argv = ["relay", "--host", "127.0.0.1", "--port", str(self.port), "--data", str(data)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "warroom", *argv],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and self.proc.poll() is None, "no relay"
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def _sync(
    path: Path, device_dir: Path, url: str, steps: Steps | None = None, name: str = ""
) -> runner.Round:
    """One `warroom sync` round, in-process (runner.sync_once: anchors, exchange,
    settings), timed into `steps` as `name`; the KDF done before and not counted."""
    with Session.unlock(path, PASSPHRASE, device=load_device(device_dir), fold=False) as s:
        iid = s.header.incident_id
        link = runner.connect(url, iid, lambda: s.ledger.derive(RELAY_TOKEN).hex())
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            done = runner.sync_once(s.store, iid, link, directory=device_dir / "settings")
            if steps is not None:
                steps.add(name, time.perf_counter() - t0, time.process_time() - c0)
            return done
        finally:
            link.close()


def relay_part(args: argparse.Namespace, work: Path) -> None:
    """Through a real relay on 127.0.0.1: --relay-events events from empty (the first
    push into an empty relay, then the first pull into an empty replica), and 100 new
    events into --events (pushed by one replica, pulled by another). Each round on a
    fresh relay and replica; each sync in-process, its KDF apart."""
    steps = Steps()
    small, large = work / "small", work / "large"
    small.mkdir()
    a, b = _make(small, args.relay_events)
    n_small = f"{args.relay_events:,}"
    for n in range(args.rounds):
        relay = _Relay(small / f"relay-{n}")
        target = small / f"b-{n}.db"
        _copy(b, target)
        try:
            up = _sync(
                a, small / f"config-a{n}", relay.url, steps, f"{n_small} pushed to an empty relay"
            )
            down = _sync(
                target, small / f"config-b{n}", relay.url, steps, f"{n_small} pulled, empty replica"
            )
        finally:
            relay.stop()
        # A pushes its declaration and checklist too; B had those already.
        assert up.report.pushed > args.relay_events == down.report.pulled, (up, down)
    large.mkdir()
    a, b = _make(large, args.events)
    relay = _Relay(large / "relay")
    n_large = f"{args.events:,}"
    try:
        _sync(a, large / "config-a", relay.url)  # the relay holds them all
        _copy(a, b)  # and so does B
        _sync(b, large / "config-b", relay.url)
        for n in range(args.rounds):
            with Session.unlock(
                a, PASSPHRASE, device=load_device(large / "config-a"), fold=False
            ) as s:
                s.add_notes([f"round {n} note {i}" for i in range(100)])
            up = _sync(a, large / "config-a", relay.url, steps, f"100 new pushed, {n_large} held")
            down = _sync(b, large / "config-b", relay.url, steps, f"100 new pulled, {n_large} held")
            assert (up.report.pushed, down.report.pulled) == (100, 100)
    finally:
        relay.stop()
    print(f"relay: load {os.getloadavg()[0]:.1f}")
    steps.print()


PARTS: dict[str, Callable[[argparse.Namespace, Path], None]] = {
    "bundle": bundle_part,
    "relay": relay_part,
}
"""Each part's function."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS)
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--relay-events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part {unknown[0]!r}; the parts are {', '.join(PARTS)}")
    for part in parts:
        with tempfile.TemporaryDirectory(prefix=f"warroom-bench-{part}-") as tmp:
            work = Path(tmp)
            (work / "pass").write_text(PASSPHRASE + "\n", encoding="utf-8")
            (work / "pass").chmod(0o600)
            PARTS[part](args, work)


if __name__ == "__main__":
    main()
