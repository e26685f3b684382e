"""Store benchmark: open+fold time, durable append latency, bytes on disk per note.

    python benchmarks/store.py [--sizes 1000,10000,100000] [--appends 500]

Incidents are made with the INTERACTIVE KDF and the KDF time is reported apart
(it is the same whatever the file holds). Targets on a 2-core machine:
100k open+fold <= 1.5 s, append p99 <= 10 ms, <= 400 bytes per note beyond its text.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import string
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


def open_fold_seconds(path: Path, repeats: int = 3) -> float:
    """Best of a few: open the file, read, decrypt, chain-check and fold (the KDF done once
    beforehand, exactly as `Session.unlock` does it)."""
    store = open_store(path)
    header = Header.from_meta(store.meta(), str(path))
    store.close()
    kek = crypto.derive_kek(PASSPHRASE, header.salt, header.opslimit, header.memlimit)
    aad = crypto.wrap_aad(header.incident_id, header.salt, (header.opslimit, header.memlimit))
    data_key = crypto.open_box(kek, header.wrapped_key, aad)
    device = load_device()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        session = Session(open_store(path), header, data_key, device)
        best = min(best, time.perf_counter() - t0)
        session.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--appends", type=int, default=500)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("WARROOM_CONFIG_DIR", str(Path(tmp) / "config"))
        load_device()
        print(f"KDF (argon2id interactive), reported apart: {time_kdf() * 1000:.0f} ms")
        print("\nopen + fold (KDF excluded)")
        for n in sizes:
            path = Path(tmp) / f"bench-{n}.db"
            text_bytes = make_incident(path, n, rng)
            seconds = open_fold_seconds(path)
            size = path.stat().st_size + _size(Path(f"{path}-wal"))
            per_note = (size - _baseline(tmp)) / n
            print(
                f"  {n:>7} notes: {seconds * 1000:8.0f} ms   "
                f"{per_note:6.0f} bytes/note on disk, {per_note - text_bytes / n:4.0f} beyond text"
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
