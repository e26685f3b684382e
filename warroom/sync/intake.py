"""Taking rows from another replica into a store: each is checked before anything is
written, and the rows are written all together or not at all.

A row is *added* when its device signed it (for this incident) and it follows that
device's last row here (seq + 1, `prev` its hash); a *duplicate* when the same row
is here already; a *fork* when this file holds another row, also signed by the
device, at that (device, seq): the device signed two histories, so the arriving
row is kept as evidence (Store.forks) and neither is chosen; *rejected* otherwise
(a bad signature, a malformed row, a gap, a row that follows another history).

Signatures need no key but the device's public one (the device id), so a relay or
the far end of `sync-stdio` checks them too. A replica also checks that each row is
sealed under the incident's data key (`opens`): a signature proves only that some
device key signed it, and anyone can make one. They are
checked before the write lock is taken, on two threads (libsodium runs without
the GIL); the chain is checked under the lock, against what the file holds then.

`strict` (bundles): any rejected row refuses the whole offer, from inside the
transaction, so nothing is written (Refused). There the signatures are checked on
the two threads while the chain is checked and the rows written under the lock,
and the transaction commits only once every signature held. A fork is not a
rejection: its rows are kept as evidence, and the rows that follow it on the other
history (they no longer chain here) are left out, counted in `past_fork`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from warroom import crypto
from warroom.errors import SessionError
from warroom.ledger import Problem, hash_of
from warroom.store import Importer, Row, Store

MALFORMED = "malformed row"
BAD_SIGNATURE = "bad signature"
NOT_OURS = (
    "does not open under this incident's key (signed by a device, but not written by "
    "anyone who holds the passphrase)"
)
OFF_CHAIN = "does not follow this device's previous event here (another history)"
THREADS = min(2, os.cpu_count() or 1)
_CHUNK = 2000
SWITCH_INTERVAL = 0.0005
"""Seconds between GIL handovers while signatures are checked (Python's default: 0.005)."""


@dataclass
class Intake:
    """What happened to the rows offered."""

    added: list[Row] = field(default_factory=list)
    duplicates: int = 0
    forks: list[Row] = field(default_factory=list)
    """Arriving rows that contradict one held here (kept as evidence)."""
    rejected: list[Problem] = field(default_factory=list)
    past_fork: int = 0
    """Strict intake: rows of a forked feed past the fork, on the other history (not
    taken, not refused: the fork's evidence is what matters)."""


class Refused(SessionError):
    """A strict intake refused the rows offered; nothing was written."""

    def __init__(self, rejected: list[Problem]) -> None:
        self.rejected = rejected
        more = f" (and {len(rejected) - 1:,} more)" if len(rejected) > 1 else ""
        super().__init__(f"refused, nothing was written: {rejected[0]}{more}")


Opens = Callable[[Row], bool]
"""Whether a row's box opens under the incident's data key (Ledger.opens). A replica
checks it; a relay or the far end of sync-stdio has no key, and checks signatures and
chains only: without it, anyone who knows the incident id could sign rows with a key
of their own and have them taken."""


def signatures_hold(
    incident_id: bytes, rows: Sequence[Row], opens: Opens | None = None
) -> list[str | None]:
    """For each row, why it may not be taken (malformed, not signed by its device for
    this incident, or, given `opens`, not sealed under the incident's key), or None."""
    if len(rows) < 2 * _CHUNK or THREADS < 2:
        return _signed(incident_id, rows, opens)
    with ThreadPoolExecutor(THREADS, thread_name_prefix="warroom-verify") as pool:
        return [v for part in _checking(pool, incident_id, rows, opens) for v in part.result()]


def _signed(incident_id: bytes, part: Sequence[Row], opens: Opens | None) -> list[str | None]:
    return [_verdict(incident_id, row, opens) for row in part]


def _verdict(incident_id: bytes, row: Row, opens: Opens | None) -> str | None:
    if not row.well_formed():
        return MALFORMED
    message = crypto.signed_bytes(incident_id, row.device, row.seq, row.prev, row.box)
    if not crypto.verify_signature(row.device, message, row.sig):
        return BAD_SIGNATURE
    if opens is not None and not opens(row):
        return NOT_OURS
    return None


def _checking(
    pool: ThreadPoolExecutor, incident_id: bytes, rows: Sequence[Row], opens: Opens | None
) -> list[Future[list[str | None]]]:
    """The checks of `rows`, started on `pool` in parts, in order."""
    return [
        pool.submit(_signed, incident_id, rows[i : i + _CHUNK], opens)
        for i in range(0, len(rows), _CHUNK)
    ]


class SignatureChecks:
    """Signature checks started as rows arrive (a bundle's blocks as they open) on
    THREADS threads, collected when the rows are taken: the checks of the first
    blocks run while the next ones are read."""

    def __init__(self, incident_id: bytes, opens: Opens | None = None) -> None:
        self._incident_id = incident_id
        self._opens = opens
        self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="warroom-verify")
        self._parts: list[tuple[Sequence[Row], Future[list[str | None]]]] = []
        # The checking threads need the GIL for a moment per row, while the main thread
        # holds it for long stretches (reading, the chain): hand it over more often.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)

    def submit(self, rows: Sequence[Row]) -> None:
        for i in range(0, len(rows), _CHUNK):
            part = rows[i : i + _CHUNK]
            future = self._pool.submit(_signed, self._incident_id, part, self._opens)
            self._parts.append((part, future))

    def failures(self) -> list[Problem]:
        """Every row submitted that may not be taken, and why (waits for the checks)."""
        bad = [
            _problem(row, verdict)
            for part, future in self._parts
            for row, verdict in zip(part, future.result(), strict=True)
            if verdict is not None
        ]
        return sorted(bad, key=lambda p: (p.device, p.seq))

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
        sys.setswitchinterval(self._switch)

    def __enter__(self) -> SignatureChecks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def classify(tx: Importer, rows: Sequence[Row], verdicts: Sequence[str | None]) -> Intake:
    """Decide each row against what the file holds (inside `Store.importing`) and
    write the added ones and the fork evidence. Rows of one device must come in seq
    order (a row may follow one added just before it)."""
    out = Intake()
    heads: dict[bytes, tuple[int, bytes]] = {}
    for row, verdict in zip(rows, verdicts, strict=True):
        if verdict is not None:
            out.rejected.append(_problem(row, verdict))
            continue
        head = heads.get(row.device)
        if head is None:
            last = tx.last_row(row.device)
            head = (last.seq, hash_of(last)) if last else (0, crypto.GENESIS_PREV)
        if row.seq <= head[0]:
            held = tx.row(row.device, row.seq)
            if held is not None and hash_of(held) == hash_of(row):
                out.duplicates += 1
            elif held is not None:
                if tx.add_fork(row):
                    out.forks.append(row)
                else:
                    out.duplicates += 1  # known evidence, offered again
            else:  # a hole in this file's own feed: its problem, not the row's
                out.rejected.append(Problem(row.device.hex(), row.seq, OFF_CHAIN))
            continue
        if row.seq != head[0] + 1:
            reason = f"events {head[0] + 1}..{row.seq - 1} of this device are missing"
            out.rejected.append(Problem(row.device.hex(), row.seq, reason))
            continue
        if row.prev != head[1]:
            out.rejected.append(Problem(row.device.hex(), row.seq, OFF_CHAIN))
            continue
        tx.add(row)
        heads[row.device] = (row.seq, hash_of(row))
        out.added.append(row)
    return out


