"""Registers kept in the incident: evidence (`evidence add|list|note`), indicators
(`iocs list|confirm|dismiss`), follow-ups (`followup add|set|list`), and the attack
metrics (`metrics`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

import click

from warroom import evidence as evidence_mod
from warroom import limits
from warroom.commands import textin
from warroom.commands.common import Failure, dump_json, unlocked
from warroom.export.tabular import to_csv
from warroom.sanitize import one_line
from warroom.timefmt import iso

# -- evidence ------------------------------------------------------------------


def evidence_add(
    path: Path,
    file: Path | None,
    description: str,
    kind: str,
    location: str | None,
    digest: str,
    collected_by: str,
    retain_days: int,
    writable: bool,
    from_json: IO[str] | None,
    passphrase_file: Path | None,
) -> None:
    """Register an item of evidence, hashing `file` if given; print its id and SHA-256."""
    given = {
        "description": textin.free_text(description, "the description", limits.MAX_FIELD_CHARS),
        "location": textin.free_text(location, "the location", limits.MAX_FIELD_CHARS),
        "collected_by": textin.free_text(collected_by, "collected by", limits.MAX_LINE_CHARS),
    }
    given = textin.merge_json(from_json, textin.EVIDENCE_JSON, given)
    description, location, collected_by = (
        given["description"] or "",
        given["location"],
        given["collected_by"] or "",
    )
    if not location:
        raise Failure('where is it kept? give --location, or "location" in --from-json')
    if file is None and not description:
        raise Failure("give --file F (to hash it) or --description T, or both")
    if file is not None:  # before the passphrase; the names printed without controls
        if not file.exists():
            raise Failure(f"{one_line(str(file))}: no such file")
        if file.is_dir():
            raise Failure(f"{one_line(str(file))}: is a directory, not a file")
    size = None
    with unlocked(path, passphrase_file) as session:
        # Hashed once the incident is open: a wrong passphrase or a missing incident
        # file is reported at once, not after an hour spent on a disk image.
        if file is not None:
            digest, size = _hash_file(file, digest)
        evidence_id = session.add_evidence(
            description or file.name if file else description,
            kind=kind,
            sha256=digest,
            size=size,
            source=str(file.resolve()) if file else "",
            location=location,
            read_only=not writable,
            collected_by=collected_by,
            retain_days=retain_days,
        )
    click.echo(f"{evidence_id}  {digest or '-'}")


def _hash_file(file: Path, expected: str) -> tuple[str, int]:
    size = file.stat().st_size
    try:
        with click.progressbar(
            length=size,
            label=f"hashing {one_line(file.name)}",
            file=click.get_text_stream("stderr"),
        ) as bar:
            done = [0]

            def progress(now: int, _total: int) -> None:
                bar.update(now - done[0])
                done[0] = now

            digest = evidence_mod.sha256_file(file, progress=progress)
    except evidence_mod.EvidenceError as exc:
        raise Failure(one_line(str(exc))) from None
    if expected and expected.lower() != digest:
        raise Failure(
            f"{one_line(str(file))}: SHA-256 is {digest}, not the {one_line(expected)} given"
        )
    return digest, size


def evidence_rows(session: Any) -> list[dict[str, Any]]:
    rows = []
    for item in session.state.evidence.values():
        row = asdict(item)
        row["collected_at"] = iso(item.collected_at)
        row["retain_until"] = iso(item.retain_until)
        row["custody"] = [{**asdict(n), "at": iso(n.at)} for n in item.custody]
        rows.append(row)
    return rows


def evidence_list(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Print every item of evidence, with its hash and chain of custody."""
    with unlocked(path, passphrase_file) as session:
        rows = evidence_rows(session)
    if fmt == "json":
        dump_json(rows)
        return
    for row in rows:
        ro = "read-only" if row["read_only"] else "WRITABLE"
        click.echo(
            f"{row['id']}  {row['kind']:<11} {one_line(row['item'])}\n"
            f"    sha256 {row['sha256'] or '-'}\n"
            f"    kept at {one_line(row['location']) or '-'} ({ro}), collected by "
            f"{one_line(row['collected_by'])} at {row['collected_at']}, "
            f"retain until {row['retain_until'][:10]}"
        )
        for note in row["custody"]:
            click.echo(f"    {note['at']} {one_line(note['by'])}: {one_line(note['text'])}")


def evidence_note(
    path: Path, evidence_id: str, text: str, location: str, passphrase_file: Path | None
) -> None:
    """Add a chain-of-custody note to an item (and where it is kept now, if it moved)."""
    text = textin.free_text(text, "the custody note", limits.MAX_FIELD_CHARS) or ""
    location = textin.free_text(location, "the location", limits.MAX_FIELD_CHARS) or ""
    with unlocked(path, passphrase_file) as session:
        session.note_custody(evidence_id, text, location=location)
    click.echo(f"{evidence_id}: noted")


