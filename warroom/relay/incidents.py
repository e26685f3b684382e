"""The relay's files: DATA/<incident id hex>.db, each a warroom Store holding one
incident's rows and fork evidence, and in its meta the incident id and the SHA-256
of the incident's bearer token (never the token). Stores are opened once and kept
open; they are safe to share between the server's threads (Store locks its
connection)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from warroom.relay.auth import is_sha256_hex
from warroom.store import Store, StoreError
from warroom.sync.peer import Pushed

INCIDENT_ID_BYTES = 16
RELAY_FORMAT = 1
TOKEN_KEY = "relay_token_sha256"


class IncidentError(Exception):
    """A bad incident id or an unusable file: the message is for the caller."""


class Full(Exception):
    """An open relay that holds as many incidents as it takes (--max-incidents)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"this relay holds as many incidents as it takes ({limit:,})")


def parse_id(text: str) -> bytes:
    """An incident id from its 32 hex digits."""
    if len(text) != 2 * INCIDENT_ID_BYTES or text.lower() != text:
        raise IncidentError("an incident id is 32 lowercase hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise IncidentError("an incident id is 32 lowercase hex digits") from None


class Incidents:
    """The incidents a relay holds, under `data`."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self._open: dict[bytes, Store] = {}
        self._lock = threading.Lock()

    def path(self, incident_id: bytes) -> Path:
        return self.data / f"{incident_id.hex()}.db"

    def get(self, incident_id: bytes) -> Store | None:
        """The incident's store, or None when the relay does not hold it."""
        with self._lock:
            store = self._open.get(incident_id)
            if store is None and self.path(incident_id).exists():
                store = self._open[incident_id] = self._open_file(incident_id)
            return store

    def token_hash(self, store: Store) -> str:
        value = store.meta().get(TOKEN_KEY)
        if not isinstance(value, str) or not is_sha256_hex(value):
            raise IncidentError(f"{store.path.name}: no token hash in its meta")
        return value

    def register(self, incident_id: bytes, token_sha256: str) -> tuple[Store, bool]:
        """The incident's store, made now with this token hash if the relay did not
        hold it (True: made now). Two first pushes at once make one file."""
        with self._lock:
            return self._register(incident_id, token_sha256)

    def _register(self, incident_id: bytes, token_sha256: str) -> tuple[Store, bool]:
        store = self._open.get(incident_id)
        if store is None and self.path(incident_id).exists():
            store = self._open[incident_id] = self._open_file(incident_id)
        if store is not None:
            return store, False
        store = self._open[incident_id] = self._create(incident_id, token_sha256)
        return store, True

    def first_push(
        self,
        incident_id: bytes,
        token_sha256: str,
        push: Callable[[Store], Pushed],
        max_incidents: int,
    ) -> tuple[Store, Pushed | None]:
        """Register an incident by its first push, under the lock from start to end: no
        other request can reach the store before its rows are in, and one that brought
        no row the relay could keep leaves no file. (store, None) when the incident was
        registered meanwhile: push as usual, once its token is checked."""
        with self._lock:
            new = incident_id not in self._open and not self.path(incident_id).exists()
            if new and self.count() >= max_incidents:
                raise Full(max_incidents)
            store, made = self._register(incident_id, token_sha256)
            if not made:
                return store, None
            try:
                pushed = push(store)
            except BaseException:
                del self._open[incident_id]
                store.discard()
                raise
            if not pushed.added:  # nothing it could keep: no incident made
                del self._open[incident_id]
                store.discard()
            return store, pushed

    def count(self) -> int:
        """Incidents held (their files)."""
        return sum(1 for _ in self.data.glob("*.db")) if self.data.is_dir() else 0

    def close(self) -> None:
        with self._lock:
            for store in self._open.values():
                store.close()
            self._open.clear()

    def _open_file(self, incident_id: bytes) -> Store:
        try:
            store = Store.open(self.path(incident_id))
        except StoreError as exc:
            raise IncidentError(str(exc)) from None
        if store.meta().get("incident_id") != incident_id:
            store.close()
            raise IncidentError(f"{self.path(incident_id).name}: not this incident's file")
        return store

    def _create(self, incident_id: bytes, token_sha256: str) -> Store:
        self.data.mkdir(parents=True, exist_ok=True, mode=0o700)
        meta = {"relay": RELAY_FORMAT, "incident_id": incident_id, TOKEN_KEY: token_sha256}
        try:
            return Store.create(self.path(incident_id), meta)
        except StoreError as exc:
            raise IncidentError(str(exc)) from None


def allow(data: Path, incident_id: bytes, token_sha256: str) -> bool:
    """Let an incident in (`warroom relay allow`), or set its token hash anew; True
    when the incident is new to the relay. Safe while the relay runs: the relay reads
    the hash from the file's meta on each request."""
    if not is_sha256_hex(token_sha256):
        raise IncidentError("a token SHA-256 is 64 lowercase hex digits")
    incidents = Incidents(data)
    try:
        store, made = incidents.register(incident_id, token_sha256)
        if not made:
            incidents.token_hash(store)  # a relay file, not some other store
            store.set_meta({TOKEN_KEY: token_sha256})
        return made
    except StoreError as exc:
        raise IncidentError(str(exc)) from None
    finally:
        incidents.close()
