"""`warroom page`, `warroom chat send`, `warroom chat room` and `warroom outbox`: the
bodies (warroom/cli/outbox.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import click
import httpx

from warroom import limits
from warroom import outbox as outbox_mod
from warroom.clock import wall_ms
from warroom.commands import textin
from warroom.commands.common import CheckFailed, Failure, dump_json, unlocked
from warroom.errors import SessionError
from warroom.sanitize import one_line
from warroom.session import Session
from warroom.timefmt import iso

TIMEOUT_S = 10.0


def page(path: Path, who: str, message: str | None, passphrase_file: Path | None) -> None:
    text = textin.free_text(message, "the message", limits.MAX_LINE_CHARS) or ""
    with unlocked(path, passphrase_file) as session:
        with _refusals():
            queued = outbox_mod.page(session, who, text)
        click.echo(f"Queued {len(queued)} page(s).")
        if not _flush(session):
            raise CheckFailed("a page could not be delivered (see above)")


def chat_send(path: Path, text: str, passphrase_file: Path | None) -> None:
    message = textin.free_text(text, "the message", limits.MAX_LINE_CHARS * 8) or ""
    with unlocked(path, passphrase_file) as session:
        with _refusals():
            queued = outbox_mod.chat(session, message)
        click.echo(f"Queued {len(queued)} message(s).")
        if not _flush(session):
            raise CheckFailed("a message could not be delivered (see above)")


def chat_room(path: Path, topic: str | None, passphrase_file: Path | None) -> None:
    given = textin.free_text(topic, "the topic", limits.MAX_LINE_CHARS)
    with unlocked(path, passphrase_file) as session:
        with _refusals():
            room = outbox_mod.room(session, given)
        click.echo(
            f"Queued {len(room.queued)} chat room(s): {room.invited} to invite, "
            f"{room.skipped} handle(s) not Slack member ids: skipped."
        )
        if not _flush(session):
            raise CheckFailed("a chat room could not be made (see above)")


def outbox(path: Path, flush: bool, fmt: str, passphrase_file: Path | None) -> None:
    with unlocked(path, passphrase_file) as session:
        clean = _flush(session, waiting_too=True) if flush else True
        items = list(session.state.outbox.values())
    if fmt == "json":
        dump_json([asdict(i) for i in items])
    else:
        if not items:
            click.echo("The outbox is empty.")
        for item in items:
            retry = (
                f", next try {iso(item.next_at)}"
                if item.status == "queued" and item.next_at
                else ""
            )
            error = f": {item.error}" if item.error else ""
            click.echo(
                one_line(
                    f"{item.id}  {item.status}  {item.about} ({item.attempts} tries{retry}){error}"
                )
            )
    if not clean:
        raise CheckFailed()


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """A message the comms rules refused exits 1 naming the rule; any other refusal
    (no such integration, no one in the role) exits 2."""
    try:
        yield
    except outbox_mod.Refused as exc:
        raise CheckFailed(str(exc)) from None
    except SessionError as exc:
        raise Failure(str(exc)) from None


def _flush(session: Session, *, waiting_too: bool = False) -> bool:
    """Deliver what is due (`waiting_too`: and what waits); say what happened on stderr.
    False if any failed for good."""
    with httpx.Client(timeout=TIMEOUT_S) as client:
        done = outbox_mod.flush(session, client, wall_ms, waiting_too=waiting_too)
    for item in done.delivered:
        click.echo(one_line(f"Delivered: {item.about}"), err=True)
    for item, why in done.waiting:
        click.echo(one_line(f"warroom: not delivered yet: {item.about}: {why}"), err=True)
    for item, why in done.failed:
        click.echo(one_line(f"warroom: not delivered: {item.about}: {why}"), err=True)
    return not done.failed
