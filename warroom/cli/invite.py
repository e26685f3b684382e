"""Bringing a responder in: `warroom invite` and `warroom join`.

Declarations only; the bodies are in warroom/commands/invite.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warroom.cli.options import kdf_option, passphrase_option, path_argument

FLOW = """\b
The flow:
  IC:     warroom invite inc.db --out scribe.invite
  scribe: warroom join scribe.invite mine.db
  then:   warroom sync mine.db   (or carry bundles: warroom bundle ...)"""

INVITE_HELP = (
    """Write what a new responder needs to join the incident in PATH.

The invite file holds the incident id, the incident's data key wrapped under a
one-time invite passphrase (asked twice, or --invite-passphrase-file; never
the incident's own passphrase) or encrypted to the responder's GPG key
(--to-gpg FPR), the relay URL if you have one set for this incident, and a copy
of every stored event (ciphertext and signatures), so their replica works
offline at once. Carry the file any way; give the invite passphrase by another
channel. Whoever holds both can read the incident.

"""
    + FLOW
)
JOIN_HELP = (
    """Make your own replica NEWPATH of the incident an invite FILE is for.

NEWPATH is a full incident file (the console, note, show, exports all work on
it, offline) with the same incident and key, under your own passphrase (asked
twice, or --passphrase-file). Every event in the invite is checked (signature
and chain) before it is written. The relay URL the invite names is saved for
`warroom sync NEWPATH`.

One replica per device: an OS user whose device already writes to the incident
is refused (a second replica would fork its feed); join as another OS user, or
with its own WARROOM_CONFIG_DIR.

"""
    + FLOW
)

gnupghome_option = click.option(
    "--gnupghome",
    type=click.Path(file_okay=False, path_type=Path),
    help="GnuPG home (default: $GNUPGHOME or ~/.gnupg).",
)
invite_passphrase_option = click.option(
    "--invite-passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the one-time invite passphrase from the first line of this file. Without "
    "it you are asked at the terminal, with no echo.",
)


@click.command("invite", help=INVITE_HELP)
@path_argument
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The invite file to write (0600; never overwrites).",
)
@invite_passphrase_option
@click.option(
    "--to-gpg",
    metavar="FPR",
    help="Encrypt the invite's key to this GPG key (its full fingerprint) instead of an "
    "invite passphrase.",
)
@gnupghome_option
@passphrase_option
def invite_command(**params: Any) -> None:
    """Write an invite to the incident in PATH (see INVITE_HELP)."""
    from warroom.commands import invite

    invite.invite(**params)


@click.command("join", help=JOIN_HELP)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("newpath", type=click.Path(dir_okay=False, path_type=Path))
@invite_passphrase_option
@gnupghome_option
@kdf_option("Argon2id cost of your replica's passphrase. 'interactive' is the floor.")
@passphrase_option
def join_command(**params: Any) -> None:
    """Make a replica from an invite (see JOIN_HELP)."""
    from warroom.commands import invite

    invite.join(**params)


COMMANDS: tuple[click.Command, ...] = (invite_command, join_command)
