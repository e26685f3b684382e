"""Known heads: the newest event of each device this OS user has seen, per incident.

Like ssh's known_hosts. Every open remembers, for each device of the incident, the
highest seq it saw and the hash of that row; the next open compares the file with
it. A file whose feeds go backwards (rows deleted, or an older copy put in its
place), a device that has vanished, or a row this user saw that now hashes
differently is a regression: every command warns, the console says so, and
`warroom verify` fails.

One JSON file per incident in `<config dir>/known-heads/`, mode 0600, replaced
atomically under a lock, merged so heads only ever move forward. It holds no
secrets (device keys are public, hashes are of ciphertext), but it says which
incidents this user has opened, so it is private all the same.

What it cannot do: a user who never opened the incident (or on a fresh machine)
has nothing to compare with; a rollback to before this user's first open passes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from warroom.device import config_dir
from warroom.jsonfile import write_private

HEADS_DIR = "known-heads"
LOCK_FILE = ".lock"


@dataclass(frozen=True, slots=True)
class Head:
    """A device's newest event as seen: its seq and the hash of its row."""

    seq: int
    hash: bytes


@dataclass(frozen=True, slots=True)
class Regression:
    """A device whose feed in the file is behind (or other than) what this user saw.

    Shaped like session.Problem (device hex, seq, reason): `seq` is the newest seq
    this user saw of that device."""

    device: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"device {self.device[:8]} {self.reason}"


class KnownHeads:
    """The known heads of one incident, in one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: dict[bytes, Head] | None = None

    @classmethod
    def for_incident(cls, incident_id: bytes, directory: Path | None = None) -> KnownHeads:
        base = (directory or config_dir()) / HEADS_DIR
        return cls(base / f"{incident_id.hex()}.json")

    def load(self) -> dict[bytes, Head]:
        """What this user has seen (empty if never opened, or the file is unreadable)."""
        if self._cache is None:
            self._cache = self._read()
        return dict(self._cache)

    def record(self, heads: Mapping[bytes, Head]) -> None:
        """Remember heads that are newer than the known ones; never move one back.

        Best effort: a config dir that cannot be written loses the anchor, never the
        command."""
        known = self.load()
        if all(head.seq <= known[d].seq for d, head in heads.items() if d in known) and (
            heads.keys() <= known.keys()
        ):
            return
        with contextlib.suppress(OSError), self._locked():
            merged = self._read()
            for device, head in heads.items():
                if device not in merged or head.seq > merged[device].seq:
                    merged[device] = head
            self._write(merged)
            self._cache = merged

    # -- the file ------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.parent / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _read(self) -> dict[bytes, Head]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {
                bytes.fromhex(device): Head(int(seq), bytes.fromhex(digest))
                for device, (seq, digest) in data["heads"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def _write(self, heads: Mapping[bytes, Head]) -> None:
        data = {
            "format": 1,
            "heads": {d.hex(): [h.seq, h.hash.hex()] for d, h in sorted(heads.items())},
        }
        write_private(self.path, data)


def compare(
    known: Mapping[bytes, Head], file_heads: Mapping[bytes, int], seen: Mapping[bytes, bytes]
) -> list[Regression]:
    """The devices whose feed went backwards since this user last looked.

    `file_heads`: each device's highest seq in the file; `seen`: for each known
    device whose feed reaches its known seq, the hash of the file's row at that seq.
    """
    found = []
    for device, head in sorted(known.items()):
        have = file_heads.get(device, 0)
        if have == 0:
            reason = (
                f"vanished: you have seen its events up to #{head.seq}, the file has none "
                "(deleted, or an older copy of the file)"
            )
        elif have < head.seq:
            reason = (
                f"rolled back: you have seen its events up to #{head.seq}, the file ends "
                f"at #{have} (deleted, or an older copy of the file)"
            )
        elif seen.get(device) != head.hash:
            reason = (
                f"rewritten: its event #{head.seq} is not the one you have seen "
                "(an altered or older copy of the file)"
            )
        else:
            continue
        found.append(Regression(device.hex(), head.seq, reason))
    return found
