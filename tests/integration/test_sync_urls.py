"""Sync URLs that cannot work are bad input, refused at once in one line (exit 2,
no retries, no traceback): a relay URL with a user name or password in it (the relay
knows the incident by its bearer token; a password in a URL also lands in the shell's
history), one urllib cannot read (an unclosed `[`), and a port of 0 or over 65535.
A password is never printed. `ssh://user@host/path` (a user name, no password) still
works; `ssh://user:pw@host/path` and an ssh port of 0 (ssh's default, 22: a host the
user did not name) are refused. An invite never carries such a URL, and a join never
saves one."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from ports import free_port
from privatefile import private_file

from warroom import invite as invites
from warroom.device import load_device
from warroom.session import Session, open_store
from warroom.sync import settings as sync_settings

SECRET = "hunter2"
INVITE_SECRET = "invite: sync-urls one-time passphrase"
SCRIBE_SECRET = "scribe: sync-urls battery staple"
QUICK_S = 5.0
"""A refusal comes before any connection: far less than a relay's retries take."""


def one_line_refusal(proc, said: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stderr.startswith("warroom: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert said in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout


@pytest.fixture
def listening():
    """A port on 127.0.0.1 that accepts connections and never answers: a sync that
    connected to it would hang until its timeout, far past QUICK_S."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (f"http://user:{SECRET}@127.0.0.1:{{port}}", "takes no user name or password"),
        (f"https://user:{SECRET}@127.0.0.1:{{port}}/relay", "takes no user name or password"),
        (f"http://:{SECRET}@127.0.0.1:{{port}}", "takes no user name or password"),
        ("http://user@127.0.0.1:{port}", "takes no user name or password"),
        ("http://[::1", "not a URL"),
        (f"http://user:{SECRET}@[::1", "not a URL"),
        ("http://[not-an-address]:80", "not a URL"),
        ("http://127.0.0.1:0", "a bad port"),
        ("http://127.0.0.1:99999", "a bad port"),
        ("https://relay.example:65536/", "a bad port"),
        ("ssh://localhost:0/x.db", "a bad port"),
        ("ssh://user@localhost:70000/x.db", "a bad port"),
        (f"ssh://user:{SECRET}@localhost/x.db", "take no password"),
        (f"ssh://user:{SECRET}@localhost:abc/x.db", "a bad port"),
    ],
)
def test_an_unusable_url_is_refused_at_once_in_one_line(
    cli, incident: Path, listening: int, url: str, said: str
) -> None:
    url = url.format(port=listening)
    started = time.monotonic()
    proc = cli("sync", incident, url)
    one_line_refusal(proc, said)
    assert time.monotonic() - started < QUICK_S
    assert cli("sync", incident).stderr.count("no sync URL") == 1  # nothing was saved


def test_an_ssh_url_with_a_user_name_is_still_taken(cli, incident: Path) -> None:
    """It gets as far as ssh (which finds nothing listening): the URL was good."""
    url = f"ssh://someone@127.0.0.1:{free_port()}/srv/inc.db"
    env = {"WARROOM_SSH_OPTIONS": "-F /dev/null -o BatchMode=yes -o ConnectTimeout=3"}
    proc = cli("sync", incident, url, env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "unreachable" in proc.stderr, proc.stderr
    assert "bad" not in proc.stderr and "password" not in proc.stderr


def test_an_invite_does_not_carry_a_saved_url_with_a_password(
    cli, incident: Path, tmp_path: Path
) -> None:
    """A sync URL saved by an older warroom: the invite leaves it out and says why."""
    incident_id = _incident_id(incident)
    saved = sync_settings.load(incident_id)
    saved.url = f"http://user:{SECRET}@127.0.0.1:9"
    sync_settings.save(incident_id, saved)
    invite_pass = private_file(tmp_path / "invite-pass.txt", INVITE_SECRET)
    out = tmp_path / "scribe.invite"

    proc = cli("invite", incident, "--out", out, "--invite-passphrase-file", invite_pass)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("warroom: warning: the invite names no relay: ")
    assert "relay" not in proc.stdout.split("(", 1)[1].split(")", 1)[0]
    assert SECRET not in proc.stdout + proc.stderr
    assert SECRET.encode() not in out.read_bytes()  # (the URL would be sealed anyway)


def test_a_join_does_not_save_an_invites_url_with_a_password(
    cli, tmp_path: Path, passphrase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An invite made by an older warroom (or another program) with such a URL."""
    ic_config = tmp_path / "ic-config"
    ic_config.mkdir(mode=0o700)
    incident = tmp_path / "ic.db"
    with monkeypatch.context() as ic:  # the IC's device, another config dir
        ic.setenv("WARROOM_CONFIG_DIR", str(ic_config))
        me = load_device(ic_config, name="IC")
        with Session.create(incident, passphrase, kdf="interactive", device=me) as session:
            session.add_note("first")
        contents, header = invites.read_incident(
            incident, passphrase, lambda _: f"https://user:{SECRET}@relay.example"
        )
    out = tmp_path / "old.invite"
    out.write_bytes(
        invites.by_passphrase(contents, INVITE_SECRET, (header.opslimit, header.memlimit))
    )
    invite_pass = private_file(tmp_path / "invite-pass.txt", INVITE_SECRET)
    scribe_pass = private_file(tmp_path / "scribe-pass.txt", SCRIBE_SECRET)
    newpath = tmp_path / "mine.db"

    proc = cli("join", out, newpath, "--kdf", "interactive", "--invite-passphrase-file",
               invite_pass, passphrase_file=scribe_pass)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("warroom: warning: the invite's relay URL is not saved: ")
    assert SECRET not in proc.stdout + proc.stderr
    assert sync_settings.load(contents.incident_id).url is None
    assert "bundles or `warroom sync`" in proc.stdout


def _incident_id(incident: Path) -> bytes:
    store = open_store(incident)
    try:
        return store.meta()["incident_id"]
    finally:
        store.close()
