"""The outbox: `warroom page`, `warroom chat send`, `warroom chat room` and `warroom outbox`.

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


@click.group()
def chat() -> None:
    """The incident's chat: its Slack room, and messages through the comms rules to every
    chat integration."""


@chat.command("send")
@path_argument
@click.argument("text")
@passphrase_option
def chat_send(**params: Any) -> None:
    """Send TEXT (`-`: from standard input) to every chat integration (a Slack- or
    Mattermost-compatible webhook, a JSON webhook, the chat room once made), through
    the outbox.

    The comms rules decide first: a message without the prefix ("Attorney Work
    Project"), with a banned phrase, or naming the incident's title rather than its
    codename is refused, naming the rule (exit 1), and never queued.
    """
    from warroom.commands import outbox as body

    body.chat_send(**params)


@chat.command("room")
@path_argument
@click.option(
    "--topic",
    help=f"The channel's topic (by default the prefix, the codename and "
    f'"incident room"). {STDIN_HELP}',
)
@passphrase_option
def chat_room(**params: Any) -> None:
    """Make the incident's chat room through every slack-bot integration: a private
    channel named by the codename (never the title), its topic, the roster invited (the
    handles that are Slack member ids, U012AB3CD; the others are skipped, and counted).

    The topic goes through the comms rules first: without the prefix ("Attorney Work
    Project") it is refused, naming the rule (exit 1), and nothing is queued. The room
    is made once, through the outbox: run again (or after a failure halfway), it sets
    the topic and invites again in the same channel. Then `warroom chat send` posts
    there too.
    """
    from warroom.commands import outbox as body

    body.chat_room(**params)


COMMANDS = (page, outbox, chat)
