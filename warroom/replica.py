"""The replica: an incident's state, folded from its ledger and kept in step with it.

Opening (unlock, the KDF in the background), the ledger's reads turned into the
folded state (the whole file, or, with `fold=False`, each device's newest row
only, the state then folded on first use), poll() folding in what others wrote,
and _append() folding in what this device wrote. The domain commands that make
the events are the session's (session.py); the log itself is the ledger's
(ledger.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Self

from warroom import gcpause
from warroom import heads as known_heads
from warroom.clock import MAX_SKEW_MS, HybridClock
from warroom.device import Device, load_device
from warroom.events import Event
from warroom.ledger import Header, Ledger, Problem, VerifyReport, open_store, unwrap_key
from warroom.state import Entry, Fold, IncidentState
from warroom.store import Store


class Replica:
    """The ledger of an unlocked incident and the state folded from it."""

    def __init__(
        self,
        store: Store,
        header: Header,
        data_key: bytes,
        device: Device,
        clock: HybridClock | None = None,
        known: known_heads.KnownHeads | None = None,
        *,
        fold: bool = True,
    ) -> None:
        self.ledger = Ledger(store, header, data_key, device, clock, known)
        self._fold = Fold()
        self._folded = False
        self.folds = 0
        """Times the whole file was read and folded (a cheap open makes none)."""
        self.generation = 0
        """Bumped when an entry left the timeline or moved (Fold.reshaped): the console
        then redraws it whole. A late event never rebuilds the state."""
        self._reshaped = 0
        if fold:
            self._fold_all()
        else:
            self.ledger.read_heads()

    @classmethod
    def unlock(
        cls,
        path: str | os.PathLike[str],
        passphrase: str,
        *,
        device: Device | None = None,
        clock: HybridClock | None = None,
        fold: bool = True,
    ) -> Self:
        """Open an incident file. Raises WrongPassphrase; writes nothing.

        `fold=False`: read each device's newest row only (see the module's docstring)."""
        store = open_store(path)
        try:
            header, data_key = unwrap_key(path, store, passphrase)
            return cls(store, header, data_key, device or load_device(), clock, fold=fold)
        except BaseException:
            store.close()
            raise

    @classmethod
    def unlock_in_background(
        cls,
        path: str | os.PathLike[str],
        passphrase: str,
        *,
        device: Device | None = None,
        clock: HybridClock | None = None,
    ) -> Future[Self]:
        """`unlock` in a thread of its own, started now; the future holds the session
        or the error (WrongPassphrase, SessionError).

        The key derivation runs in C without the GIL, so the console starts it before
        loading its UI and the two overlap: with a passphrase file, the main screen
        paints sooner by the KDF's time.
        """
        future: Future[Self] = Future()

        def run() -> None:
            future.set_running_or_notify_cancel()
            try:
                future.set_result(cls.unlock(path, passphrase, device=device, clock=clock))
            except BaseException as exc:  # the console shows it, whatever it is
                future.set_exception(exc)

        threading.Thread(target=run, name="warroom-unlock", daemon=True).start()
        return future

    def close(self) -> None:
        self.ledger.close()

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key under a new passphrase (Ledger.change_passphrase)."""
        self.ledger.change_passphrase(new_passphrase)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the ledger, as the callers know it -------------------------------

    @property
    def store(self) -> Store:
        return self.ledger.store

    @property
    def header(self) -> Header:
        return self.ledger.header

    @property
    def clock(self) -> HybridClock:
        return self.ledger.clock

    @property
    def device(self) -> Device:
        return self.ledger.device

    @device.setter
    def device(self, device: Device) -> None:
        self.ledger.device = device

    @property
    def problems(self) -> list[Problem]:
        return self.ledger.problems

    @property
    def rollbacks(self) -> list[known_heads.Regression]:
        """Devices whose feed is behind what this OS user saw before (warroom/heads.py)."""
        return self.ledger.rollbacks

    @property
    def path(self) -> Path:
        return self.store.path

    def verify(self, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
        """Every chain link, box, signature and stamp, and the known heads (Ledger.verify)."""
        return self.ledger.verify(progress)

    # -- the state -------------------------------------------------------

    @property
    def state(self) -> IncidentState:
        if not self._folded:
            self._fold_all()
        return self._fold.state

    def _fold_all(self) -> None:
        """Read the whole file through the ledger and fold it, from scratch."""
        opened = self.ledger.read_all()
        self._fold = Fold()
        self._reshaped = 0
        with gcpause.paused():
            self._fold.apply_all(opened)
        self._folded = True
        self.folds += 1

    def _fold_in(self, events: list[Event]) -> None:
        """Fold events read or written after the state was built, in any order: the fold
        is order-independent, so a late one replays its own record only (state.py)."""
        if not self._folded or not events:
            return
        with gcpause.paused():
            self._fold.apply_all(events)
        if self._fold.reshaped != self._reshaped:
            self._reshaped = self._fold.reshaped
            self.generation += 1  # an entry left the timeline: the console redraws it

    def drain_new_entries(self) -> list[Entry]:
        """Timeline entries made since the last call (unordered)."""
        self.state  # noqa: B018 (folds first, on a cheap open)
        entries, self._fold.new_entries = self._fold.new_entries, []
        return entries

    def others_writing(self, now_ms: int, window_ms: int = 5 * 60_000) -> int:
        """Other devices that wrote within the window (by their clocks; one stamping far
        ahead of this clock is not "writing" for ever)."""
        self.state  # noqa: B018
        me = self.device.public_key
        return sum(
            1
            for device, ms in self._fold.device_last_ms.items()
            if device != me and -MAX_SKEW_MS <= now_ms - ms <= window_ms
        )

    def poll(self) -> list[Event]:
        """Fold in what other processes appended since the last look.

        Cheap when nothing changed (one PRAGMA data_version); call it a few
        times a second from the console.
        """
        opened = self.ledger.read_new()
        if opened is None:
            return []
        self._fold_in(opened)
        return opened

    # -- writing ---------------------------------------------------------

    def _append(self, batch: list[tuple[str, dict[str, Any]]]) -> list[Event]:
        """Append events through the ledger (sealed, chained, signed, durable); fold
        them in."""
        self.poll()  # see others' events first, so our clock moves past them
        made, in_step = self.ledger.append(batch)
        if not in_step:  # another process of this same device appended in between
            self.poll()
            return made
        self._fold_in(made)
        return made

    def _one(self, type_: str, data: dict[str, Any]) -> Event:
        return self._append([(type_, data)])[0]
