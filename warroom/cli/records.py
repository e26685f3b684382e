"""Declarations of the registers' commands: evidence, iocs, followup, metrics. Their
bodies are in warroom/commands/records.py, imported when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warroom import events as ev
from warroom import evidence as evidence_mod
from warroom.cli.options import (
    STDIN_HELP,
    format_option,
    from_json_option,
    passphrase_option,
    path_argument,
)
from warroom.commands import textin


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
@click.option(
    "--description",
    default="",
    help=f"What it is (default: the file's name). {STDIN_HELP}",
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
@from_json_option(textin.EVIDENCE_JSON)
@passphrase_option
def evidence_add(**params: Any) -> None:
    """Register an item of evidence; prints its id and SHA-256.

    --description, --location and --collected-by take `-` to read from standard
    input, or all three from `--from-json -`: text on the command line is visible to
    every user of this host (ps, /proc/PID/cmdline).
    """
    from warroom.commands import records

    records.evidence_add(**params)


@evidence.command("list")
@path_argument
@format_option("text", "json")
@passphrase_option
def evidence_list(**params: Any) -> None:
    """Every item of evidence, with its hash and chain of custody."""
    from warroom.commands import records

    records.evidence_list(**params)


@evidence.command("note")
@path_argument
@click.argument("evidence_id")
@click.argument("text")
@click.option("--location", default="", help=f"Where it is kept now, if it moved. {STDIN_HELP}")
@passphrase_option
def evidence_note(**params: Any) -> None:
    """Add a chain-of-custody note (who moved it, who examined it).

    TEXT `-` reads it from standard input, the safe form: TEXT on the command line is
    visible to every user of this host (ps, /proc/PID/cmdline).
    """
    from warroom.commands import records

    records.evidence_note(**params)


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
def iocs_list(**params: Any) -> None:
    """Print the indicators (blocklist: confirmed network indicators, one per line)."""
    from warroom.commands import records

    records.iocs_list(**params)


IOC_HELP = (
    "\n\nVALUE or --note `-` reads it from standard input, or both from `--from-json -` "
    '({"value": ..., "note": ...}): the command line is visible to every user of this '
    "host (ps, /proc/PID/cmdline), and an indicator or a note can say what you know."
)


def _mark(status: str, help_text: str) -> click.Command:
    @click.command(help=help_text + IOC_HELP)
    @path_argument
    @click.argument("value", required=False)
    @click.option("--note", default="", help=f"Why. {STDIN_HELP}")
    @from_json_option(textin.IOC_JSON)
    @passphrase_option
    def command(**params: Any) -> None:
        from warroom.commands import records

        records.iocs_mark(status=status, **params)

    return command


iocs.add_command(_mark("confirmed", "Confirm an indicator: it goes on the blocklist."), "confirm")
iocs.add_command(_mark("dismissed", "Dismiss an indicator (a false positive)."), "dismiss")


# -- follow-ups ----------------------------------------------------------------


@click.group(cls=DefaultGroup, default="list")
def followup() -> None:
    """Corrective and preventive actions, with owners and due dates."""


@followup.command("add")
@path_argument
@click.argument("title", required=False)
@click.option("--kind", type=click.Choice(ev.FOLLOWUP_KINDS), default="corrective")
@click.option("--owner", default="", help=STDIN_HELP)
@click.option("--due", default="", metavar="YYYY-MM-DD")
@from_json_option(textin.FOLLOWUP_JSON)
@passphrase_option
def followup_add(**params: Any) -> None:
    """Add a follow-up action; prints its id.

    TITLE `-` reads it from standard input (or title and owner from `--from-json -`),
    the safe form: TITLE on the command line is visible to every user of this host
    (ps, /proc/PID/cmdline).
    """
    from warroom.commands import records

    records.followup_add(**params)


@followup.command("set")
@path_argument
@click.argument("followup_id")
@click.option("--status", type=click.Choice(ev.FOLLOWUP_STATUSES))
@click.option("--owner", help=STDIN_HELP)
@click.option("--due", metavar="YYYY-MM-DD")
@click.option("--kind", type=click.Choice(ev.FOLLOWUP_KINDS))
@passphrase_option
def followup_set(**params: Any) -> None:
    """Change a follow-up's status, owner, due date or kind."""
    from warroom.commands import records

    records.followup_set(**params)


@followup.command("list")
@path_argument
@format_option("text", "json")
@passphrase_option
def followup_list(**params: Any) -> None:
    """Every follow-up action."""
    from warroom.commands import records

    records.followup_list(**params)


# -- metrics -------------------------------------------------------------------


@click.command("metrics")
@path_argument
@format_option("text", "json")
@passphrase_option
def metrics(**params: Any) -> None:
    """Attack metrics from the `attacker` timeline entries and their phases."""
    from warroom.commands import records

    records.metrics(**params)


COMMANDS = (evidence, iocs, followup, metrics)
