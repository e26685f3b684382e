"""Fold benchmark: a full fold of a large incident, and the cost of one late event
(older than events already folded: another device's late write, or a sync) applied
into that state. Pure CPU, no file, no KDF.

    python benchmarks/fold.py [--events 100000] [--late 300] [--repeats 5]

The fold is order-independent (warroom/state.py): a late event is slotted into its
record and only that record is replayed: a note is its own record (microseconds);
a late incident, step or role event costs the replay of that record's events, still
far from a whole fold. `apply_all` replays each record once per batch. Each late
figure is the median over `--late` distinct events of that kind, each stamped at a
random point of the folded history.
The garbage collector is held off, as the session holds it off while it folds.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import string
import time
from collections.abc import Callable

from warroom import events as ev
from warroom.events import Event
from warroom.state import Fold, fold

DEVICES = [bytes([i]) * 32 for i in range(1, 9)]
START_MS = 1_760_000_000_000
STEPS = [f"step-{i}" for i in range(40)]
PEOPLE = [f"p{i}" for i in range(12)]


def text(rng: random.Random) -> str:
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(12)]
    return " ".join(words)[: rng.randint(40, 120)]


def history(count: int, rng: random.Random) -> list[Event]:
    """An incident's events in canonical order: 8 devices, mostly notes, with the
    checklist, roster, roles, status changes and amendments a long incident has
    (per 100k: ~500 incident edits, ~40 events per step, ~250 per role)."""
    seqs = dict.fromkeys(DEVICES, 0)
    out: list[Event] = []

    def add(ms: int, type_: str, data: dict) -> None:
        device = rng.choice(DEVICES)
        seqs[device] += 1
        out.append(Event(device, seqs[device], (ms, 0), type_, {"by": device.hex()[:6], **data}))

    add(START_MS, ev.INCIDENT_DECLARED, {"codename": "bench", "title": "bench", "kind": "ddos"})
    for i, step in enumerate(STEPS):
        add(START_MS + 1 + i, ev.STEP_ADDED, {"id": step, "phase": "triage", "title": step})
    for i, person in enumerate(PEOPLE):
        add(START_MS + 100 + i, ev.PERSON_ADDED, {"id": person, "name": f"Person {i}"})
    ms = START_MS + 1000
    while len(out) < count:
        ms += rng.randint(1, 40)
        roll = rng.random()
        if roll < 0.955:
            add(ms, ev.ENTRY_ADDED, {"id": f"n{len(out)}", "kind": "note", "text": text(rng)})
        elif roll < 0.975:
            target = rng.choice(out[-500:])
            if target.type == ev.ENTRY_ADDED:
                add(ms, ev.ENTRY_AMENDED, {"id": target.data["id"], "text": text(rng)})
        elif roll < 0.99:
            status = rng.choice(ev.STEP_STATUSES)
            add(ms, ev.STEP_SET, {"id": rng.choice(STEPS), "status": status})
        elif roll < 0.995:
            person = rng.choice(PEOPLE)
            add(ms, ev.ROLE_ASSUMED, {"role": rng.choice(["ic", "scribe"]), "person": person})
        elif roll < 0.998:  # the incident editor autosaves as people type
            add(ms, ev.INCIDENT_SET, {"fields": {"summary": text(rng)}})
        else:
            status = rng.choice(ev.INCIDENT_STATUSES)
            add(ms, ev.INCIDENT_SET, {"fields": {"status": status}})
    return out


def late_events(kind: str, count: int, last_ms: int, rng: random.Random) -> list[Event]:
    """Events of one kind from a ninth device, stamped inside the folded history."""
    device = bytes([99]) * 32
    out = []
    for seq in range(1, count + 1):
        ms = rng.randint(START_MS + 1000, last_ms - 1)
        data: dict = {"by": "late"}
        if kind == "note":
            type_, data = ev.ENTRY_ADDED, {**data, "id": f"late{seq}", "text": "late note"}
        elif kind == "step set":
            type_, data = ev.STEP_SET, {**data, "id": rng.choice(STEPS), "status": "done"}
        elif kind == "incident status":
            status = rng.choice(ev.INCIDENT_STATUSES)
            type_, data = ev.INCIDENT_SET, {**data, "fields": {"status": status}}
        else:  # role hand-over
            person = rng.choice(PEOPLE)
            type_, data = ev.ROLE_ASSUMED, {**data, "role": "ic", "person": person}
        out.append(Event(device, seq, (ms, 0), type_, data))
    return out


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--late", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(11)
    events = history(args.events, rng)
    last_ms = events[-1].hlc[0]
    gc.disable()
    try:
        full = [timed(lambda: fold(events)) for _ in range(args.repeats)]
        print(
            f"full fold of {len(events):,} events: {statistics.median(full) * 1000:.0f} ms (median)"
        )
        shuffled = events[:]
        rng.shuffle(shuffled)

        def one_by_one() -> None:
            f = Fold()
            for event in shuffled:
                f.apply(event)

        def in_polls() -> None:
            f = Fold()
            for start in range(0, len(shuffled), 1000):
                f.apply_all(shuffled[start : start + 1000])

        arrival = statistics.median(timed(one_by_one) for _ in range(min(args.repeats, 3)))
        print(f"the same in random order, one apply each: {arrival * 1000:.0f} ms")
        polls = statistics.median(timed(in_polls) for _ in range(min(args.repeats, 3)))
        print(f"the same in random order, in batches of 1,000: {polls * 1000:.0f} ms")
        for kind in ("note", "step set", "incident status", "role hand-over"):
            f = Fold()
            f.apply_all(events)
            costs = []
            for event in late_events(kind, args.late, last_ms, rng):
                start = time.perf_counter()
                late = f.apply(event)
                costs.append(time.perf_counter() - start)
                assert late
            assert f.late == args.late
            median_us = statistics.median(costs) * 1e6
            p90_us = statistics.quantiles(costs, n=10)[-1] * 1e6
            print(
                f"one late {kind} into {len(events):,} events: {median_us:.1f} us"
                f" (median of {args.late}; p90 {p90_us:.1f} us)"
            )
    finally:
        gc.enable()


if __name__ == "__main__":
    main()
