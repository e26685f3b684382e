"""This OS user's sync settings for one incident, in the config dir: where its relay
is, and what each peer served last time (an anchor for rollback checks).

`<config dir>/sync/<incident id>.json`, mode 0600, replaced atomically. It holds no
secret (the relay token is derived from the data key each time, never stored), but
says which incidents this user syncs and where, so it is private all the same.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warroom.device import config_dir
from warroom.jsonfile import write_private
from warroom.store import Store

SYNC_DIR = "sync"
LOCK_FILE = ".lock"


@dataclass
class SyncSettings:
    url: str | None = None
    """The relay (https://...) or the far file (ssh://host/path) `warroom sync` uses."""
    last_sync_ms: int | None = None
    """When a sync last completed, by this computer's clock."""
    peers: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    """Per peer (its URL): device hex -> [seq, row hash hex] it served last time."""


def settings_path(incident_id: bytes, directory: Path | None = None) -> Path:
    return (directory or config_dir()) / SYNC_DIR / f"{incident_id.hex()}.json"


def load(incident_id: bytes, directory: Path | None = None) -> SyncSettings:
    """The settings, or defaults when there are none (or they cannot be read)."""
    return _load_path(settings_path(incident_id, directory))


def _load_path(path: Path) -> SyncSettings:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SyncSettings(
            url=data.get("url") if isinstance(data.get("url"), str) else None,
            last_sync_ms=data.get("last_sync_ms")
            if isinstance(data.get("last_sync_ms"), int)
            else None,
            peers=data.get("peers") if isinstance(data.get("peers"), dict) else {},
        )
    except (OSError, ValueError, AttributeError):
        return SyncSettings()


@contextlib.contextmanager
def updating(incident_id: bytes, directory: Path | None = None) -> Iterator[SyncSettings]:
    """The settings, read under a lock and saved when the block ends: two syncs of one
    incident at once (the console watching, `warroom sync` in a shell) each move the
    anchors forward from what the other saved, never back over it."""
    folder = settings_path(incident_id, directory).parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        settings = load(incident_id, directory)
        yield settings
        save(incident_id, settings, directory)
    finally:
        os.close(fd)  # releases the lock


def save(incident_id: bytes, settings: SyncSettings, directory: Path | None = None) -> None:
    """Replace the settings atomically (0600, in a 0700 folder)."""
    path = settings_path(incident_id, directory)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "format": 1,
        "url": settings.url,
        "last_sync_ms": settings.last_sync_ms,
        "peers": settings.peers,
    }
    write_private(path, data)


def decode_anchors(saved: dict[str, list[Any]] | None) -> dict[bytes, tuple[int, bytes]]:
    """A peer's anchors as saved (device hex -> [seq, hash hex]); entries that do not
    read are dropped (an edited settings file loses anchors, never the sync)."""
    anchors: dict[bytes, tuple[int, bytes]] = {}
    for device, entry in (saved or {}).items():
        try:
            seq, digest = entry
            key, value = bytes.fromhex(device), bytes.fromhex(digest)
        except (TypeError, ValueError):
            continue
        if type(seq) is int and seq > 0 and len(key) == 32 and len(value) == 32:
            anchors[key] = (seq, value)
    return anchors


@dataclass(frozen=True)
class Standing:
    """Where this replica stands with its sync URL (what the console's header shows)."""

    url: str | None
    unsynced: int
    """Rows here beyond what the peer held after the last sync (its anchors)."""
    last_sync_ms: int | None


NOT_SYNCED = Standing(None, 0, None)


def standing(store: Store, incident_id: bytes, directory: Path | None = None) -> Standing:
    """The sync URL, the rows not yet synced, and when a sync last completed: one
    small file read and, with a URL, one query: cheap enough for every header redraw."""
    saved = _read_for_standing(settings_path(incident_id, directory))
    if not saved.url:
        return NOT_SYNCED
    anchors = decode_anchors(saved.peers.get(saved.url))
    behind = sum(
        max(0, seq - anchors[device][0] if device in anchors else seq)
        for device, seq in store.heads().items()
    )
    return Standing(saved.url, behind, saved.last_sync_ms)


_STANDING_READS: dict[Path, tuple[tuple[int, int, int], SyncSettings]] = {}
"""The settings as `standing` last read them, by file, with the file's identity then."""


def _read_for_standing(path: Path) -> SyncSettings:
    """The settings at `path`, read again only when the file changed: the console asks
    at every redraw of its header (one stat, not a read and a parse)."""
    try:
        info = path.stat()
    except OSError:
        return SyncSettings()
    identity = (info.st_mtime_ns, info.st_size, info.st_ino)
    held = _STANDING_READS.get(path)
    if held is None or held[0] != identity:
        held = _STANDING_READS[path] = (identity, _load_path(path))
    return held[1]
