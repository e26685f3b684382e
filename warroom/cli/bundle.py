"""Bundles for sneakernet and air gaps: `warroom bundle export|import`, `warroom vector`.

Declarations only; the bodies are in warroom/commands/bundle.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warroom.cli.options import passphrase_option, path_argument


@click.group("bundle")
def bundle_group() -> None:
    """Carry an incident's rows in a file, where there is no network or none to trust.

    A bundle holds rows exactly as the incident file stores them (sealed and signed,
    never plaintext), sealed again block by block under a key derived from the
    incident's: a changed byte, a block dropped or moved, or a file cut short is
    refused, and a bundle only opens for its own incident. Importing checks every
    block, signature and chain link before it writes anything, writes all or
    nothing, and taking the same bundle twice adds nothing.

    Both ways between A.db and B.db (copies of one incident, on two machines):

    \b
      warroom vector B.db > b.vec           # on B: what B holds (no passphrase)
      (carry b.vec to A)
      warroom bundle export A.db out.wrb --for b.vec
      (carry out.wrb back to B)
      warroom bundle import B.db out.wrb
    then the same the other way (`warroom vector A.db`, export from B, import into A).

    A device that signed two different events at one seq (one device writing two
    copies of a file) raises the FORK ALARM on import: both events are kept as
    evidence, neither is chosen, and `warroom verify` fails until a new incident
    file is started.
    """


@bundle_group.command("export")
@path_argument
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--since",
    metavar="VECTOR",
    help="Only what a peer holding VECTOR lacks: the JSON `warroom vector` prints, "
    "inline, `-` for standard input or `@FILE`.",
)
@click.option(
    "--for",
    "for_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PEER-VECTOR-FILE",
    help="Only what the peer lacks, from the file its `warroom vector` wrote.",
)
@passphrase_option
def bundle_export(**params: Any) -> None:
    """Write PATH's rows to a new bundle OUT (0600, never overwritten).

    Without --since or --for, every row; with them, only the rows the peer lacks
    (and, for each device both hold, the row at the lower of the two heads unless
    the vector's hash shows it is the same: a fork then shows on import).
    """
    from warroom.commands import bundle

    bundle.export(**params)


@bundle_group.command("import")
@path_argument
@click.argument("bundle_path", metavar="IN", type=click.Path(dir_okay=False, path_type=Path))
@passphrase_option
def bundle_import(**params: Any) -> None:
    """Take the rows of bundle IN into PATH: all checked first, then all or nothing.

    Exit 2 (nothing written) for a file that is not a bundle, a damaged or cut one,
    one of another incident, or a row that does not check; exit 1, with the rows
    written, when the file holds a fork (the FORK ALARM).
    """
    from warroom.commands import bundle

    bundle.import_bundle(**params)


@click.command("vector")
@path_argument
def vector(**params: Any) -> None:
    """Print PATH's version vector as JSON: each device's newest seq and row hash.

    It holds no incident content and needs no passphrase. It is what a peer sends
    for `warroom bundle export --for`: `warroom vector B.db > b.vec`.
    """
    from warroom.commands import bundle

    bundle.vector(**params)


COMMANDS = (bundle_group, vector)
