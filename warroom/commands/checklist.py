"""The checklist: set a step (`step set`), list the playbooks and add one
(`playbook list`, `playbook add`)."""

from __future__ import annotations

from pathlib import Path

import click

from warroom import limits
from warroom.commands import textin
from warroom.commands.common import Failure, unlocked
from warroom.sanitize import one_line


def step_set(
    path: Path, step_id: str, status: str, assignee: str | None, passphrase_file: Path | None
) -> None:
    """Set a step's status (and assignee); print how many steps are done."""
    assignee = textin.free_text(assignee, "the assignee", limits.MAX_LINE_CHARS)
    with unlocked(path, passphrase_file) as session:
        session.set_step(step_id, status=status, assignee=assignee)
        done = sum(s.status in ("done", "skipped") for s in session.state.steps.values())
        click.echo(f"{step_id}: {status} ({done}/{len(session.state.steps)} done)")


def playbook_list() -> None:
    """Print every playbook that loads; Failure if any file does not."""
    from warroom import playbooks

    books, errors = playbooks.load_all()
    for book in books:
        click.echo(f"{book.id:<12} {len(book.steps):>2} steps  {one_line(book.title)}")
    for error in errors:
        click.echo(f"warroom: {error}", err=True)
    if errors:
        raise Failure(f"{len(errors)} playbook file(s) do not load")


def playbook_add(path: Path, playbook_id: str, passphrase_file: Path | None) -> None:
    """Add a playbook's steps to the incident's checklist."""
    with unlocked(path, passphrase_file) as session:
        added = session.add_playbook(playbook_id)
    click.echo(f"{playbook_id}: {added} steps added")
