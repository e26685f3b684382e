"""Where `warroom join` builds a replica: under a hidden name beside NEWPATH, named
for the process making it, and given NEWPATH only once complete (placing.py), so a
join stopped on the way (an error, Ctrl-C, a hang-up) leaves no NEWPATH, and the
retry finds none in its way. One killed outright (SIGKILL, a power cut) leaves its
hidden file, which the next join of NEWPATH removes."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from warroom import placing
from warroom.errors import SessionError
from warroom.store import remove_incident_file

JOINING = ".join-"
"""A replica being made is `.NAME.join-PID-START` beside NEWPATH."""


def building_name(final: Path) -> Path:
    pid = os.getpid()
    return final.with_name(f".{final.name[:150]}{JOINING}{pid}-{placing.start_time(pid)}")


def sweep(final: Path) -> None:
    """Remove this user's leftovers of joins of `final` whose process is gone."""
    prefix = f".{final.name[:150]}{JOINING}"
    with suppress(OSError):  # an unreadable folder: creating the file fails, and says why
        for name in os.listdir(final.parent):
            pid, _, start = name.removeprefix(prefix).partition("-")
            if not name.startswith(prefix) or not pid.isdigit() or not start.isdigit():
                continue
            if placing.alive(int(pid), int(start)):
                continue
            path = final.parent / name
            with suppress(OSError):
                if path.lstat().st_uid == os.getuid():
                    remove_incident_file(path)


def put_in_place(building: Path, final: Path) -> None:
    """Give the complete, closed replica `building` its name `final`, never over a
    file; SessionError says why not."""
    wal = Path(f"{building}-wal")
    if wal.exists() and wal.stat().st_size:  # SQLite could not fold it in (a full disk)
        raise SessionError(f"cannot write {final}: its log could not be folded into it")
    try:
        placing.link_into_place(building, final)
    except FileExistsError:
        raise SessionError(f"{final} already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise SessionError(f"cannot create {final}: {exc.strerror or exc}") from None
