"""Declarations of the incident commands: init, note, timeline, verify, info, show,
roster, step, playbook, incident, passwd. Their bodies are in warroom/commands/
(incident.py, timeline.py, roster.py, checklist.py, passwd.py), imported when the
command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warroom import events as ev
from warroom import limits
from warroom.cli.options import (
    STDIN_HELP,
    format_option,
    from_json_option,
    kdf_option,
    passphrase_option,
    path_argument,
)
from warroom.commands import textin
from warroom.export.timeline import FORMATS as TIMELINE_FORMATS


@click.command()
@path_argument
@kdf_option("Argon2id cost. 'interactive' is the floor, for small hosts and tests.")
@click.option("--codename", help="Innocuous codename; generated when omitted.")
@click.option(
    "--title",
    default="",
    help=f"A short title (kept encrypted; at most {limits.MAX_LINE_CHARS} characters). "
    f"{STDIN_HELP}",
)
@click.option("--kind", type=click.Choice(ev.INCIDENT_KINDS), default="security", show_default=True)
@click.option(
    "--severity",
    type=click.IntRange(1, 4),
    default=2,
    show_default=True,
    help="1 is the most severe.",
)
@click.option(
    "--playbook",
    help="Checklist to seed (default: the kind's own playbook; 'none' for an empty "
    "checklist). See `warroom playbook list`.",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Comms policy TOML to store in the incident (default: the shipped one).",
)
@click.option(
    "--shared",
    is_flag=True,
    help="Make the file group-readable and -writable (0660) for several responders on "
    "this host; put it in a setgid directory of your group. Default: 0600.",
)
@passphrase_option
def init(**params: Any) -> None:
    """Declare an incident in a new file PATH (never overwrites).

    `--title -` reads the title from standard input (then give the passphrase with
    --passphrase-file): a title on the command line is visible to every user of this
    host (ps, /proc/PID/cmdline).
    """
    from warroom.commands import incident

    incident.init(**params)


@click.command()
@path_argument
@click.argument("text", required=False)
@click.option("--kind", type=click.Choice(ev.USER_ENTRY_KINDS), default="note", show_default=True)
@click.option(
    "--phase",
    type=click.Choice(ev.ATTACK_PHASES),
    help="The attack phase an attacker entry marks (implies --kind attacker).",
)
@click.option(
    "--at",
    "at_text",
    metavar="ISO8601",
    help="When it happened, if not now (backdating): from 1990 to a day ahead. "
    "No offset means UTC.",
)
@click.option("--author", help=f"Whose words these are (default: your display name). {STDIN_HELP}")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@from_json_option(textin.NOTE_JSON)
@passphrase_option
def note(**params: Any) -> None:
    """Add a timeline entry; prints its id.

    TEXT `-` reads the note from standard input (at most 16,000 characters, UTF-8),
    the safe form: `warroom note PATH - <<'EOF'`. With no TEXT, at a terminal you
    are asked for it (one line, not $EDITOR, whose temporary files would hold it on
    disk); otherwise it is read from standard input. TEXT on the command line works,
    but every user of this host can read it (ps, /proc/PID/cmdline).

    An attacker entry may mark a phase of the attack (--phase), from which
    `warroom metrics` works out time to detect, dwell time and the rest.
    """
    from warroom.commands import timeline

    source = click.get_current_context().get_parameter_source("kind")
    timeline.note(**params, kind_given=source is not click.core.ParameterSource.DEFAULT)


@click.command("timeline")
@path_argument
@format_option("text", *TIMELINE_FORMATS)
@passphrase_option
def timeline_command(**params: Any) -> None:
    """Print the timeline, oldest first (times in UTC)."""
    from warroom.commands import timeline

    timeline.timeline(**params)


@click.command()
@path_argument
@passphrase_option
def verify(**params: Any) -> None:
    """Check every signature, chain link and box, every stamp against this clock, and
    every device's feed against the newest you have seen. Exit 1 names the first problem."""
    from warroom.commands import incident

    incident.verify(**params)


@click.command()
@path_argument
@format_option("text", "json")
@passphrase_option
def info(**params: Any) -> None:
    """Codename, counts, devices and file size (no incident content)."""
    from warroom.commands import incident

    incident.info(**params)


@click.command()
@path_argument
@format_option("text", "json")
@passphrase_option
def show(**params: Any) -> None:
    """The incident as it stands: declaration, checklist, roster, drafts."""
    from warroom.commands import incident

    incident.show(**params)


@click.group("roster")
def roster_group() -> None:
    """People and the roles they hold."""


