"""The console behind a real sshd on 127.0.0.1, as responders reach a bastion: over
`ssh -tt` at 80x24, through `ssh` without a terminal, and as two OS users of one group
sharing one incident (issue 9). Pilot cannot show any of this: the remote pty, the
login environment, file modes between users and the latency of a live update are real
here."""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import site
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from ptyterm import PtyTerminal
from sshd import SshServer, kill_all, processes_of, skip_reason, tty_skip_reason

ME = pwd.getpwuid(os.geteuid()).pw_name
SHARED_PASSPHRASE = "bastion: correct horse battery staple"
SHARED_CODENAME = "amber-heron"
LIVE_LIMIT = 1.0
"""Seconds within which another responder's note must show (README: "within a second")."""


@pytest.fixture
def server() -> Iterator[SshServer]:
    """A fresh sshd on 127.0.0.1 that lets the user running the tests log in as themself."""
    if reason := skip_reason():
        pytest.skip(reason)
    with SshServer.running() as srv:
        srv.authorize(ME)
        yield srv


def warroom(python: str, *args: str | os.PathLike[str]) -> list[str]:
    return [python, "-m", "warroom", *map(str, args)]


def local(env: dict[str, str], *args: str | os.PathLike[str]) -> str:
    """Run warroom here (not over ssh) and return its standard output."""
    run = subprocess.run(warroom(sys.executable, *args), env=env, capture_output=True, timeout=60)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    return run.stdout.decode()


def remote_env(config_dir: str | Path, gnupghome: str | Path) -> dict[str, str]:
    """What warroom needs from its environment, passed on the remote command line."""
    return {"LANG": "C.UTF-8", "WARROOM_CONFIG_DIR": str(config_dir), "GNUPGHOME": str(gnupghome)}


