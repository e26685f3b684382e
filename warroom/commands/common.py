"""What every command's body shares: errors and exit codes, the passphrase, the
device, unlocking an incident for one command, and printing. (The parameters the
declarations share are in cli/options.py.)"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from warroom import limits
from warroom.device import (
    Device,
    DeviceError,
    config_dir,
    load_device,
    load_name,
    os_user_name,
    save_name,
)
from warroom.ledger import Header, open_store
from warroom.session import Session, SessionError
from warroom.store import Store

PASSPHRASE_ENV = "WARROOM_PASSPHRASE_FILE"
MAX_PASSPHRASE_CHARS = 4096
"""Read no more of a passphrase file's first line (it may be a large file named by mistake)."""


class Failure(click.ClickException):
    """An error for the user: message on stderr, exit 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"warroom: {self.format_message()}", err=True)


class CheckFailed(Failure):
    exit_code = 1


def read_passphrase(passphrase_file: Path | None, *, confirm: bool = False) -> str:
    if passphrase_file is not None:
        try:
            with passphrase_file.open(encoding="utf-8") as fh:
                mode = os.fstat(fh.fileno()).st_mode
                line = fh.readline(MAX_PASSPHRASE_CHARS).rstrip("\r\n")
        except OSError as exc:
            raise Failure(
                f"cannot read passphrase file {passphrase_file}: {exc.strerror}"
            ) from None
        except UnicodeDecodeError:
            raise Failure(f"passphrase file {passphrase_file} is not UTF-8 text") from None
        if mode & 0o077:  # as ssh says of a private key: others may read it too
            click.echo(
                f"warroom: warning: passphrase file {passphrase_file} is accessible by group "
                f"or others (mode {stat.S_IMODE(mode):04o}); whoever can read it can open the "
                f"incident: `chmod 600 {passphrase_file}`",
                err=True,
            )
        if not line:
            raise Failure(f"passphrase file {passphrase_file} has an empty first line")
        return line
    if not sys.stdin.isatty():
        raise Failure(f"no passphrase: use --passphrase-file or ${PASSPHRASE_ENV}")
    return click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm, err=True)


def chosen(passphrase: str, what: str = "passphrase") -> str:
    """`passphrase`, if long enough for one being chosen now; Failure otherwise."""
    if (short := limits.too_short(passphrase, what)) is not None:
        raise Failure(short)
    return passphrase


def device() -> Device:
    """This user's device; on first use at a terminal, ask for the display name once.
    Enter alone takes the OS user name (shown as the default), and it is saved too:
    an empty answer must not mean being asked again by every command."""
    try:
        directory = config_dir()
        if load_name(directory) is None and sys.stdin.isatty():
            default = os_user_name()
            name = click.prompt(
                "Your name as it will appear on timelines", default=default, err=True
            ).strip()
            save_name(directory, name or default)
        return load_device(directory)
    except (DeviceError, OSError) as exc:
        raise Failure(str(exc)) from None


@contextmanager
def unlocked(path: Path, passphrase_file: Path | None, *, fold: bool = True) -> Iterator[Session]:
    """Open an incident for one command; report integrity problems on stderr.

    `fold=False`, for a command that appends without looking at the state: only each
    device's newest row is read (Session.unlock); if the command reads the state
    after all, the whole file is folded then, and what that finds is reported after."""
    if not path.exists():
        raise Failure(f"{path}: no such file")
    passphrase = read_passphrase(passphrase_file)
    try:
        session = Session.unlock(path, passphrase, device=device(), fold=fold)
    except SessionError as exc:
        raise Failure(str(exc)) from None
    warned: set[object] = set()
    try:
        _warn(session, warned)
        yield session
        if not fold:
            _warn(session, warned)
    except SessionError as exc:
        raise Failure(str(exc)) from None
    finally:
        session.close()


def _warn(session: Session, warned: set[object]) -> None:
    for problem in [*session.problems, *session.rollbacks]:
        if problem not in warned:
            warned.add(problem)
            click.echo(f"warroom: warning: {problem} (run `warroom verify`)", err=True)


def dump_json(data: Any) -> None:
    # ensure_ascii: C1 controls and bidi marks come out as \u escapes, never raw.
    click.echo(json.dumps(data, indent=2, ensure_ascii=True))


@contextmanager
def plain_store(path: Path) -> Iterator[tuple[Store, bytes]]:
    """The file's store and incident id, with no passphrase (both are plaintext: what
    `vector`, `sync-stdio` and a check before asking for the passphrase need)."""
    try:
        store = open_store(path)
    except SessionError as exc:
        raise Failure(str(exc)) from None
    try:
        yield store, Header.from_meta(store.meta(), str(path)).incident_id
    except SessionError as exc:
        raise Failure(str(exc)) from None
    finally:
        store.close()


def incident_id_of(path: Path) -> bytes:
    """The incident id in the file's plaintext header (no passphrase)."""
    with plain_store(path) as (_, incident_id):
        return incident_id
