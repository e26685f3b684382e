"""Starting the console: on an incident file (`open`), on the declaring wizard (`new`),
or on a demo incident made first (`demo`). The UI is loaded at run time, by name
(run_console, console_keymap): the core never imports it (tests/unit/test_guard.py)."""

from __future__ import annotations

import importlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import platformdirs

from warroom import gcpause
from warroom.commands.common import Failure, device, read_passphrase
from warroom.session import Session, SessionError, open_store


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


def open_incident(
    path: Path, auto_lock: float, gnupghome: Path | None, passphrase_file: Path | None
) -> None:
    """The console on the incident in `path`; without a passphrase file it asks itself."""
    try:
        open_store(path).close()  # a clear error for a missing or foreign file, before the UI
    except SessionError as exc:
        raise Failure(str(exc)) from None
    require_terminal("open")
    passphrase = read_passphrase(passphrase_file) if passphrase_file else None
    run_console(path, auto_lock, passphrase=passphrase, gnupghome=gnupghome)


def new(directory: Path, kdf: str, auto_lock: float) -> None:
    """The console on its wizard, declaring an incident to save in `directory`."""
    require_terminal("new")
    run_console(None, auto_lock, new_in=directory, kdf=kdf)


def demo(directory: Path | None, no_open: bool, auto_lock: float) -> None:
    """Make a demo incident and its .pass file, print where, and open it (unless
    `no_open`); nothing is left half-made if that fails."""
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
