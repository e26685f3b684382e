"""Running syncs: the peer a URL names, one round (the anchors checked, the exchange,
the settings recorded), and a watch that repeats rounds. The CLI (`warroom sync`)
and, later, the console use the same calls.

Anchors. For each peer (by its URL) the settings keep the vector it held after the
last sync: every row it served, and every row this replica pushed to it. A peer
that now serves fewer rows of a device, none at all, or another row at a seq it
held before was rolled back (an older copy of the relay's data or of the far file)
or rewritten: that is a Regression, reported, never recorded as the new anchor.
Anchors only move forward. The sync still runs (rows are checked on arrival, and
pushing heals a peer that lost rows), but the round is not clean.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from warroom.clock import wall_ms
from warroom.heads import Regression
from warroom.store import Store
from warroom.sync import settings as sync_settings
from warroom.sync.exchange import Progress, SyncReport, exchange
from warroom.sync.intake import Opens
from warroom.sync.peer import Peer, Vector, hash_at
from warroom.sync.settings import decode_anchors
from warroom.sync.urls import (  # re-exported: callers name them here
    check_url,
    shown,
)

DEFAULT_INTERVAL = 5.0
CHANGE_POLL = 0.25
"""Seconds between looks at the local file (one PRAGMA data_version) in a watch."""
MAX_BACKOFF = 120.0


@dataclass
class Link:
    """A peer for one URL, and what it raises when it cannot be reached."""

    url: str
    peer: Peer
    unreachable: tuple[type[BaseException], ...]

    def close(self) -> None:
        close = getattr(self.peer, "close", None)
        if callable(close):
            close()


def connect(
    url: str, incident_id: bytes, token: Callable[[], str], *, unattended: bool = False
) -> Link:
    """The peer a (checked) URL names. `token` gives the relay's bearer token, asked
    only for a relay. `unattended` (the console, a watch): ssh asks nothing (BatchMode).
    Nothing connects yet: the first request does."""
    url = check_url(url)
    if url.lower().startswith("ssh:"):
        from warroom.sync import ssh

        peer = ssh.SshPeer(url, incident_id, batch=unattended)
        return Link(url, peer, (ssh.Unreachable,))
    from warroom.sync import http  # httpx is loaded only for a relay

    return Link(url, http.HttpPeer(url, incident_id, token()), (http.Unreachable,))


# -- one round -------------------------------------------------------------------------


@dataclass
class Round:
    """One sync with one peer."""

    url: str
    report: SyncReport
    regressions: list[Regression] = field(default_factory=list)
    """Devices the peer went back on since the last sync (its anchors)."""

    @property
    def clean(self) -> bool:
        return self.report.clean and not self.regressions

    @property
    def moved(self) -> bool:
        report = self.report
        return bool(report.pushed or report.pulled or not self.clean)


def sync_once(
    store: Store,
    incident_id: bytes,
    link: Link,
    *,
    directory: Any = None,
    now: Callable[[], int] = wall_ms,
    progress: Progress | None = None,
    remember_url: bool = False,
    opens: Opens | None = None,
) -> Round:
    """Check the peer against its anchors, exchange, and record (in this user's sync
    settings) when it ended and the peer's vector after it; with `remember_url`, the
    URL too, as the incident's sync URL. `opens`: the replica's key check of arriving
    rows (Ledger.opens). Raises what `link.unreachable` names."""
    anchors = decode_anchors(sync_settings.load(incident_id, directory).peers.get(link.url))
    before = link.peer.vector()
    regressions = check_anchors(anchors, before, link.peer, shown(link.url))
    report = exchange(store, incident_id, link.peer, progress=progress, opens=opens, theirs=before)
    after = link.peer.vector()
    with sync_settings.updating(incident_id, directory) as settings:  # another sync may run
        settings.peers[link.url] = encode_anchors(
            advance(advance(decode_anchors(settings.peers.get(link.url)), before), after)
        )
        settings.last_sync_ms = now()
        if remember_url:
            settings.url = link.url
    return Round(link.url, report, regressions)


# -- anchors -------------------------------------------------------------------------------


def encode_anchors(anchors: Vector) -> dict[str, list[Any]]:
    return {d.hex(): [seq, digest.hex()] for d, (seq, digest) in sorted(anchors.items())}


def advance(anchors: Vector, vector: Vector) -> Vector:
    """The anchors moved forward to `vector` where it is ahead; never back."""
    out = dict(anchors)
    for device, (seq, digest) in vector.items():
        if device not in out or seq > out[device][0]:
            out[device] = (seq, digest)
    return out


def check_anchors(anchors: Vector, vector: Vector, peer: Peer, name: str) -> list[Regression]:
    """The devices whose feed the peer (its `vector` now) serves behind, or other
    than, its anchor. A row below the peer's head is fetched to compare (one pull of
    one row per anchored device the peer has moved past)."""
    found = []
    for device, (seq, digest) in sorted(anchors.items()):
        have = vector.get(device)
        if have is None:
            reason = f"vanished at {name}: it served its events up to #{seq} before, now none"
        elif have[0] < seq:
            reason = (
                f"rolled back at {name}: it served its events up to #{seq} before, now up "
                f"to #{have[0]} (an older copy of its data)"
            )
        elif hash_at(peer, vector, device, seq) == digest:
            continue
        else:
            reason = f"rewritten at {name}: its event #{seq} is not the one it served before"
        found.append(Regression(device.hex(), seq, reason))
    return found


# -- a watch ---------------------------------------------------------------------------------


def backoff(failures: int, *, rng: Callable[[], float] = random.random) -> float:
    """Seconds before the next try after `failures` in a row: doubling from 1 s up to
    MAX_BACKOFF, each spread by +-50% (jitter: many clients do not retry in step)."""
    return min(MAX_BACKOFF, 2.0 ** max(0, failures - 1)) * (0.5 + rng())


@dataclass
class Watch:
    """Sync rounds every `interval` seconds, and as soon as `changed()` says the
    local file changed, until `stop` is set; while the peer is unreachable, tries
    again after a growing, jittered delay instead (and changes do not hurry it).

    `round()` runs one sync; `on_round(round)` hears each one, `on_unreachable(exc,
    delay)` each failure. Clock and waiting are injectable for tests."""

    round: Callable[[], Round]
    changed: Callable[[], bool]
    unreachable: tuple[type[BaseException], ...]
    on_round: Callable[[Round], None]
    on_unreachable: Callable[[BaseException, float], None]
    interval: float = DEFAULT_INTERVAL
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic
    rng: Callable[[], float] = random.random
    poll: float = CHANGE_POLL
    failures: int = 0

    def run(self) -> None:
        due = self.clock()
        while not self.stop.is_set():
            if self.clock() >= due or (not self.failures and self.changed()):
                due = self._one()
                continue
            self.stop.wait(max(0.0, min(self.poll, due - self.clock())))

    def _one(self) -> float:
        """Run a round; when the next is due."""
        try:
            result = self.round()
        except self.unreachable as exc:
            self.failures += 1
            delay = backoff(self.failures, rng=self.rng)
            self.on_unreachable(exc, delay)
            return self.clock() + delay
        self.failures = 0
        self.on_round(result)
        return self.clock() + self.interval
