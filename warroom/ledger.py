"""The ledger: the incident file as an audited event log, readable on its own.

Everything a security reviewer needs is here: the plaintext header and the key
unwrap, reading rows and the one chain check, sealing, chaining and signing
appends, polling for other writers, `verify`, the known heads (rollback
detection, warroom/heads.py), clock-skew flags, and the passphrase change. It
knows events, not what they mean: folding them is the replica's (replica.py).
It is one job, kept in one file on purpose, for the reviewer who reads it alone.

Two ways to read the file:

- `read_all` reads every row: each is chain-checked and opened (the full open).
- `read_heads` reads each device's newest row only: enough to append (the chain
  goes on from the device's last row, which the store reads inside the write
  lock) and to move the clock (a device's newest row holds its highest stamp).
  The known heads are compared and stamps flagged for the rows it reads; the
  rest of the chain is checked by the next full open and by `verify`.

Each row gets at most one problem: the first of these checks that fails, in this
order, at open, in a poll and in `verify` alike: well formed, in sequence,
linked to the device's previous row, opens under the data key, (verify only:)
signed by its device, stamped no further ahead than MAX_SKEW_MS.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from warroom import crypto, gcpause
from warroom import events as ev
from warroom import heads as known_heads
from warroom.clock import MAX_SKEW_MS, Hlc, HybridClock
from warroom.device import Device
from warroom.errors import SessionError
from warroom.events import Event
from warroom.store import Row, Store, StoreError
from warroom.timefmt import iso

INCIDENT_ID_BYTES = 16
HEADS_EVERY_S = 1.0
"""Known heads are written at most this often while writing or polling, and at close."""

RELAY_TOKEN = b"warroom-relay-token-v1"
"""Ledger.derive purpose: the bearer token a relay knows this incident's replicas by."""
BUNDLE_KEY = b"warroom-bundle-v1"
"""Ledger.derive purpose: the key bundles are sealed under."""

MALFORMED = "malformed row: unknown device, or a value of the wrong type or size"
CHAIN_BROKEN = "chain broken: the previous event was altered or this link damaged"
NO_DECRYPT = "does not decrypt: altered, moved or damaged"
BAD_SIGNATURE = "bad signature"
FORKED = (
    "fork: its device signed two different events at this seq (both kept as evidence; "
    "neither is chosen)"
)
"""The same words at open and in verify(): the console counts a problem once."""


class WrongPassphrase(SessionError):
    def __init__(self) -> None:
        super().__init__("wrong passphrase")


@dataclass(frozen=True)
class Problem:
    """An event that failed an integrity check."""

    device: str
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"event {self.device[:8]}#{self.seq}: {self.reason}"


@dataclass
class VerifyReport:
    events: int = 0
    devices: int = 0
    problems: list[Problem | known_heads.Regression] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Header:
    """The plaintext header: enough to derive the key, nothing more."""

    incident_id: bytes
    salt: bytes
    opslimit: int
    memlimit: int
    wrapped_key: bytes

    @classmethod
    def from_meta(cls, meta: dict[str, Any], source: str) -> Header:
        try:
            header = cls(
                bytes(meta["incident_id"]),
                bytes(meta["salt"]),
                meta["opslimit"],
                meta["memlimit"],
                bytes(meta["wrapped_key"]),
            )
        except (KeyError, TypeError, ValueError):
            raise SessionError(f"{source}: not a warroom incident file (bad header)") from None
        if len(header.incident_id) != INCIDENT_ID_BYTES or len(header.salt) != crypto.SALT_BYTES:
            raise SessionError(f"{source}: not a warroom incident file (bad header)")
        try:  # before any key derivation: an edited header must not cost seconds and a GiB
            if meta.get("kdf") != "argon2id":
                raise crypto.KdfRangeError()
            crypto.check_kdf_params(header.opslimit, header.memlimit)
        except crypto.KdfRangeError as exc:
            raise SessionError(f"{source}: {exc}") from None
        return header

    def wrap_aad(self) -> bytes:
        return crypto.wrap_aad(self.incident_id, self.salt, (self.opslimit, self.memlimit))


