"""Invite and join (issue #12), as real processes: the IC writes an invite, a scribe
on another device (its own config dir) joins it under a passphrase of their own, and
the replica is a full incident file that works offline. Damaged, truncated or wrong
invites, an existing NEWPATH and a device that already has a replica are refused in
one line, with nothing made; secrets and the incident's keys stay off every argv."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cmdlines import all_cmdlines
from gpgshim import leaks
from privatefile import private_file
from relayproc import Relay

from warroom.sync import settings as sync_settings

TOKEN = secrets.token_hex(4)
CANARY = f"INVITE-CANARY-{TOKEN} payroll-prod creds"
INVITE_SECRET = f"invite-secret-{TOKEN}"
SCRIBE_SECRET = f"scribe-secret-{TOKEN}"
RELAY = "https://relay.example:8443/"
SCRIBE_EMAIL = f"scribe-{TOKEN}@example.com"
HERE = Path(__file__).resolve().parent


class Scribe:
    """The joining responder: another device (config dir) and passphrase."""

    def __init__(self, cli, base: Path, name: str = "scribe") -> None:
        self.cli = cli
        self.config = base / f"{name}-config"
        self.config.mkdir(mode=0o700)
        self.passphrase = private_file(base / f"{name}-pass.txt", SCRIBE_SECRET)

    def __call__(self, *args, **kwargs) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("passphrase_file", self.passphrase)
        return self.cli(*args, config_dir=self.config, **kwargs)

    def join(self, invite: Path, newpath: Path, *more, **kwargs):
        return self("join", invite, newpath, "--kdf", "interactive", *more, **kwargs)


@pytest.fixture
def invite_pass(tmp_path: Path) -> Path:
    return private_file(tmp_path / "invite-pass.txt", INVITE_SECRET)


@pytest.fixture
def scribe(cli, tmp_path: Path) -> Scribe:
    return Scribe(cli, tmp_path)


@pytest.fixture
def busy(cli, incident: Path) -> Path:
    """The incident with a canary note and a flipped step."""
    assert cli("note", incident, "-", input=CANARY).returncode == 0
    assert cli("step", "set", incident, "stop-attack", "doing").returncode == 0
    return incident


def make_invite(cli, incident: Path, out: Path, invite_pass: Path) -> Path:
    proc = cli("invite", incident, "--out", out, "--invite-passphrase-file", invite_pass)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return out


def shown(run: Callable[..., subprocess.CompletedProcess[str]], *args) -> object:
    proc = run(*args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def holds(path: Path, text: str) -> bool:
    data = path.read_bytes()
    return any(form.encode() in data for form in (text, text.upper(), text.lower(), TOKEN))


def refused(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("warroom: ")
    for word in words:
        assert word in lines[0], lines[0]


# -- the flow ---------------------------------------------------------------------------


def test_a_joined_replica_is_the_incident_offline(
    cli, busy: Path, scribe: Scribe, invite_pass: Path, tmp_path: Path, config_dir: Path, settle
) -> None:
    incident_id = bytes.fromhex(shown(cli, "info", busy)["incident_id"])
    sync_settings.save(incident_id, sync_settings.SyncSettings(url=RELAY), config_dir)
    invite = make_invite(cli, busy, tmp_path / "scribe.invite", invite_pass)
    assert stat.S_IMODE(invite.stat().st_mode) == 0o600
    assert not holds(invite, CANARY)
    assert not holds(invite, INVITE_SECRET)

    mine = tmp_path / "mine.db"
    proc = scribe.join(invite, mine, "--invite-passphrase-file", invite_pass)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "Joined amber-heron" in proc.stdout

    # the same incident, at that moment, through the scribe's own passphrase and device
    assert shown(scribe, "show", mine) == shown(cli, "show", busy)
    assert shown(scribe, "timeline", mine) == shown(cli, "timeline", busy)
    facts = shown(scribe, "info", mine)
    assert facts["incident_id"] == incident_id.hex()
    assert not any(d["this"] for d in facts["devices"])  # the scribe has written nothing yet
    saved = sync_settings.load(incident_id, scribe.config).url
    assert saved == RELAY.rstrip("/")  # in one spelling: urls.check_url
    # the incident's passphrase does not open the replica: it is the scribe's own
    refused(scribe("show", mine, passphrase_file=cli.passphrase_file), "wrong passphrase")

    # offline: a note on the replica shows in its timeline, signed by the scribe's device
    assert scribe("note", mine, "-", input="scribe: plane notes").returncode == 0
    assert shown(scribe, "timeline", mine)[-1]["text"] == "scribe: plane notes"
    assert "plane notes" not in json.dumps(shown(cli, "timeline", busy))
    assert scribe("verify", mine).returncode == 0

    settle(mine)
    assert stat.S_IMODE(mine.stat().st_mode) == 0o600
    assert not holds(mine, CANARY)
    for leftover in os.listdir(tmp_path):  # no staging file or plaintext beside them
        assert not leftover.startswith(".warroom-export-"), leftover


def _apart(cli, busy: Path, scribe: Scribe, invite_pass: Path, tmp_path: Path) -> Path:
    """The scribe joins, then both write while apart and flip the same step."""
    invite = make_invite(cli, busy, tmp_path / "scribe.invite", invite_pass)
    mine = tmp_path / "mine.db"
    assert scribe.join(invite, mine, "--invite-passphrase-file", invite_pass).returncode == 0
    for run, path, who in ((cli, busy, "ic"), (scribe, mine, "scribe")):
        for n in range(3):
            assert run("note", path, "-", input=f"{who} apart {n}").returncode == 0
    assert cli("step", "set", busy, "cut-vector", "done").returncode == 0
    assert scribe("step", "set", mine, "cut-vector", "skipped").returncode == 0
    assert shown(scribe, "show", mine) != shown(cli, "show", busy)
    return mine


def _level(cli, busy: Path, scribe: Scribe, mine: Path) -> None:
    """Both folds identical: the whole `show` and `timeline` JSON."""
    assert shown(scribe, "show", mine) == shown(cli, "show", busy)
    assert shown(scribe, "timeline", mine) == shown(cli, "timeline", busy)
    texts = [e["text"] for e in shown(cli, "timeline", busy)]
    assert sum(t.startswith(("ic apart", "scribe apart")) for t in texts) == 6


def test_a_joined_replica_and_the_incident_merge_by_bundles_both_ways(
    cli, busy: Path, scribe: Scribe, invite_pass: Path, tmp_path: Path
) -> None:
    mine = _apart(cli, busy, scribe, invite_pass, tmp_path)
    (tmp_path / "mine.vec").write_text(scribe("vector", mine).stdout)
    (tmp_path / "busy.vec").write_text(cli("vector", busy).stdout)
    to_mine, to_busy = tmp_path / "to-mine.wrb", tmp_path / "to-busy.wrb"
    assert cli("bundle", "export", busy, to_mine, "--for", tmp_path / "mine.vec").returncode == 0
    assert scribe("bundle", "export", mine, to_busy, "--for", tmp_path / "busy.vec").returncode == 0
    assert scribe("bundle", "import", mine, to_mine).returncode == 0
    assert cli("bundle", "import", busy, to_busy).returncode == 0
    _level(cli, busy, scribe, mine)


def test_a_joined_replica_and_the_incident_merge_through_a_relay(
    cli, busy: Path, scribe: Scribe, invite_pass: Path, tmp_path: Path
) -> None:
    data = tmp_path / "relay-data"
    data.mkdir()
    env = cli.env(passphrase_file=None)
    relay = Relay(data, tmp_path / "relay.log", env, cli.cwd).start()
    try:
        mine = _apart(cli, busy, scribe, invite_pass, tmp_path)
        for run, path, url in ((cli, busy, relay.url), (scribe, mine, relay.url), (cli, busy, "")):
            proc = run("sync", path, *([url] if url else []))
            assert proc.returncode == 0, proc.stderr
        _level(cli, busy, scribe, mine)
        for name, data_bytes in relay.files().items():
            assert CANARY.encode() not in data_bytes and b"apart" not in data_bytes, name
    finally:
        relay.kill()


def test_secrets_never_on_a_command_line(
    cli, incident: Path, scribe: Scribe, tmp_path: Path
) -> None:
    """invite and join wait on FIFOs for their passphrases while every argv on the host
    is read: none holds a passphrase or the invite passphrase."""
    secret_list = [INVITE_SECRET, SCRIBE_SECRET, cli.passphrase_file.read_text().strip()]

    def watched(args: list, fifos: dict[Path, str], config: Path) -> None:
        for fifo in fifos:
            os.mkfifo(fifo, 0o600)
        env = cli.env(config_dir=config, passphrase_file=None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "warroom", *map(str, args)],
            env=env, cwd=cli.cwd, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while "warroom" not in all_cmdlines().get(proc.pid, "") and time.monotonic() < deadline:
                time.sleep(0.01)
            for fifo, text in fifos.items():
                for _ in range(3):
                    lines = all_cmdlines()
                    assert "warroom" in lines.get(proc.pid, ""), "it is not running"
                    leaks = [(p, s) for p, line in lines.items() for s in secret_list if s in line]
                    assert leaks == [], leaks
                    time.sleep(0.05)
                with open(fifo, "w", encoding="utf-8") as fh:  # noqa: PTH123  (a FIFO)
                    fh.write(text + "\n")
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err

    out = tmp_path / "watched.invite"
    ic_pass, inv = tmp_path / "ic.fifo", tmp_path / "invite.fifo"
    watched(
        ["invite", incident, "--out", out, "--passphrase-file", ic_pass,
         "--invite-passphrase-file", inv],
        {ic_pass: secret_list[2], inv: INVITE_SECRET},
        cli.config_dir,
    )  # fmt: skip
    inv2, new = tmp_path / "invite2.fifo", tmp_path / "new.fifo"
    watched(
        ["join", out, tmp_path / "mine.db", "--kdf", "interactive",
         "--invite-passphrase-file", inv2, "--passphrase-file", new],
        {inv2: INVITE_SECRET, new: SCRIBE_SECRET},
        scribe.config,
    )  # fmt: skip
    assert scribe("verify", tmp_path / "mine.db").returncode == 0


def test_the_invite_passphrase_is_not_the_incidents(cli, incident: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.invite"
    proc = cli("invite", incident, "--out", out, "--invite-passphrase-file", cli.passphrase_file)
    refused(proc, "must not be the incident's own")
    assert not out.exists()


def test_invite_never_overwrites(cli, incident: Path, invite_pass: Path, tmp_path: Path) -> None:
    out = tmp_path / "taken.invite"
    out.write_text("mine")
    refused(cli("invite", incident, "--out", out, "--invite-passphrase-file", invite_pass))
    assert out.read_text() == "mine"


# -- refusals: one line, exit 2, nothing made -------------------------------------------


@pytest.fixture
def made(cli, incident: Path, invite_pass: Path, tmp_path: Path) -> Path:
    return make_invite(cli, incident, tmp_path / "scribe.invite", invite_pass)


def _flip(at: Callable[[int], int]) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        i = at(len(data))
        return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]

    return change


DAMAGE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "a byte of the magic": (_flip(lambda n: 3), "not a warroom invite"),
    "a byte of the incident id": (_flip(lambda n: 20), "damaged"),
    "a byte of the salt": (_flip(lambda n: 40), "damaged"),
    "a byte of the wrapped key": (_flip(lambda n: 90), "damaged"),
    "a byte of the body": (_flip(lambda n: n // 2), "damaged"),
    "the last byte": (_flip(lambda n: n - 1), "damaged"),
    "truncated": (lambda d: d[: len(d) * 2 // 3], "damaged"),
    "cut by one byte": (lambda d: d[:-1], "damaged"),
    "a byte appended": (lambda d: d + b"\0", "damaged"),
    "empty": (lambda d: b"", "not a warroom invite"),
    "an incident file": (None, "not a warroom invite"),  # type: ignore[dict-item]
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_invite_is_refused(
    cli, made: Path, incident: Path, scribe: Scribe, invite_pass: Path, tmp_path: Path, damage
) -> None:
    change, said = DAMAGE[damage]
    bad = tmp_path / "bad.invite"
    bad.write_bytes(incident.read_bytes() if change is None else change(made.read_bytes()))
    mine = tmp_path / "mine.db"
    refused(scribe.join(bad, mine, "--invite-passphrase-file", invite_pass), said)
    assert not mine.exists()
    assert not (scribe.config / "known-heads").exists()


@pytest.mark.parametrize("where", ["incident id", "kdf costs", "wrapped key", "body", "length"])
def test_the_checksum_fixed_up_does_not_help(
    made: Path, scribe: Scribe, invite_pass: Path, tmp_path: Path, where: str
) -> None:
    """The checksum only tells damage apart from a wrong passphrase: recomputed over a
    changed byte, the framing or the AEADs still refuse it."""
    import hashlib

    data = bytearray(made.read_bytes()[:-32])
    at = {"incident id": 20, "kdf costs": 56, "wrapped key": 90, "body": len(data) // 2}
    if where == "length":  # the body is a byte shorter than its length says
        data = data[:-1]
    else:
        data[at[where]] ^= 0x01
    bad = tmp_path / "forged.invite"
    bad.write_bytes(bytes(data) + hashlib.blake2b(bytes(data), digest_size=32).digest())
    mine = tmp_path / "mine.db"
    refused(scribe.join(bad, mine, "--invite-passphrase-file", invite_pass))
    assert not mine.exists()


def test_a_wrong_invite_passphrase_is_refused(made: Path, scribe: Scribe, tmp_path: Path) -> None:
    wrong = private_file(tmp_path / "wrong.txt", "not the invite passphrase")
    mine = tmp_path / "mine.db"
    refused(scribe.join(made, mine, "--invite-passphrase-file", wrong), "wrong invite passphrase")
    assert not mine.exists()


def test_an_existing_newpath_is_refused(
    made: Path, scribe: Scribe, invite_pass: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.db"
    mine.write_text("someone's file")
    refused(scribe.join(made, mine, "--invite-passphrase-file", invite_pass), "already exists")
    assert mine.read_text() == "someone's file"


def test_one_device_joins_once(
    cli, made: Path, incident: Path, scribe: Scribe, invite_pass: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    assert scribe.join(made, first, "--invite-passphrase-file", invite_pass).returncode == 0
    refused(
        scribe.join(made, second, "--invite-passphrase-file", invite_pass),
        "fork",
        "WARROOM_CONFIG_DIR",
    )
    assert not second.exists()
    # the IC's own device writes to the incident: it cannot join it either
    proc = cli(
        "join", made, second, "--kdf", "interactive", "--invite-passphrase-file", invite_pass
    )
    refused(proc, "fork")
    assert not second.exists()
    # another device (its own config dir) can
    other = Scribe(cli, tmp_path, "other")
    assert other.join(made, second, "--invite-passphrase-file", invite_pass).returncode == 0


# -- GPG ---------------------------------------------------------------------------------


def test_an_invite_to_a_gpg_key(
    cli, incident: Path, scribe: Scribe, gpg_env, shim, tmp_path: Path
) -> None:
    ic_home, scribe_home, stranger = gpg_env(), gpg_env(), gpg_env()
    fpr = scribe_home.gen_key(f"Scribe <{SCRIBE_EMAIL}>")
    scribe_home.give(ic_home, fpr)
    stranger.gen_key("Stranger <stranger@example.com>")
    proc = cli(
        "roster", "add", incident, "Sam Scribe", "--email", SCRIBE_EMAIL, "--gpg", fpr,
        "--role", "scribe",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    path_env = {"PATH": f"{shim.directory}{os.pathsep}{os.environ['PATH']}"}

    out = tmp_path / "gpg.invite"
    proc = cli(
        "invite", incident, "--out", out, "--to-gpg", fpr, "--gnupghome", ic_home.path,
        env=path_env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    # a keyring without the secret key cannot open it
    mine = tmp_path / "mine.db"
    proc = scribe.join(out, mine, "--gnupghome", stranger.path, env=path_env)
    refused(proc, "no secret key")
    assert not mine.exists()

    proc = scribe.join(out, mine, "--gnupghome", scribe_home.path, env=path_env)
    assert proc.returncode == 0, proc.stderr
    assert shown(scribe, "show", mine) == shown(cli, "show", incident)

    assert shim.calls("--encrypt") == 1 and shim.calls("--decrypt") == 2
    assert leaks(shim.runs(), [fpr, fpr[-16:], SCRIBE_EMAIL, TOKEN]) == []


def test_a_passphrase_invite_needs_no_gpg_and_a_gpg_invite_no_passphrase(
    made: Path, scribe: Scribe, tmp_path: Path
) -> None:
    """A passphrase invite at no terminal, without --invite-passphrase-file: one line."""
    mine = tmp_path / "mine.db"
    refused(scribe.join(made, mine), "--invite-passphrase-file")
    assert not mine.exists()
