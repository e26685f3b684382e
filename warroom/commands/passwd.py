"""Change an incident's passphrase (`passwd`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from warroom.commands.common import Failure, chosen, read_passphrase, unlocked


def ask_new_passphrase() -> str:
    """The new passphrase, typed twice at a terminal with no echo."""
    if not sys.stdin.isatty():
        raise Failure("no new passphrase: use --new-passphrase-file, or run it at a terminal")
    return click.prompt(
        "New passphrase",
        hide_input=True,
        confirmation_prompt="Repeat the new passphrase",
        err=True,
    )


def passwd(path: Path, new_passphrase_file: Path | None, passphrase_file: Path | None) -> None:
    """Wrap the data key under a new passphrase: from its file, else asked twice."""
    new = read_passphrase(new_passphrase_file) if new_passphrase_file else None
    with unlocked(path, passphrase_file) as session:
        session.change_passphrase(chosen(new if new is not None else ask_new_passphrase()))
    click.echo(f"Passphrase changed for {path}: use the new one from now on.")
