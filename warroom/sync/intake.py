"""Taking rows from another replica into a store: each is checked before anything is
written, and the rows are written all together or not at all.

A row is *added* when its device signed it (for this incident) and it follows that
device's last row here (seq + 1, `prev` its hash); a *duplicate* when the same row
is here already; a *fork* when this file holds another row, also signed by the
device, at that (device, seq): the device signed two histories, so the arriving
row is kept as evidence (Store.forks) and neither is chosen; *rejected* otherwise
(a bad signature, a malformed row, a gap, a row that follows another history).

Signatures need no key but the device's public one (the device id), so a relay or
the far end of `sync-stdio` checks rows as well as a replica does. They are
checked before the write lock is taken, on two threads (libsodium runs without
the GIL); the chain is checked under the lock, against what the file holds then.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from warroom import crypto
from warroom.ledger import Problem
from warroom.store import Importer, Row, Store

MALFORMED = "malformed row"
BAD_SIGNATURE = "bad signature"
OFF_CHAIN = "does not follow this device's previous event here (another history)"
THREADS = min(2, os.cpu_count() or 1)
_CHUNK = 2000


@dataclass
class Intake:
    """What happened to the rows offered."""

    added: list[Row] = field(default_factory=list)
    duplicates: int = 0
    forks: list[Row] = field(default_factory=list)
    """Arriving rows that contradict one held here (kept as evidence)."""
    rejected: list[Problem] = field(default_factory=list)

    def merge(self, other: Intake) -> None:
        self.added += other.added
        self.duplicates += other.duplicates
        self.forks += other.forks
        self.rejected += other.rejected


def signatures_hold(incident_id: bytes, rows: Sequence[Row]) -> list[bool]:
    """Whether each row is well formed and signed by its device for this incident."""

    def check(part: Sequence[Row]) -> list[bool]:
        return [
            row.well_formed()
            and len(row.sig) == 64
            and crypto.verify_signature(
                row.device,
                crypto.signed_bytes(incident_id, row.device, row.seq, row.prev, row.box),
                row.sig,
            )
            for row in part
        ]

    if len(rows) < 2 * _CHUNK or THREADS < 2:
        return check(rows)
    parts = [rows[i : i + _CHUNK] for i in range(0, len(rows), _CHUNK)]
    with ThreadPoolExecutor(THREADS, thread_name_prefix="warroom-verify") as pool:
        return [ok for part in pool.map(check, parts) for ok in part]


def classify(tx: Importer, rows: Sequence[Row], signed: Sequence[bool]) -> Intake:
    """Decide each row against what the file holds (inside `Store.importing`) and
    write the added ones and the fork evidence. Rows of one device must come in seq
    order (a row may follow one added just before it)."""
    out = Intake()
    heads: dict[bytes, tuple[int, bytes]] = {}
    for row, ok in zip(rows, signed, strict=True):
        if not ok:
            device = row.device.hex() if isinstance(row.device, bytes) else "unknown-device"
            seq = row.seq if type(row.seq) is int else -1
            out.rejected.append(
                Problem(device, seq, MALFORMED if not row.well_formed() else BAD_SIGNATURE)
            )
            continue
        head = heads.get(row.device)
        if head is None:
            last = tx.last_row(row.device)
            head = (last.seq, _hash(last)) if last else (0, crypto.GENESIS_PREV)
        if row.seq <= head[0]:
            held = tx.row(row.device, row.seq)
            if held is not None and _hash(held) == _hash(row):
                out.duplicates += 1
            elif held is not None:
                if tx.add_fork(row):
                    out.forks.append(row)
                else:
                    out.duplicates += 1  # known evidence, offered again
            else:  # a hole in this file's own feed: its problem, not the row's
                out.rejected.append(Problem(row.device.hex(), row.seq, OFF_CHAIN))
            continue
        if row.seq != head[0] + 1:
            reason = f"events {head[0] + 1}..{row.seq - 1} of this device are missing"
            out.rejected.append(Problem(row.device.hex(), row.seq, reason))
            continue
        if row.prev != head[1]:
            out.rejected.append(Problem(row.device.hex(), row.seq, OFF_CHAIN))
            continue
        tx.add(row)
        heads[row.device] = (row.seq, _hash(row))
        out.added.append(row)
    return out


def take(store: Store, incident_id: bytes, rows: Sequence[Row]) -> Intake:
    """Check `rows` and write what is added, in one transaction (all or nothing: a
    write that fails leaves the file as it was)."""
    ordered = sorted(rows, key=_feed_order)
    signed = signatures_hold(incident_id, ordered)
    with store.importing() as tx:
        return classify(tx, ordered, signed)


def _feed_order(row: Row) -> tuple[bytes, int]:
    device = row.device if isinstance(row.device, bytes) else b""
    return (device, row.seq if type(row.seq) is int else -1)


def _hash(row: Row) -> bytes:
    return crypto.row_hash(row.device, row.seq, row.prev, row.box, row.sig)
