"""`warroom export PATH WHAT`: signed comms drafts, the postmortem, the timeline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from warroom.commands.common import CheckFailed, Failure, passphrase_option, path_argument, unlocked
from warroom.commands.comms import gnupghome_option, keyring
from warroom.export import timeline as timeline_export
from warroom.sanitize import clean, one_line

if TYPE_CHECKING:  # loaded when an export runs, not by every command (benchmarks/startup.py)
    from warroom.gpg import Keyring

EXPORTS = ("drafts", "postmortem", "timeline")


@click.command("export")
@path_argument
@click.argument("what", type=click.Choice(EXPORTS))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="drafts: a new (or empty) folder; postmortem, timeline: a new file (timeline: "
    "standard output if omitted). Never overwritten: an existing FILE is refused (exit 2).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(timeline_export.FORMATS),
    default="md",
    show_default=True,
    help="timeline: md, csv or json.",
)
@gnupghome_option
@click.option(
    "--sign-key",
    metavar="FINGERPRINT",
    default="",
    help="drafts: your GPG key: signs the emails and the manifest (manifest.json.asc).",
)
@passphrase_option
def export(
    path: Path,
    what: str,
    out: Path | None,
    fmt: str,
    gnupghome: Path | None,
    sign_key: str,
    passphrase_file: Path | None,
) -> None:
    """Export from the incident.

    drafts: every approved, lint-clean draft: emails as .eml (PGP/MIME, encrypted
    to every recipient and the sender when anyone is outside the company, each Bcc
    recipient in a copy of their own; signed when all are inside and --sign-key is
    set), chat, SMS and statements as text,
    plus manifest.json signed by this device (manifest.json.sig) and, with
    --sign-key, by GPG (manifest.json.asc). Check it with `warroom verify-export`.
    Refused, and nothing written, while any approved draft has an error.

    postmortem: Markdown: summary with duration and impact, timeline, root cause,
    resolution, corrective and preventive measures, follow-ups with owners,
    attack metrics. timeline: the timeline as md, csv or json.

    Every file is created readable by you only (0600; the drafts folder 0700),
    whatever your umask, and appears whole or not at all: it is written under a
    hidden `.warroom-export-*` name beside it and then put in place. --out never
    replaces an existing file or folder: choose a new name. A crashed export's
    hidden leftovers are removed by the next export.
    """
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