def open_store(path: str | os.PathLike[str]) -> Store:
    try:
        return Store.open(path)
    except StoreError as exc:
        raise SessionError(str(exc)) from None


def unwrap_key(path: str | os.PathLike[str], store: Store, passphrase: str) -> tuple[Header, bytes]:
    """The header (checked before any derivation) and the data key it wraps."""
    header = Header.from_meta(store.meta(), str(path))
    try:
        kek = crypto.derive_kek(passphrase, header.salt, header.opslimit, header.memlimit)
        return header, crypto.open_box(kek, header.wrapped_key, header.wrap_aad())
    except crypto.KdfRangeError as exc:
        raise SessionError(f"{path}: {exc}") from None
    except crypto.CryptoError:
        raise WrongPassphrase() from None


def new_file(
    path: str | os.PathLike[str],
    passphrase: str,
    kdf: str,
    *,
    shared: bool,
    incident_id: bytes | None = None,
    data_key: bytes | None = None,
) -> tuple[Store, Header, bytes]:
    """A new incident file holding only its header: a fresh id, salt and data key.

    A replica (`warroom join`) passes the incident's own id and data key: the salt and
    the wrap are still its own, under its own passphrase."""
    if incident_id is not None and len(incident_id) != INCIDENT_ID_BYTES:
        raise SessionError("an incident id is 16 bytes")
    if data_key is not None and len(data_key) != crypto.KEY_BYTES:
        raise SessionError("a data key is 32 bytes")
    params = crypto.KDF_PROFILES[kdf]
    salt = crypto.random_bytes(crypto.SALT_BYTES)
    incident_id = incident_id or crypto.random_bytes(INCIDENT_ID_BYTES)
    data_key = data_key or crypto.random_bytes(crypto.KEY_BYTES)
    kek = crypto.derive_kek(passphrase, salt, params.opslimit, params.memlimit)
    wrapped = crypto.seal(kek, data_key, crypto.wrap_aad(incident_id, salt, params))
    meta = {
        "incident_id": incident_id,
        "kdf": "argon2id",
        "kdf_profile": params.name,
        "opslimit": params.opslimit,
        "memlimit": params.memlimit,
        "salt": salt,
        "wrapped_key": wrapped,
    }
    try:
        store = Store.create(path, meta, shared=shared)
    except StoreError as exc:
        raise SessionError(str(exc)) from None
    return store, Header.from_meta(store.meta(), str(path)), data_key


def skew_reason(stamp_ms: int) -> str:
    """Why an event stamped too far ahead of this clock is flagged (the same words
    whenever it is asked, so the open and verify() agree)."""
    return (
        f"stamped {iso(stamp_ms)}, more than {MAX_SKEW_MS // 60_000} minutes ahead of this "
        "computer's clock: its device's clock is wrong, or it lies"
    )


def _problem(row: Row, reason: str) -> Problem:
    device = row.device.hex() if isinstance(row.device, bytes) else "unknown-device"
    seq = row.seq if type(row.seq) is int else -1
    return Problem(device, seq, reason)


def hash_of(row: Row) -> bytes:
    """The row's hash: the link the device's next row carries in `prev`."""
    return crypto.row_hash(row.device, row.seq, row.prev, row.box, row.sig)


Heads = dict[bytes, tuple[int, bytes]]
"""device -> (seq, row hash) of the newest row read."""


def check_link(row: Row, heads: Heads) -> str | None:
    """The one chain check: why `row` does not follow its device's last row in
    `heads` (None: it does). A well-formed row becomes its device's head either way."""
    if not row.well_formed():
        return MALFORMED
    last_seq, last_hash = heads.get(row.device, (0, crypto.GENESIS_PREV))
    heads[row.device] = (row.seq, hash_of(row))
    if row.seq != last_seq + 1:
        return f"events {last_seq + 1}..{row.seq - 1} of this device are missing"
    if row.prev != last_hash:
        return CHAIN_BROKEN
    return None


