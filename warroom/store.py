"""The incident file: one SQLite database, through sqlite-utils.

`meta` holds the plaintext header (format, incident id, KDF parameters, salt,
wrapped data key) and nothing else. `events` holds one row per change, keyed by
(device, seq), with the chain link, the sealed payload and the signature;
`checkpoints` one sealed, signed checkpoint per device (ledger.py). The store knows
rows, not what is in them: sealing and signing are the caller's.

WAL, synchronous=FULL and a busy timeout: a commit that returned is on disk,
and several processes append at once, each in its own IMMEDIATE transaction.

A file this user may read but not change (mode 0444, another responder's 0640
file, a read-only directory or file system) is opened read-only: reading commands
work, and a write is refused with the reason before anything is written. A write
that fails (a full disk) rolls back and says so in one line: StoreError is a
SessionError, so the command line and the console show it as they show bad input.

Over 500 lines: it is one job, every SQL statement the incident file is read or
written by (the rows, the checkpoints, the bulk import, the write transaction), so
a reviewer of what touches the file reads this module and no other.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from warroom import fileaccess
from warroom.errors import SessionError

if TYPE_CHECKING:
    import sqlite_utils

FORMAT = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000
PRIVATE_MODE = 0o600
SHARED_MODE = 0o660
"""`init --shared`: group-readable and -writable, for several responders on one host."""

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE devices (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE);
CREATE TABLE events (
    dev  INTEGER NOT NULL REFERENCES devices(id),
    seq  INTEGER NOT NULL,
    prev BLOB NOT NULL,
    box  BLOB NOT NULL,
    sig  BLOB NOT NULL,
    PRIMARY KEY (dev, seq)
) WITHOUT ROWID;
"""


CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS checkpoints (
    dev  INTEGER PRIMARY KEY REFERENCES devices(id),
    box  BLOB NOT NULL,
    sig  BLOB NOT NULL
)
"""
"""One checkpoint per device (warroom/checkpoint.py), made on its first save: a file
from before checkpoints has none, and reads the same."""

FORKS = """
CREATE TABLE IF NOT EXISTS forks (
    dev  INTEGER NOT NULL REFERENCES devices(id),
    seq  INTEGER NOT NULL,
    prev BLOB NOT NULL,
    box  BLOB NOT NULL,
    sig  BLOB NOT NULL,
    PRIMARY KEY (dev, seq, sig)
) WITHOUT ROWID
"""
"""Rows that arrived (sync, a bundle) for a (device, seq) this file already holds with
other contents, both signed by the device: kept as evidence, never folded."""


class StoreError(SessionError):
    """The file is missing, not an incident file, damaged, or cannot be written."""


@dataclass(frozen=True, slots=True)
class Row:
    """One stored event, exactly as on disk (an edited file may hold any type here)."""

    device: bytes
    seq: int
    prev: bytes
    box: bytes
    sig: bytes

    def well_formed(self) -> bool:
        return (
            isinstance(self.device, bytes)
            and len(self.device) == 32
            and type(self.seq) is int
            and 0 < self.seq < 2**63
            and isinstance(self.prev, bytes)
            and len(self.prev) == 32
            and isinstance(self.box, bytes)
            and isinstance(self.sig, bytes)
        )


Builder = Callable[[int, Row | None], tuple[bytes, bytes, bytes]]
"""Given the next seq and the device's last row, return (prev, box, sig)."""


_held: Counter[tuple[int, int]] = Counter()
"""Files (device, inode) this process has open through a Store, with how many Stores."""
_held_lock = threading.Lock()


def held_here(path: str | os.PathLike[str]) -> bool:
    """Whether this process has the file open through a Store.

    A process must never open and close a file it has open in SQLite: closing any
    descriptor of a file drops every POSIX lock the process holds on it, SQLite's
    included. Another process closing its own connection would then think itself the
    last one and delete the -wal and -shm under this one, whose next writes would go
    to a deleted file (lost) and whose next connections fail (SQLITE_IOERR_SHORT_READ).
    """
    try:
        return _file_key(path) in _held
    except OSError:
        return False


def _file_key(path: str | os.PathLike[str]) -> tuple[int, int]:
    info = os.stat(path)
    return (info.st_dev, info.st_ino)


