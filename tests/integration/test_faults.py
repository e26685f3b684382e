"""Faults a user meets, through the real command line (issue #10): a full disk, a
read-only file, directory or file system, bytes that are not UTF-8, a lone
surrogate. Each was a Python traceback and exit 1 (which means "a check failed");
each is now one line naming the problem, exit 2, with nothing half-written. And
the commands that only read work on a file this user cannot change.

No mocks: a real tmpfs filled to the last byte (when this host lets the test mount
one), a real RLIMIT_FSIZE (everywhere), real modes as a real unprivileged user, real
bytes in argv and files."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import pwd
import resource
import shutil
import signal
import site
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sitedirs import BOOT

from warroom.device import load_device
from warroom.session import Session

HOLD = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1])\n"
    "conn.execute('SELECT count(*) FROM events').fetchone()\n"
    "print('held', flush=True)\n"
    "sys.stdin.readline()\n"
)
"""A reader keeping the incident open, as a console does: its -wal and -shm stay."""

LONG_NOTE = "n" * 15_000
"""Far more than one page: the write needs room the disk does not have."""


def event_count(path: Path) -> int:
    # closed (no -wal): read it alone, leaving no -wal or -shm of the test's beside it
    immutable = "" if Path(f"{path}-wal").exists() else "&immutable=1"
    conn = sqlite3.connect(f"file:{path}?mode=ro{immutable}", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()


def one_line(proc: subprocess.CompletedProcess[str], exit_code: int = 2) -> str:
    """The one `warroom: ...` line on stderr; nothing else, no traceback."""
    assert proc.returncode == exit_code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("warroom: "), proc.stderr
    return proc.stderr.removeprefix("warroom: ").rstrip("\n")


def digest(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


@contextlib.contextmanager
def held_open(path: Path) -> Iterator[None]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline() == "held\n", proc.stderr.read()
        yield
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


@contextlib.contextmanager
def tmpfs(directory: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of `size` mounted on `directory`; skips where mounting is not
    allowed (not root, or no CAP_SYS_ADMIN in a container)."""
    directory.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root with "
            "CAP_SYS_ADMIN; the RLIMIT_FSIZE test still makes a disk full"
        )
    try:
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], capture_output=True)


def fill(directory: Path) -> Path:
    """Write a file until the file system says ENOSPC: not one byte is left."""
    filler = directory / "filler"
    block = b"\0" * 4096
    with filler.open("wb", buffering=0) as fh:
        while True:
            try:
                fh.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    with filler.open("ab", buffering=0) as fh, contextlib.suppress(OSError):
        while fh.write(b"\0"):  # and the last partial page
            pass
    return filler


# -- a full disk ----------------------------------------------------------------


def test_a_note_on_a_full_disk_is_one_line_and_nothing_is_written(cli, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "512k") as disk:
        path = disk / "inc.db"
        assert cli("init", path, "--kdf", "interactive").returncode == 0
        assert cli("note", path, "before the disk filled").returncode == 0
        before = event_count(path)
        with held_open(path):  # as a console would: the -wal and -shm exist
            filler = fill(disk)
            proc = cli("note", path, LONG_NOTE)
            assert (
                one_line(proc) == f"cannot write to {path}: the disk is full; nothing was written"
            )
            assert proc.stdout == ""
            assert event_count(path) == before
            filler.unlink()
        assert event_count(path) == before
        verify = cli("verify", path)
        assert verify.returncode == 0, verify.stderr
        assert cli("note", path, LONG_NOTE).returncode == 0  # room again: it works
        assert event_count(path) == before + 1


def test_init_on_a_full_disk_leaves_nothing_behind(cli, tmp_path: Path) -> None:
    """A half-made file (a header, no declaration) would block the retry with
    "already exists"."""
    with tmpfs(tmp_path / "disk", "256k") as disk:
        filler = fill(disk)
        path = disk / "inc.db"
        proc = cli("init", path, "--kdf", "interactive")
        line = one_line(proc)
        assert line in (
            f"cannot create {path}: the disk is full",
            f"cannot write to {path}: the disk is full; nothing was written",
        ), line
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]
        filler.unlink()
        assert cli("init", path, "--kdf", "interactive").returncode == 0  # the retry works


def test_a_file_size_limit_mid_write_is_one_line_and_nothing_is_written(
    cli, incident: Path
) -> None:
    """RLIMIT_FSIZE (SIGXFSZ ignored): the kernel refuses the write past the limit, as
    a full disk does, wherever the test runs."""
    path = incident
    before = event_count(path)

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    with held_open(path):
        proc = subprocess.run(
            [sys.executable, "-m", "warroom", "note", str(path), LONG_NOTE],
            env=cli.env(),
            cwd=cli.cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limited,  # noqa: PLW1509  (a real OS limit, set in the child)
        )
        line = one_line(proc)
        assert line.startswith(f"cannot write to {path}: "), line
        assert line.endswith("; nothing was written"), line
        assert ("the disk is full" in line) or ("a disk I/O error (SQLITE_IOERR" in line), line
        assert event_count(path) == before
    verify = cli("verify", path)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout == f"ok: {before} events from 1 devices verified\n"


