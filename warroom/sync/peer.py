"""The other side of a sync: what it holds (a version vector), the rows it can give,
the rows it takes. A relay over HTTP, an incident file at the end of an ssh pipe,
and a file on this machine all answer the same three questions; `exchange.py`
asks them, the same way whatever the transport.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from warroom.ledger import Problem, hash_of
from warroom.store import Row, Store
from warroom.sync import intake

Vector = dict[bytes, tuple[int, bytes]]
"""device -> (seq of its newest row, that row's hash)."""

PULL_LIMIT = 5000
HASH_AT_TRIES = 64
"""Pulls hash_at makes at most, stepping past feeds that grew while it asks."""
"""Rows in one answer to a pull, at most."""


@dataclass
class Pushed:
    """What the other side made of rows pushed to it."""

    added: int = 0
    duplicates: int = 0
    forks: list[Row] = field(default_factory=list)
    """The rows *it* holds where a pushed row contradicts one (the pusher keeps them
    as its own evidence: both sides then raise the alarm)."""
    rejected: list[Problem] = field(default_factory=list)


class Peer(Protocol):
    def vector(self) -> Vector: ...

    def pull(self, have: dict[bytes, int], limit: int = PULL_LIMIT) -> list[Row]:
        """Rows past `have` (device -> seq), in (device, seq) order, at most `limit`."""
        ...

    def push(self, rows: list[Row]) -> Pushed: ...

    def forks(self) -> list[Row]:
        """Fork evidence the other side holds."""
        ...


def vector_of(store: Store) -> Vector:
    return {row.device: (row.seq, hash_of(row)) for row in store.last_rows() if row.well_formed()}


def hash_at(peer: Peer, theirs: Vector, device: bytes, seq: int) -> bytes | None:
    """The hash of the peer's row of `device` at `seq`, given its vector `theirs`
    (None: it holds none there). A row below its head costs one pull of one row."""
    head = theirs.get(device)
    if head is None or head[0] < seq:
        return None
    if head[0] == seq:
        return head[1]
    # Every other feed at its head: the one row answered is this device's at `seq`;
    # unless another feed grew meanwhile (or a device is new): then ask past that too.
    have = {d: s for d, (s, _) in theirs.items()} | {device: seq - 1}
    for _ in range(HASH_AT_TRIES):
        rows = peer.pull(have, 1)
        if len(rows) != 1:
            return None
        row = rows[0]
        if row.device == device:
            if row.seq != seq:
                return None
            return hash_of(row)
        have[row.device] = 2**62
    return None


class StorePeer:
    """A store on this machine as a peer: an incident file (`sync-stdio`, tests) or a
    relay's per-incident store. Needs no key: rows are checked by signature and chain."""

    def __init__(self, store: Store, incident_id: bytes) -> None:
        self.store = store
        self.incident_id = incident_id

    def vector(self) -> Vector:
        return vector_of(self.store)

    def pull(self, have: dict[bytes, int], limit: int = PULL_LIMIT) -> list[Row]:
        return self.store.rows(after=have, limit=max(1, min(limit, PULL_LIMIT)))

    def push(self, rows: list[Row]) -> Pushed:
        taken = intake.take(self.store, self.incident_id, rows)
        held = [self.store.row(row.device, row.seq) for row in taken.forks]
        return Pushed(
            added=len(taken.added),
            duplicates=taken.duplicates,
            forks=[row for row in held if row is not None],
            rejected=taken.rejected,
        )

    def forks(self) -> list[Row]:
        return self.store.forks()
