"""The outbox: `warroom page` and `warroom outbox`.

Declarations only; the bodies are in warroom/commands/outbox.py."""

from __future__ import annotations

from typing import Any

import click

from warroom.cli.options import STDIN_HELP, format_option, passphrase_option, path_argument


@click.command()
@path_argument
@click.argument("who")
@click.option("--message", help=f"What the page says, after the codename. {STDIN_HELP}")
@passphrase_option
def page(**params: Any) -> None:
    """Page WHO (a role such as ic or legal: its holders; or a person, by id or name)
    through every PagerDuty integration, and mark them paged.

    The page is queued in the incident's outbox and sent at once when the network
    is there; if not, `warroom outbox PATH --flush` sends it later, once. Its summary
    names the codename, never the incident's title.
    """
    from warroom.commands import outbox as body

    body.page(**params)


@click.command()
@path_argument
@click.option("--flush", is_flag=True, help="Deliver what is due, then show the queue.")
@format_option("text", "json")
@passphrase_option
def outbox(**params: Any) -> None:
    """The outbox: messages queued, delivered, or failed. Only this device delivers what
    it queued, so several processes or synced replicas flushing send each once."""
    from warroom.commands import outbox as body

    body.outbox(**params)


COMMANDS = (page, outbox)
