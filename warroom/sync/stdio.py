"""The `sync-stdio` protocol: a Peer spoken over a byte pipe (ssh's stdin and stdout),
both ends of it.

Every message is a frame: its length (4 bytes, big-endian) and that many bytes, at
most MAX_FRAME_BYTES. A request is an op byte and its body; the answer is a status
byte (OK, or ERROR and one line of UTF-8) and its body. Requests, in order:

    HELLO  MAGIC + incident id (32)         -> OK (the far file is that incident)
    VECTOR                                  -> OK count (4), then per device:
                                               device (32) seq (8) row hash (32)
    PULL   limit (4) count (4), then per device: device (32) seq (8)
                                            -> OK rows (wire.py), cut to fit a frame
    PUSH   rows (wire.py)                   -> OK added (4) duplicates (4)
                                               forks' length (4) forks (rows)
                                               rejected (JSON: [[device, seq, reason]])
    FORKS                                   -> OK rows (wire.py)

HELLO comes first, once. Anything else (an unknown op, a short or padded body, a
frame over the cap) is answered with ERROR and ends the session: the far side is
strict, so a confused client stops at once rather than half-syncs. The far side
answers until its stdin closes; rows are checked there by signature and chain
(StorePeer), so it needs no passphrase.
"""

from __future__ import annotations

import contextlib
import json
import struct
from typing import BinaryIO

from warroom.errors import SessionError
from warroom.ledger import Problem
from warroom.store import Row
from warroom.sync import wire
from warroom.sync.peer import PULL_LIMIT, Peer, Pushed, Vector

MAGIC = b"warroom-sync-stdio/1\n"
MAX_FRAME_BYTES = 64 * 2**20
"""One message, at most: a pull is cut to fit, a push is sent in parts that fit."""
MAX_DEVICES = 100_000
MAX_REJECTED_BYTES = 16 * 2**20

HELLO, VECTOR, PULL, PUSH, FORKS = b"H", b"V", b"P", b"U", b"F"
OK, ERROR = b"\x00", b"\x01"

_LEN = struct.Struct(">I")
_ENTRY = struct.Struct(">32sQ32s")
_HAVE = struct.Struct(">32sQ")
_ROW_OVERHEAD = 32 + 8 + 32 + 4 + wire.SIG_BYTES


class ProtocolError(SessionError):
    """The other end broke the protocol, or said it cannot go on (its one line)."""


class Closed(SessionError):
    """The pipe ended (between frames: the other side has finished)."""


# -- frames ---------------------------------------------------------------------


def read_frame(stream: BinaryIO, *, limit: int = MAX_FRAME_BYTES) -> bytes | None:
    """The next frame's bytes; None when the stream ends cleanly before one."""
    head = _read_exactly(stream, _LEN.size)
    if head is None:
        return None
    (length,) = _LEN.unpack(head)
    if length > limit:
        raise ProtocolError(f"a frame of {length:,} bytes; the most is {limit:,}")
    body = _read_exactly(stream, length)
    if body is None:
        raise Closed("the pipe ended inside a frame")
    return body


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    if len(payload) > MAX_FRAME_BYTES:
        raise ProtocolError(f"a frame of {len(payload):,} bytes; the most is {MAX_FRAME_BYTES:,}")
    stream.write(_LEN.pack(len(payload)) + payload)
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    parts: list[bytes] = []
    got = 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            if got:
                raise Closed("the pipe ended inside a frame")
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


# -- bodies -----------------------------------------------------------------------


def encode_vector(vector: Vector) -> bytes:
    return _LEN.pack(len(vector)) + b"".join(
        _ENTRY.pack(device, seq, digest) for device, (seq, digest) in sorted(vector.items())
    )


def decode_vector(body: bytes) -> Vector:
    entries = _counted(body, _ENTRY, "vector")
    vector: Vector = {}
    for device, seq, digest in entries:
        if not 0 < seq < 2**63 or device in vector:
            raise ProtocolError("a malformed vector")
        vector[device] = (seq, digest)
    return vector


def encode_pull(have: dict[bytes, int], limit: int) -> bytes:
    return (
        _LEN.pack(max(1, min(limit, PULL_LIMIT)))
        + _LEN.pack(len(have))
        + b"".join(_HAVE.pack(device, seq) for device, seq in sorted(have.items()))
    )


def decode_pull(body: bytes) -> tuple[dict[bytes, int], int]:
    if len(body) < _LEN.size:
        raise ProtocolError("a malformed pull")
    (limit,) = _LEN.unpack_from(body)
    have: dict[bytes, int] = {}
    for device, seq in _counted(body[_LEN.size :], _HAVE, "pull"):
        if seq >= 2**63 or device in have:
            raise ProtocolError("a malformed pull")
        have[device] = seq
    return have, max(1, min(limit, PULL_LIMIT))


def _counted(body: bytes, layout: struct.Struct, what: str) -> list[tuple]:
    """A count (4) and exactly that many entries of `layout`, nothing after."""
    if len(body) < _LEN.size:
        raise ProtocolError(f"a malformed {what}")
    (count,) = _LEN.unpack_from(body)
    if count > MAX_DEVICES or len(body) != _LEN.size + count * layout.size:
        raise ProtocolError(f"a malformed {what}")
    return [layout.unpack_from(body, _LEN.size + i * layout.size) for i in range(count)]


