"""Exporting from an incident (`export`): signed comms drafts, the postmortem, the
timeline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from warroom.commands.common import CheckFailed, Failure, unlocked
from warroom.commands.comms import keyring
from warroom.export import timeline as timeline_export
from warroom.sanitize import clean, one_line

if TYPE_CHECKING:  # loaded when drafts are exported, not for a timeline
    from warroom.gpg import Keyring


def export(
    path: Path,
    what: str,
    out: Path | None,
    fmt: str,
    gnupghome: Path | None,
    sign_key: str,
    passphrase_file: Path | None,
) -> None:
    """Write `what` (drafts, postmortem, timeline) from the incident to `out`, a new
    file or folder (a timeline with no `out`: standard output); never overwrites."""
    if what == "drafts":
        if out is None:
            raise Failure("drafts need --out FOLDER")
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise Failure(f"{out} exists and is not an empty folder")
        _export_drafts(path, out, keyring(gnupghome), sign_key, passphrase_file)
        return
    if what == "postmortem" and out is None:
        raise Failure("the postmortem needs --out FILE.md")
    if out is not None and os.path.lexists(out):
        raise Failure(f"{out} already exists; refusing to overwrite it")
    from warroom.export import postmortem

    with unlocked(path, passphrase_file) as session:
        if what == "postmortem":
            text = postmortem.render(
                session.state,
                session.attack_metrics(),
                session.indicators(),
                now_ms=session.clock.wall(),
            )
        else:
            text = timeline_export.render(timeline_export.rows(session.state.timeline()), fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    from warroom.export import files

    try:
        files.write_file(out, text.encode("utf-8", "replace"))  # a lone surrogate: "?"
    except FileExistsError:
        raise Failure(f"{out} already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {what} to {out}")


def _export_drafts(
    path: Path, out: Path, ring: Keyring, sign_key: str, passphrase_file: Path | None
) -> None:
    from warroom.export.drafts import ExportError, export_drafts

    with unlocked(path, passphrase_file) as session:
        try:
            result = export_drafts(session, out, ring, sign_key=sign_key)
        except ExportError as exc:  # names draft ids: data, so no terminal controls
            raise CheckFailed(clean(str(exc))) from None
        except OSError as exc:
            raise Failure(f"cannot write {out}: {exc.strerror or exc}") from None
    for record in result.files:
        bcc = " (bcc copy)" if record.get("bcc_copy") else ""
        click.echo(
            f"{record['file']}  {record['form']}{bcc}  "
            f"({one_line(record['draft'])}, {record['channel']})"
        )
    for draft_id, reason in result.skipped:
        click.echo(f"skipped {one_line(draft_id)}: {reason}", err=True)
    files = len(result.files)
    more = f" ({files} files)" if files != result.drafts else ""
    click.echo(f"exported {result.drafts} drafts{more} to {out}")
