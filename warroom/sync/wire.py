"""Rows on the wire: a strict, bounded binary form shared by bundles, the relay and
`sync-stdio`.

Each row is device (32 bytes) | seq (8, big-endian, unsigned) | prev (32) |
box length (4, big-endian) | box | sig (64). A frame is a row count (4) and the rows.
Decoding checks every length against the bytes present and the caps below, so a
truncated or padded frame fails as a whole, before any row is used.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from warroom.store import Row

MAX_BOX_BYTES = 4 * 2**20
"""One event's sealed payload: the largest a draft can make (its body and 10,000
recipients) is well under this."""
MAX_FRAME_ROWS = 100_000

_HEAD = struct.Struct(">32sQ32sI")
_COUNT = struct.Struct(">I")
SIG_BYTES = 64


class WireError(ValueError):
    """Bytes that are not a well-formed frame of rows."""


def encode_rows(rows: Iterable[Row]) -> bytes:
    parts: list[bytes] = []
    count = 0
    for row in rows:
        if len(row.box) > MAX_BOX_BYTES or len(row.sig) != SIG_BYTES:
            raise WireError(f"row {row.device.hex()[:8]}#{row.seq} cannot be sent: bad sizes")
        parts.append(_HEAD.pack(row.device, row.seq, row.prev, len(row.box)))
        parts.append(row.box)
        parts.append(row.sig)
        count += 1
    return _COUNT.pack(count) + b"".join(parts)


def decode_rows(frame: bytes, *, max_rows: int = MAX_FRAME_ROWS) -> list[Row]:
    view = memoryview(frame)
    if len(view) < _COUNT.size:
        raise WireError("truncated: no row count")
    (count,) = _COUNT.unpack_from(view, 0)
    if count > max_rows:
        raise WireError(f"{count:,} rows in one frame; the most is {max_rows:,}")
    rows: list[Row] = []
    at = _COUNT.size
    end = len(view)
    for _ in range(count):
        if end - at < _HEAD.size:
            raise WireError("truncated row")
        device, seq, prev, box_len = _HEAD.unpack_from(view, at)
        at += _HEAD.size
        if box_len > MAX_BOX_BYTES:
            raise WireError(f"a box of {box_len:,} bytes; the most is {MAX_BOX_BYTES:,}")
        if end - at < box_len + SIG_BYTES:
            raise WireError("truncated row")
        box = bytes(view[at : at + box_len])
        at += box_len
        sig = bytes(view[at : at + SIG_BYTES])
        at += SIG_BYTES
        if not 0 < seq < 2**63:
            raise WireError(f"seq {seq} out of range")
        rows.append(Row(device, seq, prev, box, sig))
    if at != end:
        raise WireError(f"{end - at} bytes after the last row")
    return rows
