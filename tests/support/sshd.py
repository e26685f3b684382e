"""A real OpenSSH server on 127.0.0.1 for tests, started as the user running them.

    if reason := skip_reason():
        pytest.skip(reason)
    with SshServer.running() as server:
        server.authorize("alice")       # the one client key may now log in as alice
        command = server.remote(["python3", "-V"], env={"LANG": "C.UTF-8"})
        subprocess.run(server.ssh("alice", command, tty=False), timeout=30)

Everything lives in a fresh folder under /tmp: its own sshd_config, a freshly
generated host key and client key, `authorized_keys/%u`, and a known_hosts that
pins the host key (so the client checks it strictly and prints no warning). The
machine's own ssh setup is neither read nor changed, except /run/sshd, which sshd
needs as root and which is made if missing. As root, sshd logs in any user with an
authorized key; as another user it can log in only that same user.

sshd passes no client environment (no AcceptEnv), so what a remote program needs goes
on its command line (`remote(argv, env)` -> `env VAR=... argv`). That command line
also carries a marker: `stop()` kills every process bearing it, by id, together with
sshd and its sessions, so nothing started through the server outlives the test.
Nothing here knows warroom.
"""

from __future__ import annotations

import contextlib
import grp
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
HOST = "127.0.0.1"
MARK = "SSHD_TEST_MARK"
"""Set in the environment of every remote command, to find them all at the end."""

PRIVSEP_DIR = Path("/run/sshd")


