"""Bundles: an incident's stored rows in one file, for sneakernet and air gaps.

A bundle holds rows exactly as stored (sealed boxes and signatures, never
plaintext), in a STREAM-style construction under the bundle key
(`Ledger.derive(BUNDLE_KEY)`, known to whoever holds the incident's data key):

    header   MAGIC (8) | VERSION (1) | incident id (16) | bundle nonce (16)
    block    last (1: 0 or 1) | length (4, big-endian) | crypto.seal(key, frame, aad)

Each block's plaintext is a wire frame (wire.py) of at most BLOCK_ROWS rows and
about BLOCK_BYTES; its associated data binds the magic, the version, the incident
id, the bundle nonce, the block's index and whether it is the last. So a changed
byte (in the header or a block), a block dropped, two blocks swapped, a block
from another bundle, or a bundle cut short (even exactly at a block boundary:
the last block never came) fails to open, and bytes after the last block are
refused. The last block may be empty. A reader checks every block, and that the
last one came, before it returns a single row; each block's length is checked
against MAX_BLOCK_BYTES before it is read, and the whole file against
MAX_BUNDLE_BYTES before anything is.

The header is plaintext on purpose: a bundle of another incident is refused by
name before any passphrase is asked for. It tells what an incident file's own
header tells (the incident id), and a bundle's size tells roughly how many rows.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from warroom import crypto
from warroom.errors import SessionError
from warroom.ledger import hash_of
from warroom.store import Row, Store
from warroom.sync import wire
from warroom.sync.peer import vector_of

MAGIC = b"WRBUNDLE"
VERSION = 1
INCIDENT_ID_BYTES = 16
NONCE_BYTES = 16
BLOCK_ROWS = 1000
"""Rows in one block, at most."""
BLOCK_BYTES = 1 * 2**20
"""A block is closed once its frame reaches about this (one row may make it larger)."""
MAX_BLOCK_BYTES = wire.MAX_BOX_BYTES + 2 * BLOCK_BYTES
"""A sealed block, at most: a frame of BLOCK_BYTES and one row of the largest box."""
MAX_BUNDLE_BYTES = 2**30
"""A bundle file, at most (its rows are held in memory until all are checked)."""
MAX_BUNDLE_ROWS = 5_000_000

_HEAD = struct.Struct(f">{len(MAGIC)}sB{INCIDENT_ID_BYTES}s{NONCE_BYTES}s")
_BLOCK = struct.Struct(">BI")
_INDEX = struct.Struct(">QB")
_SEALING = crypto.NONCE_BYTES + 16
"""What sealing adds to a frame: the nonce and the tag."""
_ROW_BYTES = 32 + 8 + 32 + 4 + wire.SIG_BYTES
"""A row's bytes in a frame, besides its box."""

Progress = Callable[[int], None]
"""Rows so far."""


class BundleError(SessionError):
    """Not a bundle, a damaged one, or one this incident cannot take."""


@dataclass(frozen=True)
class Header:
    incident_id: bytes
    nonce: bytes

    def pack(self) -> bytes:
        return _HEAD.pack(MAGIC, VERSION, self.incident_id, self.nonce)

    def aad(self, index: int, last: bool) -> bytes:
        return self.pack() + _INDEX.pack(index, last)


def new_header(incident_id: bytes) -> Header:
    return Header(incident_id, crypto.random_bytes(NONCE_BYTES))


def frames(rows: Iterable[Row]) -> Iterator[list[Row]]:
    """The rows cut into blocks' worth (at least one, maybe empty: the last)."""
    part: list[Row] = []
    size = 0
    for row in rows:
        cost = _ROW_BYTES + len(row.box)
        if part and (len(part) >= BLOCK_ROWS or size + cost > BLOCK_BYTES):
            yield part
            part, size = [], 0
        part.append(row)
        size += cost
    yield part


