"""`warroom relay` (serve) and `warroom relay allow`: the relay's operator's commands."""

from __future__ import annotations

import os
from pathlib import Path

import click

from warroom.commands.common import Failure


def serve(
    host: str,
    port: int,
    data: Path | None,
    closed: bool,
    max_body: int,
    max_incidents: int,
    ssl_keyfile: Path | None,
    ssl_certfile: Path | None,
) -> None:
    """Check the options, then serve until stopped (Ctrl-C, SIGTERM)."""
    if data is None:
        raise Failure("relay: --data DIR is required (the relay's folder)")
    if (ssl_keyfile is None) != (ssl_certfile is None):
        raise Failure("relay: give both --ssl-keyfile and --ssl-certfile, or neither")
    for tls_file in (ssl_keyfile, ssl_certfile):
        if tls_file is not None and not os.access(tls_file, os.R_OK):
            raise Failure(f"relay: cannot read {tls_file}")
    from warroom.relay.limits import Limits
    from warroom.relay.serve import check_port
    from warroom.relay.serve import serve as run

    try:  # before "serving" is said and the folder made
        check_port(host, port)
    except OSError as exc:
        raise Failure(f"relay: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    _data_folder(data)
    scheme = "https" if ssl_certfile else "http"
    click.echo(f"warroom relay: serving {data} at {scheme}://{host}:{port}/v1", err=True)
    try:
        run(
            data,
            host=host,
            port=port,
            closed=closed,
            limits=Limits(max_body=max_body, max_incidents=max_incidents),
            ssl_keyfile=ssl_keyfile,
            ssl_certfile=ssl_certfile,
        )
    except OSError as exc:  # the TLS files unreadable or not PEM
        raise Failure(f"relay: {exc.strerror or exc}") from None
    except SystemExit as exc:  # uvicorn's exit when it cannot bind (it logged why)
        if exc.code:
            raise Failure(f"relay: cannot listen on {host}:{port}") from None


def allow(data: Path, incident_id: str, token_sha256: str) -> None:
    from warroom.relay.incidents import IncidentError, parse_id
    from warroom.relay.incidents import allow as allow_incident

    _data_folder(data)
    try:
        made = allow_incident(data, parse_id(incident_id), token_sha256.lower())
    except IncidentError as exc:
        raise Failure(f"relay allow: {exc}") from None
    click.echo(f"{'allowed' if made else 'token updated for'} incident {incident_id}")


def _data_folder(data: Path) -> None:
    """Make the relay's folder (0700) if missing; Failure if it cannot be used."""
    try:
        data.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise Failure(f"relay: cannot make {data}: {exc.strerror}") from None
    if not data.is_dir() or not os.access(data, os.R_OK | os.W_OK | os.X_OK):
        raise Failure(f"relay: {data} is not a folder this user can write to")
