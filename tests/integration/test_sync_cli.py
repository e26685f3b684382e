"""`warroom sync` as real processes: two replicas (a copied file, each written by its
own device) that took notes and flipped the same checklist step while apart
converge over ssh (a real sshd on 127.0.0.1 running `warroom sync-stdio`) and
through a real relay on 127.0.0.1; the URL is saved; a second sync moves nothing;
no secret shows in any command line; `--watch` follows a new note and stops on
SIGTERM; an unreachable peer is exit 2 in one line; a peer rolled back to an older
copy is reported (heads as anchors)."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ports import free_port
from relayproc import Relay
from replicas import copy_file
from sshd import SshServer, skip_reason

from warroom.ledger import RELAY_TOKEN
from warroom.session import Session
from warroom.sync import runner
from warroom.sync.stdio import HELLO, MAGIC, write_frame

ME = pwd.getpwuid(os.geteuid()).pw_name
STEP = "stop-attack"
CANARY = "canary-sync-7f3a"


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


class Replicas:
    """Incident file A (the test's config dir: device Ann) and B, a copy of it
    written by device Bo (a config dir of its own)."""

    def __init__(self, cli: Any, tmp_path: Path) -> None:
        self.cli = cli
        self.a = tmp_path / "a" / "inc.db"
        self.b = tmp_path / "b" / "inc.db"
        self.b_config = tmp_path / "config-b"
        self.b_config.mkdir(mode=0o700)
        for path in (self.a, self.b):
            path.parent.mkdir()
        ok(cli("init", self.a, "--kdf", "interactive", "--codename", "amber-heron"))
        copy_file(self.a, self.b)

    def on(self, path: Path, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        """Run warroom as the device that writes `path`."""
        config = self.b_config if path == self.b else None
        return self.cli(*args, config_dir=config)

    def write_apart(self) -> None:
        """Each side adds notes and flips the same step, differently."""
        for path, who, status in ((self.a, "ann", "done"), (self.b, "bo", "doing")):
            for i in range(3):
                ok(self.on(path, "note", path, f"{who} {CANARY} {i}"))
            ok(self.on(path, "step", "set", path, STEP, status))

    def whole(self, path: Path) -> tuple[dict, dict]:
        show = json.loads(ok(self.on(path, "show", path, "--format", "json")))
        timeline = json.loads(ok(self.on(path, "timeline", path, "--format", "json")))
        return show, timeline

    def converged(self) -> bool:
        return self.whole(self.a) == self.whole(self.b)

    def texts(self, path: Path) -> list[str]:
        _, timeline = self.whole(path)
        return sorted(e["text"] for e in timeline if CANARY in e.get("text", ""))


@pytest.fixture
def replicas(cli: Any, tmp_path: Path) -> Replicas:
    return Replicas(cli, tmp_path)


# -- ssh ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[SshServer]:
    """A fresh sshd on 127.0.0.1 (for the module) that lets this user in as themself."""
    if reason := skip_reason():
        pytest.skip(reason)
    with SshServer.running() as running:
        running.authorize(ME)
        yield running


@pytest.fixture
def ssh_env(server: SshServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """How `warroom sync` reaches the test's sshd: its key and known_hosts as ssh
    options, and the far side's warroom as this interpreter (marked, so the server
    stops whatever it started). Set in os.environ, which Cli passes on."""
    argv = server.ssh(ME, "true", tty=False)
    options = argv[2 : argv.index("-p")]  # -F, -i, -o ...: not the port, user or command
    remote = server.remote([sys.executable, "-m", "warroom"], {"LANG": "C.UTF-8"})
    monkeypatch.setenv("WARROOM_SSH_OPTIONS", shlex.join(options))
    monkeypatch.setenv("WARROOM_REMOTE_COMMAND", remote)


def ssh_url(server: SshServer, path: Path) -> str:
    return f"ssh://{ME}@127.0.0.1:{server.port}{path}"


def test_sync_over_ssh_converges_and_the_url_is_saved(
    replicas: Replicas, server: SshServer, ssh_env: None
) -> None:
    replicas.write_apart()
    assert not replicas.converged()
    url = ssh_url(server, replicas.b)
    first = replicas.cli("sync", replicas.a, url)
    assert first.returncode == 0, first.stderr + server.log_tail()
    assert first.stdout.strip() == (
        f"synced with {url}: pushed 4, pulled 4, forks 0, rejected 0"
    ), first.stdout
    assert replicas.converged()
    assert len(replicas.texts(replicas.a)) == 6
    again = replicas.cli("sync", replicas.a)  # the saved URL
    assert again.returncode == 0, again.stderr
    assert "pushed 0, pulled 0, forks 0, rejected 0" in again.stdout
    assert replicas.converged()


@pytest.mark.parametrize("transport", ["ssh", "relay"])
def test_no_secret_in_any_command_line_during_sync(
    replicas: Replicas, passphrase: str, request: pytest.FixtureRequest, transport: str
) -> None:
    """Neither the passphrase, nor the relay token, nor any note is on a command line
    (/proc/PID/cmdline, which every user of the host can read) while a sync runs."""
    if transport == "ssh":
        server = request.getfixturevalue("server")
        request.getfixturevalue("ssh_env")
        url, far = ssh_url(server, replicas.b), b"sync-stdio"
    else:
        url, far = request.getfixturevalue("relay"), b"relay"
    with Session.unlock(replicas.a, passphrase, fold=False) as session:
        token = session.ledger.derive(RELAY_TOKEN).hex().encode()
    replicas.write_apart()
    seen: set[bytes] = set()
    proc = replicas.cli.start("sync", replicas.a, url)
    while proc.poll() is None:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    seen.add((entry / "cmdline").read_bytes())
        time.sleep(0.005)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert any(far in line for line in seen)  # the far side was running, and looked at
    for line in seen:
        for secret in (passphrase.encode(), token, CANARY.encode()):
            assert secret not in line


def test_watch_follows_a_new_note_and_stops_on_sigterm(
    replicas: Replicas, server: SshServer, ssh_env: None
) -> None:
    ok(replicas.cli("sync", replicas.a, ssh_url(server, replicas.b)))
    proc = replicas.cli.start("sync", replicas.a, "--watch", "--interval", "30")
    try:
        time.sleep(1.5)  # its first round (nothing to move) is done
        ok(replicas.on(replicas.a, "note", replicas.a, f"late {CANARY}"))
        deadline = time.monotonic() + 30
        while f"late {CANARY}" not in replicas.texts(replicas.b):
            assert time.monotonic() < deadline, "the watch did not sync the new note"
            time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "pushed 1, pulled 0, forks 0, rejected 0" in out
    assert "Traceback" not in err


def test_a_far_file_rolled_back_is_reported(
    replicas: Replicas, server: SshServer, ssh_env: None, tmp_path: Path
) -> None:
    url = ssh_url(server, replicas.b)
    ok(replicas.on(replicas.b, "note", replicas.b, f"bo {CANARY}"))
    ok(replicas.cli("sync", replicas.a, url))
    older = tmp_path / "older.db"
    copy_file(replicas.b, older)
    ok(replicas.on(replicas.b, "note", replicas.b, f"bo again {CANARY}"))
    ok(replicas.cli("sync", replicas.a, url))  # the anchor: B's feed at #2 of Bo's
    copy_file(older, replicas.b)  # the far file put back to an older copy
    rolled = replicas.cli("sync", replicas.a)
    assert rolled.returncode == 1, rolled.stderr
    lines = [line for line in rolled.stderr.splitlines() if "rolled back" in line]
    assert len(lines) == 1, rolled.stderr
    assert url in lines[0] and "device " in lines[0]
    assert "pushed 1" in rolled.stdout  # the sync healed it all the same
    healed = replicas.cli("sync", replicas.a)
    assert healed.returncode == 0, healed.stderr
    assert replicas.converged()


def test_sync_over_ssh_to_a_missing_file_is_one_line(
    replicas: Replicas, server: SshServer, ssh_env: None, tmp_path: Path
) -> None:
    proc = replicas.cli("sync", replicas.a, ssh_url(server, tmp_path / "nothing.db"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "no such file" in proc.stderr, proc.stderr


# -- no sshd needed ------------------------------------------------------------------------


def test_unreachable_ssh_host_is_exit_2_in_one_line(replicas: Replicas) -> None:
    url = f"ssh://127.0.0.1:{free_port()}/srv/inc.db"
    env = {"WARROOM_SSH_OPTIONS": "-F /dev/null -o BatchMode=yes -o ConnectTimeout=3"}
    proc = replicas.cli("sync", replicas.a, url, env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unreachable" in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "no sync URL"),
        (("ftp://example.org/x",), "not a sync URL"),
        (("ssh:///x.db",), "no host"),
        (("ssh://host",), "no file path"),
        (("ssh://-oProxyCommand=x/y",), "no host"),
    ],
)
def test_bad_or_missing_url_is_exit_2_in_one_line(
    replicas: Replicas, args: tuple[str, ...], said: str
) -> None:
    proc = replicas.cli("sync", replicas.a, *args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and said in proc.stderr, proc.stderr


def test_sync_stdio_is_strict(replicas: Replicas, tmp_path: Path) -> None:
    """The far side refuses a client that does not greet, another incident, and a
    frame over the cap: one line on stderr, exit 2; it needs no passphrase."""
    import io

    def frames(*payloads: bytes) -> bytes:
        out = io.BytesIO()
        for payload in payloads:
            write_frame(out, payload)
        return out.getvalue()

    def serve(data: bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "warroom", "sync-stdio", str(replicas.a)],
            input=data,
            capture_output=True,
            env=replicas.cli.env(passphrase_file=None),
            timeout=60,
        )

    assert serve(b"").returncode == 0  # stdin closed at once: nothing to do
    for data, said in (
        (frames(b"V"), "not a warroom sync client"),
        (frames(HELLO + MAGIC + bytes(32)), "another incident"),
        ((2**31).to_bytes(4, "big"), "a frame of"),
    ):
        proc = serve(data)
        assert proc.returncode == 2
        err = proc.stderr.decode()
        assert err.count("\n") == 1 and said in err, err


def test_watch_backs_off_while_unreachable_and_syncs_on_change() -> None:
    """The watch loop alone, on a fake clock: a change triggers a round at once; an
    unreachable peer is tried again after growing, jittered delays; a change does
    not hurry a retry."""
    now = [0.0]
    results: list[str] = []
    failing = [False]
    changes = [False]

    class Down(Exception):
        pass

    def one() -> runner.Round:
        if failing[0]:
            raise Down()
        results.append(f"round@{now[0]:g}")
        return runner.Round("https://relay", runner.SyncReport())

    watch = runner.Watch(
        round=one,
        changed=lambda: changes.pop() if changes else False,
        unreachable=(Down,),
        on_round=lambda r: None,
        on_unreachable=lambda exc, delay: results.append(f"down@{now[0]:g}+{delay:g}"),
        interval=10,
        clock=lambda: now[0],
        rng=lambda: 0.5,  # no jitter: the delays are exact
    )

    class Clock(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            now[0] += timeout or 0.25
            if now[0] == 3:
                changes.append(True)
            if now[0] >= 12:
                failing[0] = True
            if now[0] >= 20:
                changes.append(True)  # a change while down: no round before the delay
            if now[0] > 40:
                self.set()
            return self.is_set()

    watch.stop = Clock()
    watch.poll = 1
    watch.run()
    assert results[:3] == ["round@0", "round@3", "down@13+1"], results
    downs = [float(r.split("+")[1]) for r in results if r.startswith("down")]
    assert downs[:4] == [1, 2, 4, 8]
    assert runner.backoff(30, rng=lambda: 0.5) == runner.MAX_BACKOFF


# -- a relay ---------------------------------------------------------------------------------


@contextlib.contextmanager
def running_relay(cli: Any, data: Path, port: int) -> Iterator[str]:
    """`warroom relay` on 127.0.0.1:`port` over `data`, until the block ends."""
    relay = Relay(data, data.parent / f"{data.name}.log", cli.env(passphrase_file=None), cli.cwd)
    relay.port = port
    try:
        yield relay.start().url
    finally:
        relay.kill()


@pytest.fixture
def relay_data(tmp_path: Path) -> Path:
    data = tmp_path / "relay-data"
    data.mkdir()
    return data


@pytest.fixture
def relay(cli: Any, relay_data: Path) -> Iterator[str]:
    with running_relay(cli, relay_data, free_port()) as url:
        yield url


def test_sync_through_a_relay_converges(replicas: Replicas, relay: str) -> None:
    replicas.write_apart()
    for path in (replicas.a, replicas.b, replicas.a):
        proc = replicas.on(path, "sync", path, relay)
        assert proc.returncode == 0, proc.stderr
    assert replicas.converged()
    again = replicas.cli("sync", replicas.a)  # the saved URL
    assert again.returncode == 0, again.stderr
    assert "pushed 0, pulled 0, forks 0, rejected 0" in again.stdout


def test_an_unreachable_relay_is_exit_2_after_retries(replicas: Replicas) -> None:
    started = time.monotonic()
    proc = replicas.cli("sync", replicas.a, f"http://127.0.0.1:{free_port()}", timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert time.monotonic() - started > 1  # it retried, with backoff


def test_a_relay_rolled_back_is_reported(
    replicas: Replicas, cli: Any, relay_data: Path, tmp_path: Path
) -> None:
    """The relay's data put back to an older copy: it serves fewer of Ann's events
    than it held after the last sync, and the next sync says so."""
    port = free_port()
    older = tmp_path / "older-relay-data"
    with running_relay(cli, relay_data, port) as url:
        ok(replicas.cli("sync", replicas.a, url))
    shutil.copytree(relay_data, older)
    ok(replicas.on(replicas.a, "note", replicas.a, f"ann {CANARY}"))
    with running_relay(cli, relay_data, port):
        ok(replicas.cli("sync", replicas.a))
    shutil.rmtree(relay_data)
    shutil.copytree(older, relay_data)
    with running_relay(cli, relay_data, port):
        rolled = replicas.cli("sync", replicas.a)
        assert rolled.returncode == 1, rolled.stderr
        lines = [line for line in rolled.stderr.splitlines() if "rolled back" in line]
        assert len(lines) == 1 and url in lines[0], rolled.stderr
        assert "pushed 1" in rolled.stdout  # pushing healed it
        healed = replicas.cli("sync", replicas.a)
        assert healed.returncode == 0, healed.stderr