@contextlib.contextmanager
def _group_umask(path: Path) -> Iterator[None]:
    """For a file its group shares (0660), no group bits in the umask while SQLite may
    make its -wal and -shm. SQLite creates them with open() and then sets the file's
    own mode; in between they have the umask's (0640 under 022), and another group
    member opening them then gets a read-only connection: their note was refused.
    Every warroom process opens through here, so they are made 0660 at once."""
    try:
        shared = os.stat(path).st_mode & 0o060
    except OSError:
        shared = 0
    if not shared:
        yield
        return
    old = os.umask(0o077)  # read the umask (it has no getter); set right after
    os.umask(old & ~0o070)
    try:
        yield
    finally:
        os.umask(old)


def _connect(
    path: Path, *, create: bool = False, read_only: bool = False, immutable: bool = False
) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit).

    `immutable`: read-only, with no -wal or -shm made or read; for a file nobody can
    be writing to (no -wal beside it) that this user cannot change, so that a reader
    never leaves files of its own beside another user's incident."""
    mode = "rwc" if create else "ro" if read_only or immutable else "rw"
    query = f"mode={mode}" + ("&immutable=1" if immutable else "")
    # quoted: a `?`, `#` or `%` in the path would otherwise end it
    uri = f"file:{urllib.parse.quote(os.fsencode(path), safe='/')}?{query}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA temp_store=MEMORY")  # no plaintext-adjacent temp files on disk
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


_UNKNOWN_OUTCOME = ("SQLITE_IOERR_FSYNC", "SQLITE_IOERR_DIR_FSYNC")
"""A commit that failed here may still be on disk (the frames were written)."""


