"""`warroom passwd PATH`: change an incident's passphrase."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from warroom.commands.common import (
    Failure,
    passphrase_option,
    path_argument,
    read_passphrase,
    unlocked,
)


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


@click.command("passwd")
@path_argument
@click.option(
    "--new-passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the new passphrase from the first line of this file. "
    "Without it you are asked twice, with no echo.",
)
@passphrase_option
def passwd(path: Path, new_passphrase_file: Path | None, passphrase_file: Path | None) -> None:
    """Change the passphrase of the incident in PATH.

    The old passphrase is read as for every command. The data key is wrapped anew
    under the new one in one transaction: a crash leaves the old passphrase or the
    new one working, never neither. The events are not re-encrypted: a copy of the
    file made before still opens with the old passphrase.
    """
    new = read_passphrase(new_passphrase_file) if new_passphrase_file else None
    with unlocked(path, passphrase_file) as session:
        session.change_passphrase(new if new is not None else ask_new_passphrase())
    click.echo(f"Passphrase changed for {path}: use the new one from now on.")
