"""Comms commands: the policy, lint, drafts, and checking an export."""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from warroom.commands.common import (
    CheckFailed,
    Failure,
    dump_json,
    passphrase_option,
    path_argument,
    unlocked,
)
from warroom.sanitize import one_line
from warroom.state import draft_dict

if TYPE_CHECKING:  # the rules, gpg and the export checks load when a command runs:
    # `warroom open` imports this module too, and needs none of them (benchmarks/startup.py)
    from warroom.gpg import Keyring
    from warroom.rules.model import DraftDoc, Finding
    from warroom.rules.policy import Policy

gnupghome_option = click.option(
    "--gnupghome",
    type=click.Path(file_okay=False, path_type=Path),
    help="GnuPG home holding the recipients' public keys (default: $GNUPGHOME or ~/.gnupg).",
)


def keyring(gnupghome: Path | None) -> Keyring:
    from warroom.gpg import Keyring

    if gnupghome is not None and not gnupghome.is_dir():
        raise Failure(f"{gnupghome}: no such GnuPG home")
    return Keyring(gnupghome)


def read_policy(path: Path) -> Policy:
    from warroom.rules.policy import PolicyError, load_policy_file

    try:
        return load_policy_file(path)
    except PolicyError as exc:
        raise Failure(str(exc)) from None


def print_findings(label: str, findings: list[Finding]) -> None:
    if not findings:
        click.echo(f"{label}: ok")
    for f in findings:
        click.echo(f"{label}: {f.severity}: {f.rule} [{f.field}]: {one_line(f.message)}")


# -- policy --------------------------------------------------------------------


@click.group()
def policy() -> None:
    """The incident's comms policy (company domains, subject, phrases, vendors, SMS)."""


@policy.command("set")
@path_argument
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@passphrase_option
def policy_set(path: Path, file: Path, passphrase_file: Path | None) -> None:
    """Store the policy FILE (TOML) in the incident, encrypted."""
    parsed = read_policy(file)
    with unlocked(path, passphrase_file) as session:
        session.set_policy(parsed.source_text, source=str(file))
    click.echo(f"policy set: internal domains {', '.join(parsed.internal_domains)}")


@policy.command("show")
@path_argument
@passphrase_option
def policy_show(path: Path, passphrase_file: Path | None) -> None:
    """Print the incident's policy (TOML); the shipped default if none was set."""
    from warroom.rules.policy import default_policy

    with unlocked(path, passphrase_file) as session:
        text = session.state.policy_text
    if not text:
        click.echo("warroom: this incident uses the default policy", err=True)
        text = default_policy().source_text
    click.echo(text, nl=not text.endswith("\n"))


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
def lint_command(
    drafts: tuple[Path, ...], policy_file: Path | None, gnupghome: Path | None, as_json: bool
) -> None:
    """Check draft files against the comms rules.

    A DRAFT is a JSON file {"channel": "email|chat|sms|statement", "from", "to",
    "cc", "bcc", "subject", "topic", "title", "body"} or an .eml email. Exit 0:
    no errors; 1: errors found; 2: a file could not be read.
    """
    from warroom.rules.lint import DraftFileError, has_errors, lint, read_draft_file
    from warroom.rules.model import Context
    from warroom.rules.policy import default_policy

    rules_policy = read_policy(policy_file) if policy_file else default_policy()
    ring = keyring(gnupghome)
    context = Context(keys=functools.cache(ring.resolve))  # gpg once per address, not per draft
    results: list[tuple[Path, list[Finding]]] = []
    unreadable = []
    for path in drafts:
        try:
            doc = read_draft_file(path)
        except DraftFileError as exc:
            unreadable.append(str(exc))
            continue
        results.append((path, lint(doc, rules_policy, context)))
    if as_json:
        dump_json([{"file": str(p), **f.to_dict()} for p, found in results for f in found])
    else:
        for p, found in results:
            print_findings(str(p), found)
    for message in unreadable:
        click.echo(f"warroom: {message}", err=True)
    if unreadable:
        sys.exit(2)
    if any(has_errors(found) for _, found in results):
        sys.exit(1)


@click.command("rules")
def rules_command() -> None:
    """List the comms rules: id, severity, what each checks."""
    from warroom.rules import RULES

    for rule_id, (severity, text) in RULES.items():
        click.echo(f"{rule_id:<26} {severity:<8} {text}")


# -- drafts --------------------------------------------------------------------


@click.group()
def draft() -> None:
    """Comms drafts in an incident: add, list, approve."""


def _fields(doc: DraftDoc) -> dict[str, object]:
    return {
        "channel": doc.channel,
        "from": doc.sender,
        "to": list(doc.to),
        "cc": list(doc.cc),
        "bcc": list(doc.bcc),
        "subject": doc.subject,
        "topic": doc.topic,
        "title": doc.title,
        "body": doc.body,
        # always stored, even empty: the incident's default ("internal") would
        # otherwise make the rules read the draft otherwise than `warroom lint` does
        "audience": doc.audience,
    }