def _fault(exc: sqlite3.Error) -> str:
    """What went wrong, for a person: "the disk is full", not SQLITE_FULL."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    if code == "SQLITE_FULL":
        return "the disk is full"
    if code.startswith("SQLITE_READONLY"):
        return "the file or its directory is read-only"
    if code.startswith("SQLITE_IOERR"):
        return f"a disk I/O error ({code}: the disk may be full or failing)"
    if code == "SQLITE_BUSY":
        return "another process kept it locked"
    return str(exc)


class WriteError(StoreError):
    """A write that failed; `reason` says why without the file's name."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def write_error(path: Path, exc: sqlite3.Error) -> WriteError:
    """A failed write, said in one line; it was rolled back, so nothing was written
    (unless the failure came after the commit's frames were out: then it says so)."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    outcome = (
        "it may or may not have been saved; check with `warroom timeline`"
        if code in _UNKNOWN_OUTCOME
        else "nothing was written"
    )
    return WriteError(f"cannot write to {path}: {_fault(exc)}; {outcome}", _fault(exc))


_IO_FAULTS = ("SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_BUSY")
"""Errors that say the file could not be read, not that it is not an incident file."""


class Store:
    def __init__(
        self, path: Path, conn: sqlite3.Connection, *, read_only: str | None = None
    ) -> None:
        self.path = path
        self._conn = conn
        self.read_only = read_only
        """Why this user cannot change the file (writes are refused with it), or None."""
        self._db: sqlite_utils.Database | None = None
        self._lock = threading.RLock()
        self._device_ids: dict[bytes, int] = {}
        self._held: tuple[int, int] | None = None

    def _hold(self) -> Store:
        """Count this Store in `_held` (see held_here) until it closes."""
        key = _file_key(self.path)
        with _held_lock:
            _held[key] += 1
        self._held = key
        return self

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils on this connection, for the writes it makes plain. Loaded on
        first use: opening an incident (the console's start) does not need it."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self._conn)
        return self._db

    # -- opening ---------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], meta: dict[str, Any], *, shared: bool = False
    ) -> Store:
        """Make a new incident file; never touch an existing one.

        The mode is set exactly, whatever the umask: 0600, or 0660 when `shared`
        (the group is the directory's when it is setgid). SQLite gives the -wal
        and -shm files the database file's mode, so they follow.
        """
        path = Path(path)
        mode = SHARED_MODE if shared else PRIVATE_MODE
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            raise StoreError(f"{path} already exists; refusing to overwrite it") from None
        except OSError as exc:
            raise StoreError(f"cannot create {path}: {exc.strerror}") from None
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        conn = None
        try:
            with _group_umask(path):
                conn = _connect(path, create=True)
                conn.execute("PRAGMA journal_mode=WAL")
            store = cls(path, conn)
            conn.executescript(SCHEMA)
            with store._write():
                store.db["meta"].insert_all(
                    [{"key": k, "value": v} for k, v in {"format": FORMAT, **meta}.items()]
                )
        except (sqlite3.Error, WriteError) as exc:
            if conn is not None:
                conn.close()
            remove_incident_file(path)  # a half-made file would block the retry ("already exists")
            reason = exc.reason if isinstance(exc, WriteError) else _fault(exc)
            raise StoreError(f"cannot create {path}: {reason}") from None
        return store._hold()

    def discard(self) -> None:
        """Close and delete a file this process has just made, with its -wal and -shm
        (Session.create, when declaring the incident failed: a full disk)."""
        self.close()
        remove_incident_file(self.path)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Store:
        path = Path(path)
        if not path.exists():
            raise StoreError(f"{path}: no such file")
        if not path.is_file():
            raise StoreError(f"{path}: not a file")
        unreadable = fileaccess.unreadable(path)
        if unreadable is not None:
            raise StoreError(unreadable)
        read_only = fileaccess.read_only_reason(path)
        if not held_here(path):  # then it was checked, and reading it would drop our locks
            try:
                with path.open("rb") as fh:
                    magic = fh.read(16)
            except OSError as exc:
                raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
            if magic != SQLITE_MAGIC:
                raise StoreError(f"{path}: not a warroom incident file")
        # No -wal: no one has it open and nothing is left to recover, so a reader that
        # may not write reads the file alone and makes no -wal or -shm of its own.
        immutable = read_only is not None and not Path(f"{path}-wal").exists()
        conn = None
        try:
            with _group_umask(path):  # the first read makes a missing -wal and -shm
                conn = _connect(path, read_only=read_only is not None, immutable=immutable)
                store = cls(path, conn, read_only=read_only)
                store.check_schema()  # before anything that could write: a foreign file stays
            meta = store.meta()
            if meta.get("format") != FORMAT:
                raise StoreError(
                    f"{path}: not a warroom incident file (format {meta.get('format')!r})"
                )
            if read_only is None:  # incident files are WAL already: a no-op
                conn.execute("PRAGMA journal_mode=WAL")
        except (sqlite3.Error, StoreError) as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, StoreError):
                raise
            if (getattr(exc, "sqlite_errorname", "") or "").startswith(_IO_FAULTS):
                raise StoreError(f"cannot read {path}: {_fault(exc)}") from None
            raise StoreError(f"{path}: not a warroom incident file, or damaged ({exc})") from None
        return store._hold()

    def check_schema(self) -> None:
        listed = self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        tables = {name for (name,) in listed}
        columns = {
            table: {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            for table in ("meta", "devices", "events")
            if table in tables
        }
        expected = {
            "meta": {"key", "value"},
            "devices": {"id", "key"},
            "events": {"dev", "seq", "prev", "box", "sig"},
        }
        if columns != expected:
            raise sqlite3.DatabaseError("missing warroom tables")
        # Read every page of the events table: a truncated file fails here, not later.
        self._conn.execute("SELECT count(*), sum(length(box)) FROM events").fetchone()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._held is not None:
                with _held_lock:
                    _held[self._held] -= 1
                    if _held[self._held] <= 0:
                        del _held[self._held]
                self._held = None

    # -- meta ------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    def set_meta(self, values: dict[str, Any]) -> None:
        with self._write():
            self.db["meta"].upsert_all(
                [{"key": k, "value": v} for k, v in values.items()], pk="key"
            )

    def overwrite_meta(self, values: dict[str, Any]) -> None:
        """set_meta leaving no copy of the old values readable: the page they leave
        is zeroed (secure_delete) and the WAL folded into the file after the commit
        (another reader may hold that back; SQLite then does it later)."""
        self.db.execute("PRAGMA secure_delete=ON")
        self.set_meta(values)
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    # -- writing ---------------------------------------------------------

    def _write(self) -> _Transaction:
        if self.read_only is not None:
            raise StoreError(self.read_only)
        return _Transaction(self)

    def _device_id(self, device: bytes) -> int:
        if device not in self._device_ids:
            row = self._conn.execute("SELECT id FROM devices WHERE key=?", (device,)).fetchone()
            if row is None:
                row = (
                    self._conn.execute("INSERT INTO devices(key) VALUES (?)", (device,)).lastrowid,
                )
            self._device_ids[device] = row[0]
        return self._device_ids[device]

    def append(self, device: bytes, builders: list[Builder]) -> list[Row]:
        """Append events to a device's feed in one durable transaction.

        The device's last row is read inside the write lock, so two processes of
        the same device never take the same seq.
        """
        with self._write():
            dev = self._device_id(device)
            last = self._last_row(device, dev)
            rows = []
            for build in builders:
                seq = last.seq + 1 if last else 1
                prev, box, sig = build(seq, last)
                self._conn.execute(
                    "INSERT INTO events(dev, seq, prev, box, sig) VALUES (?,?,?,?,?)",
                    (dev, seq, prev, box, sig),
                )
                last = Row(device, seq, prev, box, sig)
                rows.append(last)
            return rows

    def _last_row(self, device: bytes, dev: int) -> Row | None:
        row = self._conn.execute(
            "SELECT seq, prev, box, sig FROM events WHERE dev=? ORDER BY seq DESC LIMIT 1", (dev,)
        ).fetchone()
        return Row(device, *row) if row else None

    # -- reading ---------------------------------------------------------

    def rows(self, after: dict[bytes, int] | None = None, limit: int | None = None) -> list[Row]:
        """Rows in (device, seq) order; with `after`, only those past each device's seq,
        and at most `limit` of them (the first of each device's, device by device)."""
        with self._lock:
            if after is None:
                # LEFT JOIN: a row whose device is gone must surface (and be flagged).
                batch = self._conn.execute(
                    "SELECT d.key, e.seq, e.prev, e.box, e.sig FROM events e "
                    "LEFT JOIN devices d ON d.id = e.dev ORDER BY e.dev, e.seq"
                ).fetchall()
            else:
                batch = self._rows_after(after, limit)
        return [Row(*row) for row in batch]

    def _rows_after(self, after: dict[bytes, int], limit: int | None) -> list[tuple]:
        out: list[tuple] = []
        for key, dev, head in self._conn.execute(
            "SELECT d.key, d.id, max(e.seq) FROM devices d "
            "JOIN events e ON e.dev = d.id GROUP BY d.id ORDER BY d.id"
        ).fetchall():
            known = after.get(key, 0)
            room = -1 if limit is None else limit - len(out)
            if room == 0:
                break
            if head > known:
                out.extend(
                    self._conn.execute(
                        "SELECT ?, seq, prev, box, sig FROM events "
                        "WHERE dev=? AND seq>? ORDER BY seq LIMIT ?",
                        (key, dev, known, room),
                    ).fetchall()
                )
        return out

    def last_rows(self) -> list[Row]:
        """Each device's newest row (its head), by an index seek per device: what an
        append needs (the chain) without reading the feeds."""
        with self._lock:
            devices = self._conn.execute("SELECT id, key FROM devices ORDER BY id").fetchall()
            out = []
            for dev, key in devices:
                row = self._last_row(key, dev)
                if row is not None:
                    out.append(row)
            return out

    def row(self, device: bytes, seq: int) -> Row | None:
        """One device's row at `seq`, or None."""
        with self._lock:
            found = self._conn.execute(
                "SELECT e.seq, e.prev, e.box, e.sig FROM events e JOIN devices d ON d.id = e.dev "
                "WHERE d.key=? AND e.seq=?",
                (device, seq),
            ).fetchone()
        return Row(device, *found) if found else None

    def heads(self) -> dict[bytes, int]:
        """Each device's highest seq: the file's version vector."""
        with self._lock:
            return dict(
                self._conn.execute(
                    "SELECT d.key, max(e.seq) FROM devices d JOIN events e ON e.dev = d.id "
                    "GROUP BY d.id"
                ).fetchall()
            )

    def rows_upto(self, vector: dict[bytes, int]) -> list[Row]:
        """Each listed device's rows up to its seq in `vector`, in (device, seq) order."""
        out: list[Row] = []
        with self._lock:
            for device, seq in vector.items():
                dev = self._conn.execute("SELECT id FROM devices WHERE key=?", (device,)).fetchone()
                if dev is None:
                    continue
                found = self._conn.execute(
                    "SELECT ?, seq, prev, box, sig FROM events WHERE dev=? AND seq<=? ORDER BY seq",
                    (device, dev[0], seq),
                ).fetchall()
                out.extend(Row(*row) for row in found)
        return out

    # -- rows from elsewhere (warroom/sync) ---------------------------------

    @contextlib.contextmanager
    def importing(self) -> Iterator[Importer]:
        """One IMMEDIATE transaction for rows that come from another replica: what the
        file holds is read and the rows written under the same lock, so a check made
        inside it still holds when the rows are committed (all of them, or none)."""
        with self._write():
            importer = Importer(self)
            yield importer
            importer.flush()

    def forks(self) -> list[Row]:
        """The fork evidence this file holds, in (device, seq) order."""
        with self._lock:
            try:
                found = self._conn.execute(
                    "SELECT d.key, f.seq, f.prev, f.box, f.sig FROM forks f "
                    "JOIN devices d ON d.id = f.dev ORDER BY f.dev, f.seq"
                ).fetchall()
            except sqlite3.OperationalError:  # no such table: none ever recorded
                return []
        return [Row(*row) for row in found]

    # -- checkpoints -----------------------------------------------------

    def checkpoint(self, device: bytes) -> tuple[bytes, bytes] | None:
        """A device's checkpoint (box, signature), or None."""
        with self._lock:
            try:
                found = self._conn.execute(
                    "SELECT c.box, c.sig FROM checkpoints c JOIN devices d ON d.id = c.dev "
                    "WHERE d.key=?",
                    (device,),
                ).fetchone()
            except sqlite3.OperationalError:  # no such table: a file from before them
                return None
        return found

    def put_checkpoint(self, device: bytes, box: bytes, sig: bytes) -> None:
        """Replace a device's checkpoint, durably."""
        with self._write():
            self._conn.execute(CHECKPOINTS)
            self._conn.execute(
                "INSERT OR REPLACE INTO checkpoints(dev, box, sig) VALUES (?,?,?)",
                (self._device_id(device), box, sig),
            )

    def drop_checkpoint(self, device: bytes) -> None:
        with self._write():
            self._conn.execute(CHECKPOINTS)
            self._conn.execute(
                "DELETE FROM checkpoints WHERE dev IN (SELECT id FROM devices WHERE key=?)",
                (device,),
            )

    def count(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM events").fetchone()[0]

    def data_version(self) -> int:
        """Changes when another connection commits (PRAGMA data_version)."""
        with self._lock:
            return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def file_size(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())


def remove_incident_file(path: Path) -> None:
    """Delete an incident file and what SQLite keeps beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


class Importer:
    """Inside `Store.importing`: read what the file holds, add rows and fork evidence.
    Added rows are written in batches (one executemany), before any read and at the
    end: what is read always includes them."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store._conn
        self._pending: list[tuple[int, int, bytes, bytes, bytes]] = []

    def last_row(self, device: bytes) -> Row | None:
        self.flush()
        dev = self._conn.execute("SELECT id FROM devices WHERE key=?", (device,)).fetchone()
        return self._store._last_row(device, dev[0]) if dev else None

    def row(self, device: bytes, seq: int) -> Row | None:
        self.flush()
        return self._store.row(device, seq)  # the lock is ours already (reentrant)

    def add(self, row: Row) -> None:
        dev = self._store._device_id(row.device)
        self._pending.append((dev, row.seq, row.prev, row.box, row.sig))
        if len(self._pending) >= 5000:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._conn.executemany(
                "INSERT INTO events(dev, seq, prev, box, sig) VALUES (?,?,?,?,?)", self._pending
            )
            self._pending.clear()

    def add_fork(self, row: Row) -> bool:
        """Keep `row` as fork evidence; False if it was kept already."""
        self.flush()
        self._conn.execute(FORKS)
        return (
            self._conn.execute(
                "INSERT OR IGNORE INTO forks(dev, seq, prev, box, sig) VALUES (?,?,?,?,?)",
                (self._store._device_id(row.device), row.seq, row.prev, row.box, row.sig),
            ).rowcount
            == 1
        )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error, under the store's lock.

    A SQLite error inside (a full disk, a read-only file) becomes one StoreError
    saying what happened; the transaction is rolled back, so nothing was written."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store._conn
        self._lock = store._lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._lock.release()
            raise write_error(self._store.path, exc) from None
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if exc_type is None:
                try:
                    self._conn.execute("COMMIT")
                    return
                except sqlite3.Error as commit_error:
                    exc = commit_error
            self._rollback()
            if isinstance(exc, sqlite3.Error):
                raise write_error(self._store.path, exc) from None
        finally:
            self._lock.release()

    def _rollback(self) -> None:
        """Roll back what is left (SQLite may have rolled back already), and forget
        device ids this transaction made: their rows are gone."""
        self._store._device_ids.clear()
        if self._conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # nothing was committed either way
                self._conn.execute("ROLLBACK")
