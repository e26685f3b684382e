"""The incident as a whole: declare it (`init`), print it (`show`, `info`), check it
(`verify`), set its own fields (`incident set`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warroom import limits
from warroom.commands import textin
from warroom.commands.common import (
    CheckFailed,
    Failure,
    chosen,
    device,
    dump_json,
    read_passphrase,
    unlocked,
)
from warroom.commands.comms import read_policy
from warroom.export import timeline as timeline_export
from warroom.fileaccess import shared_directory_warning
from warroom.sanitize import one_line
from warroom.session import NO_PLAYBOOK, Session, SessionError
from warroom.timefmt import iso


def init(
    path: Path,
    kdf: str,
    codename: str | None,
    title: str,
    kind: str,
    severity: int,
    playbook: str | None,
    policy_file: Path | None,
    shared: bool,
    passphrase_file: Path | None,
) -> None:
    """Declare an incident in a new file `path` (never overwrites)."""
    from warroom import playbooks  # not needed by `open`: kept off the console's start-up
    from warroom.playbooks import PlaybookError

    if path.exists():
        raise Failure(f"{path} already exists; refusing to overwrite it")
    title = textin.free_text(title, "the title", limits.MAX_LINE_CHARS) or ""
    codename = textin.free_text(codename, "the codename", limits.MAX_LINE_CHARS)
    policy_text = read_policy(policy_file).source_text if policy_file else ""
    try:  # a bad playbook is reported before the passphrase is asked for
        if playbook != NO_PLAYBOOK:
            playbooks.load(playbook) if playbook else playbooks.default_for(kind)
    except PlaybookError as exc:
        raise Failure(str(exc)) from None
    passphrase = chosen(read_passphrase(passphrase_file, confirm=True))
    try:
        session = Session.create(
            path,
            passphrase,
            kdf=kdf,
            codename=codename,
            title=title,
            kind=kind,
            severity=severity,
            playbook=playbook,
            device=device(),
            shared=shared,
        )
    except (SessionError, PlaybookError) as exc:
        raise Failure(str(exc)) from None
    warning = shared_directory_warning(path) if shared else None
    if warning:
        click.echo(f"warroom: warning: {warning}", err=True)
    with session:
        if policy_text:
            try:
                session.set_policy(policy_text, source=str(policy_file))
            except SessionError as exc:
                raise Failure(f"{path} was made, but its policy was not stored: {exc}") from None
        inc = session.state.incident
        click.echo(
            f"Declared {one_line(inc.codename)} ({inc.kind}, SEV{inc.severity}) in {path}: "
            f"{len(session.state.steps)} checklist steps."
        )


def verify(path: Path, passphrase_file: Path | None) -> None:
    """Check the whole file; CheckFailed (exit 1) names the first problem."""
    with unlocked(path, passphrase_file) as session:
        report = session.verify()
    if not report.ok:
        more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
        raise CheckFailed(f"verify failed: {report.problems[0]}{more}")
    click.echo(f"ok: {report.events} events from {report.devices} devices verified")


def info(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Print the facts about the file (no incident content), as text or JSON."""
    with unlocked(path, passphrase_file) as session:
        facts = session.info()
        facts["relay_token_sha256"] = relay_token_sha256(session)
    if fmt == "json":
        dump_json(facts)
        return
    click.echo(f"codename:  {one_line(facts['codename'])}")
    click.echo(f"incident:  {facts['kind']}, SEV{facts['severity']}, {facts['status']}")
    click.echo(f"events:    {facts['events']} ({facts['entries']} timeline entries)")
    click.echo(f"checklist: {facts['steps_done']}/{facts['steps']} done")
    click.echo(f"roster:    {facts['people']} people; drafts: {facts['drafts']}")
    click.echo(f"file:      {facts['file_bytes']} bytes; KDF {facts['kdf']}")
    click.echo(f"devices:   {len(facts['devices'])}")
    for d in facts["devices"]:
        click.echo(f"  {d['id']}  {d['events']} events{'  (this device)' if d['this'] else ''}")


def relay_token_sha256(session: Session) -> str:
    """What a relay knows this incident's token by (`warroom relay allow` takes it):
    the IC can hand it to a relay's operator without handing over the token."""
    from warroom.ledger import RELAY_TOKEN
    from warroom.relay.auth import token_sha256

    return token_sha256(session.ledger.derive(RELAY_TOKEN).hex())


def show(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Print the incident's state (JSON: with the timeline too)."""
    with unlocked(path, passphrase_file) as session:
        state = session.state
        data = state.to_dict()
    if fmt == "json":
        data["timeline"] = timeline_export.rows(state.timeline())
        dump_json(data)
        return
    inc = state.incident
    click.echo(f"{one_line(inc.codename)}: {one_line(inc.title)}")
    click.echo(f"  {inc.kind}, SEV{inc.severity}, {inc.status}, declared {iso(inc.declared_at)}")
    click.echo("\nChecklist:")
    for step in state.checklist():
        who = f" [{one_line(step.assignee)}]" if step.assignee else ""
        click.echo(f"  {step.status:<7} {step.id:<20} {one_line(step.title)}{who}")
    click.echo("\nRoster:")
    for person in state.people.values():
        roles = ", ".join(state.roles_of(person.id)) or "-"
        click.echo(f"  {person.id}  {one_line(person.name):<20} {person.state:<7} {roles}")
    missing = [r for r in ("ic", "scribe", "external-liaison") if not state.holders(r)]
    if missing:
        click.echo(f"  unfilled: {', '.join(missing)}")
    click.echo("\nDrafts:")
    for draft in state.drafts.values():
        to = ", ".join(one_line(a) for a in draft.to) or "-"
        click.echo(f"  {draft.id}  {draft.channel:<9} {draft.status:<8} to {to}")
    click.echo(f"\nTimeline: {len(state.entries)} entries (warroom timeline {path})")


def set_field(path: Path, field: str, value: str, passphrase_file: Path | None) -> None:
    """Set one of the incident's fields; `field` as given (`root-cause` or `root_cause`),
    `value` as typed (severity: 1-4 or SEV1-SEV4). Print it, and when a status change
    resolved the incident, when and the review's due date."""
    name = field.replace("-", "_")  # the event's name of the field
    cap = limits.MAX_LINE_CHARS if name in ("title", "status") else limits.MAX_FIELD_CHARS
    value = textin.free_text(value, f"the {field}", cap) or ""
    typed: Any = value
    if name == "severity":
        if value.upper().removeprefix("SEV") not in ("1", "2", "3", "4"):
            raise Failure("severity must be 1, 2, 3 or 4")
        typed = int(value.upper().removeprefix("SEV"))
    # Only a status change reads the state back (when it was resolved): the rest append
    # without folding the file.
    with unlocked(path, passphrase_file, fold=name == "status") as session:
        session.set_incident(**{name: typed})
        resolved = session.state.incident if name == "status" else None
    click.echo(f"{field}: {one_line(str(typed))}")
    if resolved is not None and resolved.resolved_at:
        click.echo(
            f"resolved at {iso(resolved.resolved_at)}; review due {iso(resolved.review_due)[:10]}"
        )
