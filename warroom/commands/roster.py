"""The roster: add a person, with the roles they take on (`roster add`)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click

from warroom import limits
from warroom.commands import textin
from warroom.commands.common import Failure, unlocked
from warroom.errors import SessionError
from warroom.sanitize import one_line


def add(
    path: Path,
    name: str | None,
    roles: tuple[str, ...],
    email: str,
    phone: str,
    handle: str,
    gpg: str,
    external: bool,
    state: str,
    from_json: IO[str] | None,
    passphrase_file: Path | None,
) -> None:
    """Add a person to the roster and print their id; each text may be `-` (stdin) or
    come from --from-json."""
    line = limits.MAX_LINE_CHARS
    texts = {
        "name": textin.free_text(name, "the name", line),
        "email": textin.free_text(email, "the email", line),
        "phone": textin.free_text(phone, "the phone", line),
        "handle": textin.free_text(handle, "the handle", line),
        "gpg": textin.free_text(gpg, "the GPG fingerprint", line),
    }
    texts = textin.merge_json(from_json, textin.ROSTER_JSON, texts)
    if not texts["name"]:
        raise Failure('a person needs a name: NAME, or "name" in --from-json')
    # Adding a person appends only; giving them a role looks them up in the state.
    with unlocked(path, passphrase_file, fold=bool(roles)) as session:
        person_id = session.add_person(
            texts.pop("name"),
            **texts,
            external=external,
            state=state,
        )
        for role in roles:
            session.assign_role(role, person_id)
    click.echo(person_id)


def set_state(path: Path, who: str, state: str, passphrase_file: Path | None) -> None:
    """Set the state of everyone WHO names (`-`: read from stdin); print each."""
    named = textin.free_text(who, "who", limits.MAX_LINE_CHARS) or ""
    with unlocked(path, passphrase_file) as session:
        try:
            people = session.set_roster_state(named, state)
        except SessionError as exc:
            raise Failure(str(exc)) from None
    for person in people:
        click.echo(one_line(f"{person.id}  {person.name}  {state}"))