@roster_group.command("add")
@path_argument
@click.argument("name", required=False)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(list(ev.ROLES)),
    help="A role they take on; repeat for more.",
)
@click.option("--email", default="")
@click.option("--phone", default="")
@click.option("--handle", default="", help="Chat handle.")
@click.option("--gpg", default="", metavar="FINGERPRINT", help="Their pinned GPG key.")
@click.option("--external", is_flag=True, help="Not an employee (counsel, vendor, agency).")
@click.option("--state", type=click.Choice(ev.PERSON_STATES), default="paged", show_default=True)
@from_json_option(textin.ROSTER_JSON)
@passphrase_option
def roster_add(**params: Any) -> None:
    """Add a person to the roster; prints their id.

    Who is on the roster, and how to reach them, is better kept off the command
    line (every user of this host can read it: ps, /proc/PID/cmdline): give NAME,
    --email, --phone or --handle as `-` to read it from standard input, or all of
    them with `--from-json -`, e.g. {"name": "Ann Lee", "email": "ann@example.com"}.
    """
    from warroom.commands import roster

    roster.add(**params)


@roster_group.command("set")
@path_argument
@click.argument("who")
@click.option(
    "--state",
    type=click.Choice(ev.PERSON_STATES),
    required=True,
    help="paged, joined (they are on the call) or left.",
)
@passphrase_option
def roster_set(**params: Any) -> None:
    """Set the state of WHO: a role (ic, legal, ...: its holders), or a person by id or
    name (`-`: read it from standard input, to keep a name off the command line).
    PagerDuty's Events API does not say who acknowledged a page: mark people joined
    here (or with J in the console's roster)."""
    from warroom.commands import roster

    roster.set_state(**params)


@click.group()
def step() -> None:
    """Checklist steps."""


@step.command("set")
@path_argument
@click.argument("step_id")
@click.argument("status", type=click.Choice(ev.STEP_STATUSES))
@click.option("--assignee", help=f"Who is doing it. {STDIN_HELP}")
@passphrase_option
def step_set(**params: Any) -> None:
    """Set a checklist step's status (todo, doing, done, skipped)."""
    from warroom.commands import checklist

    checklist.step_set(**params)


@click.group()
def playbook() -> None:
    """Checklists: list them, add one to a running incident."""


@playbook.command("list")
def playbook_list() -> None:
    """Every playbook warroom can load (shipped, and yours in the config dir)."""
    from warroom.commands import checklist

    checklist.playbook_list()


@playbook.command("add")
@path_argument
@click.argument("playbook_id")
@passphrase_option
def playbook_add(**params: Any) -> None:
    """Add a playbook's steps to the incident's checklist (steps it has are kept)."""
    from warroom.commands import checklist

    checklist.playbook_add(**params)


@click.group("incident")
def incident_group() -> None:
    """The incident's own fields."""


FIELD_CHOICES = sorted({*(f.replace("_", "-") for f in ev.INCIDENT_FIELDS), *ev.INCIDENT_FIELDS})
"""`root-cause` or `root_cause`: either spelling of a field."""


@incident_group.command("set")
@path_argument
@click.argument("field", type=click.Choice(FIELD_CHOICES))
@click.argument("value")
@passphrase_option
def incident_set(**params: Any) -> None:
    """Set a field: status, severity, title, summary, impact, root-cause, resolution.

    Changing the status is a timeline entry; resolving stamps the time and sets
    the review due date two weeks on.

    VALUE `-` reads it from standard input (`warroom incident set PATH summary -`),
    the safe form: VALUE on the command line is visible to every user of this host
    (ps, /proc/PID/cmdline). Title: at most 500 characters; the others 16,000.
    """
    from warroom.commands import incident

    incident.set_field(**params)


@click.command("passwd")
@path_argument
@click.option(
    "--new-passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the new passphrase from the first line of this file. "
    "Without it you are asked twice, with no echo.",
)
@passphrase_option
def passwd_command(**params: Any) -> None:
    """Change the passphrase of the incident in PATH.

    The old passphrase is read as for every command. The data key is wrapped anew
    under the new one in one transaction: a crash leaves the old passphrase or the
    new one working, never neither. The events are not re-encrypted: a copy of the
    file made before still opens with the old passphrase.
    """
    from warroom.commands import passwd

    passwd.passwd(**params)


COMMANDS = (
    init,
    note,
    timeline_command,
    verify,
    info,
    show,
    roster_group,
    step,
    playbook,
    incident_group,
    passwd_command,
)