@draft.command("add")
@path_argument
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@passphrase_option
def draft_add(path: Path, file: Path, passphrase_file: Path | None) -> None:
    """Add the draft in FILE (JSON or .eml) to the incident; prints its id."""
    from warroom.rules.lint import DraftFileError, read_draft_file

    try:
        doc = read_draft_file(file)
    except DraftFileError as exc:
        raise Failure(str(exc)) from None
    with unlocked(path, passphrase_file) as session:
        click.echo(session.save_draft(None, **_fields(doc)))


@draft.command("approve")
@path_argument
@click.argument("draft_id")
@gnupghome_option
@passphrase_option
def draft_approve(
    path: Path, draft_id: str, gnupghome: Path | None, passphrase_file: Path | None
) -> None:
    """Approve a draft (refused while a rule finds an error in it)."""
    from warroom import comms
    from warroom.rules.lint import has_errors

    ring = keyring(gnupghome)
    with unlocked(path, passphrase_file) as session:
        keys = comms.key_lookup(ring.resolve, session.state)
        findings = session.draft_findings(draft_id, keys)
        if has_errors(findings):
            print_findings(draft_id, findings)
            raise CheckFailed(f"draft {draft_id} not approved: fix the errors first")
        session.approve_draft(draft_id, keys)
    print_findings(draft_id, findings)
    click.echo(f"{draft_id}: approved")


@draft.command("list")
@path_argument
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@gnupghome_option
@passphrase_option
def draft_list(path: Path, fmt: str, gnupghome: Path | None, passphrase_file: Path | None) -> None:
    """Every draft with its status and the rules' findings."""
    from warroom import comms

    ring = keyring(gnupghome)
    with unlocked(path, passphrase_file) as session:
        keys = comms.key_lookup(ring.resolve, session.state)
        rows = [
            (d, session.draft_findings(d.id, keys))
            for d in sorted(session.state.drafts.values(), key=lambda d: d.updated_at)
        ]
    if fmt == "json":
        dump_json([draft_dict(d) | {"findings": [f.to_dict() for f in fs]} for d, fs in rows])
        return
    for d, findings in rows:
        errors = sum(f.severity == "error" for f in findings)
        warnings = len(findings) - errors
        what = d.subject if d.channel == "email" else d.topic or d.title or d.body[:40]
        click.echo(
            f"{d.id}  {d.channel:<9} {d.status:<8} {errors} errors, {warnings} warnings  "
            f"{one_line(what)}"
        )


# -- verify-export -------------------------------------------------------------


@click.command("verify-export")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
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
def verify_export(
    folder: Path,
    device_key: str,
    gnupghome: Path | None,
    expect_gpg: str,
    incident_path: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Check an export: manifest signatures, every file's SHA-256, nothing added or
    missing, every email for someone outside the company PGP/MIME encrypted.

    A signature only says the folder is unchanged since someone signed it: anyone
    can edit an export and sign it again with a new key. So name who must have
    signed it, with --device-key, --expect-gpg or --incident; without one, the
    signer is reported as not pinned and the check fails (exit 1), whatever else
    holds. Exit 0: ok; 1: a check failed; 2: bad usage.
    """
    from warroom.export.manifest import IncidentPin, check_export

    device_key = device_key.strip().lower()
    if device_key and not re.fullmatch(r"[0-9a-f]{64}", device_key):
        raise Failure("--device-key takes a device's public key: 64 hex digits")
    pin = None
    if incident_path is not None:
        with unlocked(incident_path, passphrase_file) as session:
            pin = IncidentPin(
                session.header.incident_id.hex(),
                session.state.incident.codename,
                dict(session.state.devices),
            )
    result = check_export(
        folder,
        device_key=device_key,
        keyring=keyring(gnupghome),
        expect_gpg=expect_gpg.replace(" ", "").upper(),
        incident=pin,
    )
    problems = list(result.problems)
    if not result.pinned and (not problems or not (device_key or expect_gpg or pin)):
        problems.append(
            f"manifest.json.sig: signed by device {result.device[:16] or '?'}, which nothing pins "
            "(anyone can re-sign an edited export): pass --device-key, --expect-gpg or "
            "--incident PATH"
        )
    for problem in problems:
        click.echo(f"warroom: {one_line(problem)}", err=True)
    if problems:
        raise CheckFailed(f"{folder}: export does not verify ({len(problems)} problems)")
    name = f" ({one_line(result.device_name)})" if result.device_name else ""
    signer = f"; GPG signature by {result.gpg_signer}" if result.gpg_signer else ""
    pinned = "; pinned by " + ", ".join(result.pinned)
    click.echo(
        f"ok: {result.files} files; manifest signed by device {result.device[:16]}{name}"
        f"{signer}{pinned}"
    )
