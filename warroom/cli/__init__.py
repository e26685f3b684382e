"""The `warroom` command line: parse, call the session facade, print.

The click declarations (groups, commands, options, help texts) are in this package:
here the root group, `main` (`warroom PATH` is `warroom open PATH`) and the commands
that start the console (open, new, demo); the other commands in incident.py, comms.py
and records.py; the parameters they share in options.py. Each command's body is a
plain function in warroom/commands/ (the console's in console.py), imported when the
command runs: the console's start-up loads no body it does not run.

Exit codes: 0 ok, 1 a check failed, 2 usage or bad input (wrong passphrase,
missing file, not an incident file). Anything a person typed is printed with
terminal controls stripped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from warroom import gcpause
from warroom.cli import (
    bundle,
    comms,
    incident,
    invite,
    notify,
    outbox,
    records,
    relay,
    sync,
    updates,
)
from warroom.cli.options import kdf_option, passphrase_option, path_argument
from warroom.sanitize import one_line


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="warroom")
def cli() -> None:
    """warroom: an encrypted war-room for security incidents and outages.

    Every incident lives in one encrypted file. Commands that read or change it
    ask for its passphrase (or take --passphrase-file / $WARROOM_PASSPHRASE_FILE).
    """
    gcpause.resume()  # held while the CLI loaded; the console holds it again for its UI


for command in (
    *incident.COMMANDS,
    *comms.COMMANDS,
    *records.COMMANDS,
    *notify.COMMANDS,
    *outbox.COMMANDS,
    *invite.COMMANDS,
    *bundle.COMMANDS,
    *sync.COMMANDS,
    *relay.COMMANDS,
    *updates.COMMANDS,
):
    cli.add_command(command)

# -- the console ---------------------------------------------------------------

gnupghome_console_option = click.option(
    "--gnupghome",
    type=click.Path(file_okay=False, path_type=Path),
    help="GnuPG home with recipients' keys, for the draft editor and export "
    "(default: $GNUPGHOME or ~/.gnupg).",
)

auto_lock_option = click.option(
    "--auto-lock",
    type=float,
    default=15,
    show_default=True,
    metavar="MINUTES",
    help="Lock after this many idle minutes (0: never).",
)


@cli.command("open")
@path_argument
@auto_lock_option
@gnupghome_console_option
@passphrase_option
def open_incident(**params: Any) -> None:
    """Open the war-room console on PATH (also: warroom PATH).

    Without --passphrase-file the console asks for the passphrase itself. It needs
    a terminal: over SSH, `ssh -t host warroom open PATH`.
    """
    from warroom.commands import console

    console.open_incident(**params)


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where the wizard suggests saving the file.",
)
@kdf_option()
@auto_lock_option
def new(**params: Any) -> None:
    """Declare an incident in the console: kind, severity, title, codename, passphrase."""
    from warroom.commands import console

    console.new(**params)


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to put it (default: your user data dir).",
)
@click.option("--no-open", is_flag=True, help="Only create it; do not open the console.")
@auto_lock_option
def demo(**params: Any) -> None:
    """Create a demo incident (a breach in progress), print its path and passphrase, open it.

    The passphrase is also written, readable by you only, to a .pass file beside
    it, for --passphrase-file. It is a demo: never do that with a real incident.
    """
    from warroom.commands import console

    console.demo(**params)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-") and args[0] not in cli.commands:
        args.insert(0, "open")  # `warroom PATH` opens the console
    try:
        cli(args=args, prog_name="warroom")
    except BrokenPipeError:  # `warroom timeline PATH | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as exc:  # a path no check before could see into (a folder not searchable)
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"warroom: {one_line(where + (exc.strerror or str(exc)))}", err=True)
        sys.exit(2)
