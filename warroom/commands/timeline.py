"""The timeline: add an entry (`note`), print it (`timeline`)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import click

from warroom import limits
from warroom.clock import wall_ms
from warroom.commands import textin
from warroom.commands.common import Failure, unlocked
from warroom.export import timeline as timeline_export
from warroom.sanitize import one_line
from warroom.timefmt import parse_at


def note(
    path: Path,
    text: str | None,
    kind: str,
    phase: str | None,
    at_text: str | None,
    author: str | None,
    tags: tuple[str, ...],
    from_json: IO[str] | None,
    passphrase_file: Path | None,
    *,
    kind_given: bool,
) -> None:
    """Add a timeline entry and print its id. A `phase` makes it an attacker entry
    unless another `kind` was given (`kind_given`: not click's default)."""
    if phase:
        if not kind_given:
            kind = "attacker"
        elif kind != "attacker":
            raise Failure(f"--phase marks an attacker entry, not a {kind} entry")
    try:
        at = parse_at(at_text, wall_ms()) if at_text is not None else None
    except ValueError as exc:
        raise Failure(f"--at {exc}") from None
    cap = limits.MAX_NOTE_CHARS
    text = textin.free_text(text, "the note", cap)
    author = textin.free_text(author, "the author", limits.MAX_LINE_CHARS)
    given = textin.merge_json(
        from_json, textin.NOTE_JSON, {"text": text, "author": author, "tags": tags}
    )
    text = given["text"] if given["text"] is not None else textin.ask_or_read("the note", cap)
    # A note needs no state, only the chain's end and the clock: no fold of the file.
    with unlocked(path, passphrase_file, fold=False) as session:
        click.echo(
            session.add_note(
                text,
                kind=kind,
                at=at,
                author=given["author"],
                tags=given["tags"],
                phase=phase or "",
            )
        )


def timeline(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Print the timeline, oldest first: one line an entry, or `fmt` (md, csv, json)."""
    with unlocked(path, passphrase_file) as session:
        rows = timeline_export.rows(session.state.timeline())
    if fmt != "text":
        click.echo(timeline_export.render(rows, fmt), nl=False)
        return
    for row in rows:
        struck = f"  [struck: {one_line(row['struck'])}]" if row["struck"] else ""
        phase = f" ({row['phase']})" if row["phase"] else ""
        click.echo(
            f"{row['at']}  {row['kind']:<8}  {one_line(timeline_export.who(row))}: "
            f"{one_line(row['text'])}{phase}{struck}  ({row['id']})"
        )
