"""Writing exports: private, complete or not at all, never over a file, and never
leaving plaintext behind a crash.

Everything is written first under a staging name in the target's own directory,
`.warroom-export-<pid>-<start>-<random>` (a folder, 0700, for `export drafts`; a
file, 0600, for the postmortem and the timeline), then put in place in one
step: the folder renamed to its name, the file hard-linked to its name (which
fails if that name exists, so nothing is ever overwritten) and its staging name
removed. A failure removes the staging entry; a crash (SIGKILL, power loss) can
leave one, holding plaintext. So every export first sweeps: in the directory it
writes to, and wherever this user's earlier exports staged (each staging entry
is recorded in the config dir's `staging/` while it exists), it removes the
staging entries of processes that are gone (the name records the process id and
its start time, so a reused pid does not keep one alive). Only this user's own
entries are touched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from warroom import placing
from warroom.device import config_dir

PREFIX = ".warroom-export-"
REGISTRY = "staging"
"""The config dir's folder recording where staging entries are, while they exist."""
_STAGING = re.compile(re.escape(PREFIX) + r"(\d+)-(\d+)-[0-9a-f]{8}")
_LEGACY = re.compile(re.escape(PREFIX) + r"[a-z0-9_]{8}")
"""tempfile.mkdtemp's names, as exports before issue #10 made them (no process id)."""
LEGACY_AGE_S = 3600
"""A legacy staging folder is a crash's leftover once it is this old."""
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def safe_name(name: str) -> bool:
    """A plain file name: letters, digits, `.`, `_`, `-`; no path, no leading dot, no `..`."""
    return bool(_SAFE_NAME.fullmatch(name)) and ".." not in name


def _stale(name: str, entry: Path) -> bool:
    """Whether `name` is a staging entry whose process is gone."""
    if match := _STAGING.fullmatch(name):
        return not placing.alive(int(match[1]), int(match[2]))
    if _LEGACY.fullmatch(name):
        with contextlib.suppress(OSError):
            return time.time() - entry.lstat().st_mtime > LEGACY_AGE_S
    return False


def _remove(entry: Path) -> bool:
    """Remove one of this user's staging entries (a folder, whole, or a file)."""
    try:
        info = entry.lstat()
    except FileNotFoundError:
        return False
    if info.st_uid != os.getuid():
        return False
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(entry)  # fd-based on Linux: never follows a symlink inside
    else:
        entry.unlink()
    return True


def _registry() -> Path | None:
    try:
        directory = config_dir() / REGISTRY
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return directory
    except OSError:
        return None  # no usable config dir: the sweep of the target's folder still runs


def sweep(directory: Path | None = None) -> list[Path]:
    """Remove the staging entries that crashed exports left, in `directory` and
    wherever the registry says; the paths removed."""
    removed: list[Path] = []
    registry = _registry()
    if registry is not None:
        with contextlib.suppress(OSError):
            for record in registry.iterdir():
                if not _STAGING.fullmatch(record.name) or not _stale(record.name, record):
                    continue
                with contextlib.suppress(OSError, ValueError):
                    where = Path(record.read_text(encoding="utf-8"))
                    if where.is_absolute() and _remove(where / record.name):
                        removed.append(where / record.name)
                with contextlib.suppress(OSError):
                    record.unlink()
    if directory is not None:
        with contextlib.suppress(OSError):
            for entry in directory.iterdir():
                if entry.name.startswith(PREFIX) and _stale(entry.name, entry):
                    with contextlib.suppress(OSError):
                        if _remove(entry):
                            removed.append(entry)
    return removed


@contextlib.contextmanager
def _staging(parent: Path) -> Iterator[Path]:
    """A fresh staging name in `parent`, recorded in the registry while it is in use;
    whatever is left under it when the block ends is removed."""
    pid = os.getpid()
    name = f"{PREFIX}{pid}-{placing.start_time(pid)}-{secrets.token_hex(4)}"
    registry = _registry()
    record = registry / name if registry is not None else None
    if record is not None:
        try:
            fd = os.open(record, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(str(parent.resolve()))
        except OSError:
            record = None
    try:
        yield parent / name
    finally:
        with contextlib.suppress(OSError):
            _remove(parent / name)
        if record is not None:
            with contextlib.suppress(OSError):
                record.unlink()


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def write_file(out: Path, data: bytes) -> None:
    """Create `out` (0600) holding `data`, whole or not at all.

    Raises FileExistsError if `out` exists (it is never overwritten), OSError if it
    cannot be written (a full disk leaves nothing behind, not an empty file)."""
    parent = out.parent
    sweep(parent)
    if os.path.lexists(out):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(out))
    with _staging(parent) as staged:
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            _write(fd, data)
        finally:
            os.close(fd)
        placing.link_into_place(staged, out)  # fails if `out` appeared meanwhile


def write_folder(out: Path, files: list[tuple[str, bytes]]) -> None:
    """Create the folder `out` (0700; it must not exist, or be empty) holding `files`
    (each 0600), whole or not at all. A name that is not a plain file name is refused
    (ValueError) before anything is written."""
    bad = [name for name, _ in files if not safe_name(name)]
    if bad:
        raise ValueError(f"refusing to write a file named {bad[0]!r}")
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    sweep(parent)
    with _staging(parent) as staged:
        os.mkdir(staged, 0o700)
        dir_fd = os.open(staged, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for name, data in files:
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
                try:
                    _write(fd, data)
                finally:
                    os.close(fd)
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        if out.exists():
            out.rmdir()  # empty, checked by the caller
        staged.rename(out)
        placing.fsync_dir(parent)
