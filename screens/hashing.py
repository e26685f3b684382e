"""Hashing an evidence file before its item is registered.

The hash runs in a thread worker of the main screen (`MainScreen.hash_file`), not
of the evidence register: closing the register does not stop a long hash, and its
progress shows there whenever it is open again. Locking the console stops it. The
worker reports through messages (HashProgress, HashDone, HashFailed) that the main
screen handles; a screen that shows hashing implements `HashView`.
"""

from __future__ import annotations

import time
from typing import Any, Protocol, runtime_checkable

from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from warroom.evidence import EvidenceError, sha256_file
from warroom.session import Session

from .messages import HashDone, HashFailed, HashJob, HashProgress, human_size

__all__ = ["HASH_GROUP", "HashJob", "HashView", "hash_in_worker", "human_size"]

HASH_GROUP = "evidence.hash"
PROGRESS_SECONDS = 0.25
"""Hash progress reaches the screen at most this often: a quiet terminal."""


@runtime_checkable
class HashView(Protocol):
    """A screen that shows hashes in progress (the evidence register)."""

    def show_progress(self) -> None: ...

    def hashed(self, key: str) -> None:
        """The item `key` was just registered from a hashed file."""


class _Abandoned(Exception):
    pass


def hash_in_worker(
    host: MessagePump, session: Session, job: HashJob, item: str, fields: dict[str, Any]
) -> None:
    """The body of the thread worker: hash `job.path`, posting progress and the
    result to `host`. Stops, posting nothing, when the worker is cancelled or the
    console locked (the app's session is no longer `session`)."""
    worker = get_current_worker()
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if worker.is_cancelled or getattr(host.app, "session", None) is not session:
            raise _Abandoned
        job.done, job.total = done, total
        now = time.monotonic()
        if now - last >= PROGRESS_SECONDS:
            last = now
            host.post_message(HashProgress(job))

    try:
        digest = sha256_file(job.path, progress=progress)
    except _Abandoned:
        return
    except EvidenceError as exc:
        host.post_message(HashFailed(job, str(exc)))
        return
    host.post_message(HashDone(job, session, digest, item, fields))
