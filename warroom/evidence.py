"""Evidence register helpers: the kinds of evidence, how long it is kept, its hash.

`sha256_file` streams the file in chunks through one reusable buffer, so a
disk image of any size is hashed in constant memory; it takes regular files
and block devices (a disk attached read-only), and refuses directories, pipes
and character devices (a pipe would block, /dev/zero would never end).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

from warroom import store

EVIDENCE_KINDS = ("disk-image", "snapshot", "log-export", "memory-dump", "other")
DEFAULT_RETENTION_DAYS = 90
DAY_MS = 86_400_000


class EvidenceError(ValueError):
    """A file that cannot be hashed, or a retention that makes no sense."""


def sha256_file(
    path: str | os.PathLike[str],
    *,
    chunk_size: int = 1 << 20,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """The SHA-256 of the file at `path`, as 64 lower-case hex digits.

    Reads `chunk_size` bytes at a time and calls `progress(done_bytes,
    total_bytes)` after each chunk (and once for an empty file), so the last
    call has done == total unless the file changed while it was read. Raises
    EvidenceError if the path is missing, a directory, not a regular file or
    block device, or cannot be read.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least one byte")
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise EvidenceError(f"{path}: no such file") from None
    except OSError as error:
        raise EvidenceError(f"{path}: cannot read it ({error.strerror or error})") from None
    if stat.S_ISDIR(mode):
        raise EvidenceError(f"{path}: is a directory, not a file")
    if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
        raise EvidenceError(f"{path}: not a regular file or block device")
    if store.held_here(path):  # reading it here would drop this process's locks on it
        raise EvidenceError(f"{path}: an incident file open here; add a copy of it instead")
    digest = hashlib.sha256()
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    done = 0
    try:
        with path.open("rb", buffering=0) as file:
            if stat.S_ISBLK(mode):
                total = file.seek(0, os.SEEK_END)
                file.seek(0)
            else:
                total = os.fstat(file.fileno()).st_size
            while read := file.readinto(view):
                digest.update(view[:read])
                done += read
                if progress is not None:
                    progress(done, max(total, done))
    except OSError as error:
        raise EvidenceError(f"{path}: cannot read it ({error.strerror or error})") from None
    if done == 0 and progress is not None:
        progress(0, 0)
    return digest.hexdigest()


def retain_until(collected_at_ms: int, days: int = DEFAULT_RETENTION_DAYS) -> int:
    """When evidence collected at `collected_at_ms` may be destroyed (ms since the
    epoch): `days` whole days of 24 hours later."""
    if days < 0:
        raise EvidenceError("a retention period cannot be negative")
    return collected_at_ms + days * DAY_MS