def write(
    out: BinaryIO,
    key: bytes,
    header: Header,
    rows: Iterable[Row],
    progress: Progress | None = None,
) -> int:
    """Write a whole bundle of `rows` to `out`; returns the rows written."""
    out.write(header.pack())
    done = 0
    pending: list[Row] | None = None
    index = 0
    for part in frames(rows):
        if pending is not None:
            _write_block(out, key, header, index, pending, last=False)
            index += 1
        pending = part
        done += len(part)
        if progress:
            progress(done)
    _write_block(out, key, header, index, pending or [], last=True)
    return done


def _write_block(
    out: BinaryIO, key: bytes, header: Header, index: int, rows: Sequence[Row], *, last: bool
) -> None:
    sealed = crypto.seal(key, wire.encode_rows(rows), header.aad(index, last))
    out.write(_BLOCK.pack(last, len(sealed)))
    out.write(sealed)


def read_header(fh: BinaryIO, source: str) -> Header:
    """The plaintext header, checked; the file's size checked against the cap."""
    try:
        size = os.fstat(fh.fileno()).st_size
    except (OSError, ValueError):
        size = 0
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(f"{source}: {size:,} bytes; a bundle is at most {MAX_BUNDLE_BYTES:,}")
    raw = fh.read(_HEAD.size)
    if len(raw) < _HEAD.size or raw[: len(MAGIC)] != MAGIC:
        raise BundleError(f"{source}: not a warroom bundle")
    _, version, incident_id, nonce = _HEAD.unpack(raw)
    if version != VERSION:
        raise BundleError(
            f"{source}: a bundle of format {version}; this warroom reads format {VERSION}"
        )
    return Header(incident_id, nonce)


def read_rows(
    fh: BinaryIO,
    key: bytes,
    header: Header,
    source: str,
    progress: Progress | None = None,
    on_rows: Callable[[list[Row]], None] | None = None,
) -> list[Row]:
    """Every row of the bundle after its header, each block opened and checked, the
    last one seen and nothing after it; raises BundleError before returning any.
    `on_rows` is given each block's rows as it opens (intake.SignatureChecks.submit:
    their signatures are checked while the next blocks are read; nothing is written
    before all are)."""
    rows: list[Row] = []
    index = 0
    total = _HEAD.size
    while True:
        raw = fh.read(_BLOCK.size)
        if not raw:
            raise BundleError(f"{source}: truncated (the last block is missing)")
        if len(raw) < _BLOCK.size:
            raise BundleError(f"{source}: truncated in block {index}")
        last, length = _BLOCK.unpack(raw)
        if last > 1 or not _SEALING <= length <= MAX_BLOCK_BYTES:
            raise BundleError(f"{source}: damaged (block {index} has a bad length or flag)")
        total += _BLOCK.size + length
        if total > MAX_BUNDLE_BYTES:  # a pipe has no size to check beforehand
            raise BundleError(f"{source}: a bundle is at most {MAX_BUNDLE_BYTES:,} bytes")
        sealed = fh.read(length)
        if len(sealed) < length:
            raise BundleError(f"{source}: truncated in block {index}")
        try:
            frame = crypto.open_box(key, sealed, header.aad(index, bool(last)))
        except crypto.CryptoError:
            raise BundleError(
                f"{source}: damaged, reordered or not of this incident "
                f"(block {index} does not open)"
            ) from None
        try:
            block = wire.decode_rows(frame, max_rows=BLOCK_ROWS)
        except wire.WireError as exc:
            raise BundleError(f"{source}: block {index} is malformed: {exc}") from None
        rows += block
        if on_rows is not None:
            on_rows(block)
        if len(rows) > MAX_BUNDLE_ROWS:
            raise BundleError(f"{source}: more than {MAX_BUNDLE_ROWS:,} rows")
        if progress:
            progress(len(rows))
        if last:
            break
        index += 1
    if fh.read(1):
        raise BundleError(f"{source}: damaged (bytes after the last block)")
    return rows