def take(
    store: Store,
    incident_id: bytes,
    rows: Sequence[Row],
    *,
    strict: bool = False,
    checks: SignatureChecks | None = None,
    opens: Opens | None = None,
) -> Intake:
    """Check `rows` and write what is added, in one transaction (all or nothing: a
    write that fails leaves the file as it was). `strict`: raise Refused, writing
    nothing, if any row is rejected (rows past a fork excepted: see the docstring);
    `checks`: where the rows were submitted for checking as they arrived (strict
    only); `opens`: a replica's check that each row is sealed under its key."""
    ordered = sorted(rows, key=_feed_order)
    if strict:
        if checks is not None:
            return _take_strict(store, ordered, checks)
        with SignatureChecks(incident_id, opens) as own:
            own.submit(ordered)
            return _take_strict(store, ordered, own)
    verdicts = signatures_hold(incident_id, ordered, opens)
    with store.importing() as tx:
        return classify(tx, ordered, verdicts)


def _take_strict(store: Store, ordered: list[Row], checks: SignatureChecks) -> Intake:
    """The chain is checked and the rows written under the lock while the signatures
    are checked on other threads, and the transaction commits only once every
    signature held: an import takes the longer of the two, not their sum."""
    formed = [None if row.well_formed() else MALFORMED for row in ordered]
    if any(formed):
        raise Refused([_problem(row, MALFORMED) for row in ordered if not row.well_formed()])
    with store.importing() as tx:
        taken = classify(tx, ordered, formed)
        bad = checks.failures()
        if bad:
            raise Refused(bad)  # out of the transaction: rolled back
        if taken.rejected:
            forked = _fork_seqs(store.forks())  # this transaction's new evidence too
            fatal = [p for p in taken.rejected if not _past_fork(p, forked)]
            if fatal:
                raise Refused(fatal)
            taken.past_fork, taken.rejected = len(taken.rejected), []
    return taken


def _problem(row: Row, reason: str) -> Problem:
    device = row.device.hex() if isinstance(row.device, bytes) else "unknown-device"
    return Problem(device, row.seq if type(row.seq) is int else -1, reason)


def _fork_seqs(evidence: Sequence[Row]) -> dict[str, int]:
    """Each forked device (hex) and the lowest seq it forked at."""
    out: dict[str, int] = {}
    for row in evidence:
        key = row.device.hex()
        out[key] = min(out.get(key, row.seq), row.seq)
    return out


def _past_fork(problem: Problem, forked: dict[str, int]) -> bool:
    """A signed row that does not chain here, of a feed that forked before it."""
    if problem.reason in (MALFORMED, BAD_SIGNATURE, NOT_OURS):
        return False
    return problem.seq > forked.get(problem.device, 2**63)


def _feed_order(row: Row) -> tuple[bytes, int]:
    device = row.device if isinstance(row.device, bytes) else b""
    return (device, row.seq if type(row.seq) is int else -1)