def skip_reason() -> str | None:
    """Why the server cannot run here, or None."""
    if not SSHD.exists():
        return "openssh-server not installed; .ci/run installs it"
    for tool in ("ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} not found: openssh-client not installed; .ci/run installs it"
    return None


def tty_skip_reason() -> str | None:
    """Why `ssh -tt` cannot work here, or None. sshd not run as root cannot chown the
    pty it opens, so the pty must already be the user's, in group tty (devpts mounted
    with gid=5); otherwise sshd ends the session ("chown(/dev/pts/N) failed")."""
    if os.geteuid() == 0:
        return None
    try:
        tty_gid = grp.getgrnam("tty").gr_gid
    except KeyError:  # sshd then wants the user's own group
        tty_gid = os.getgid()
    master, slave = os.openpty()
    try:
        owner = os.fstat(slave)
    finally:
        os.close(master)
        os.close(slave)
    if (owner.st_uid, owner.st_gid) != (os.geteuid(), tty_gid):
        return (
            f"sshd not run as root cannot hand over a terminal here: a new pty gets group "
            f"{owner.st_gid}, not tty ({tty_gid}), and only root may chown it "
            "(devpts mounted without gid=5)"
        )
    return None


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _parents() -> dict[int, int]:
    """pid -> parent pid, for every process in /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # the command name may hold spaces and parentheses: fields follow the last ')'
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`."""
    children: dict[int, list[int]] = {}
    for child, parent in _parents().items():
        children.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _processes(match: Callable[[Path], bool]) -> set[int]:
    """The pids of the processes (but this one) whose /proc folder `match`es."""
    found: set[int] = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            with contextlib.suppress(OSError):  # gone, or not ours to read
                if match(proc):
                    found.add(int(proc.name))
    return found


def processes_with_env(entry: str) -> set[int]:
    """Processes whose environment holds `entry` ("NAME=value") exactly."""
    wanted = entry.encode()
    return _processes(lambda proc: wanted in (proc / "environ").read_bytes().split(b"\0"))


def processes_of(uid: int) -> set[int]:
    """Processes whose real user is `uid`."""

    def match(proc: Path) -> bool:
        for line in (proc / "status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1]) == uid
        return False

    return _processes(match)


def kill_all(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


class SshServer:
    """sshd -D on 127.0.0.1:`port`, configured and keyed from `directory` alone."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.config = directory / "sshd_config"
        self.host_key = directory / "host_ed25519"
        self.client_key = directory / "client_ed25519"
        self.keys_dir = directory / "authorized_keys"
        self.known_hosts = directory / "known_hosts"
        self.log = directory / "sshd.log"
        self.pid_file = directory / "sshd.pid"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[SshServer]:
        """A started server; stopped, with all it started, and its folder removed after."""
        # Under /tmp, readable by all: sshd reads authorized_keys/%u as the user logging in.
        directory = Path(tempfile.mkdtemp(prefix="sshd-", dir="/tmp"))
        directory.chmod(0o755)
        server = cls(directory)
        try:
            server._start()
            yield server
        finally:
            server.stop()
            shutil.rmtree(directory, ignore_errors=True)

    # -- starting ------------------------------------------------------------------

    def _start(self) -> None:
        _keygen(self.host_key, "test sshd host key")
        _keygen(self.client_key, "test sshd client key")
        self.keys_dir.mkdir(mode=0o755)
        if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
            PRIVSEP_DIR.mkdir(mode=0o755, parents=True)
        for _attempt in range(3):  # the free port may be taken before sshd binds it
            self.port = _free_port()
            self.config.write_text(self._config_text())
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(
                    [str(SSHD), "-D", "-e", "-f", str(self.config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_listening(timeout=20):
                host_key = self.host_key.with_suffix(".pub").read_text().split()
                self.known_hosts.write_text(f"[{HOST}]:{self.port} {host_key[0]} {host_key[1]}\n")
                return
        raise RuntimeError(f"sshd did not start:\n{self.log_tail()}")

    def _config_text(self) -> str:
        root = os.geteuid() == 0
        lines = [
            f"Port {self.port}",
            f"ListenAddress {HOST}",
            f"HostKey {self.host_key}",
            f"PidFile {self.pid_file}",
            f"AuthorizedKeysFile {self.keys_dir}/%u",
            # StrictModes refuses a key file below a world-writable folder such as /tmp
            "StrictModes no",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            f"PermitRootLogin {'prohibit-password' if root else 'no'}",
            "PermitUserEnvironment no",
            "AllowTcpForwarding no",
            "AllowAgentForwarding no",
            "AllowStreamLocalForwarding no",
            "X11Forwarding no",
            "PermitTunnel no",
            "PrintMotd no",
            "PrintLastLog no",
            "MaxStartups 50:30:100",
            "LogLevel VERBOSE",
        ]
        return "\n".join(lines) + "\n"

    def _wait_listening(self, timeout: float) -> bool:
        """True once sshd says it listens and the port answers with an SSH banner; False
        if sshd exited (the port was taken)."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if f"port {self.port}" in self.log.read_text(errors="replace"):
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection((HOST, self.port), timeout=2) as sock,
                ):
                    if sock.recv(64).startswith(b"SSH-"):
                        return True
            time.sleep(0.05)
        self._stop_sshd()
        raise RuntimeError(f"sshd did not listen within {timeout} s:\n{self.log_tail()}")

    # -- using ---------------------------------------------------------------------

    def authorize(self, user: str) -> None:
        """Let the client key log in as `user` (read by sshd at each login)."""
        path = self.keys_dir / user
        path.write_text(self.client_key.with_suffix(".pub").read_text())
        path.chmod(0o644)

    def remote(
        self, argv: Sequence[str | os.PathLike[str]], env: Mapping[str, str] | None = None
    ) -> str:
        """The remote command line: `env MARK=... VAR=... argv`, quoted for the login shell."""
        assignments = [f"{MARK}={self.directory}", *(f"{k}={v}" for k, v in (env or {}).items())]
        return shlex.join(["env", *assignments, *map(str, argv)])

    def ssh(self, user: str, command: str, *, tty: bool = True) -> list[str]:
        """The client's argv: this server's key and host key only, nothing from ~/.ssh.
        `tty` asks for a remote terminal (`-tt`, even when stdin is not one), else `-T`."""
        return [
            "ssh",
            "-tt" if tty else "-T",
            "-F", "/dev/null",
            "-i", str(self.client_key),
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
            "-o", "LogLevel=ERROR",
            "-p", str(self.port),
            f"{user}@{HOST}",
            command,
        ]  # fmt: skip

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return "(no sshd log)"

    # -- stopping ------------------------------------------------------------------

    def stop(self) -> None:
        """Kill what was started through the server (sessions, remote commands, even
        those orphaned when their session ended), then sshd."""
        for _round in range(3):  # a dying session may have forked once more
            pids = processes_with_env(f"{MARK}={self.directory}")
            if self.proc is not None and self.proc.poll() is None:
                pids |= descendants(self.proc.pid)
            if not pids:
                break
            kill_all(pids)
            time.sleep(0.05)
        self._stop_sshd()

    def _stop_sshd(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