class Ledger:
    """An unlocked incident file: the data key, this device's feed, what was read."""

    def __init__(
        self,
        store: Store,
        header: Header,
        data_key: bytes,
        device: Device,
        clock: HybridClock | None = None,
        known: known_heads.KnownHeads | None = None,
    ) -> None:
        self.store = store
        self.header = header
        self.device = device
        self.clock = clock or HybridClock()
        self._key = data_key
        self.heads: Heads = {}
        self.problems: list[Problem] = []
        self.rollbacks: list[known_heads.Regression] = []
        """Devices whose feed is behind what this OS user saw before (warroom/heads.py)."""
        self.opened = 0
        """Rows decrypted so far (the tests count them: a cheap open reads heads only)."""
        self._known = known or known_heads.KnownHeads.for_incident(header.incident_id)
        self._tainted: set[bytes] = set()  # devices with a row that failed a check
        self._heads_dirty = False  # heads not yet recorded (see remember_heads)
        self._heads_written = 0.0
        self._data_version = store.data_version()

    @property
    def data_key(self) -> bytes:
        """The incident's data key: for a sibling session in a worker (Replica.sibling),
        never to be written anywhere."""
        return self._key

    # -- reading ---------------------------------------------------------

    def open_row(self, row: Row) -> Event:
        self.opened += 1
        aad = crypto.event_aad(self.header.incident_id, row.device, row.seq)
        raw = crypto.unpad(crypto.open_box(self._key, row.box, aad))
        return ev.decode_payload(row.device, row.seq, raw)

    def opens(self, row: Row) -> bool:
        """Whether a row (from another replica) is sealed under this incident's data
        key: signed by its device is not enough, anyone can make a device key."""
        aad = crypto.event_aad(self.header.incident_id, row.device, row.seq)
        try:
            crypto.open_box(self._key, row.box, aad)
        except crypto.CryptoError:
            return False
        return True

    def _try_open(self, row: Row) -> Event | None:
        try:
            return self.open_row(row)
        except (crypto.CryptoError, ev.PayloadError):
            return None

    def read_all(self) -> list[Event]:
        """Read, chain-check and open every row; compare the known heads. Returns the
        events that opened, sorted in fold order; flags the rest in `problems`."""
        self.heads.clear()
        self.problems.clear()
        self._tainted.clear()
        self._data_version = self.store.data_version()
        # What is known was committed before it was recorded: read it before the rows.
        known = self._known.load()
        with gcpause.paused():
            opened = self._read(self.store.rows())
        anchors = {device: head.seq for device, head in known.items()}
        seen = self._seen(anchors, self.store.row)
        self._compare(known, seen)
        self._flag_forks()
        self.remember_heads()
        return opened

    def read_heads(self) -> list[Event]:
        """Read each device's newest row only (see the module's docstring): the heads,
        the clock, the known heads and the stamps of what is read. Returns the head
        events that opened."""
        self.heads.clear()
        self.problems.clear()
        self._tainted.clear()
        self._data_version = self.store.data_version()
        known = self._known.load()  # before the rows, as in read_all
        opened = []
        for row in self.store.last_rows():
            if not row.well_formed():
                self._flag(row, MALFORMED)
                continue
            self.heads[row.device] = (row.seq, hash_of(row))
            event = self._try_open(row)
            if event is None:
                self._flag(row, NO_DECRYPT)
            else:
                opened.append(event)
        opened.sort(key=_order)
        self._follow_clock(opened)
        anchors = {device: head.seq for device, head in known.items()}
        self._compare(known, self._seen(anchors, self.store.row))
        self._flag_forks()
        self.remember_heads()
        return opened

    def read_new(self) -> list[Event] | None:
        """The rows other processes appended since the last look, checked and opened
        (sorted); None when nothing changed (one PRAGMA data_version)."""
        version = self.store.data_version()
        if version == self._data_version:
            if self._heads_dirty:
                self.remember_heads(soon=True)
            return None
        self._data_version = version
        after = {device: seq for device, (seq, _) in self.heads.items()}
        with gcpause.paused():
            opened = self._read(self.store.rows(after))
        self._flag_forks()
        self.remember_heads(soon=True)
        return opened

    def _read(self, rows: Iterable[Row]) -> list[Event]:
        opened: list[Event] = []
        for row in rows:
            reason = check_link(row, self.heads)
            if reason is MALFORMED:
                self._flag(row, reason)
                continue
            event = self._try_open(row)
            if reason is None and event is None:
                reason = NO_DECRYPT
            if reason is not None:
                self._flag(row, reason)
            if event is not None:
                opened.append(event)
        opened.sort(key=_order)
        self._follow_clock(opened)
        return opened

    def _seen(
        self, anchors: dict[bytes, int], fetch: Callable[[bytes, int], Row | None]
    ) -> dict[bytes, bytes]:
        """For each known device whose feed reaches its known seq, the hash of the
        file's row there (the head's own when it is the head: no read)."""
        seen = {}
        for device, seq in anchors.items():
            have = self.heads.get(device)
            if have is None or have[0] < seq:
                continue
            if have[0] == seq:
                seen[device] = have[1]
            elif (row := fetch(device, seq)) is not None and row.well_formed():
                seen[device] = hash_of(row)
        return seen

    def _compare(self, known: dict[bytes, known_heads.Head], seen: dict[bytes, bytes]) -> None:
        file_heads = {device: seq for device, (seq, _) in self.heads.items()}
        self.rollbacks = known_heads.compare(known, file_heads, seen)

    def _follow_clock(self, opened: list[Event]) -> None:
        """Move this clock past the events read (sorted), except those stamped too far
        ahead of it: they are flagged, and sort where they claim to be."""
        now = self.clock.wall()
        cut = len(opened)
        while cut and self.clock.too_far_ahead(opened[cut - 1].hlc[0], now):
            cut -= 1
        for event in opened[cut:]:
            self.problems.append(Problem(event.device.hex(), event.seq, skew_reason(event.hlc[0])))
        if cut:
            self.clock.observe(opened[cut - 1].hlc)

    def _flag_forks(self) -> None:
        """A problem for each fork recorded (sync, bundles: Store.forks), once."""
        flagged = {(p.device, p.seq) for p in self.problems if p.reason == FORKED}
        for row in self.store.forks():
            problem = _problem(row, FORKED)
            if (problem.device, problem.seq) not in flagged:
                flagged.add((problem.device, problem.seq))
                self.problems.append(problem)

    def _flag(self, row: Row, reason: str) -> None:
        self.problems.append(_problem(row, reason))
        if isinstance(row.device, bytes):
            self._tainted.add(row.device)

    def remember_heads(self, *, soon: bool = False) -> None:
        """Record the heads read as seen by this OS user, but not those of a device
        whose feed failed a check or went backwards (that must keep being reported).

        `soon`: at most once every HEADS_EVERY_S (the rest at a later poll or at
        close), so a durable append does not also wait for the known-heads file."""
        if soon and time.monotonic() - self._heads_written < HEADS_EVERY_S:
            self._heads_dirty = True
            return
        self._heads_dirty = False
        self._heads_written = time.monotonic()
        skip = self._tainted | {bytes.fromhex(r.device) for r in self.rollbacks}
        self._known.record(
            {
                device: known_heads.Head(seq, digest)
                for device, (seq, digest) in self.heads.items()
                if device not in skip
            }
        )

    def read_since(self, vector: Heads) -> list[Event] | None:
        """Like `read_all`, for a state resumed from a checkpoint summarising the rows
        up to `vector`: those rows are taken as summarised, the rows after them are
        read, checked and opened (returned, sorted). None, reading nothing more, when a
        row the vector names is gone or changed (the checkpoint is stale or the file
        was altered: fold it whole)."""
        for device, (seq, digest) in vector.items():
            row = self.store.row(device, seq)
            if row is None or not row.well_formed() or hash_of(row) != digest:
                return None
        self.heads.clear()
        self.problems.clear()
        self._tainted.clear()
        self._data_version = self.store.data_version()
        known = self._known.load()  # before the rows, as in read_all
        self.heads.update(vector)
        after = {device: seq for device, (seq, _) in vector.items()}
        with gcpause.paused():
            opened = self._read(self.store.rows(after))
        anchors = {device: head.seq for device, head in known.items()}
        self._compare(known, self._seen(anchors, self.store.row))
        self._flag_forks()
        self.remember_heads()
        return opened

    def check_summarised(self, vector: Heads) -> list[Problem]:
        """Whether the rows a checkpoint summarises still chain, unchanged, up to the
        rows `vector` names: the chain links alone (each row's hash is in the next
        one's `prev`, the last ones are in the vector), so no box is opened. Empty: the
        checkpoint is the fold of exactly these rows (they opened when it was made)."""
        heads: Heads = {}
        problems = []
        upto = {device: seq for device, (seq, _) in vector.items()}
        with gcpause.paused():
            for row in self.store.rows_upto(upto):
                reason = check_link(row, heads)
                if reason is not None:
                    problems.append(_problem(row, reason))
        for device, head in vector.items():
            if heads.get(device) != head:
                problems.append(Problem(device.hex(), head[0], CHAIN_BROKEN))
        return problems

    # -- the checkpoint --------------------------------------------------

    def _checkpoint_aad(self, device: bytes) -> bytes:
        return b"warroom-checkpoint-v1" + self.header.incident_id + device

    def save_checkpoint(self, body: bytes) -> None:
        """Store `body` as this device's checkpoint: sealed under the data key and
        signed by this device, so no one else (even with the passphrase) can make one
        this device would resume from."""
        device = self.device.public_key
        box = crypto.seal(self._key, crypto.pad(body), self._checkpoint_aad(device))
        sig = crypto.sign(self.device.signing_key, self._checkpoint_aad(device) + box)
        self.store.put_checkpoint(device, box, sig)

    def load_checkpoint(self) -> bytes | None:
        """This device's checkpoint, if it has one that it signed and that opens."""
        device = self.device.public_key
        found = self.store.checkpoint(device)
        if found is None:
            return None
        box, sig = found
        if not isinstance(box, bytes) or not isinstance(sig, bytes):
            return None
        if not crypto.verify_signature(device, self._checkpoint_aad(device) + box, sig):
            return None
        try:
            return crypto.unpad(crypto.open_box(self._key, box, self._checkpoint_aad(device)))
        except crypto.CryptoError:
            return None

    def drop_checkpoint(self) -> None:
        """Forget this device's checkpoint (it did not match the file)."""
        if self.store.read_only is None:
            with contextlib.suppress(SessionError):
                self.store.drop_checkpoint(self.device.public_key)

    # -- writing ---------------------------------------------------------

    def append(self, batch: list[tuple[str, dict[str, Any]]]) -> tuple[list[Event], bool]:
        """Seal, chain, sign and durably append events to this device's feed.

        Returns the events and whether they follow the head read last (False: another
        process of this same device appended in between; read_new catches up)."""
        made: list[Event] = []
        device = self.device.public_key
        signing_key = self.device.signing_key
        iid = self.header.incident_id

        def builder(type_: str, data: dict[str, Any]) -> Callable[[int, Row | None], tuple]:
            def build(seq: int, last: Row | None) -> tuple[bytes, bytes, bytes]:
                hlc: Hlc = self.clock.tick()
                payload = crypto.pad(ev.encode_payload(type_, hlc, data))
                box = crypto.seal(self._key, payload, crypto.event_aad(iid, device, seq))
                prev = hash_of(last) if last else crypto.GENESIS_PREV
                sig = crypto.sign(signing_key, crypto.signed_bytes(iid, device, seq, prev, box))
                made.append(Event(device, seq, hlc, type_, data))
                return prev, box, sig

            return build

        rows = self.store.append(device, [builder(t, d) for t, d in batch])
        if self.heads.get(device, (0, b""))[0] != rows[0].seq - 1:
            self._data_version = -1  # the next read_new reads our rows and theirs
            return made, False
        last = rows[-1]
        self.heads[device] = (last.seq, hash_of(last))
        self.remember_heads(soon=True)
        return made, True

    # -- checking --------------------------------------------------------

    def verify(self, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Check every chain link, box and signature, every stamp against this clock,
        and each feed against the newest this OS user has seen, from the file as it is
        now."""
        known = self._known.load()  # before the rows (see read_all)
        rows = self.store.rows()
        report = VerifyReport(
            events=len(rows), devices=len({r.device for r in rows if r.device is not None})
        )
        heads: Heads = {}
        anchors = {device: head.seq for device, head in known.items()}
        seen: dict[bytes, bytes] = {}
        now = self.clock.wall()
        for index, row in enumerate(rows):
            reason = check_link(row, heads)
            if reason is MALFORMED:
                report.problems.append(_problem(row, reason))
                continue
            if anchors.get(row.device) == row.seq:
                seen[row.device] = heads[row.device][1]
            if reason is None:
                reason = self._verify_row(row, now)
            if reason:
                report.problems.append(_problem(row, reason))
            if progress and index % 1000 == 0:
                progress(index, len(rows))
        file_heads = {device: seq for device, (seq, _) in heads.items()}
        report.problems.extend(known_heads.compare(known, file_heads, seen))
        forked = {(row.device, row.seq) for row in self.store.forks()}
        report.problems.extend(Problem(d.hex(), seq, FORKED) for d, seq in sorted(forked))
        return report

    def _verify_row(self, row: Row, now: int) -> str | None:
        """What verify checks beyond the link: the box, the signature, the stamp."""
        event = self._try_open(row)
        if event is None:
            return NO_DECRYPT
        message = crypto.signed_bytes(
            self.header.incident_id, row.device, row.seq, row.prev, row.box
        )
        if not crypto.verify_signature(row.device, message, row.sig):
            return BAD_SIGNATURE
        if self.clock.too_far_ahead(event.hlc[0], now):
            return skew_reason(event.hlc[0])
        return None

    # -- the key ---------------------------------------------------------

    def derive(self, purpose: bytes) -> bytes:
        """A 32-byte key for one purpose (RELAY_TOKEN, BUNDLE_KEY), derived from the
        data key by keyed BLAKE2b over the purpose and the incident id: knowing one
        tells nothing of the data key or of another purpose's key."""
        return hashlib.blake2b(
            purpose + self.header.incident_id, key=self._key, digest_size=32
        ).digest()

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key under a new passphrase: a new salt, the same costs.

        The salt and the wrapped key are replaced in one SQLite transaction, so a
        crash leaves the old header or the new one, never neither. The data key
        itself stays: a copy of the file made before still opens with the old one."""
        if not new_passphrase:
            raise SessionError("the passphrase must not be empty")
        old = self.header
        salt = crypto.random_bytes(crypto.SALT_BYTES)
        costs = (old.opslimit, old.memlimit)
        kek = crypto.derive_kek(new_passphrase, salt, *costs)
        wrapped = crypto.seal(kek, self._key, crypto.wrap_aad(old.incident_id, salt, costs))
        try:
            # The old wrapped key must not stay readable beside the new one.
            self.store.overwrite_meta({"salt": salt, "wrapped_key": wrapped})
        except (StoreError, sqlite3.Error) as exc:
            raise SessionError(
                f"{self.store.path}: the passphrase was not changed: {exc}"
            ) from None
        self.header = dataclasses.replace(old, salt=salt, wrapped_key=wrapped)

    def close(self) -> None:
        if self._heads_dirty:
            self.remember_heads()
        self._key = b""
        self.store.close()


def _order(event: Event) -> tuple[int, int, bytes, int]:
    return event.order