# -- what to send ----------------------------------------------------------------

Heads = dict[bytes, tuple[int, bytes | None]]
"""A peer's vector as a bundle is made for it: device -> (seq, that row's hash, if
known)."""


def rows_for(store: Store, since: Heads | None = None) -> list[Row]:
    """The rows a peer holding `since` lacks (all, without it), then this file's fork
    evidence the peer can place.

    Where both hold a device's feed, the row at the lower of the two heads goes too
    unless it is known to be the same (the peer's hash matches): the peer takes it
    as a duplicate, or keeps it as fork evidence when the two differ. Past a known
    difference nothing more of that feed is sent (it would not chain there)."""
    if since is None:
        return store.rows() + store.forks()
    ours = vector_of(store)
    after: dict[bytes, int] = {}
    probes: list[Row] = []
    for device, (seq, digest) in since.items():
        if device not in ours:
            continue
        our_seq, our_hash = ours[device]
        low = min(seq, our_seq)
        if seq <= our_seq and digest is not None:
            same = (our_hash if low == our_seq else _hash_at(store, device, low)) == digest
            if same:
                after[device] = seq
                continue
            after[device] = 2**62  # forked at `low`: that row is the evidence
        elif seq <= our_seq:
            after[device] = seq  # no hash to compare: the row at `seq` tells
        else:
            after[device] = 2**62  # the peer is ahead: our head row tells
        row = store.row(device, low)
        if row is not None:
            probes.append(row)
    rows = probes + store.rows(after=after)
    reach = {device: seq for device, (seq, _) in since.items()}
    for row in rows:
        reach[row.device] = max(reach.get(row.device, 0), row.seq)
    evidence = [row for row in store.forks() if row.seq <= reach.get(row.device, 0)]
    return sorted(rows, key=_feed_order) + evidence


def _hash_at(store: Store, device: bytes, seq: int) -> bytes | None:
    row = store.row(device, seq)
    return None if row is None else hash_of(row)


def _feed_order(row: Row) -> tuple[bytes, int]:
    return (row.device, row.seq)


# -- version vectors as JSON -----------------------------------------------------

MAX_VECTOR_CHARS = 4 * 2**20


def vector_document(incident_id: bytes, store: Store) -> dict:
    """What `warroom vector` prints: the incident id and each device's newest seq and
    row hash (no content: what a peer sends for `bundle export --for`)."""
    return {
        "incident": incident_id.hex(),
        "vector": {
            device.hex(): [seq, digest.hex()] for device, (seq, digest) in vector_of(store).items()
        },
    }


def parse_vector(text: str, source: str) -> tuple[bytes | None, Heads]:
    """A vector document (`warroom vector`'s JSON) or a bare {device: seq} object:
    the incident id it names (or None) and the heads."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BundleError(f"{source}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BundleError(f"{source}: a vector is a JSON object")
    incident: bytes | None = None
    if "vector" in data:
        named = data.get("incident")
        if named is not None:
            incident = _hex(named, INCIDENT_ID_BYTES, source, "incident id")
        data = data["vector"]
        if not isinstance(data, dict):
            raise BundleError(f'{source}: "vector" must be an object')
    heads: Heads = {}
    for key, value in data.items():
        device = _hex(key, 32, source, "device id")
        pair = value if isinstance(value, list) else [value]
        if not 1 <= len(pair) <= 2:
            raise BundleError(f"{source}: device {key[:8]}: [seq, hash] or a seq")
        seq, digest = pair[0], pair[1] if len(pair) == 2 else None
        if type(seq) is not int or not 0 <= seq < 2**63:
            raise BundleError(f"{source}: device {key[:8]}: the seq must be a whole number")
        heads[device] = (seq, None if digest is None else _hex(digest, 32, source, "hash"))
    return incident, heads


def _hex(value: object, size: int, source: str, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise BundleError(f"{source}: not a {what}: {str(value)[:80]!r}")
    return raw
