"""A checkpoint's contents: a folded state and the rows it summarises, as bytes.

A checkpoint lets an open skip reading, opening and folding every row: it holds
the fold in plain parts (`state.Resumable`) and the version vector it was folded
from (each device's seq and the hash of its row there). This module only turns
the two into bytes and back. Sealing it under the data key, signing it with this
device's key and deciding whether to trust it are the ledger's (ledger.py):
a checkpoint is used only when it is this device's own, opens, and every row it
names is still in the file with the same hash; the rows after it are then read
and folded as a poll would.

The format is JSON (rows as arrays, devices by index), compressed with zlib at
its fastest level. It is private to this device and rebuilt whenever it does not
match, so a new format version just makes the next open fold the file once.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from warroom.events import EVENT_TYPES, Event
from warroom.state import Entry, Order, Resumable, Revision

FORMAT = 1
KNOWN = ",".join(sorted(EVENT_TYPES))
"""The event types this code folds. A checkpoint saved by a version that knew other
types folded (or skipped) other events: it is not used, and the file is folded."""


class Unusable(ValueError):
    """The bytes are not a checkpoint this code reads (another format, or damaged)."""


Vector = dict[bytes, tuple[int, bytes]]
"""device -> (seq, row hash): the rows a checkpoint summarises, as Ledger.heads holds them."""


@dataclass
class Checkpoint:
    vector: Vector
    fold: Resumable

    @property
    def events(self) -> int:
        """The rows summarised."""
        return sum(seq for seq, _ in self.vector.values())


def encode(checkpoint: Checkpoint) -> bytes:
    fold = checkpoint.fold
    index = {device: i for i, (device, *_) in enumerate(fold.devices)}
    for device in checkpoint.vector:  # a device whose rows all failed to open: not in the fold
        index.setdefault(device.hex(), len(index))

    def order(o: Order | None) -> list[Any] | None:
        return None if o is None else [o[0], o[1], index[o[2].hex()], o[3]]

    body = {
        "format": FORMAT,
        "types": KNOWN,
        "keys": list(index),
        "vector": [[index[d.hex()], seq, h.hex()] for d, (seq, h) in checkpoint.vector.items()],
        "devices": [
            [label, last_ms, order(first), None if named is None else [order(named[0]), named[1]]]
            for _, label, last_ms, first, named in fold.devices
        ],
        "entries": [
            [e.id, e.at, e.recorded_at, e.author, e.kind, e.text, e.tags, index[e.device]]
            + [e.seq, e.tick, e.phase]
            for e in fold.entries
        ],
        "claims": [[order(o), _full_entry(e, index)] for o, e in fold.claims],
        "events": [
            [index[e.device.hex()], e.seq, e.hlc[0], e.hlc[1], e.type, e.data] for e in fold.events
        ],
        "last": order(fold.last_order),
    }
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return zlib.compress(raw, 1)


def decode(blob: bytes) -> Checkpoint:
    try:
        body = json.loads(zlib.decompress(blob))
        if body.get("format") != FORMAT:
            raise Unusable(f"checkpoint format {body.get('format')!r}")
        if body.get("types") != KNOWN:
            raise Unusable("checkpoint of a version that folds other event types")
        return _decode(body)
    except (zlib.error, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise Unusable(str(exc)) from None


def _decode(body: dict[str, Any]) -> Checkpoint:
    hexes: list[str] = body["keys"]
    keys = [bytes.fromhex(h) for h in hexes]

    def order(o: list[Any] | None) -> Order | None:
        return None if o is None else (o[0], o[1], keys[o[2]], o[3])

    vector = {keys[i]: (seq, bytes.fromhex(h)) for i, seq, h in body["vector"]}
    devices = [
        (
            hexes[i],
            label,
            last_ms,
            order(first),
            None if named is None else (order(named[0]), named[1]),
        )
        for i, (label, last_ms, first, named) in enumerate(body["devices"])
    ]
    labels = [label for _, label, *_ in devices]
    labels += [""] * (len(hexes) - len(labels))
    entries = [
        Entry(
            i,
            at,
            rec,
            author,
            kind,
            text,
            tags,
            hexes[d],
            seq,
            False,
            [],
            None,
            "",
            tick,
            phase,
            labels[d],
        )
        for i, at, rec, author, kind, text, tags, d, seq, tick, phase in body["entries"]
    ]
    claims = [(order(o), _entry_from(e, hexes, labels)) for o, e in body["claims"]]
    events = [
        Event(keys[d], seq, (ms, tick), t, data) for d, seq, ms, tick, t, data in body["events"]
    ]
    return Checkpoint(vector, Resumable(devices, entries, claims, events, order(body["last"])))


def _full_entry(e: Entry, index: dict[str, int]) -> list[Any]:
    history = [[r.text, r.tags, r.by, r.at] for r in e.history]
    return [
        *(e.id, e.at, e.recorded_at, e.author, e.kind, e.text, e.tags, index[e.device], e.seq),
        *(e.system, history, e.struck, e.struck_by, e.tick, e.phase),
    ]


def _entry_from(row: list[Any], hexes: list[str], labels: list[str]) -> Entry:
    (
        i,
        at,
        rec,
        author,
        kind,
        text,
        tags,
        d,
        seq,
        system,
        history,
        struck,
        struck_by,
        tick,
        phase,
    ) = row
    revisions = [Revision(*r) for r in history]
    return Entry(
        i,
        at,
        rec,
        author,
        kind,
        text,
        tags,
        hexes[d],
        seq,
        system,
        revisions,
        struck,
        struck_by,
        tick,
        phase,
        labels[d],
    )
