"""One sync between a local store and a peer: each ends with the rows of the other,
and each keeps the evidence of any fork either has seen.

1. Vectors: each side's newest row per device (seq and hash). Where both hold a
   device's feed, the row at the lower of the two seqs must be the same on both;
   when it is not, the device signed two histories: the two rows are swapped as
   fork evidence (each side keeps the other's) and that feed moves no further.
2. Push what the peer lacks, pull what this side lacks, in batches, until neither
   moves: an interrupted sync resumes where it stopped, since each batch is
   committed whole and the next vectors say what is left.
3. Fork evidence each side holds goes to the other.

Rows are checked on arrival on each side (warroom/sync/intake.py); nothing here
needs the data key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from warroom.ledger import Problem, hash_of
from warroom.store import Row, Store
from warroom.sync import intake
from warroom.sync.peer import PULL_LIMIT, Peer, Vector, hash_at, vector_of

UNSHOWN_FORK = (
    "the peer's newest event of this device differs from the one held here, but it "
    "showed no row to prove it: that feed was not synced"
)
IGNORED_HAVE = "the peer sent rows this file already holds, again: the sync stopped"


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    forks: list[Row] = field(default_factory=list)
    """Fork evidence this side recorded in this sync."""
    rejected_here: list[Problem] = field(default_factory=list)
    """The peer's rows this file refused."""
    rejected_there: list[Problem] = field(default_factory=list)
    """This file's rows the peer refused."""

    @property
    def clean(self) -> bool:
        return not (self.forks or self.rejected_here or self.rejected_there)


Progress = Callable[[str, int], None]
"""(what, rows so far): "push" or "pull"."""


def exchange(
    store: Store,
    incident_id: bytes,
    peer: Peer,
    *,
    batch: int = PULL_LIMIT,
    progress: Progress | None = None,
    opens: intake.Opens | None = None,
    theirs: Vector | None = None,
) -> SyncReport:
    """`opens`: the replica's check that arriving rows are sealed under its key
    (Ledger.opens); without it (a relay, a far file), signatures and chains only.
    `theirs`: the peer's vector, when the caller has just asked for it."""
    report = SyncReport()
    take = partial(intake.take, store, incident_id, opens=opens)
    theirs = peer.vector() if theirs is None else theirs
    diverged = _swap_forks(store, take, peer, theirs, report)
    _push(store, peer, theirs, diverged, batch, report, progress)
    _pull(store, take, peer, diverged, batch, report, progress)
    _trade_evidence(store, take, peer, report)
    return report


Take = Callable[[list[Row]], intake.Intake]
"""intake.take bound to the local store, the incident and the replica's key check."""


def _keep(take: Take, rows: list[Row], report: SyncReport) -> None:
    """Take rows the peer holds as this side's evidence (or rows, if they fit)."""
    if not rows:
        return
    taken = take(rows)
    report.forks += taken.forks
    report.pulled += len(taken.added)
    report.rejected_here += taken.rejected


def _swap_forks(
    store: Store, take: Take, peer: Peer, theirs: Vector, report: SyncReport
) -> set[bytes]:
    """Compare the feeds both hold at the lower head; where they differ, swap the two
    rows there as evidence. Returns the devices whose feeds diverged."""
    diverged: set[bytes] = set()
    for device, (our_seq, our_hash) in vector_of(store).items():
        if device not in theirs:
            continue
        seq = min(our_seq, theirs[device][0])
        mine = store.row(device, seq) if our_seq != seq else None
        mine_hash = our_hash if mine is None else hash_of(mine)
        if hash_at(peer, theirs, device, seq) in (mine_hash, None):
            continue
        diverged.add(device)
        ours = mine or store.row(device, seq)
        evidence = len(report.forks)
        if ours is not None:
            pushed = peer.push([ours])
            report.rejected_there += pushed.rejected
            _keep(take, pushed.forks, report)
        if len(report.forks) == evidence:  # it claims another row there, but shows none
            report.rejected_there.append(Problem(device.hex(), seq, UNSHOWN_FORK))
    return diverged


def _push(
    store: Store,
    peer: Peer,
    theirs: Vector,
    diverged: set[bytes],
    batch: int,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    have = {device: seq for device, (seq, _) in theirs.items()}
    for device in diverged:
        have[device] = 2**62  # nothing more of a forked feed
    while True:
        rows = store.rows(after=have, limit=batch)
        if not rows:
            return
        pushed = peer.push(rows)
        report.pushed += pushed.added
        report.rejected_there += pushed.rejected
        for row in rows:
            have[row.device] = max(have.get(row.device, 0), row.seq)
        if progress:
            progress("push", report.pushed)


def _pull(
    store: Store,
    take: Take,
    peer: Peer,
    diverged: set[bytes],
    batch: int,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    skip = dict.fromkeys(diverged, 2**62)
    while True:
        have = {device: seq for device, (seq, _) in vector_of(store).items()} | skip
        rows = peer.pull(have, batch)
        if not rows:
            return
        taken = take(rows)
        report.pulled += len(taken.added)
        report.forks += taken.forks
        report.rejected_here += taken.rejected
        if progress:
            progress("pull", report.pulled)
        if not taken.added:  # all refused: asking again would get the same rows
            before = dict(skip)
            skip.update(dict.fromkeys((row.device for row in rows), 2**62))
            if skip == before:  # a peer that answers past what was asked: stop here
                report.rejected_here.append(
                    Problem(rows[0].device.hex(), rows[0].seq, IGNORED_HAVE)
                )
                return


def _trade_evidence(store: Store, take: Take, peer: Peer, report: SyncReport) -> None:
    """Each side's fork evidence to the other (a third replica's fork, relayed)."""
    theirs = peer.forks()
    _keep(take, theirs, report)
    held = {hash_of(row) for row in theirs}
    ours = [row for row in store.forks() if hash_of(row) not in held]  # what it lacks
    if ours:
        pushed = peer.push(ours)
        report.rejected_there += [r for r in pushed.rejected if r.reason != intake.OFF_CHAIN]
