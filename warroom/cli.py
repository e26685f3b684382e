"""The `warroom` command line: parse, call the session facade, print.

Exit codes: 0 ok, 1 a check failed, 2 usage or bad input (wrong passphrase,
missing file, not an incident file). Anything a person typed is printed with
terminal controls stripped.
"""

from __future__ import annotations

import importlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click
import platformdirs

from warroom import events as ev
from warroom import gcpause, limits
from warroom.clock import wall_ms
from warroom.commands import comms as comms_commands
from warroom.commands import export as export_commands
from warroom.commands import passwd as passwd_commands
from warroom.commands import records, textin
from warroom.commands.common import (
    CheckFailed,
    Failure,
    device,
    dump_json,
    passphrase_option,
    path_argument,
    read_passphrase,
    unlocked,
)
from warroom.commands.comms import read_policy
from warroom.export import timeline as timeline_export
from warroom.sanitize import one_line
from warroom.session import NO_PLAYBOOK, Session, SessionError, open_store
from warroom.store import shared_directory_warning
from warroom.timefmt import iso, parse_at

# -- commands ------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="warroom")
def cli() -> None:
    """warroom: an encrypted war-room for security incidents and outages.

    Every incident lives in one encrypted file. Commands that read or change it
    ask for its passphrase (or take --passphrase-file / $WARROOM_PASSPHRASE_FILE).
    """
    gcpause.resume()  # held while the CLI loaded; the console holds it again for its UI


@cli.command()
@path_argument
@click.option(
    "--kdf",
    type=click.Choice(["interactive", "moderate"]),
    default="moderate",
    show_default=True,
    help="Argon2id cost. 'interactive' is the floor, for small hosts and tests.",
)
@click.option("--codename", help="Innocuous codename; generated when omitted.")
@click.option(
    "--title",
    default="",
    help=f"A short title (kept encrypted; at most {limits.MAX_LINE_CHARS} characters). "
    f"{textin.STDIN_HELP}",
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
def init(
    path: Path,
    kdf: str,
    codename: str | None,
    title: str,
    kind: str,
    severity: int,
    playbook: str | None,
    policy_file: Path | None,
    shared: bool,
    passphrase_file: Path | None,
) -> None:
    """Declare an incident in a new file PATH (never overwrites).

    `--title -` reads the title from standard input (then give the passphrase with
    --passphrase-file): a title on the command line is visible to every user of this
    host (ps, /proc/PID/cmdline).
    """
    from warroom import playbooks  # not needed by `open`: kept off the console's start-up
    from warroom.playbooks import PlaybookError

    if path.exists():
        raise Failure(f"{path} already exists; refusing to overwrite it")
    title = textin.free_text(title, "the title", limits.MAX_LINE_CHARS) or ""
    codename = textin.free_text(codename, "the codename", limits.MAX_LINE_CHARS)
    policy_text = read_policy(policy_file).source_text if policy_file else ""
    try:  # a bad playbook is reported before the passphrase is asked for
        if playbook != NO_PLAYBOOK:
            playbooks.load(playbook) if playbook else playbooks.default_for(kind)
    except PlaybookError as exc:
        raise Failure(str(exc)) from None
    passphrase = read_passphrase(passphrase_file, confirm=True)
    try:
        session = Session.create(
            path,
            passphrase,
            kdf=kdf,
            codename=codename,
            title=title,
            kind=kind,
            severity=severity,
            playbook=playbook,
            device=device(),
            shared=shared,
        )
    except (SessionError, PlaybookError) as exc:
        raise Failure(str(exc)) from None
    warning = shared_directory_warning(path) if shared else None
    if warning:
        click.echo(f"warroom: warning: {warning}", err=True)
    with session:
        if policy_text:
            try:
                session.set_policy(policy_text, source=str(policy_file))
            except SessionError as exc:
                raise Failure(f"{path} was made, but its policy was not stored: {exc}") from None
        inc = session.state.incident
        click.echo(
            f"Declared {one_line(inc.codename)} ({inc.kind}, SEV{inc.severity}) in {path}: "
            f"{len(session.state.steps)} checklist steps."
        )


NOTE_JSON = {"text": str, "author": str, "tags": list}


@cli.command()
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
@click.option(
    "--author", help=f"Whose words these are (default: your display name). {textin.STDIN_HELP}"
)
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@textin.from_json_option(NOTE_JSON)
@passphrase_option
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
) -> None:
    """Add a timeline entry; prints its id.

    TEXT `-` reads the note from standard input (at most 16,000 characters, UTF-8),
    the safe form: `warroom note PATH - <<'EOF'`. With no TEXT, at a terminal you
    are asked for it (one line, not $EDITOR, whose temporary files would hold it on
    disk); otherwise it is read from standard input. TEXT on the command line works,
    but every user of this host can read it (ps, /proc/PID/cmdline).

    An attacker entry may mark a phase of the attack (--phase), from which
    `warroom metrics` works out time to detect, dwell time and the rest.
    """
    if phase:
        source = click.get_current_context().get_parameter_source("kind")
        if source is click.core.ParameterSource.DEFAULT:
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
    given = textin.merge_json(from_json, NOTE_JSON, {"text": text, "author": author, "tags": tags})
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


