"""The parameters many commands share: the incident file, the passphrase file,
`--format`, `--from-json`, and the help text of a free text that takes `-`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click

from warroom.commands.common import PASSPHRASE_ENV
from warroom.commands.textin import JsonSource

STDIN_HELP = "`-`: read it from standard input (the safe form for anything secret)."
FROM_JSON_HELP = (
    "Read the command's texts from this JSON file, `-` for standard input: an object "
    "of {fields}. Nothing secret on the command line."
)

# readable=False: the store says why a file cannot be opened, and how to share it.
path_argument = click.argument(
    "path", type=click.Path(dir_okay=False, readable=False, path_type=Path)
)


def passphrase_option(f: Callable) -> Callable:
    return click.option(
        "--passphrase-file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=PASSPHRASE_ENV,
        help=f"Read the passphrase from the first line of this file (or ${PASSPHRASE_ENV}). "
        "Without it you are asked, with no echo.",
    )(f)


def format_option(*choices: str) -> Any:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True
    )


def from_json_option(fields: Mapping[str, type]) -> Callable[[Callable], Callable]:
    """`--from-json FILE|-`: the command's texts as one JSON object (textin.merge_json
    reads it into the command's parameters)."""
    names = ", ".join(f'"{name}"' for name in fields)
    return click.option(
        "--from-json",
        "from_json",
        type=JsonSource(),
        metavar="FILE|-",
        help=FROM_JSON_HELP.format(fields=names),
    )


def kdf_option(help_text: str | None = None) -> Any:
    """--kdf: the Argon2id cost of a passphrase this command sets."""
    return click.option(
        "--kdf",
        type=click.Choice(["interactive", "moderate"]),
        default="moderate",
        show_default=True,
        help=help_text,
    )
