"""Bundles for sneakernet and air gaps: `bundle export`, `bundle import`, `vector`.

The format and what goes into a bundle are warroom/sync/bundle.py's; the checks on
arrival are warroom/sync/intake.py's (strict: all or nothing)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click

from warroom.commands.common import (
    CheckFailed,
    Failure,
    dump_json,
    incident_id_of,
    plain_store,
    unlocked,
)
from warroom.commands.progress import RowsProgress
from warroom.export import files
from warroom.ledger import BUNDLE_KEY
from warroom.sync import bundle, intake

PROGRESS_FROM = 5000
"""Rows from which the import says it is checking and writing them."""


def vector(path: Path) -> None:
    """Print the file's version vector as JSON (no passphrase, no content)."""
    with plain_store(path) as (store, incident_id):
        document = bundle.vector_document(incident_id, store)
    dump_json(document)


def _read_text(source: str, what: str) -> str:
    """`-` (standard input), a file, bounded."""
    try:
        if source == "-":
            text = sys.stdin.read(bundle.MAX_VECTOR_CHARS + 1)
        else:
            with open(source, encoding="utf-8") as fh:
                text = fh.read(bundle.MAX_VECTOR_CHARS + 1)
    except OSError as exc:
        raise Failure(f"cannot read {what} {source}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise Failure(f"{what} {source} is not UTF-8 text") from None
    if len(text) > bundle.MAX_VECTOR_CHARS:
        raise Failure(f"{what} {source} is too large for a version vector")
    return text


def _peer_heads(since: str | None, for_file: Path | None) -> tuple[str, bytes | None, bundle.Heads]:
    """Where the peer's vector came from, the incident it names, and its heads."""
    if since == "-":
        source, text = "--since -", _read_text("-", "the vector on")
    elif since is not None and since.startswith("@"):
        source, text = since[1:], _read_text(since[1:], "vector file")
    elif since is not None:
        source, text = "--since", since
    else:
        source, text = str(for_file), _read_text(str(for_file), "vector file")
    try:
        named, heads = bundle.parse_vector(text, source)
    except bundle.BundleError as exc:
        raise Failure(str(exc)) from None
    return source, named, heads


def export(
    path: Path, out: Path, since: str | None, for_file: Path | None, passphrase_file: Path | None
) -> None:
    """Write a bundle of PATH's rows (those the peer lacks, with --since or --for)."""
    if since is not None and for_file is not None:
        raise Failure("give --since or --for, not both")
    if out.exists() or out.is_symlink():
        raise Failure(f"{out} already exists; refusing to overwrite it")
    incident_id = incident_id_of(path)
    heads = None
    if since is not None or for_file is not None:
        source, named, heads = _peer_heads(since, for_file)
        if named is not None and named != incident_id:
            raise Failure(
                f"{source} is the vector of incident {named.hex()}, "
                f"not of {path} (incident {incident_id.hex()})"
            )
    data = io.BytesIO()
    with unlocked(path, passphrase_file, fold=False) as session:
        rows = bundle.rows_for(session.store, heads)
        key = session.ledger.derive(BUNDLE_KEY)
        header = bundle.new_header(incident_id)
        written = bundle.write(data, key, header, rows, RowsProgress("sealed", len(rows)))
    try:
        files.write_file(out, data.getvalue())
    except FileExistsError:
        raise Failure(f"{out} already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise Failure(f"cannot write {out}: {exc.strerror or exc}; nothing was written") from None
    click.echo(f"wrote {out}: {written:,} rows, {data.tell():,} bytes")


def import_bundle(path: Path, bundle_path: Path, passphrase_file: Path | None) -> None:
    """Take a bundle's rows into PATH: every block, signature and chain link checked
    first, then all written or none; the fork alarm (exit 1) if the file is forked."""
    incident_id = incident_id_of(path)
    source = str(bundle_path)
    try:
        fh = bundle_path.open("rb")
    except OSError as exc:
        raise Failure(f"cannot read {bundle_path}: {exc.strerror or exc}") from None
    with fh:
        try:
            header = bundle.read_header(fh, source)
        except bundle.BundleError as exc:
            raise Failure(f"{exc}; nothing was written") from None
        if header.incident_id != incident_id:
            raise Failure(
                f"{bundle_path} is a bundle of incident {header.incident_id.hex()}, not of "
                f"{path} (incident {incident_id.hex()}); nothing was written"
            )
        with unlocked(path, passphrase_file, fold=False) as session:
            key = session.ledger.derive(BUNDLE_KEY)
            with intake.SignatureChecks(incident_id, session.ledger.opens) as checks:
                try:
                    opened = RowsProgress("opened")
                    rows = bundle.read_rows(fh, key, header, source, opened, checks.submit)
                except bundle.BundleError as exc:
                    raise Failure(f"{exc}; nothing was written") from None
                if len(rows) >= PROGRESS_FROM:
                    click.echo(f"warroom: checking and writing {len(rows):,} rows", err=True)
                try:
                    taken = intake.take(
                        session.store, incident_id, rows, strict=True, checks=checks
                    )
                except intake.Refused as exc:
                    raise Failure(f"{bundle_path}: {exc}") from None
            forks = session.store.forks()
    forked = f", {len(taken.forks):,} kept as fork evidence" if taken.forks else ""
    past = f", {taken.past_fork:,} past a fork left out" if taken.past_fork else ""
    click.echo(
        f"imported {bundle_path} into {path}: {len(taken.added):,} new rows, "
        f"{taken.duplicates:,} already here{forked}{past}"
    )
    if forks:
        raise CheckFailed(_alarm(path, forks, len(taken.forks)))


def _alarm(path: Path, forks: list, new: int) -> str:
    devices = sorted({row.device.hex()[:8] for row in forks})
    first = forks[0]
    return (
        f"FORK ALARM: {path} holds {len(forks)} fork(s) ({new} new from this bundle): "
        f"device {', '.join(devices)} signed two different events at one seq "
        f"(first: {first.device.hex()[:8]}#{first.seq}). Both are kept as evidence; "
        f"neither is chosen. Run `warroom verify {path}`, stop writing with that device, "
        "and find out how it happened (a copied config dir or incident file written on "
        "both sides, a restored backup, a stolen device key)."
    )
