"""The replica: an incident's state, folded from its ledger and kept in step with it.

Opening (unlock, the KDF in the background), the ledger's reads turned into the
folded state (the whole file, or, with `fold=False`, each device's newest row
only, the state then folded on first use), poll() folding in what others wrote,
and _append() folding in what this device wrote. The domain commands that make
the events are the session's (session.py); the log itself is the ledger's
(ledger.py).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Self

from warroom import checkpoint, gcpause
from warroom import heads as known_heads
from warroom.clock import MAX_SKEW_MS, HybridClock
from warroom.device import Device, load_device
from warroom.errors import SessionError
from warroom.events import Event
from warroom.ledger import Header, Heads, Ledger, Problem, VerifyReport, open_store, unwrap_key
from warroom.state import Entry, Fold, IncidentState
from warroom.store import Store

CHECKPOINT_AFTER = 1000
"""Events folded beyond the last checkpoint before a close saves a new one: below it,
reading them costs less than writing the whole state again."""


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
        check: bool = True,
    ) -> None:
        self.ledger = Ledger(store, header, data_key, device, clock, known)
        self._fold = Fold()
        self._folded = False
        self.folds = 0
        """Times the whole file was read and folded (a cheap open makes none)."""
        self.generation = 0
        """Bumped when an entry left the timeline or moved (Fold.reshaped), or when a
        checkpoint was found not to match its rows: the console then redraws it whole.
        A late event never rebuilds the state."""
        self._reshaped = 0
        self.summarised: Heads = {}
        """The rows the checkpoint this state resumed from summarises ({}: none);
        `check_checkpoint` checks they are still there, unchanged."""
        self._saved = 0  # events in this device's newest checkpoint
        self._check = check
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
        check: bool = True,
    ) -> Self:
        """Open an incident file. Raises WrongPassphrase; writes nothing.

        `fold=False`: read each device's newest row only (see the module's docstring).
        `check=False`: a state resumed from a checkpoint is not checked against the rows
        it summarises yet; call `check_checkpoint` (the console does, after its first
        paint)."""
        store = open_store(path)
        try:
            header, data_key = unwrap_key(path, store, passphrase)
            return cls(
                store, header, data_key, device or load_device(), clock, fold=fold, check=check
            )
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
        paints sooner by the KDF's time. A state resumed from a checkpoint is not
        checked yet: the caller runs `check_checkpoint` once it has painted.
        """
        future: Future[Self] = Future()

        def run() -> None:
            future.set_running_or_notify_cancel()
            try:
                unlocked = cls.unlock(path, passphrase, device=device, clock=clock, check=False)
                future.set_result(unlocked)
            except BaseException as exc:  # the console shows it, whatever it is
                future.set_exception(exc)

        threading.Thread(target=run, name="warroom-unlock", daemon=True).start()
        return future

    def sibling(self) -> contextlib.AbstractContextManager[Self]:
        """This incident unlocked again, on a connection of its own, for a worker
        thread: the same key and device, no passphrase asked again. What it writes
        reaches this session as another process's rows do (its poll). What it needs
        is taken now, on the caller's thread (this session may be closed by the time
        the worker enters the block); the block opens the file, and its end closes it,
        saving no checkpoint (this session saves them)."""
        cls, path, header, key, device = (
            type(self),
            self.path,
            self.header,
            self.ledger.data_key,
            self.device,
        )

        @contextlib.contextmanager
        def opened() -> Iterator[Self]:
            store = open_store(path)
            try:
                twin = cls(store, header, key, device, check=False)
            except BaseException:
                store.close()
                raise
            try:
                yield twin
            finally:
                twin.ledger.close()

        return opened()

    def close(self) -> None:
        """Save a checkpoint if the last one is stale (`save_checkpoint`), then close."""
        # A full disk or a lock held too long: the next open folds the file instead.
        with contextlib.suppress(SessionError):
            self.save_checkpoint()
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
        """The state of the whole file: resumed from this device's checkpoint when it
        matches the file, else read and folded from scratch."""
        if not self._resume():
            self._fold_from_scratch()
        elif self._check:
            self.check_checkpoint()

    def _fold_from_scratch(self) -> None:
        """Read the whole file through the ledger and fold it."""
        opened = self.ledger.read_all()
        self._fold = Fold()
        self._reshaped = 0
        self.summarised = {}
        with gcpause.paused():
            self._fold.apply_all(opened)
        self._folded = True
        self.folds += 1

    # -- checkpoints (warroom/checkpoint.py) -------------------------------

    def _resume(self) -> bool:
        """Resume from this device's checkpoint and fold the rows after it, as a poll
        would; False (nothing changed) when there is none, or it does not match."""
        body = self.ledger.load_checkpoint()
        if body is None:
            return False
        try:
            with gcpause.paused():
                saved = checkpoint.decode(body)
        except checkpoint.Unusable:
            return False
        opened = self.ledger.read_since(saved.vector)
        if opened is None:  # a row it summarises is gone or changed
            self.ledger.drop_checkpoint()
            return False
        with gcpause.paused():
            self._fold = Fold.resume(saved.fold)
            self._fold.apply_all(opened)
        if saved.fold.last_order is not None:
            self.clock.observe(saved.fold.last_order[:2])
        self._reshaped = self._fold.reshaped
        self._folded = True
        self.summarised = saved.vector
        self._saved = saved.events
        return True

    def checkpoint_problems(self) -> list[Problem]:
        """What is wrong with the rows the resumed checkpoint summarises (chain links
        only: Ledger.check_summarised); empty when they match it, or with no checkpoint.
        Reads only: a worker thread may call it (the console does, after painting)."""
        return self.ledger.check_summarised(self.summarised) if self.summarised else []

    def distrust_checkpoint(self) -> None:
        """Drop the checkpoint and fold the whole file: its problems are then in
        `problems`, and `generation` moves (the console redraws)."""
        self.ledger.drop_checkpoint()
        self._fold_from_scratch()
        self.generation += 1

    def check_checkpoint(self) -> bool:
        """`checkpoint_problems`, then `distrust_checkpoint` if there are any. Returns
        whether the state stood (True with no checkpoint)."""
        if self.checkpoint_problems():
            self.distrust_checkpoint()
            return False
        return True

    def save_checkpoint(self, *, force: bool = False) -> bool:
        """Save this state as this device's checkpoint, when at least CHECKPOINT_AFTER
        events came after the last one (`force`: whatever the count). Never when this
        file showed a problem or a rollback (the next open must see them again), nor
        when this user cannot write the file. Returns whether it saved."""
        ledger = self.ledger
        if not self._folded or ledger.problems or ledger.rollbacks:
            return False
        if self.store.read_only is not None:
            return False
        events = sum(seq for seq, _ in ledger.heads.values())
        if not force and events - self._saved < CHECKPOINT_AFTER:
            return False
        with gcpause.paused():
            body = checkpoint.encode(
                checkpoint.Checkpoint(dict(ledger.heads), self._fold.resumable())
            )
        ledger.save_checkpoint(body)
        self._saved = events
        return True

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
