"""What workers tell the UI: one typed Message per result.

Blocking work (the KDF, gpg, hashing a disk image, checking signatures) runs in a
`@work(thread=True)` worker; the worker never touches a widget. It posts one of
these to the screen (or app) that started it — `post_message` is thread-safe — and
that node handles it with `@on(...)` on the UI thread. Progress messages say
`can_replace`, so a slow UI gets the latest progress once, not every step of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.message import Message

from .safe import assemble

if TYPE_CHECKING:
    from warroom.rules.model import KeyLookup, KeyStatus
    from warroom.session import Problem, Session
    from warroom.sync.runner import Round


# -- unlock and declare ---------------------------------------------------------------


@dataclass
class Unlocked(Message):
    """The incident is open (unlock or `warroom new`): the app shows the main screen."""

    session: Session


@dataclass
class UnlockFailed(Message):
    """The passphrase did not open the file (or the file did not open)."""

    reason: str


@dataclass
class Declared(Message):
    """`warroom new` made the incident; `warning` is about a shared file's directory."""

    session: Session
    path: Path
    warning: str | None


@dataclass
class DeclareFailed(Message):
    reason: str


# -- checks ---------------------------------------------------------------------------


@dataclass
class SignaturesChecked(Message):
    """The background signature check found these problems."""

    session: Session
    problems: list[Problem]


@dataclass
class CheckpointRefused(Message):
    """The rows the opening checkpoint summarises no longer match it: the app folds
    the whole file again (Session.distrust_checkpoint)."""

    session: Session


@dataclass
class SyncDone(Message):
    """A sync round ended (screens/syncing.py): what moved, forks, refused rows."""

    session: Session
    round: Round


@dataclass
class SyncFailed(Message):
    """A sync round could not run or finish: no URL, the peer unreachable, refused."""

    session: Session
    reason: str


@dataclass
class OutboxFlushed(Message):
    """An outbox flush ended (screens/paging.py): what was delivered, what waits to
    be tried again, what failed for good (each as its timeline words)."""

    session: Session
    delivered: list[str]
    waiting: list[str]
    failed: list[str]


@dataclass
class OutboxFailed(Message):
    """An outbox flush could not run (the file, the lock, the network stack)."""

    session: Session
    reason: str


@dataclass
class UpdateKeysFound(Message):
    """The keys of a stakeholder update's recipients, looked up (the main screen, `U`):
    `keys` answers from what was found, without asking gpg again."""

    draft_id: str
    keys: KeyLookup | None
    """None: no keyring to ask (no gpg)."""


@dataclass
class KeyResolved(Message):
    """A recipient's key, looked up with gpg (the draft editor)."""

    address: str
    status: KeyStatus


# -- export ---------------------------------------------------------------------------


@dataclass
class ExportChecked(Message):
    """What would block the export, by draft id (the rules with real key lookups)."""

    blocking: dict[str, list[str]]


@dataclass
class ExportDone(Message):
    """The export finished (`out` is its folder) or was refused (`out` is None)."""

    out: Path | None
    summary: str


# -- hashing evidence -----------------------------------------------------------------


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


@dataclass(slots=True, eq=False)
class HashJob:
    """A file being hashed before its item is registered (hashing.py): what the
    hash messages carry, and what the evidence register shows."""

    path: Path
    done: int = 0
    total: int = 0

    def describe(self) -> Text:
        percent = 100 * self.done // self.total if self.total else 0
        return assemble(
            ("Hashing ", "bold"),
            str(self.path),
            f": {percent}% of {human_size(self.total)}",
        )


@dataclass
class HashProgress(Message):
    """A file is being hashed: `job` holds how far it got."""

    job: HashJob

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, HashProgress) and message.job is self.job


@dataclass
class HashDone(Message):
    """A file is hashed: register its item (if the incident is still open)."""

    job: HashJob
    session: Session
    digest: str
    item: str
    fields: dict[str, Any]


@dataclass
class HashFailed(Message):
    job: HashJob
    reason: str
