"""A file made whole under a name of its own beside its target, then given the
target's name in one step and never over a file: exports (export/files.py) and a
joined replica (joinfile.py). Also who made a leftover: a staging name records a
process id and its start time, so a reused pid does not keep a crash's leftover."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

_NO_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK)
"""What link() says on a file system without hard links (some FUSE, vfat)."""


def start_time(pid: int) -> int:
    """The process's start time (clock ticks since boot; 0 if /proc cannot say)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rpartition(b")")[2].split()
        return int(fields[19])
    except (OSError, ValueError, IndexError):
        return 0


def alive(pid: int, start: int = 0) -> bool:
    """Whether process `pid` (started at `start`, when known) still runs; another
    user's live process counts as running: not ours to judge."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    now = start_time(pid)
    return not start or not now or now == start


def link_into_place(staged: Path, out: Path) -> None:
    """Give the complete file `staged` the name `out` as well, never over a file: a
    hard link fails if `out` exists. Without hard links, a rename after a last check.
    Raises FileExistsError, or OSError; the caller removes `staged`'s name."""
    try:
        os.link(staged, out, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if os.path.lexists(out):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(out)) from None
        os.rename(staged, out)
    fsync_dir(out.parent)


def fsync_dir(directory: Path) -> None:
    """The directory's entries on disk: a new name survives a power cut."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