def encode_pushed(pushed: Pushed) -> bytes:
    forks = wire.encode_rows(pushed.forks)
    rejected = json.dumps([[p.device, p.seq, p.reason] for p in pushed.rejected]).encode()
    return (
        _LEN.pack(pushed.added)
        + _LEN.pack(pushed.duplicates)
        + _LEN.pack(len(forks))
        + forks
        + rejected[:MAX_REJECTED_BYTES]
    )


def decode_pushed(body: bytes) -> Pushed:
    try:
        added, duplicates, forks_len = struct.unpack_from(">III", body)
        at = 12 + forks_len
        if at > len(body):
            raise ProtocolError("a malformed push answer")
        forks = wire.decode_rows(body[12:at])
        listed = json.loads(body[at:].decode("utf-8"))
        rejected = [Problem(str(device), int(seq), str(reason)) for device, seq, reason in listed]
    except (struct.error, wire.WireError, ValueError, TypeError) as exc:
        raise ProtocolError(f"a malformed push answer ({exc})") from None
    return Pushed(added=added, duplicates=duplicates, forks=forks, rejected=rejected)


def fitting(rows: list[Row], budget: int = MAX_FRAME_BYTES - 64) -> list[Row]:
    """The first rows whose encoding fits in `budget` bytes (at least one)."""
    size = _LEN.size
    for index, row in enumerate(rows):
        size += _ROW_OVERHEAD + len(row.box)
        if size > budget:
            return rows[: max(1, index)]
    return rows


# -- the far side -------------------------------------------------------------------


def serve(peer: Peer, incident_id: bytes, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Answer requests until stdin closes. A request that breaks the protocol, or
    that the file cannot serve (a write that fails), is answered with ERROR and
    raised (SessionError): the caller prints it on one line and exits 2."""
    greeted = False
    try:
        while (request := read_frame(stdin)) is not None:
            op, body = request[:1], request[1:]
            if greeted:
                answer = _answer(peer, op, body)
            else:
                _greet(op, body, incident_id)
                greeted, answer = True, b""
            write_frame(stdout, OK + answer)
    except wire.WireError as exc:
        _refuse(stdout, str(exc))
        raise ProtocolError(str(exc)) from None
    except SessionError as exc:
        _refuse(stdout, str(exc))
        raise


def _greet(op: bytes, body: bytes, incident_id: bytes) -> None:
    if op != HELLO or not body.startswith(MAGIC):
        raise ProtocolError("not a warroom sync client (expected the sync-stdio greeting)")
    if body[len(MAGIC) :] != incident_id:
        raise ProtocolError("the far file is another incident")


def _answer(peer: Peer, op: bytes, body: bytes) -> bytes:
    if op == VECTOR and not body:
        return encode_vector(peer.vector())
    if op == PULL:
        have, limit = decode_pull(body)
        return wire.encode_rows(fitting(peer.pull(have, limit)))
    if op == PUSH:
        return encode_pushed(peer.push(wire.decode_rows(body)))
    if op == FORKS and not body:
        return wire.encode_rows(fitting(peer.forks()))
    raise ProtocolError(f"unknown request {op!r}")


def _refuse(stdout: BinaryIO, message: str) -> None:
    line = message.replace("\n", " ")[:1000]
    with contextlib.suppress(OSError):
        write_frame(stdout, ERROR + line.encode("utf-8", "replace"))


# -- the near side ------------------------------------------------------------------


class StdioPeer:
    """A Peer at the far end of a pipe (ssh's): requests out on `send`, answers in on
    `recv`. Says HELLO first; raises Closed when the pipe ends, ProtocolError when
    the far side breaks the protocol or refuses."""

    def __init__(self, send: BinaryIO, recv: BinaryIO, incident_id: bytes) -> None:
        self._send = send
        self._recv = recv
        self._request(HELLO, MAGIC + incident_id)

    def _request(self, op: bytes, body: bytes = b"") -> bytes:
        try:
            write_frame(self._send, op + body)
        except (BrokenPipeError, ConnectionError, ValueError) as exc:
            raise Closed(f"the pipe ended ({exc})") from None
        answer = read_frame(self._recv)
        if answer is None:
            raise Closed("the far side closed the pipe")
        status, rest = answer[:1], answer[1:]
        if status == ERROR:
            raise ProtocolError(rest.decode("utf-8", "replace"))
        if status != OK:
            raise ProtocolError("a malformed answer")
        return rest

    def vector(self) -> Vector:
        return decode_vector(self._request(VECTOR))

    def pull(self, have: dict[bytes, int], limit: int = PULL_LIMIT) -> list[Row]:
        return self._rows(self._request(PULL, encode_pull(have, limit)))

    def push(self, rows: list[Row]) -> Pushed:
        total = Pushed()
        while rows:
            part = fitting(rows)
            rows = rows[len(part) :]
            got = decode_pushed(self._request(PUSH, wire.encode_rows(part)))
            total.added += got.added
            total.duplicates += got.duplicates
            total.forks += got.forks
            total.rejected += got.rejected
        return total

    def forks(self) -> list[Row]:
        return self._rows(self._request(FORKS))

    @staticmethod
    def _rows(body: bytes) -> list[Row]:
        try:
            return wire.decode_rows(body)
        except wire.WireError as exc:
            raise ProtocolError(f"a malformed answer ({exc})") from None
