"""The relay: `warroom relay` serves a blind store for incidents' rows (warroom/relay/).

Declarations only; the bodies are in warroom/commands/relay.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

DEFAULT_PORT = 8470
DEFAULT_MAX_BODY = 8 * 2**20
DEFAULT_MAX_INCIDENTS = 200  # warroom.relay.limits.MAX_INCIDENTS, not imported: start-up

data_option = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="The relay's folder: one file per incident, <incident id>.db (made if missing).",
)


@click.group("relay", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True)
@data_option
@click.option(
    "--closed",
    is_flag=True,
    help="Take only incidents the operator added with `warroom relay allow` (default: "
    "an incident registers itself, with its token's hash, on its first push).",
)
@click.option(
    "--max-body",
    type=click.IntRange(1024, 2**31),
    default=DEFAULT_MAX_BODY,
    show_default=True,
    metavar="BYTES",
    help="The largest request body; larger ones get 413 before they are read.",
)
@click.option(
    "--max-incidents",
    type=click.IntRange(1, 1_000_000),
    default=DEFAULT_MAX_INCIDENTS,
    show_default=True,
    help="Incidents an open relay registers at most (each keeps its file open); more get 507.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TLS private key (PEM), for HTTPS served by the relay itself.",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TLS certificate chain (PEM), with --ssl-keyfile.",
)
@click.pass_context
def relay_group(ctx: click.Context, **params: Any) -> None:
    """Serve a blind relay for incidents' replicas to sync through (`warroom sync`).

    The relay holds each incident's rows (ciphertext and signatures) in DATA/<incident
    id>.db and never a key: it cannot read an incident, only check that each row is
    signed by its device and follows its device's chain before keeping it. Replicas
    authenticate with a bearer token derived from the incident's key; the relay keeps
    only its SHA-256. Without TLS options it speaks plain HTTP: keep it on 127.0.0.1
    behind a TLS reverse proxy, or give --ssl-keyfile and --ssl-certfile.

    \b
    warroom relay --data /var/lib/warroom-relay --port 8470
    warroom relay allow --data DIR INCIDENT_ID TOKEN_SHA256
    """
    if ctx.invoked_subcommand is not None:
        return
    from warroom.commands import relay

    relay.serve(**params)


@relay_group.command("allow")
@click.option(
    "--data",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The relay's folder (as given to `warroom relay --data`).",
)
@click.argument("incident_id")
@click.argument("token_sha256")
def relay_allow(**params: Any) -> None:
    """Let an incident into a relay started with --closed (or set its token anew).

    The incident's IC gets both values, and not the token itself, from
    `warroom info PATH --format json`: incident_id and relay_token_sha256.
    Safe while the relay runs.
    """
    from warroom.commands import relay

    relay.allow(**params)


COMMANDS: tuple[click.Command, ...] = (relay_group,)
