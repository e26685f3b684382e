"""Sync with a relay or a far file: `warroom sync`; `warroom sync-stdio` is the far side.

Declarations only; the bodies are in warroom/commands/sync.py."""

from __future__ import annotations

from typing import Any

import click

from warroom.cli.options import passphrase_option, path_argument


@click.command("sync")
@path_argument
@click.argument("url", required=False)
@click.option(
    "--watch",
    is_flag=True,
    help="Keep syncing: every --interval seconds and as soon as the file changes, "
    "until Ctrl-C or SIGTERM; an unreachable peer is tried again later.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.5),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="With --watch: seconds between syncs when nothing changes here.",
)
@passphrase_option
def sync(**params: Any) -> None:
    """Sync PATH with a relay or another copy of the incident over ssh.

    URL is a relay (https://relay.example) or a far file
    (ssh://[user@]host[:port]/path/to/inc.db, run there as
    `ssh host warroom sync-stdio PATH`). Given once, it is saved for this incident;
    after that (or after `warroom join`) `warroom sync PATH` is enough.

    Prints what moved: pushed, pulled, forks, rejected. Exit 0 clean; 1 a fork, a
    refused row or a peer that went back (served fewer rows than before) was seen,
    one line each on stderr; 2 bad input, or the peer unreachable after retries.
    """
    from warroom.commands import sync as body

    body.sync(**params)


@click.command("sync-stdio")
@path_argument
def sync_stdio(**params: Any) -> None:
    """The far side of `warroom sync PATH ssh://...` (run by ssh, not by hand).

    Speaks the sync protocol on standard input and output until input closes. Needs
    no passphrase: arriving rows are checked by signature and chain. Errors are one
    line on standard error.
    """
    from warroom.commands import sync as body

    body.sync_stdio(**params)


COMMANDS: tuple[click.Command, ...] = (sync, sync_stdio)