# -- indicators ----------------------------------------------------------------


def iocs_list(path: Path, fmt: str, include_new: bool, passphrase_file: Path | None) -> None:
    """Print the indicators as text, JSON, CSV or a blocklist (confirmed ones, and new
    ones with `include_new`)."""
    with unlocked(path, passphrase_file) as session:
        rows = session.indicators()
    table = [{**r.to_dict(), "first_seen": iso(r.first_seen), "at": iso(r.at)} for r in rows]
    if fmt == "json":
        dump_json(table)
    elif fmt == "csv":
        columns = ("value", "type", "status", "first_seen", "entries", "by", "at", "note")
        click.echo(to_csv(columns, table), nl=False)
    elif fmt == "blocklist":
        from warroom import indicators as indicator_mod  # its patterns: only when used

        wanted = {"confirmed", "new"} if include_new else {"confirmed"}
        chosen = [indicator_mod.Indicator(r.value, r.type) for r in rows if r.status in wanted]
        click.echo(indicator_mod.blocklist(chosen), nl=False)
    else:
        for row in table:
            click.echo(
                f"{row['status']:<9} {row['type']:<7} {one_line(row['value'])}  "
                f"(first seen {row['first_seen'] or '-'}, {len(row['entries'])} entries)"
            )


def iocs_mark(
    path: Path,
    status: str,
    value: str | None,
    note: str,
    from_json: IO[str] | None,
    passphrase_file: Path | None,
) -> None:
    """Mark an indicator `status` (confirmed, dismissed), with a note why."""
    given = {
        "value": textin.free_text(value, "the indicator", limits.MAX_FIELD_CHARS),
        "note": textin.free_text(note, "the note", limits.MAX_FIELD_CHARS),
    }
    given = textin.merge_json(from_json, textin.IOC_JSON, given)
    if not given["value"]:
        raise Failure('which indicator? give VALUE, or "value" in --from-json')
    with unlocked(path, passphrase_file) as session:
        row = session.mark_indicator(given["value"], status, given["note"] or "")
    click.echo(f"{one_line(row.value)} ({row.type}): {row.status}")


# -- follow-ups ----------------------------------------------------------------


def followup_add(
    path: Path,
    title: str | None,
    kind: str,
    owner: str,
    due: str,
    from_json: IO[str] | None,
    passphrase_file: Path | None,
) -> None:
    """Add a follow-up action; print its id."""
    line = limits.MAX_LINE_CHARS
    given = {
        "title": textin.free_text(title, "the title", line),
        "owner": textin.free_text(owner, "the owner", line),
    }
    given = textin.merge_json(from_json, textin.FOLLOWUP_JSON, given)
    if not given["title"]:
        raise Failure('a follow-up needs a title: TITLE, or "title" in --from-json')
    with unlocked(path, passphrase_file, fold=False) as session:  # appends only
        click.echo(
            session.add_followup(given["title"], kind=kind, owner=given["owner"] or "", due=due)
        )


def followup_set(
    path: Path, followup_id: str, passphrase_file: Path | None, **changes: str | None
) -> None:
    """Change the `changes` not None (status, owner, due, kind) of a follow-up."""
    changes["owner"] = textin.free_text(changes["owner"], "the owner", limits.MAX_LINE_CHARS)
    fields = {k: v for k, v in changes.items() if v is not None}
    if not fields:
        raise Failure("nothing to change: give --status, --owner, --due or --kind")
    with unlocked(path, passphrase_file) as session:
        session.set_followup(followup_id, **fields)
    click.echo(f"{followup_id}: updated")


def followup_list(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Print every follow-up action."""
    with unlocked(path, passphrase_file) as session:
        rows = [
            {**asdict(f), "added_at": iso(f.added_at)} for f in session.state.followups.values()
        ]
    if fmt == "json":
        dump_json(rows)
        return
    for row in rows:
        click.echo(
            f"{row['id']}  {row['status']:<7} {row['kind']:<10} {one_line(row['title'])}"
            f"  (owner {one_line(row['owner']) or '-'}, due {row['due'] or '-'})"
        )


# -- metrics -----------------------------------------------------------------


def metrics(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Print the attack metrics (time to detect, dwell time, ...), as text or JSON."""
    from warroom import metrics as metrics_mod

    with unlocked(path, passphrase_file) as session:
        found = session.attack_metrics()
    data = asdict(found)
    if fmt == "json":
        dump_json(data)
        return
    for name in ("time_to_detect", "dwell_time", "time_to_contain", "time_to_resolve"):
        label = name.replace("_", " ")
        click.echo(f"{label:<16} {metrics_mod.format_duration(data[name])}")
    for problem in found.problems:
        click.echo(f"warroom: {problem}", err=True)
