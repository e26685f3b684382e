"""Declarations of the stakeholder-update commands: status, and update new|sent. Their
bodies are in warroom/commands/updates.py, imported when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warroom.cli.options import format_option, passphrase_option, path_argument


@click.command("status")
@path_argument
@format_option("text", "json")
@passphrase_option
def status_command(**params: Any) -> None:
    """What is due: the next stakeholder update.

    Prints the severity, the interval between updates (the policy's
    `update_every`, minutes per severity), when the last update was sent and when
    the next is due (UTC), with the minutes left or how late it is. The clock
    starts at the declaration and again at each update sent. A severity the
    policy gives no interval, and a resolved or closed incident, have no rhythm.
    Exit 0 either way.
    """
    from warroom.commands import updates

    updates.status(**params)


@click.group("update")
def update_group() -> None:
    """Stakeholder updates on the policy's rhythm (`update_every`).

    `update new` starts a draft from the template, `update sent` records it sent
    once it went out; `warroom status` says when the next one is due.
    """


@update_group.command("new")
@path_argument
@passphrase_option
def update_new(**params: Any) -> None:
    """Save a new update's draft from the template; print its id.

    A chat message to the stakeholders, starting with the policy's prefix and
    naming the incident by its codename: what happened since the last update (the
    timeline's newest entries), the current status, the next update's time. Edit
    it like any draft; the comms rules apply.
    """
    from warroom.commands import updates

    updates.update_new(**params)


@update_group.command("sent")
@path_argument
@click.argument("draft_id")
@click.option(
    "--gnupghome",
    type=click.Path(file_okay=False, path_type=Path),
    help="GnuPG home holding the recipients' public keys, for an email draft "
    "(default: $GNUPGHOME or ~/.gnupg).",
)
@passphrase_option
def update_sent(**params: Any) -> None:
    """Record that the update DRAFT_ID went out: restarts the clock.

    Refused while a comms rule finds an error in the draft (exit 1, naming the
    rule), for a draft already sent, and for an unknown draft (exit 2).
    """
    from warroom.commands import updates

    updates.update_sent(**params)


COMMANDS = (status_command, update_group)
"""Stakeholder updates: `status` (what is due), `update new|sent`."""