# -- read-only files, directories, file systems -----------------------------------


@dataclass
class Nobody:
    """An unprivileged user (root ignores file modes, so a test as root proves nothing)."""

    uid: int
    gid: int
    base: Path
    config: Path
    passphrase_file: Path
    warroom: list[str] = field(default_factory=list)

    def run(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.warroom, *map(str, args)],
            env=self.env(),
            cwd=self.base,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            user=self.uid,
            group=self.gid,
            extra_groups=[],
        )

    def works(self, argv: list[str]) -> bool:
        try:
            probe = subprocess.run(
                argv,
                capture_output=True,
                user=self.uid,
                group=self.gid,
                extra_groups=[],
                env=self.env(),
                cwd=self.base,
                timeout=60,
            )
        except OSError:
            return False
        return probe.returncode == 0

    def find_warroom(self) -> bool:
        """A command line that runs warroom as this user: this interpreter, or the
        system's of the same version with this environment's packages."""
        if self.works([sys.executable, "-c", "import warroom.cli"]):
            self.warroom = [sys.executable, "-m", "warroom"]
            return True
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        other = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
        if other is None:
            return False
        self.warroom = [other, "-S", "-c", BOOT, *site.getsitepackages(), "--"]
        return self.works([*self.warroom, "--version"])

    def env(self) -> dict[str, str]:
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.base),
            "TMPDIR": str(self.base),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "WARROOM_CONFIG_DIR": str(self.config),
            "WARROOM_PASSPHRASE_FILE": str(self.passphrase_file),
        }

    def own(self, *paths: Path) -> None:
        for path in paths:
            os.chown(path, self.uid, self.gid)


@pytest.fixture
def nobody(passphrase: str) -> Iterator[Nobody]:
    if os.geteuid() != 0:
        pytest.skip("running as another user needs root")
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("there is no user 'nobody'")
    base = Path(tempfile.mkdtemp(prefix="warroom-ro-", dir="/tmp"))
    try:
        base.chmod(0o755)
        config = base / "config"
        config.mkdir(mode=0o700)
        pass_file = base / "passphrase"
        pass_file.write_text(passphrase + "\n", encoding="utf-8")
        pass_file.chmod(0o600)
        user = Nobody(entry.pw_uid, entry.pw_gid, base, config, pass_file)
        user.own(base, config, pass_file)
        if not user.find_warroom():
            pytest.skip(
                f"user nobody can run neither {sys.executable} nor a system python of its "
                "version with this checkout's packages"
            )
        yield user
    finally:
        shutil.rmtree(base, ignore_errors=True)


READS: list[tuple[str, ...]] = [
    ("timeline", "{path}"),
    ("timeline", "{path}", "--format", "json"),
    ("show", "{path}"),
    ("info", "{path}"),
    ("verify", "{path}"),
    ("evidence", "list", "{path}"),
    ("iocs", "list", "{path}"),
    ("followup", "list", "{path}"),
    ("metrics", "{path}"),
    ("export", "{path}", "timeline"),
    ("export", "{path}", "timeline", "--out", "{out}/timeline.md"),
    ("export", "{path}", "postmortem", "--out", "{out}/postmortem.md"),
]
WRITES: list[tuple[str, ...]] = [
    ("note", "{path}", "must not be written"),
    ("incident", "set", "{path}", "summary", "must not be written"),
    ("roster", "add", "{path}", "Mallory"),
    ("step", "set", "{path}", "stop-attack", "done"),
    ("followup", "add", "{path}", "must not be written"),
]


def seeded(user: Nobody, directory: Path) -> Path:
    """An incident of `user`'s with a little in it, closed (no -wal, no -shm)."""
    directory.mkdir()
    user.own(directory)
    path = directory / "inc.db"
    for args in (
        ("init", path, "--kdf", "interactive", "--codename", "amber-heron"),
        ("note", path, "first scan from 198.51.100.23", "--kind", "attacker"),
        ("followup", "add", path, "rotate keys"),
    ):
        proc = user.run(*args)
        assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in directory.iterdir()) == ["inc.db"]
    return path


def check_read_only(user: Nobody, path: Path, expected: str) -> None:
    """Every read works and leaves no file; every write is one line naming why."""
    out = user.base / "out"
    out.mkdir(exist_ok=True)
    user.own(out)
    before = digest(path.parent)
    events = event_count(path)
    for args in READS:
        proc = user.run(*(a.format(path=path, out=out) for a in args))
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr == "", (args, proc.stderr)
    assert "first scan from 198.51.100.23" in user.run("timeline", path).stdout
    assert user.run("verify", path).stdout == f"ok: {events} events from 1 devices verified\n"
    for args in WRITES:
        proc = user.run(*(a.format(path=path, out=out) for a in args))
        assert one_line(proc) == expected, args
    assert digest(path.parent) == before  # nothing written, no -wal or -shm left
    assert event_count(path) == events


