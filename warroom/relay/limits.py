"""The relay's bounds: what one request may bring and one answer may carry. A body
over its bound is refused (413) from its Content-Length, or as soon as the bytes read
pass the bound, never read whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

MAX_BODY_BYTES = 8 * 2**20
MAX_PUSH_ROWS = 10_000
MAX_PULL_ROWS = 5_000
MAX_PULL_BYTES = 8 * 2**20
MAX_INCIDENTS = 200
"""Incidents an open relay registers at most (each keeps its file open: three file
descriptors with its -wal and -shm); an operator raises it with --max-incidents."""
"""An answer to a pull stops adding rows past this size (it always holds one row)."""


class TooLarge(Exception):
    """A request over a bound: answered 413."""


@dataclass(frozen=True)
class Limits:
    max_body: int = MAX_BODY_BYTES
    max_push_rows: int = MAX_PUSH_ROWS
    max_pull_rows: int = MAX_PULL_ROWS
    max_pull_bytes: int = MAX_PULL_BYTES
    max_incidents: int = MAX_INCIDENTS


async def read_body(
    content_length: str | None, chunks: AsyncIterator[bytes], max_bytes: int
) -> bytes:
    """The request body, or TooLarge as soon as it (or its declared length) passes
    `max_bytes`."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            declared = -1
        if declared > max_bytes:
            raise TooLarge(f"request body of {declared:,} bytes; the most is {max_bytes:,}")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(f"request body over {max_bytes:,} bytes")
        parts.append(chunk)
    return b"".join(parts)
