"""Integrations: `warroom notify add|list|remove`.

Declarations only; the bodies are in warroom/commands/notify.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warroom import events as ev
from warroom.cli.options import format_option, passphrase_option, path_argument
from warroom.cli.records import DefaultGroup


@click.group(cls=DefaultGroup, default="list")
def notify() -> None:
    """Integrations: where the incident's messages may leave for (PagerDuty, a Slack or
    Mattermost incoming webhook, a JSON webhook, a Slack bot).

    Each one's secret (a routing key, a webhook URL, a bot token) is kept inside the
    encrypted incident file, read from a file or standard input (never the command
    line), and shown masked.
    """


@notify.command("add")
@path_argument
@click.option("--kind", type=click.Choice(ev.INTEGRATION_KINDS), required=True)
@click.option(
    "--secret-file",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    required=True,
    help="A file whose first line is the secret (a routing key, the webhook's URL, a "
    "bot token), or - for standard input. Never on the command line.",
)
@click.option(
    "--url",
    default="",
    help="The API base for pagerduty or slack-bot, when not the default (not a secret).",
)
@click.option("--name", default="", help="A name to tell it by (e.g. the service).")
@passphrase_option
def notify_add(**params: Any) -> None:
    """Add an integration; prints its id."""
    from warroom.commands import notify as body

    body.add(**params)


@notify.command("list")
@path_argument
@format_option("text", "json")
@passphrase_option
def notify_list(**params: Any) -> None:
    """The integrations, their secrets masked."""
    from warroom.commands import notify as body

    body.listing(**params)


@notify.command("remove")
@path_argument
@click.argument("integration_id")
@passphrase_option
def notify_remove(**params: Any) -> None:
    """Remove an integration (the timeline says so; its secret stays in the file's
    history, as everything written does)."""
    from warroom.commands import notify as body

    body.remove(**params)


COMMANDS = (notify,)
