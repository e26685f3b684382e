"""Registers kept in the incident: evidence, indicators, follow-ups, the
incident's own fields, and the attack metrics."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from warroom import events as ev
from warroom import evidence as evidence_mod
from warroom.commands.common import Failure, dump_json, passphrase_option, path_argument, unlocked
from warroom.export.tabular import to_csv
from warroom.sanitize import one_line
from warroom.timefmt import iso


class DefaultGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to `default`:
    `warroom iocs PATH` lists, `warroom iocs confirm PATH VALUE` confirms."""

    def __init__(self, *args: Any, default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def format_option(*choices: str) -> Any:
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True
    )


# -- evidence ------------------------------------------------------------------


@click.group(cls=DefaultGroup, default="list")
def evidence() -> None:
    """The evidence register: what was collected, its SHA-256, where it is kept."""


@evidence.command("add")
@path_argument
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path),
    help="Hash this file (streamed, never read whole).",
)
@click.option("--description", default="", help="What it is (default: the file's name).")
@click.option("--kind", type=click.Choice(evidence_mod.EVIDENCE_KINDS), required=True)
@click.option("--location", required=True, help="Where it is kept (read-only storage).")
@click.option("--sha256", "digest", default="", help="The SHA-256, if hashed elsewhere.")
@click.option("--collected-by", default="", help="Who collected it (default: you).")
@click.option(
    "--retain-days",
    type=click.IntRange(1, 36500),
    default=evidence_mod.DEFAULT_RETENTION_DAYS,
    show_default=True,
)
@click.option("--writable", is_flag=True, help="It is NOT on read-only storage.")
@passphrase_option
def evidence_add(
    path: Path,
    file: Path | None,
    description: str,
    kind: str,
    location: str,
    digest: str,
    collected_by: str,
    retain_days: int,
    writable: bool,
    passphrase_file: Path | None,
) -> None:
    """Register an item of evidence; prints its id and SHA-256."""
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


@evidence.command("list")
@path_argument
@format_option("text", "json")
@passphrase_option
def evidence_list(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Every item of evidence, with its hash and chain of custody."""
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


@evidence.command("note")
@path_argument
@click.argument("evidence_id")
@click.argument("text")
@click.option("--location", default="", help="Where it is kept now, if it moved.")
@passphrase_option
def evidence_note(
    path: Path, evidence_id: str, text: str, location: str, passphrase_file: Path | None
) -> None:
    """Add a chain-of-custody note (who moved it, who examined it)."""
    with unlocked(path, passphrase_file) as session:
        session.note_custody(evidence_id, text, location=location)
    click.echo(f"{evidence_id}: noted")


# -- indicators ----------------------------------------------------------------


@click.group(cls=DefaultGroup, default="list")
def iocs() -> None:
    """Indicators of compromise found in the timeline: list, confirm, dismiss."""


@iocs.command("list")
@path_argument
@format_option("text", "json", "csv", "blocklist")
@click.option(
    "--include-new",
    is_flag=True,
    help="blocklist: also indicators nobody has confirmed yet (never dismissed ones).",
)
@passphrase_option
def iocs_list(path: Path, fmt: str, include_new: bool, passphrase_file: Path | None) -> None:
    """Print the indicators (blocklist: confirmed network indicators, one per line)."""
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


def _mark(status: str, help_text: str) -> click.Command:
    @click.command(help=help_text)
    @path_argument
    @click.argument("value")
    @click.option("--note", default="", help="Why.")
    @passphrase_option
    def command(path: Path, value: str, note: str, passphrase_file: Path | None) -> None:
        with unlocked(path, passphrase_file) as session:
            row = session.mark_indicator(value, status, note)
        click.echo(f"{one_line(row.value)} ({row.type}): {row.status}")

    return command


iocs.add_command(_mark("confirmed", "Confirm an indicator: it goes on the blocklist."), "confirm")
iocs.add_command(_mark("dismissed", "Dismiss an indicator (a false positive)."), "dismiss")


# -- follow-ups ----------------------------------------------------------------


@click.group(cls=DefaultGroup, default="list")
def followup() -> None:
    """Corrective and preventive actions, with owners and due dates."""


@followup.command("add")
@path_argument
@click.argument("title")
@click.option("--kind", type=click.Choice(ev.FOLLOWUP_KINDS), default="corrective")
@click.option("--owner", default="")
@click.option("--due", default="", metavar="YYYY-MM-DD")
@passphrase_option
def followup_add(
    path: Path, title: str, kind: str, owner: str, due: str, passphrase_file: Path | None
) -> None:
    """Add a follow-up action; prints its id."""
    with unlocked(path, passphrase_file) as session:
        click.echo(session.add_followup(title, kind=kind, owner=owner, due=due))


@followup.command("set")
@path_argument
@click.argument("followup_id")
@click.option("--status", type=click.Choice(ev.FOLLOWUP_STATUSES))
@click.option("--owner")
@click.option("--due", metavar="YYYY-MM-DD")
@click.option("--kind", type=click.Choice(ev.FOLLOWUP_KINDS))
@passphrase_option
def followup_set(
    path: Path, followup_id: str, passphrase_file: Path | None, **changes: str | None
) -> None:
    """Change a follow-up's status, owner, due date or kind."""
    fields = {k: v for k, v in changes.items() if v is not None}
    if not fields:
        raise Failure("nothing to change: give --status, --owner, --due or --kind")
    with unlocked(path, passphrase_file) as session:
        session.set_followup(followup_id, **fields)
    click.echo(f"{followup_id}: updated")


@followup.command("list")
@path_argument
@format_option("text", "json")
@passphrase_option
def followup_list(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Every follow-up action."""
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


# -- the incident's fields and metrics -----------------------------------------

FIELD_NAMES = {f.replace("_", "-"): f for f in ev.INCIDENT_FIELDS}


@click.group()
def incident() -> None:
    """The incident's own fields."""


@incident.command("set")
@path_argument
@click.argument("field", type=click.Choice(sorted({*FIELD_NAMES, *ev.INCIDENT_FIELDS})))
@click.argument("value")
@passphrase_option
def incident_set(path: Path, field: str, value: str, passphrase_file: Path | None) -> None:
    """Set a field: status, severity, title, summary, impact, root-cause, resolution.

    Changing the status is a timeline entry; resolving stamps the time and sets
    the review due date two weeks on.
    """
    name = FIELD_NAMES.get(field, field)
    typed: Any = value
    if name == "severity":
        if value.upper().removeprefix("SEV") not in ("1", "2", "3", "4"):
            raise Failure("severity must be 1, 2, 3 or 4")
        typed = int(value.upper().removeprefix("SEV"))
    with unlocked(path, passphrase_file) as session:
        session.set_incident(**{name: typed})
        inc = session.state.incident
    click.echo(f"{field}: {one_line(str(typed))}")
    if name == "status" and inc.resolved_at:
        click.echo(f"resolved at {iso(inc.resolved_at)}; review due {iso(inc.review_due)[:10]}")


@click.command("metrics")
@path_argument
@format_option("text", "json")
@passphrase_option
def metrics(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Attack metrics from the `attacker` timeline entries and their phases."""
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