@cli.command()
@path_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", *timeline_export.FORMATS]),
    default="text",
    show_default=True,
)
@passphrase_option
def timeline(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Print the timeline, oldest first (times in UTC)."""
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


@cli.command()
@path_argument
@passphrase_option
def verify(path: Path, passphrase_file: Path | None) -> None:
    """Check every signature, chain link and box, every stamp against this clock, and
    every device's feed against the newest you have seen. Exit 1 names the first problem."""
    with unlocked(path, passphrase_file) as session:
        report = session.verify()
    if not report.ok:
        more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
        raise CheckFailed(f"verify failed: {report.problems[0]}{more}")
    click.echo(f"ok: {report.events} events from {report.devices} devices verified")


@cli.command()
@path_argument
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@passphrase_option
def info(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Codename, counts, devices and file size (no incident content)."""
    with unlocked(path, passphrase_file) as session:
        facts = session.info()
    if fmt == "json":
        dump_json(facts)
        return
    click.echo(f"codename:  {one_line(facts['codename'])}")
    click.echo(f"incident:  {facts['kind']}, SEV{facts['severity']}, {facts['status']}")
    click.echo(f"events:    {facts['events']} ({facts['entries']} timeline entries)")
    click.echo(f"checklist: {facts['steps_done']}/{facts['steps']} done")
    click.echo(f"roster:    {facts['people']} people; drafts: {facts['drafts']}")
    click.echo(f"file:      {facts['file_bytes']} bytes; KDF {facts['kdf']}")
    click.echo(f"devices:   {len(facts['devices'])}")
    for d in facts["devices"]:
        click.echo(f"  {d['id']}  {d['events']} events{'  (this device)' if d['this'] else ''}")


@cli.command()
@path_argument
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@passphrase_option
def show(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """The incident as it stands: declaration, checklist, roster, drafts."""
    with unlocked(path, passphrase_file) as session:
        state = session.state
        data = state.to_dict()
    if fmt == "json":
        data["timeline"] = timeline_export.rows(state.timeline())
        dump_json(data)
        return
    inc = state.incident
    click.echo(f"{one_line(inc.codename)}: {one_line(inc.title)}")
    click.echo(f"  {inc.kind}, SEV{inc.severity}, {inc.status}, declared {iso(inc.declared_at)}")
    click.echo("\nChecklist:")
    for step in state.checklist():
        who = f" [{one_line(step.assignee)}]" if step.assignee else ""
        click.echo(f"  {step.status:<7} {step.id:<20} {one_line(step.title)}{who}")
    click.echo("\nRoster:")
    for person in state.people.values():
        roles = ", ".join(state.roles_of(person.id)) or "-"
        click.echo(f"  {person.id}  {one_line(person.name):<20} {person.state:<7} {roles}")
    missing = [r for r in ("ic", "scribe", "external-liaison") if not state.holders(r)]
    if missing:
        click.echo(f"  unfilled: {', '.join(missing)}")
    click.echo("\nDrafts:")
    for draft in state.drafts.values():
        to = ", ".join(one_line(a) for a in draft.to) or "-"
        click.echo(f"  {draft.id}  {draft.channel:<9} {draft.status:<8} to {to}")
    click.echo(f"\nTimeline: {len(state.entries)} entries (warroom timeline {path})")


@cli.group()
def roster() -> None:
    """People and the roles they hold."""


ROSTER_JSON = {"name": str, "email": str, "phone": str, "handle": str, "gpg": str}


@roster.command("add")
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
@textin.from_json_option(ROSTER_JSON)
@passphrase_option
def roster_add(
    path: Path,
    name: str | None,
    roles: tuple[str, ...],
    email: str,
    phone: str,
    handle: str,
    gpg: str,
    external: bool,
    state: str,
    from_json: IO[str] | None,
    passphrase_file: Path | None,
) -> None:
    """Add a person to the roster; prints their id.

    Who is on the roster, and how to reach them, is better kept off the command
    line (every user of this host can read it: ps, /proc/PID/cmdline): give NAME,
    --email, --phone or --handle as `-` to read it from standard input, or all of
    them with `--from-json -`, e.g. {"name": "Ann Lee", "email": "ann@example.com"}.
    """
    line = limits.MAX_LINE_CHARS
    texts = {
        "name": textin.free_text(name, "the name", line),
        "email": textin.free_text(email, "the email", line),
        "phone": textin.free_text(phone, "the phone", line),
        "handle": textin.free_text(handle, "the handle", line),
        "gpg": textin.free_text(gpg, "the GPG fingerprint", line),
    }
    texts = textin.merge_json(from_json, ROSTER_JSON, texts)
    if not texts["name"]:
        raise Failure('a person needs a name: NAME, or "name" in --from-json')
    # Adding a person appends only; giving them a role looks them up in the state.
    with unlocked(path, passphrase_file, fold=bool(roles)) as session:
        person_id = session.add_person(
            texts.pop("name"),
            **texts,
            external=external,
            state=state,
        )
        for role in roles:
            session.assign_role(role, person_id)
    click.echo(person_id)


@cli.group()
def step() -> None:
    """Checklist steps."""


@step.command("set")
@path_argument
@click.argument("step_id")
@click.argument("status", type=click.Choice(ev.STEP_STATUSES))
@click.option("--assignee", help=f"Who is doing it. {textin.STDIN_HELP}")
@passphrase_option
def step_set(
    path: Path, step_id: str, status: str, assignee: str | None, passphrase_file: Path | None
) -> None:
    """Set a checklist step's status (todo, doing, done, skipped)."""
    assignee = textin.free_text(assignee, "the assignee", limits.MAX_LINE_CHARS)
    with unlocked(path, passphrase_file) as session:
        session.set_step(step_id, status=status, assignee=assignee)
        done = sum(s.status in ("done", "skipped") for s in session.state.steps.values())
        click.echo(f"{step_id}: {status} ({done}/{len(session.state.steps)} done)")


@cli.group()
def playbook() -> None:
    """Checklists: list them, add one to a running incident."""


@playbook.command("list")
def playbook_list() -> None:
    """Every playbook warroom can load (shipped, and yours in the config dir)."""
    from warroom import playbooks

    books, errors = playbooks.load_all()
    for book in books:
        click.echo(f"{book.id:<12} {len(book.steps):>2} steps  {one_line(book.title)}")
    for error in errors:
        click.echo(f"warroom: {error}", err=True)
    if errors:
        raise Failure(f"{len(errors)} playbook file(s) do not load")


@playbook.command("add")
@path_argument
@click.argument("playbook_id")
@passphrase_option
def playbook_add(path: Path, playbook_id: str, passphrase_file: Path | None) -> None:
    """Add a playbook's steps to the incident's checklist (steps it has are kept)."""
    with unlocked(path, passphrase_file) as session:
        added = session.add_playbook(playbook_id)
    click.echo(f"{playbook_id}: {added} steps added")


def require_terminal(command: str) -> None:
    """The console draws on a terminal; on a pipe it would hang (`ssh host warroom open`)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise Failure(
            f"`warroom {command}` needs a terminal (standard input and output are not one); "
            "over SSH use `ssh -t`"
        )


def console_keymap() -> dict[str, str]:
    """The user's keymap.toml, checked before the UI starts: a file it cannot use is
    one line, `warroom: FILE:LINE: ...`, exit 2 (never a traceback in the console)."""
    keys = importlib.import_module("warroom.screens.keys")  # the UI's, by name (test_guard)
    try:
        return keys.check_keymap()
    except keys.KeymapError as exc:
        raise Failure(str(exc)) from None


def run_console(
    path: Path | None, auto_lock: float, *, passphrase: str | None = None, **options: Any
) -> None:
    """Start the Textual console. The UI is loaded here, at run time, by name: the core
    never imports it (tests/unit/test_guard.py), so scripts and CI need no terminal UI.
    With the passphrase given, the unlock starts first and its key derivation runs
    while the UI loads. A hang-up or SIGTERM ends it with 129 or 143, after saving
    what was typed."""
    this_device = device()
    gcpause.hold()  # until the first screen has painted (the app resumes it)
    unlocking = None
    if path is not None and passphrase is not None:
        unlocking = Session.unlock_in_background(path, passphrase, device=this_device)
    if options.get("keymap") is None:  # `demo` checked it before making the incident
        options["keymap"] = console_keymap()
    app_module = importlib.import_module("warroom.screens.app")
    app = app_module.build_app(
        path,
        unlocking=unlocking,
        device=this_device,
        auto_lock_minutes=auto_lock if auto_lock > 0 else float("inf"),
        **options,
    )
    app.run()
    if app.return_code:
        sys.exit(app.return_code)


gnupghome_console_option = click.option(
    "--gnupghome",
    type=click.Path(file_okay=False, path_type=Path),
    help="GnuPG home with recipients' keys, for the draft editor and export "
    "(default: $GNUPGHOME or ~/.gnupg).",
)

auto_lock_option = click.option(
    "--auto-lock",
    type=float,
    default=15,
    show_default=True,
    metavar="MINUTES",
    help="Lock after this many idle minutes (0: never).",
)


@cli.command("open")
@path_argument
@auto_lock_option
@gnupghome_console_option
@passphrase_option
def open_incident(
    path: Path, auto_lock: float, gnupghome: Path | None, passphrase_file: Path | None
) -> None:
    """Open the war-room console on PATH (also: warroom PATH).

    Without --passphrase-file the console asks for the passphrase itself. It needs
    a terminal: over SSH, `ssh -t host warroom open PATH`.
    """
    try:
        open_store(path).close()  # a clear error for a missing or foreign file, before the UI
    except SessionError as exc:
        raise Failure(str(exc)) from None
    require_terminal("open")
    passphrase = read_passphrase(passphrase_file) if passphrase_file else None
    run_console(path, auto_lock, passphrase=passphrase, gnupghome=gnupghome)


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where the wizard suggests saving the file.",
)
@click.option(
    "--kdf",
    type=click.Choice(["interactive", "moderate"]),
    default="moderate",
    show_default=True,
)
@auto_lock_option
def new(directory: Path, kdf: str, auto_lock: float) -> None:
    """Declare an incident in the console: kind, severity, title, codename, passphrase."""
    require_terminal("new")
    run_console(None, auto_lock, new_in=directory, kdf=kdf)


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to put it (default: your user data dir).",
)
@click.option("--no-open", is_flag=True, help="Only create it; do not open the console.")
@auto_lock_option
def demo(directory: Path | None, no_open: bool, auto_lock: float) -> None:
    """Create a demo incident (a breach in progress), print its path and passphrase, open it.

    The passphrase is also written, readable by you only, to a .pass file beside
    it, for --passphrase-file. It is a demo: never do that with a real incident.
    """
    from warroom.demo import create_demo, demo_passphrase

    keymap = None
    if not no_open:
        require_terminal("demo")  # before making anything: nothing left half-done
        keymap = console_keymap()
    directory = directory or Path(platformdirs.user_data_dir("warroom")) / "demo"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    passphrase = demo_passphrase()
    path = directory / f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}.db"
    pass_file = path.with_suffix(".pass")
    if path.exists() or pass_file.exists():
        raise Failure(f"{path} already exists; try again in a second")
    try:
        with create_demo(path, passphrase, device=device()) as session:
            codename = session.state.incident.codename
        fd = os.open(pass_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(passphrase + "\n")
    except (SessionError, OSError) as exc:  # a full disk: leave no half-made demo behind
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), pass_file):
            name.unlink(missing_ok=True)
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise Failure(f"cannot make the demo in {directory}: {reason}") from None
    click.echo(f"Demo incident {codename}:")
    click.echo(f"  file:            {path}")
    click.echo(f"  passphrase:      {passphrase}")
    click.echo(f"  passphrase file: {pass_file}")
    if no_open:
        click.echo(f"Open it with: warroom open {path} --passphrase-file {pass_file}")
        return
    run_console(path, auto_lock, passphrase=passphrase, keymap=keymap)


for command in (
    comms_commands.policy,
    comms_commands.lint_command,
    comms_commands.rules_command,
    comms_commands.draft,
    comms_commands.verify_export,
    export_commands.export,
    records.evidence,
    records.iocs,
    records.followup,
    records.incident,
    records.metrics,
    passwd_commands.passwd,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-") and args[0] not in cli.commands:
        args.insert(0, "open")  # `warroom PATH` opens the console
    cli(args=args, prog_name="warroom")
