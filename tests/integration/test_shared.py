"""Several responders on one host (issue 9, item 6).

`warroom init --shared` (and the wizard's "Shared" box) makes the incident and
its -wal/-shm files 0660, whatever the umask; the default stays 0600. As root,
two real OS users in one group share an incident in a setgid directory, and a
private incident tells the second user how to share it.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
import shutil
import site
import stat
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sitedirs import BOOT

CLI_TIMEOUT = 60
HOLD = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1])\n"
    "conn.execute('SELECT count(*) FROM events').fetchone()\n"
    "print('held', flush=True)\n"
    "sys.stdin.readline()\n"
)
"""A reader keeping the incident open, as a console does: -wal and -shm stay."""

SHARE_HINT = (
    "To share incidents, make them with `warroom init --shared` in a setgid directory of "
    "a group you all belong to (`install -d -m 2770 -g GROUP DIR`)"
)


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextlib.contextmanager
def held_open(python: list[str], path: Path, **kwargs: Any) -> Iterator[None]:
    """While inside, a reader keeps `path` open (as a console does), so its -wal and
    -shm files stay for the test to look at."""
    proc = subprocess.Popen(
        [*python, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        assert proc.stdout.readline() == "held\n", proc.stderr.read()
        yield
        proc.stdin.close()
        assert proc.wait(timeout=CLI_TIMEOUT) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- as the current user --------------------------------------------------------


@pytest.fixture
def setgid_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "incidents"
    directory.mkdir()
    directory.chmod(0o2770)
    assert mode(directory) == 0o2770
    return directory


@pytest.mark.parametrize(
    ("flags", "umask", "expected"),
    [((), 0o000, 0o600), (("--shared",), 0o077, 0o660)],
    ids=["default-0600-even-with-umask-0", "shared-0660-even-with-umask-077"],
)
def test_init_sets_the_modes_of_the_file_and_its_wal_and_shm(
    cli, setgid_dir: Path, flags: tuple[str, ...], umask: int, expected: int
) -> None:
    def warroom(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "warroom", *map(str, args)],
            env=cli.env(),
            cwd=cli.cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            umask=umask,
            timeout=CLI_TIMEOUT,
        )

    path = setgid_dir / "inc.db"
    init = warroom("init", path, "--kdf", "interactive", *flags)
    assert (init.returncode, init.stderr) == (0, "")
    assert mode(path) == expected
    with held_open([sys.executable], path, umask=0o077):
        note = warroom("note", path, "written while held")
        assert note.returncode == 0, note.stderr
        assert os.path.getsize(f"{path}-wal") > 0
        assert {suffix: mode(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")} == {
            "": expected,
            "-wal": expected,
            "-shm": expected,
        }
    assert mode(cli.config_dir / "device.key") == 0o600


def test_shared_outside_a_setgid_directory_warns(cli, tmp_path: Path) -> None:
    directory = tmp_path / "plain"
    directory.mkdir(mode=0o770)
    directory.chmod(0o770)
    path = directory / "inc.db"
    proc = cli("init", path, "--kdf", "interactive", "--shared")
    group = grp.getgrgid(path.stat().st_gid).gr_name
    assert proc.returncode == 0
    assert proc.stderr == (
        f"warroom: warning: {directory} is not setgid: files made there take their "
        f"creator's group ({group} for inc.db), not one you all share; use a directory "
        "made with `install -d -m 2770 -g GROUP DIR`\n"
    )
    assert mode(path) == 0o660


@pytest.mark.parametrize(("shared", "expected"), [(False, 0o600), (True, 0o660)])
async def test_the_wizard_declares_a_shared_incident(
    setgid_dir: Path, shared: bool, expected: int
) -> None:
    from textual.widgets import Checkbox, Input
    from warroom.screens.app import build_app

    from warroom.device import load_device

    app = build_app(None, new_in=setgid_dir, kdf="interactive", device=load_device(), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"Edge 5xx")
        app.screen.query_one("#new-pass", Input).value = "a passphrase"
        app.screen.query_one("#new-pass2", Input).value = "a passphrase"
        box = app.screen.query_one("#new-shared", Checkbox)
        assert box.value is False
        if shared:
            box.focus()
            await pilot.press("space")
            assert box.value is True
        path = Path(app.screen.query_one("#new-path", Input).value)
        await pilot.press("ctrl+s")
        for _ in range(200):
            await app.workers.wait_for_complete()
            if app.session is not None:
                break
            await pilot.pause(0.05)
        assert app.session is not None and app.session.state.incident.title == "Edge 5xx"
    assert path.parent == setgid_dir
    assert mode(path) == expected


# -- two OS users (root only) ----------------------------------------------------


@dataclass
class User:
    name: str
    uid: int
    gid: int
    home: Path

    @property
    def config(self) -> Path:
        return self.home / "config"


@dataclass
class Host:
    """Two responders in one group, a setgid directory of that group, and a way to
    run `warroom` and a plain Python as either of them."""

    group: str
    gid: int
    incidents: Path
    passphrase_file: Path
    python: list[str]
    warroom: list[str]

    def warroom_as(self, user: User, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.warroom, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            stdin=subprocess.DEVNULL,
            **self.as_user(user),
        )

    def as_user(self, user: User) -> dict[str, Any]:
        """subprocess arguments to run as `user`, in the group, with a strict umask."""
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(user.home),
            "TMPDIR": str(user.home),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "WARROOM_CONFIG_DIR": str(user.config),
            # each responder's own copy, 0600: a group-readable one draws a warning
            "WARROOM_PASSPHRASE_FILE": str(user.home / "passphrase"),
        }
        return {
            "user": user.uid,
            "group": user.gid,
            "extra_groups": [self.gid],
            "umask": 0o077,
            "env": env,
            "cwd": str(user.home),
        }


def _run_root(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=CLI_TIMEOUT)


def _python_for(as_user: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """(python, warroom) command lines the user can run, or None.

    This interpreter first; if the user cannot reach it (a pyenv under /root,
    mode 0700), the system's Python of the same version with this environment's
    site-packages.
    """
    probe = ["-c", "import warroom.cli"]
    if _works([sys.executable, *probe], as_user):
        return [sys.executable], [sys.executable, "-m", "warroom"]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    other = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    if other is None:
        return None
    boot = [other, "-S", "-c", BOOT, *site.getsitepackages(), "--"]
    if _works([*boot, "--version"], as_user):
        return [other, "-S"], boot
    return None


def _works(argv: list[str], as_user: dict[str, Any]) -> bool:
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=CLI_TIMEOUT, **as_user)
    except OSError:
        return False
    return proc.returncode == 0


@pytest.fixture
def responders() -> Iterator[tuple[Host, User, User]]:
    if os.geteuid() != 0:
        pytest.skip("two OS users are made with useradd, which needs root")
    for tool in ("groupadd", "useradd", "userdel", "groupdel"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    tag = uuid.uuid4().hex[:6]
    group, names = f"wrg{tag}", [f"wra{tag}", f"wrb{tag}"]
    base = Path(tempfile.mkdtemp(prefix="warroom-shared-", dir="/tmp"))
    made: list[str] = []
    try:
        base.chmod(0o755)
        _run_root("groupadd", group)
        gid = grp.getgrnam(group).gr_gid
        users = []
        for name in names:
            _run_root("useradd", "-M", "-U", "-G", group, "-s", "/usr/sbin/nologin", name)
            made.append(name)
            entry = pwd.getpwnam(name)
            home = base / name
            home.mkdir(mode=0o700)
            (home / "config").mkdir(mode=0o700)
            for directory in (home, home / "config"):
                os.chown(directory, entry.pw_uid, entry.pw_gid)
            users.append(User(name, entry.pw_uid, entry.pw_gid, home))
        incidents = base / "incidents"
        incidents.mkdir()
        os.chown(incidents, 0, gid)
        incidents.chmod(0o2770)
        passphrase_file = incidents / "passphrase"
        passphrase_file.write_text("shared: correct horse battery staple\n")
        os.chown(passphrase_file, 0, gid)
        passphrase_file.chmod(0o640)
        for user in users:
            own = user.home / "passphrase"
            own.write_bytes(passphrase_file.read_bytes())
            os.chown(own, user.uid, user.gid)
            own.chmod(0o600)
        host = Host(group, gid, incidents, passphrase_file, python=[], warroom=[])
        commands = _python_for(host.as_user(users[1]))
        if commands is None:
            pytest.skip(
                f"user {names[1]} can run neither {sys.executable} nor a system "
                f"python{sys.version_info.major}.{sys.version_info.minor} with this "
                "checkout's packages: put the checkout and its venv where other users can "
                "read them"
            )
        host.python, host.warroom = commands
        yield host, users[0], users[1]
    finally:
        for name in made:
            subprocess.run(["userdel", name], capture_output=True, timeout=CLI_TIMEOUT)
        for name in [*made, group]:  # userdel removes a user's own group, on Debian
            subprocess.run(["groupdel", name], capture_output=True, timeout=CLI_TIMEOUT)
        shutil.rmtree(base, ignore_errors=True)


def test_a_second_user_in_the_group_writes_to_a_shared_incident(responders) -> None:
    host, ann, bob = responders
    path = host.incidents / "inc.db"
    init = host.warroom_as(ann, "init", path, "--kdf", "interactive", "--shared")
    assert (init.returncode, init.stderr) == (0, "")
    info = path.stat()
    assert (info.st_uid, info.st_gid, mode(path)) == (ann.uid, host.gid, 0o660)

    with held_open(host.python, path, **host.as_user(ann)):  # ann's console, say
        bob_note = host.warroom_as(bob, "note", path, "bob: db-replica-2 isolated")
        assert bob_note.returncode == 0, bob_note.stderr
        ann_note = host.warroom_as(ann, "note", path, "ann: paging legal")
        assert ann_note.returncode == 0, ann_note.stderr
        for suffix in ("-wal", "-shm"):
            side = Path(f"{path}{suffix}").stat()
            assert (side.st_gid, stat.S_IMODE(side.st_mode)) == (host.gid, 0o660), suffix

    timeline = host.warroom_as(bob, "timeline", path, "--format", "json")
    assert timeline.returncode == 0, timeline.stderr
    notes = [(e["author"], e["text"]) for e in json.loads(timeline.stdout) if e["kind"] == "note"]
    assert notes == [(bob.name, "bob: db-replica-2 isolated"), (ann.name, "ann: paging legal")]
    verify = host.warroom_as(ann, "verify", path)
    assert (verify.returncode, verify.stdout) == (0, "ok: 17 events from 2 devices verified\n")
    for user in (ann, bob):
        key = user.config / "device.key"
        assert (key.stat().st_uid, mode(key)) == (user.uid, 0o600)


def test_a_private_incident_tells_the_second_user_how_to_share_it(responders) -> None:
    host, ann, bob = responders
    path = host.incidents / "inc.db"
    init = host.warroom_as(ann, "init", path, "--kdf", "interactive")
    assert (init.returncode, init.stderr) == (0, "")
    assert mode(path) == 0o600
    proc = host.warroom_as(bob, "note", path, "let me in")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"warroom: {path}: permission denied (mode 0600, owner {ann.name}, group "
        f"{host.group}); its owner can share it with `chmod 660 {path}`. {SHARE_HINT}\n"
    )
    verify = host.warroom_as(ann, "verify", path)  # nothing was written
    assert (verify.returncode, verify.stdout) == (0, "ok: 15 events from 1 devices verified\n")


NOTES_EACH = 25


def test_two_users_writing_at_once_under_umask_022_lose_no_note(responders) -> None:
    """SQLite makes a missing -wal or -shm with open() and then sets the file's mode:
    in between they had the umask's 0640, and the other user's note, opened in that
    gap, was refused as read-only (22 of 100 notes, two users at once, umask 022)."""
    host, ann, bob = responders
    path = host.incidents / "inc.db"
    init = host.warroom_as(ann, "init", path, "--kdf", "interactive", "--shared")
    assert (init.returncode, init.stderr) == (0, "")
    loop = 'for i in $(seq 1 "$0"); do printf "%s note %s" "$USER" "$i" | "$@" || echo FAILED; done'
    writers = []
    for user in (ann, bob):
        args = host.as_user(user)
        args["umask"] = 0o022
        args["env"] = {**args["env"], "USER": user.name}
        argv = ["sh", "-c", loop, str(NOTES_EACH), *host.warroom, "note", str(path), "-"]
        writers.append(
            subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **args
            )
        )
    for writer in writers:
        out, err = writer.communicate(timeout=CLI_TIMEOUT * 4)
        assert "FAILED" not in out, err
    timeline = host.warroom_as(bob, "timeline", path, "--format", "json")
    assert timeline.returncode == 0, timeline.stderr
    texts = [e["text"] for e in json.loads(timeline.stdout) if e["kind"] == "note"]
    for user in (ann, bob):
        for i in range(1, NOTES_EACH + 1):
            assert texts.count(f"{user.name} note {i}") == 1, (user.name, i)
    verify = host.warroom_as(ann, "verify", path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_user_outside_the_group_is_told_in_one_line(responders) -> None:
    """The incidents folder (2770) cannot be searched by someone outside its group:
    `path.exists()` raised PermissionError, a traceback, exit 1."""
    host, ann, bob = responders
    path = host.incidents / "inc.db"
    init = host.warroom_as(ann, "init", path, "--kdf", "interactive", "--shared")
    assert (init.returncode, init.stderr) == (0, "")
    outside = {**host.as_user(bob), "extra_groups": []}
    for command in (("timeline", path), ("note", path, "x"), ("verify", path)):
        proc = subprocess.run(
            [*host.warroom, *map(str, command)],
            capture_output=True, text=True, timeout=CLI_TIMEOUT, stdin=subprocess.DEVNULL,
            **outside,
        )  # fmt: skip
        lines = proc.stderr.splitlines()
        assert proc.returncode == 2 and len(lines) == 1, proc.stderr
        assert lines[0] == f"warroom: {path}: Permission denied", lines
