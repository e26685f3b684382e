"""Declarations of the comms commands: policy, lint, rules, draft, verify-export, and
export. Their bodies are in warroom/commands/comms.py and export.py, imported when
the command runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click

from warroom.cli.options import format_option, passphrase_option, path_argument
from warroom.export.timeline import FORMATS as TIMELINE_FORMATS

gnupghome_option = click.option(
    "--gnupghome",
    type=click.Path(file_okay=False, path_type=Path),
    help="GnuPG home holding the recipients' public keys (default: $GNUPGHOME or ~/.gnupg).",
)

# -- policy --------------------------------------------------------------------


@click.group()
def policy() -> None:
    """The incident's comms policy (company domains, subject, phrases, vendors, SMS)."""


@policy.command("set")
@path_argument
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@passphrase_option
def policy_set(**params: Any) -> None:
    """Store the policy FILE (TOML) in the incident, encrypted."""
    from warroom.commands import comms

    comms.policy_set(**params)


@policy.command("show")
@path_argument
@passphrase_option
def policy_show(**params: Any) -> None:
    """Print the incident's policy (TOML); the shipped default if none was set."""
    from warroom.commands import comms

    comms.policy_show(**params)


# -- lint ----------------------------------------------------------------------


@click.command("lint")
@click.argument("drafts", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Policy TOML (default: the shipped policy).",
)
@gnupghome_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of findings.")
def lint_command(**params: Any) -> None:
    """Check draft files against the comms rules.

    A DRAFT is a JSON file {"channel": "email|chat|sms|statement", "from", "to",
    "cc", "bcc", "subject", "topic", "title", "body"} or an .eml email. Exit 0:
    no errors; 1: errors found; 2: a file could not be read.
    """
    from warroom.commands import comms

    comms.lint(**params)


@click.command("rules")
def rules_command() -> None:
    """List the comms rules: id, severity, what each checks."""
    from warroom.commands import comms

    comms.rules()


# -- drafts --------------------------------------------------------------------


@click.group()
def draft() -> None:
    """Comms drafts in an incident: add, list, approve."""


@draft.command("add")
@path_argument
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("json", "eml")),
    default=None,
    help="How FILE is written (default: its suffix, .json or .eml; json for -).",
)
@passphrase_option
def draft_add(**params: Any) -> None:
    """Add the draft in FILE (JSON or .eml) to the incident; prints its id.

    FILE `-` reads the draft from standard input (JSON, or an email with
    --format eml), so a draft never has to sit in a file on disk.
    """
    from warroom.commands import comms

    comms.draft_add(**params)


@draft.command("approve")
@path_argument
@click.argument("draft_id")
@gnupghome_option
@passphrase_option
def draft_approve(**params: Any) -> None:
    """Approve a draft (refused while a rule finds an error in it)."""
    from warroom.commands import comms

    comms.draft_approve(**params)


@draft.command("list")
@path_argument
@format_option("text", "json")
@gnupghome_option
@passphrase_option
def draft_list(**params: Any) -> None:
    """Every draft with its status and the rules' findings."""
    from warroom.commands import comms

    comms.draft_list(**params)


# -- verify-export -------------------------------------------------------------


@click.command("verify-export")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--device-key",
    metavar="HEX",
    default="",
    help="Pin: the device (its 64-hex public key) that must have signed.",
)
@gnupghome_option
@click.option(
    "--expect-gpg",
    metavar="FINGERPRINT",
    default="",
    help="Pin: the GPG key that must have signed the manifest (manifest.json.asc).",
)
@click.option(
    "--incident",
    "incident_path",
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Pin: the incident file it was exported from; a device of that incident must "
    "have signed (asks for its passphrase, as other commands do).",
)
@passphrase_option
def verify_export(**params: Any) -> None:
    """Check an export: manifest signatures, every file's SHA-256, nothing added or
    missing, every email for someone outside the company PGP/MIME encrypted.

    A signature only says the folder is unchanged since someone signed it: anyone
    can edit an export and sign it again with a new key. So name who must have
    signed it, with --device-key, --expect-gpg or --incident; without one, the
    signer is reported as not pinned and the check fails (exit 1), whatever else
    holds. Exit 0: ok; 1: a check failed; 2: bad usage.
    """
    from warroom.commands import comms

    comms.verify_export(**params)


# -- export --------------------------------------------------------------------


def _fingerprint(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """--sign-key: a whole fingerprint (40 or 64 hex digits, spaces allowed), else one
    line and exit 2; a short key id could name someone else's key."""
    if value and not re.fullmatch(r"[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64}", value.replace(" ", "")):
        from warroom.commands.common import Failure

        raise Failure(f"--sign-key: {value!r} is not a full key fingerprint (40 or 64 hex digits)")
    return value


@click.command("export")
@path_argument
@click.argument("what", type=click.Choice(("drafts", "postmortem", "timeline")))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="drafts: a new (or empty) folder; postmortem, timeline: a new file (timeline: "
    "standard output if omitted). Never overwritten: an existing FILE is refused (exit 2).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(TIMELINE_FORMATS),
    default="md",
    show_default=True,
    help="timeline: md, csv or json.",
)
@gnupghome_option
@click.option(
    "--sign-key",
    metavar="FINGERPRINT",
    default="",
    callback=_fingerprint,
    help="drafts: your GPG key's fingerprint: signs the emails and the manifest "
    "(manifest.json.asc).",
)
@passphrase_option
def export_command(**params: Any) -> None:
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
    from warroom.commands import export

    export.export(**params)


COMMANDS = (policy, lint_command, rules_command, draft, verify_export, export_command)
