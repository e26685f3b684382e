"""Registers kept in the incident: evidence, indicators, follow-ups, the
incident's own fields, and the attack metrics."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

import click

from warroom import events as ev
from warroom import evidence as evidence_mod
from warroom import limits
from warroom.commands import textin
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


EVIDENCE_JSON = {"description": str, "location": str, "collected_by": str}


@evidence.command("add")
@path_argument
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path),
    help="Hash this file (streamed, never read whole).",
)
@click.option(
    "--description",
    default="",
    help=f"What it is (default: the file's name). {textin.STDIN_HELP}",
)
@click.option("--kind", type=click.Choice(evidence_mod.EVIDENCE_KINDS), required=True)
@click.option("--location", help="Where it is kept (read-only storage). Required.")
@click.option("--sha256", "digest", default="", help="The SHA-256, if hashed elsewhere.")
@click.option("--collected-by", default="", help="Who collected it (default: you).")
@click.option(
    "--retain-days",
    type=click.IntRange(1, 36500),
    default=evidence_mod.DEFAULT_RETENTION_DAYS,
    show_default=True,
)
@click.option("--writable", is_flag=True, help="It is NOT on read-only storage.")
@textin.from_json_option(EVIDENCE_JSON)
@passphrase_option
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
    """Register an item of evidence; prints its id and SHA-256.

    --description, --location and --collected-by take `-` to read from standard
    input, or all three from `--from-json -`: text on the command line is visible to
    every user of this host (ps, /proc/PID/cmdline).
    """
    given = {
        "description": textin.free_text(description, "the description", limits.MAX_FIELD_CHARS),
        "location": textin.free_text(location, "the location", limits.MAX_FIELD_CHARS),
        "collected_by": textin.free_text(collected_by, "collected by", limits.MAX_LINE_CHARS),
    }
    given = textin.merge_json(from_json, EVIDENCE_JSON, given)
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
@click.option(
    "--location", default="", help=f"Where it is kept now, if it moved. {textin.STDIN_HELP}"
)
@passphrase_option
def evidence_note(
    path: Path, evidence_id: str, text: str, location: str, passphrase_file: Path | None
) -> None:
    """Add a chain-of-custody note (who moved it, who examined it).

    TEXT `-` reads it from standard input, the safe form: TEXT on the command line is
    visible to every user of this host (ps, /proc/PID/cmdline).
    """
    text = textin.free_text(text, "the custody note", limits.MAX_FIELD_CHARS) or ""
    location = textin.free_text(location, "the location", limits.MAX_FIELD_CHARS) or ""
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


IOC_JSON = {"value": str, "note": str}
IOC_HELP = (
    "\n\nVALUE or --note `-` reads it from standard input, or both from `--from-json -` "
    '({"value": ..., "note": ...}): the command line is visible to every user of this '
    "host (ps, /proc/PID/cmdline), and an indicator or a note can say what you know."
)


def _mark(status: str, help_text: str) -> click.Command:
    @click.command(help=help_text + IOC_HELP)
    @path_argument
    @click.argument("value", required=False)
    @click.option("--note", default="", help=f"Why. {textin.STDIN_HELP}")
    @textin.from_json_option(IOC_JSON)
    @passphrase_option
    def command(
        path: Path,
        value: str | None,
        note: str,
        from_json: IO[str] | None,
        passphrase_file: Path | None,
    ) -> None:
        given = {
            "value": textin.free_text(value, "the indicator", limits.MAX_FIELD_CHARS),
            "note": textin.free_text(note, "the note", limits.MAX_FIELD_CHARS),
        }
        given = textin.merge_json(from_json, IOC_JSON, given)
        if not given["value"]:
            raise Failure('which indicator? give VALUE, or "value" in --from-json')
        with unlocked(path, passphrase_file) as session:
            row = session.mark_indicator(given["value"], status, given["note"] or "")
        click.echo(f"{one_line(row.value)} ({row.type}): {row.status}")

    return command


iocs.add_command(_mark("confirmed", "Confirm an indicator: it goes on the blocklist."), "confirm")
iocs.add_command(_mark("dismissed", "Dismiss an indicator (a false positive)."), "dismiss")


# -- follow-ups ----------------------------------------------------------------


@click.group(cls=DefaultGroup, default="list")
def followup() -> None:
    """Corrective and preventive actions, with owners and due dates."""


FOLLOWUP_JSON = {"title": str, "owner": str}


@followup.command("add")
@path_argument
@click.argument("title", required=False)
@click.option("--kind", type=click.Choice(ev.FOLLOWUP_KINDS), default="corrective")
@click.option("--owner", default="", help=textin.STDIN_HELP)
@click.option("--due", default="", metavar="YYYY-MM-DD")
@textin.from_json_option(FOLLOWUP_JSON)
@passphrase_option
def followup_add(
    path: Path,
    title: str | None,
    kind: str,
    owner: str,
    due: str,
    from_json: IO[str] | None,
    passphrase_file: Path | None,
) -> None:
    """Add a follow-up action; prints its id.

    TITLE `-` reads it from standard input (or title and owner from `--from-json -`),
    the safe form: TITLE on the command line is visible to every user of this host
    (ps, /proc/PID/cmdline).
    """
    line = limits.MAX_LINE_CHARS
    given = {
        "title": textin.free_text(title, "the title", line),
        "owner": textin.free_text(owner, "the owner", line),
    }
    given = textin.merge_json(from_json, FOLLOWUP_JSON, given)
    if not given["title"]:
        raise Failure('a follow-up needs a title: TITLE, or "title" in --from-json')
    with unlocked(path, passphrase_file, fold=False) as session:  # appends only
        click.echo(
            session.add_followup(given["title"], kind=kind, owner=given["owner"] or "", due=due)
        )


@followup.command("set")
@path_argument
@click.argument("followup_id")
@click.option("--status", type=click.Choice(ev.FOLLOWUP_STATUSES))
@click.option("--owner", help=textin.STDIN_HELP)
@click.option("--due", metavar="YYYY-MM-DD")
@click.option("--kind", type=click.Choice(ev.FOLLOWUP_KINDS))
@passphrase_option
def followup_set(
    path: Path, followup_id: str, passphrase_file: Path | None, **changes: str | None
) -> None:
    """Change a follow-up's status, owner, due date or kind."""
    changes["owner"] = textin.free_text(changes["owner"], "the owner", limits.MAX_LINE_CHARS)
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

    VALUE `-` reads it from standard input (`warroom incident set PATH summary -`),
    the safe form: VALUE on the command line is visible to every user of this host
    (ps, /proc/PID/cmdline). Title: at most 500 characters; the others 16,000.
    """
    name = FIELD_NAMES.get(field, field)
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