def over_ssh(
    server: SshServer, user: str, argv: Sequence[str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`ssh -T user@127.0.0.1 env ... argv`: a command with no terminal, as a script runs it."""
    command = server.remote(argv, env)
    return subprocess.run(
        server.ssh(user, command, tty=False),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def listed(term: PtyTerminal, text: str) -> int:
    """How many timeline rows on the screen show `text`: a row is a time ("12-01 14:19 Z")
    then, in the same pane, the entry. The detail line under the timeline repeats the
    selected entry without a time, by design, and is not counted."""
    row = re.compile(r"\d\d-\d\d \d\d:\d\d [ZL] [^│]*" + re.escape(text))
    return sum(len(row.findall(line)) for line in term.lines())


def seconds_until_listed(term: PtyTerminal, text: str, since: float, limit: float) -> float | None:
    """Seconds from `since` until `text` is listed in the timeline (polled every 20 ms),
    or None if it is not `limit` seconds after `since`."""
    while True:
        if listed(term, text):
            return time.monotonic() - since
        if time.monotonic() - since > limit:
            return None
        time.sleep(0.02)


# -- one user: the console over ssh -tt, and open without a terminal ------------------


def test_console_over_ssh_tt_takes_a_note(
    server: SshServer, incident: Path, passfile: Path, console_env: dict[str, str], tmp_path: Path
) -> None:
    if reason := tty_skip_reason():
        pytest.skip(reason)
    info = json.loads(
        local(console_env, "info", incident, "--format", "json", "--passphrase-file", passfile)
    )
    env = remote_env(console_env["WARROOM_CONFIG_DIR"], console_env["GNUPGHOME"])
    argv = warroom(
        sys.executable, "open", incident, "--passphrase-file", passfile, "--auto-lock", "0"
    )
    note = "typed-over-ssh"
    # the ssh client runs in an 80x24 terminal, so the remote pty is 80x24 too
    with PtyTerminal(
        server.ssh(ME, server.remote(argv, env)), cols=80, rows=24, cwd=tmp_path
    ) as term:
        term.wait_for(info["codename"], timeout=60)
        term.wait_quiet(0.5)
        term.type("3")  # below 100x30 one pane shows at a time: the timeline, please
        term.wait_quiet(0.3)
        term.type("n" + note + "\r")  # a key every 60 ms
        term.wait_quiet(0.7)
        assert listed(term, note) == 1, term.screen_dump()
    timeline = local(
        console_env, "timeline", incident, "--format", "json", "--passphrase-file", passfile
    )
    texts = [entry["text"] for entry in json.loads(timeline)]
    assert texts.count(note) == 1, texts


def test_open_without_a_terminal_refuses(
    server: SshServer, incident: Path, passfile: Path, console_env: dict[str, str], tmp_path: Path
) -> None:
    """`ssh host warroom open PATH` (no -t): no remote terminal, so refuse at once, exit 2.
    Standard input is a pipe left open, as an idle local terminal behind ssh would be."""
    env = remote_env(console_env["WARROOM_CONFIG_DIR"], console_env["GNUPGHOME"])
    argv = warroom(sys.executable, "open", incident, "--passphrase-file", passfile)
    read_end, write_end = os.pipe()
    with (tmp_path / "out").open("w+b") as out, (tmp_path / "err").open("w+b") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            server.ssh(ME, server.remote(argv, env), tty=False),
            stdin=read_end,
            stdout=out,
            stderr=err,
        )
        os.close(read_end)
        try:
            code: int | None = proc.wait(20)
        except subprocess.TimeoutExpired:
            code = None
            proc.kill()
            proc.wait(10)
        finally:
            os.close(write_end)
        elapsed = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read().decode(errors="replace")
    if code is None:
        pytest.fail("`warroom open` over ssh without -t still ran after 20 s, instead of refusing")
    lines = stderr.strip().splitlines()
    assert code == 2, f"exit {code} after {elapsed:.1f} s; stderr:\n{stderr}"
    assert len(lines) == 1 and "terminal" in lines[0].lower(), stderr
    assert stdout == b"", stdout[:500]


# -- two users of one group on one bastion ---------------------------------------------


@dataclass(frozen=True)
class Responder:
    """An OS user made for the test: their name, their 0600 passphrase file, and the
    environment naming their own config dir and GnuPG home."""

    name: str
    passfile: Path
    env: dict[str, str]


@dataclass
class Bastion:
    """Two responders in one group and a setgid folder of that group for the incident."""

    group: str
    room: Path
    ann: Responder
    bob: Responder


def run_checked(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


def not_traversable(path: Path) -> Path | None:
    """The first folder on the way to `path` that others may not enter, or None."""
    for folder in [path, *path.parents]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def make_responder(base: Path, name: str, display: str) -> Responder:
    """A folder of the user's own (mode 0700) with a config dir that has a display name
    (so nothing asks for one), a GnuPG home and a 0600 passphrase file."""
    folder = base / name
    config, gnupg, passfile = folder / "config", folder / "gnupg", folder / "pass"
    for directory in (folder, config, gnupg):
        directory.mkdir(mode=0o700)
    (config / "profile.json").write_text(json.dumps({"name": display}))
    fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(SHARED_PASSPHRASE + "\n")
    account = pwd.getpwnam(name)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)
    return Responder(name, passfile, remote_env(config, gnupg))


def remove_user(name: str) -> None:
    """Kill the user's processes (by id), then the user and their home."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    for _round in range(3):
        pids = processes_of(uid)
        if not pids:
            break
        kill_all(pids)
        time.sleep(0.1)
    subprocess.run(["userdel", "-r", name], capture_output=True, timeout=60)


@pytest.fixture
def bastion() -> Iterator[Bastion]:
    """Two fresh OS users in a fresh group, removed afterwards even on failure."""
    if os.geteuid() != 0:
        pytest.skip(
            "needs root: the test makes two OS users, and only sshd run as root logs in other users"
        )
    if missing := [
        tool
        for tool in ("groupadd", "useradd", "userdel", "groupdel", "install")
        if shutil.which(tool) is None
    ]:
        pytest.skip(f"not found: {', '.join(missing)}")
    tag = secrets.token_hex(3)
    group, names = f"wr{tag}g", [f"wr{tag}a", f"wr{tag}b"]
    base = Path(tempfile.mkdtemp(prefix="warroom-bastion-", dir="/tmp"))
    made: list[str] = []
    try:
        base.chmod(0o711)  # each user may enter, none may list
        if blocked := not_traversable(base):
            pytest.skip(f"{blocked} cannot be entered by other users")
        run_checked("groupadd", group)
        for name in names:
            made.append(name)
            # password "*": none to log in with, yet not "locked" ("!"), which sshd
            # without PAM refuses even with a key
            run_checked("useradd", "-m", "-s", "/bin/sh", "-p", "*", "-G", group, name)
        room = base / "room"
        run_checked("install", "-d", "-m", "2770", "-g", group, str(room))
        ann = make_responder(base, names[0], "Ann IC")
        bob = make_responder(base, names[1], "Bob Ops")
        yield Bastion(group, room, ann, bob)
    finally:
        for name in made:
            remove_user(name)
        subprocess.run(["groupdel", group], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def bridge_python(folder: Path) -> str | None:
    """A venv of the system's python of this version that loads this environment's
    packages, for when this interpreter lies where other users cannot go (a pyenv build
    under a 0700 /root): same code and packages, an interpreter they can run."""
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not system.exists() or system.resolve() == Path(sys.executable).resolve():
        return None
    made = subprocess.run(
        [str(system), "-m", "venv", "--without-pip", str(folder)], capture_output=True, timeout=60
    )
    if made.returncode != 0:
        return None
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    # a .pth line runs in a function's locals: plain statements, no comprehension
    adds = "".join(f"; site.addsitedir({path!r})" for path in site.getsitepackages())
    pth = folder / "lib" / version / "site-packages" / "_test_packages.pth"
    pth.write_text(f"import site{adds}\n")
    return str(folder / "bin" / "python")


def candidate_pythons(folder: Path) -> Iterator[str]:
    yield sys.executable
    if bridge := bridge_python(folder):
        yield bridge


def usable_python(server: SshServer, bastion: Bastion) -> str:
    """The first python with warroom that both responders can run, or skip saying why."""
    failures: list[str] = []
    for python in candidate_pythons(bastion.room.parent / "python"):
        checks = [
            over_ssh(server, person.name, [python, "-c", "import warroom.screens.app"], person.env)
            for person in (bastion.ann, bastion.bob)
        ]
        if all(check.returncode == 0 for check in checks):
            return python
        for person, check in zip((bastion.ann, bastion.bob), checks, strict=True):
            # 255 is ssh's own failure: the test's setup is wrong, not the python
            assert check.returncode != 255, (
                f"ssh as {person.name}: {check.stderr}\n{server.log_tail()}"
            )
            if check.returncode:
                failures.append(f"{python} as {person.name}: {check.stderr.strip()[-300:]}")
    pytest.skip(f"no python with warroom that other users can run: {'; '.join(failures)}")


def test_two_responders_one_incident_each_note_once_within_a_second(
    server: SshServer, bastion: Bastion
) -> None:
    """Ann runs the console over ssh on a --shared incident in the group's setgid folder;
    Bob adds notes over ssh, one after the other: each shows on Ann's screen once, within
    a second of Bob's command returning."""
    ann, bob = bastion.ann, bastion.bob
    server.authorize(ann.name)
    server.authorize(bob.name)
    python = usable_python(server, bastion)
    incident = bastion.room / "inc.db"
    init = over_ssh(
        server,
        ann.name,
        warroom(
            python,
            "init",
            incident,
            "--shared",
            "--passphrase-file",
            ann.passfile,
            "--kdf",
            "interactive",
            "--codename",
            SHARED_CODENAME,
            "--title",
            "Shared bastion",
        ),
        ann.env,
    )
    assert init.returncode == 0, (
        f"`warroom init --shared` as {ann.name}: exit {init.returncode}\n{init.stderr}"
    )
    console = warroom(
        python, "open", incident, "--passphrase-file", ann.passfile, "--auto-lock", "0"
    )
    with PtyTerminal(
        server.ssh(ann.name, server.remote(console, ann.env)), cols=120, rows=40
    ) as term:
        term.wait_for(SHARED_CODENAME, timeout=60)
        term.wait_quiet(0.5)
        texts = [f"from-bob-{n}" for n in (1, 2, 3)]
        for number, text in enumerate(texts, 1):
            note = over_ssh(
                server,
                bob.name,
                warroom(python, "note", incident, text, "--passphrase-file", bob.passfile),
                bob.env,
            )
            returned = time.monotonic()
            assert note.returncode == 0, (
                f"`warroom note` as {bob.name}: exit {note.returncode}\n{note.stderr}"
            )
            seconds = seconds_until_listed(term, text, returned, limit=10 * LIVE_LIMIT)
            assert seconds is not None, (
                f"{text!r} not on Ann's screen 10 s after Bob's note:\n{term.screen_dump()}"
            )
            assert seconds <= LIVE_LIMIT, (
                f"{text!r} showed {seconds:.2f} s after Bob's note returned"
            )
            term.wait_quiet(0.5)
            shown = {earlier: listed(term, earlier) for earlier in texts[:number]}
            assert set(shown.values()) == {1}, f"{shown}\n{term.screen_dump()}"
