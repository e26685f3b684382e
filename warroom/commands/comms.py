"""Comms: the incident's policy (`policy set|show`), linting draft files (`lint`,
`rules`), the drafts in an incident (`draft add|approve|list`), and checking an
export (`verify-export`)."""

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
    unlocked,
)
from warroom.sanitize import one_line
from warroom.state import draft_dict

if TYPE_CHECKING:  # the rules, gpg and the export checks load when a command uses them:
    # `warroom init` imports this module too (read_policy), and needs them only with --policy
    from warroom.gpg import Keyring
    from warroom.rules.model import DraftDoc, Finding
    from warroom.rules.policy import Policy


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


def policy_set(path: Path, file: Path, passphrase_file: Path | None) -> None:
    """Check the policy `file` and store it in the incident."""
    parsed = read_policy(file)
    with unlocked(path, passphrase_file) as session:
        session.set_policy(parsed.source_text, source=str(file))
    click.echo(f"policy set: internal domains {', '.join(parsed.internal_domains)}")


def policy_show(path: Path, passphrase_file: Path | None) -> None:
    """Print the incident's policy, or the shipped one (saying so on stderr)."""
    from warroom.rules.policy import default_policy

    with unlocked(path, passphrase_file) as session:
        text = session.state.policy_text
    if not text:
        click.echo("warroom: this incident uses the default policy", err=True)
        text = default_policy().source_text
    click.echo(text, nl=not text.endswith("\n"))


# -- lint ----------------------------------------------------------------------


def lint(
    drafts: tuple[Path, ...], policy_file: Path | None, gnupghome: Path | None, as_json: bool
) -> None:
    """Lint each draft file and print the findings; exit 1 on an error found, 2 on a
    file that could not be read (the others are still linted)."""
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


def rules() -> None:
    """Print every rule: id, severity, what it checks."""
    from warroom.rules import RULES

    for rule_id, (severity, text) in RULES.items():
        click.echo(f"{rule_id:<26} {severity:<8} {text}")


# -- drafts --------------------------------------------------------------------


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


def draft_add(path: Path, file: Path, fmt: str | None, passphrase_file: Path | None) -> None:
    """Read the draft `file` (`-`: standard input, JSON unless `fmt` says eml) and save
    it in the incident; print its id."""
    from warroom.commands.textin import STDIN, stdin_once
    from warroom.rules.lint import DraftFileError, read_draft_file, read_draft_stream

    try:
        if str(file) == STDIN:
            stdin_once("the draft")
            doc = read_draft_stream(click.get_binary_stream("stdin"), fmt or "json")
        else:
            doc = read_draft_file(file, fmt)
    except DraftFileError as exc:
        raise Failure(str(exc)) from None
    with unlocked(path, passphrase_file) as session:
        click.echo(session.save_draft(None, **_fields(doc)))


def draft_approve(
    path: Path, draft_id: str, gnupghome: Path | None, passphrase_file: Path | None
) -> None:
    """Approve a draft the rules find no error in; print the findings either way."""
    from warroom import comms
    from warroom.rules.lint import has_errors

    ring = keyring(gnupghome)
    with unlocked(path, passphrase_file) as session:
        current = session.state.drafts.get(draft_id)
        me = session.device.name
        if current and current.status == "approved" and any(a.by == me for a in current.approvals):
            count = len(current.approvals)
            approvals = f"{count} approval{'s' if count != 1 else ''}"
            click.echo(f"{draft_id}: already approved by you ({approvals}); nothing to do")
            return
        keys = comms.key_lookup(ring.resolve, session.state)
        findings = session.draft_findings(draft_id, keys)
        if has_errors(findings):
            print_findings(draft_id, findings)
            raise CheckFailed(f"draft {draft_id} not approved: fix the errors first")
        session.approve_draft(draft_id, keys)
    print_findings(draft_id, findings)
    click.echo(f"{draft_id}: approved")


def draft_list(path: Path, fmt: str, gnupghome: Path | None, passphrase_file: Path | None) -> None:
    """Print every draft, oldest first, with its status and the rules' findings."""
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


def verify_export(
    folder: Path,
    device_key: str,
    gnupghome: Path | None,
    expect_gpg: str,
    incident_path: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Check the export in `folder`, pinned by a device key, a GPG key or the incident
    it came from; CheckFailed (exit 1) if anything fails or nothing pins the signer."""
    from warroom.export.manifest import MANIFEST, IncidentPin, check_export

    if not folder.is_dir():
        raise Failure(f"{folder}: {'not a folder' if folder.exists() else 'no such folder'}")
    if not (folder / MANIFEST).is_file():
        raise Failure(f"{folder}: not an export (it has no {MANIFEST})")
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
