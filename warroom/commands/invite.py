"""Bringing a responder in: `invite` writes what they need (warroom/invite.py holds
the format), `join` makes their replica from it (Session.join)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click

from warroom import invite as invites
from warroom.commands.common import Failure, chosen, device, read_passphrase
from warroom.device import Device
from warroom.export.files import write_file
from warroom.gpg import GpgError, Keyring
from warroom.sanitize import one_line
from warroom.session import Session, SessionError
from warroom.sync import runner
from warroom.sync import settings as sync_settings

GPG_MAX_OUTPUT = 4096
"""The key an invite's GPG message holds is 69 bytes: gpg writes no more than this."""


def _invite_passphrase(passphrase_file: Path | None, *, confirm: bool) -> str:
    """The invite passphrase: from its file, else typed at a terminal (twice when made)."""
    if passphrase_file is not None:
        return read_passphrase(passphrase_file)
    if not sys.stdin.isatty():
        raise Failure("no invite passphrase: use --invite-passphrase-file, or run it at a terminal")
    return click.prompt(
        "Invite passphrase",
        hide_input=True,
        confirmation_prompt="Repeat the invite passphrase" if confirm else False,
        err=True,
    )


def invite(
    path: Path,
    out: Path,
    invite_passphrase_file: Path | None,
    to_gpg: str | None,
    gnupghome: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Write an invite to `path`'s incident into `out` (0600, never over a file)."""
    if not path.exists():
        raise Failure(f"{path}: no such file")
    if os.path.lexists(out):
        raise Failure(f"{out} already exists; refusing to overwrite it")
    if to_gpg is not None and invite_passphrase_file is not None:
        raise Failure("give --to-gpg or --invite-passphrase-file, not both")
    passphrase = read_passphrase(passphrase_file)
    try:
        contents, header = invites.read_incident(path, passphrase, _saved_relay_url)
        if to_gpg is not None:
            keyring = Keyring(gnupghome)
            data = invites.by_gpg(contents, lambda plain: keyring.encrypt(plain, [to_gpg]))
            how = f"for the GPG key {to_gpg}"
        else:
            typed = _invite_passphrase(invite_passphrase_file, confirm=True)
            secret = chosen(typed, "invite passphrase")
            if secret == passphrase:
                raise Failure(
                    "the invite passphrase must not be the incident's own: it is for this "
                    "invite only, and travels to the new responder"
                )
            data = invites.by_passphrase(contents, secret, (header.opslimit, header.memlimit))
            how = "under its invite passphrase"
    except (SessionError, GpgError) as exc:
        raise Failure(str(exc)) from None
    try:
        write_file(out, data)
    except FileExistsError:
        raise Failure(f"{out} already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
    relay = f"; relay {runner.shown(contents.relay_url)}" if contents.relay_url else ""
    click.echo(
        f"Wrote {out} ({len(contents.rows)} events{relay}), the key {how}. Carry it to the "
        f"new responder (the passphrase by another way than the file); they run: "
        f"warroom join {out.name} NEWPATH"
    )


def _saved_relay_url(incident_id: bytes) -> str:
    """The incident's saved sync URL for the invite to carry; none (with a warning)
    if it is not one `warroom sync` takes now (a password in it, a bad port)."""
    url = sync_settings.load(incident_id).url or ""
    try:
        return runner.check_url(url) if url else ""
    except SessionError as exc:
        click.echo(f"warroom: warning: the invite names no relay: {one_line(str(exc))}", err=True)
        return ""


def _gpg_decrypt(keyring: Keyring, message: bytes) -> bytes:
    """The plaintext of an invite's GPG message, by the secret key gpg finds for it."""
    return keyring.decrypt(message, max_output=GPG_MAX_OUTPUT, what="the invite")


STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, a stop (a timeout, systemd, a closed tmux pane) and a hang-up (SSH dropped)."""


class Interrupted(Failure):
    """A join stopped by a signal before its replica was in place; the exit code is
    128 + the signal's number, as the console's (129 for a hang-up, 130 for Ctrl-C)."""

    def __init__(self, signum: int) -> None:
        super().__init__("join interrupted; nothing was written")
        self.exit_code = 128 + signum


class _Stop(BaseException):
    """Raised by the signal handler. Not an Exception: nothing on the way takes it for
    an error of its own; Session.join deletes what it made and lets it through."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stoppable(newpath: Path) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP stop the join with nothing written (_Stop, then
    Interrupted) instead of killing it with a replica half-made. Once NEWPATH is in
    place the replica is whole: a signal then lets the join finish its last moments
    (the relay URL, the checkpoint). The handlers before are put back after."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        if not os.path.lexists(newpath):
            raise _Stop(signum)

    before = {sig: signal.getsignal(sig) for sig in STOPPING}
    for sig in STOPPING:
        signal.signal(sig, stop)
    try:
        yield
    except _Stop as stopped:
        raise Interrupted(stopped.signum) from None
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _read_invite(file: Path) -> invites.Sealed:
    try:
        with file.open("rb") as fh:
            data = fh.read(invites.MAX_INVITE_BYTES + 1)
    except OSError as exc:
        raise Failure(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        return invites.parse(data)
    except invites.InviteError as exc:
        raise Failure(f"{file}: {exc}") from None


def join(
    file: Path,
    newpath: Path,
    invite_passphrase_file: Path | None,
    gnupghome: Path | None,
    kdf: str,
    passphrase_file: Path | None,
) -> None:
    """Make a replica `newpath` from the invite `file`, under a new passphrase."""
    if os.path.lexists(newpath):
        raise Failure(f"{newpath} already exists; refusing to overwrite it")
    sealed = _read_invite(file)
    try:
        if sealed.method == invites.BY_GPG:
            keyring = Keyring(gnupghome)
            key = sealed.unwrap_with_gpg(lambda message: _gpg_decrypt(keyring, message))
        else:
            key = sealed.unwrap_with_passphrase(
                _invite_passphrase(invite_passphrase_file, confirm=False)
            )
        contents = sealed.open(key)
    except invites.InviteError as exc:
        raise Failure(f"{file}: {exc}") from None
    except (SessionError, GpgError) as exc:
        raise Failure(str(exc)) from None
    me = device()
    passphrase = chosen(read_passphrase(passphrase_file, confirm=True))
    with _stoppable(newpath):
        _make_replica(newpath, passphrase, contents, kdf, me)


def _make_replica(
    newpath: Path, passphrase: str, contents: invites.Contents, kdf: str, me: Device
) -> None:
    """Session.join, then save the relay URL and say what was made."""
    try:
        session, taken = Session.join(
            newpath,
            passphrase,
            incident_id=contents.incident_id,
            data_key=contents.data_key,
            rows=contents.rows,
            kdf=kdf,
            device=me,
        )
    except SessionError as exc:
        raise Failure(str(exc)) from None
    relay_url = contents.relay_url
    if relay_url:
        try:
            relay_url = runner.check_url(relay_url)
        except SessionError as exc:  # an older or edited invite: it is not saved
            click.echo(
                f"warroom: warning: the invite's relay URL is not saved: {one_line(str(exc))}",
                err=True,
            )
            relay_url = ""
    with session:
        if relay_url:
            saved = sync_settings.load(contents.incident_id)
            saved.url = relay_url
            try:
                sync_settings.save(contents.incident_id, saved)
            except OSError as exc:
                click.echo(
                    f"warroom: warning: the relay URL was not saved ({exc.strerror or exc}): "
                    f"give it to `warroom sync {newpath} URL`",
                    err=True,
                )
        for problem in taken.rejected[:1]:
            click.echo(
                f"warroom: warning: {len(taken.rejected)} events of the invite were refused, "
                f"the first: {problem} (run `warroom verify` on the original)",
                err=True,
            )
        for problem in session.problems[:1]:
            click.echo(f"warroom: warning: {problem} (run `warroom verify`)", err=True)
        codename = session.state.incident.codename
    then = f"`warroom sync {newpath}`" if relay_url else "bundles or `warroom sync`"
    click.echo(
        f"Joined {one_line(codename)}: {newpath} holds {len(taken.added)} events, under your "
        f"own passphrase. It works offline; share what you write with {then}."
    )