def test_a_read_only_file_can_be_read_not_written(nobody: Nobody) -> None:
    path = seeded(nobody, nobody.base / "incident")
    path.chmod(0o444)
    check_read_only(
        nobody,
        path,
        f"{path}: read-only (mode 0444); this command would change the incident: "
        f"`chmod u+w {path}` first",
    )


def test_a_file_in_a_read_only_directory_can_be_read_not_written(nobody: Nobody) -> None:
    path = seeded(nobody, nobody.base / "incident")
    path.parent.chmod(0o555)
    try:
        check_read_only(
            nobody,
            path,
            f"{path.parent}: read-only (mode 0555); this command would change the "
            "incident, and warroom writes its -wal and -shm files beside inc.db: "
            f"`chmod u+w {path.parent}` first",
        )
    finally:
        path.parent.chmod(0o755)


def test_another_users_readable_file_can_be_read_not_written(
    nobody: Nobody, cli, passphrase: str, settle: Callable[[Path], None]
) -> None:
    """Root's incident, 0644: nobody may read it; a reader leaves no -wal or -shm of
    its own beside it (they would lock its owner out)."""
    directory = nobody.base / "roots"
    directory.mkdir(mode=0o755)
    path = directory / "inc.db"
    with Session.create(
        path, passphrase, kdf="interactive", codename="amber-heron", device=load_device()
    ) as session:
        session.add_note("first scan from 198.51.100.23", kind="attacker")
        session.add_followup("rotate keys")
    settle(path)
    path.chmod(0o644)
    check_read_only(
        nobody,
        path,
        f"{path}: permission denied (mode 0644, owner root, group root); its owner can share "
        f"it with `chmod 660 {path}`. To share incidents, make them with `warroom init "
        "--shared` in a setgid directory of a group you all belong to (`install -d -m 2770 "
        "-g GROUP DIR`)",
    )


def test_a_read_only_file_system_can_be_read_not_written(cli, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "media", "1m") as media:
        path = media / "inc.db"
        for args in (
            ("init", path, "--kdf", "interactive"),
            ("note", path, "first scan from 198.51.100.23", "--kind", "attacker"),
            ("followup", "add", path, "rotate keys"),
        ):
            assert cli(*args).returncode == 0
        remount = subprocess.run(
            ["mount", "-o", "remount,ro", str(media)], capture_output=True, text=True
        )
        assert remount.returncode == 0, remount.stderr
        out = tmp_path / "out"
        out.mkdir()
        events = event_count(path)
        for args in READS:
            proc = cli(*(a.format(path=path, out=out) for a in args))
            assert (proc.returncode, proc.stderr) == (0, ""), (args, proc.stderr)
        for args in WRITES:
            proc = cli(*(a.format(path=path, out=out) for a in args))
            assert one_line(proc) == (
                f"{path}: on a read-only file system; this command would change the incident"
            )
        assert event_count(path) == events


# -- text that cannot be stored --------------------------------------------------


def run_bytes(cli, *args: bytes | str | Path) -> subprocess.CompletedProcess[str]:
    """The CLI with raw bytes in argv, as a shell passes $'\\xff'."""
    argv = [sys.executable.encode(), b"-m", b"warroom"]
    argv += [a if isinstance(a, bytes) else os.fsencode(a) for a in args]
    return subprocess.run(
        argv,
        env=cli.env(),
        cwd=cli.cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=60,
    )


def test_a_byte_that_is_not_utf8_in_a_note_is_one_line(cli, incident: Path) -> None:
    before = event_count(incident)
    proc = run_bytes(cli, "note", incident, b"payroll \xff creds")
    assert one_line(proc) == "the note is not valid UTF-8 (the byte 0xFF at character 9)"
    proc = run_bytes(cli, "roster", "add", incident, b"Ann", "--email", b"ann\xfe@example.com")
    assert one_line(proc) == "the email is not valid UTF-8 (the byte 0xFE at character 4)"
    assert event_count(incident) == before


def test_a_lone_surrogate_in_a_draft_body_is_one_line(cli, incident: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.json"
    draft.write_text(  # JSON's own escape for half a character: valid JSON, not text
        '{"channel": "chat", "topic": "status", "body": "update \\ud800 at 14:00"}',
        encoding="ascii",
    )
    before = event_count(incident)
    proc = cli("draft", "add", incident, draft)
    line = one_line(proc)  # said by the draft reader, or by the session if it lets it by
    assert "lone surrogate" in line and "character 8" in line and "body" in line, line
    assert event_count(incident) == before


def test_an_undecodable_address_is_one_line(cli, incident: Path, tmp_path: Path) -> None:
    eml = tmp_path / "draft.eml"
    eml.write_bytes(
        b"From: ic@example.com\r\n"
        b"To: Ann \xff <ann@exa\xffmple.com>\r\n"
        b"Subject: Attorney Work Project\r\n"
        b"\r\n"
        b"body\r\n"
    )
    before = event_count(incident)
    proc = cli("draft", "add", incident, eml)
    line = one_line(proc)
    assert line.startswith("the draft's to is not valid UTF-8 (the byte 0xFF"), line
    assert event_count(incident) == before
