"""Who may read and change an incident file, said for people: the reasons a file
opens read-only or not at all (mode, owner, group, a read-only directory or file
system), and how to share one between responders on one host."""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

SHARE_HINT = (
    "To share incidents, make them with `warroom init --shared` in a setgid directory of "
    "a group you all belong to (`install -d -m 2770 -g GROUP DIR`)"
)


def _sides(path: Path) -> tuple[Path, Path, Path]:
    return (path, Path(f"{path}-wal"), Path(f"{path}-shm"))


def unreadable(path: Path) -> str | None:
    """Why this user cannot even read the incident at `path`, saying how to share it
    (None: they can). SQLite would fail later, less helpfully."""
    for name in _sides(path):
        if name.exists() and not os.access(name, os.R_OK):
            return _denied(name)
    return None


def read_only_reason(path: Path) -> str | None:
    """Why this user cannot change the incident at `path` (None: they can)."""
    sides = _sides(path)
    directory = path.parent
    if os.statvfs(directory).f_flag & os.ST_RDONLY:
        return f"{path}: on a read-only file system; this command would change the incident"
    for name in sides:
        if name.exists() and not os.access(name, os.W_OK):
            info = name.stat()
            if info.st_uid == os.geteuid():
                return (
                    f"{name}: read-only (mode {info.st_mode & 0o777:04o}); this command "
                    f"would change the incident: `chmod u+w {name}` first"
                )
            return _denied(name)
    if not os.access(directory, os.W_OK | os.X_OK):
        info = directory.stat()
        if info.st_uid == os.geteuid():
            return (
                f"{directory}: read-only (mode {info.st_mode & 0o7777:04o}); this command "
                f"would change the incident, and warroom writes its -wal and -shm files "
                f"beside {path.name}: `chmod u+w {directory}` first"
            )
        return (
            f"{directory}: permission denied (warroom needs to write the -wal and -shm "
            f"files beside {path.name}). {SHARE_HINT}"
        )
    return None


def _denied(name: Path) -> str:
    info = name.stat()
    return (
        f"{name}: permission denied (mode {info.st_mode & 0o777:04o}, owner "
        f"{_user_name(info.st_uid)}, group {_group_name(info.st_gid)}); its owner "
        f"can share it with `chmod 660 {name}`. {SHARE_HINT}"
    )


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def shared_directory_warning(path: str | os.PathLike[str]) -> str | None:
    """Why the shared incident at `path` may lock the others out, or None.

    Outside a setgid directory, the file and the -wal and -shm files each
    responder's process creates beside it take their creator's own group.
    """
    path = Path(path)
    if path.parent.stat().st_mode & stat.S_ISGID:
        return None
    return (
        f"{path.parent} is not setgid: files made there take their creator's group "
        f"({_group_name(path.stat().st_gid)} for {path.name}), not one you all share; "
        "use a directory made with `install -d -m 2770 -g GROUP DIR`"
    )
