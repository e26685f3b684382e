"""Who an incident talks to never reaches gpg's command line (issue #10).

Every local user can read a process's argv (/proc/PID/cmdline, `ps`). warroom used to
run `gpg --list-keys ... *counsel@outside-lawfirm.com` once per recipient: the
addresses leaked, and a 10,000-recipient draft took ~40 s to lint. Now a Keyring
lists the whole keyring once, with no pattern, and matches in-process.

Every gpg argv is caught by a `gpg` shim that appends it to a log and execs the real
gpg: first on PATH for the CLI in a subprocess, or as a Keyring's `gpgbinary`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gpgshim import Shim, leaks

TOKEN = secrets.token_hex(4)
"""In every address and text below: a leak of any of them is found by this token."""
DOMAIN = f"outside-lawfirm-{TOKEN}.example"
COUNSEL = f"counsel-{TOKEN}@{DOMAIN}"
PARTNER = f"partner-{TOKEN}@{DOMAIN}"
ANN = f"ann-{TOKEN}@example.com"  # internal (the default policy's domain)
IC = f"ic-{TOKEN}@example.com"
CAROL = f"carol-{TOKEN}@{DOMAIN}"  # expired key
DAVE = f"dave-{TOKEN}@{DOMAIN}"  # revoked key
EVE = f"eve-{TOKEN}@{DOMAIN}"  # two valid keys
NOBODY = f"nobody-{TOKEN}@{DOMAIN}"
SUBJECT = "Attorney Work Project"
BODY = f"Counsel,\n\nThe window is 02:00-04:10 UTC. CANARY-BODY-{TOKEN}\n"


# -- the shim ----------------------------------------------------------------------------


def shim_env(shim: Shim, home: Any) -> dict[str, str]:
    """For the CLI in a subprocess: the shim first on PATH, GNUPGHOME the given home."""
    return {
        "PATH": f"{shim.directory}{os.pathsep}{os.environ['PATH']}",
        "GNUPGHOME": str(home.path),
    }


# -- keys ----------------------------------------------------------------------------------


@dataclass
class Keys:
    ic_home: Any
    """The IC: her secret key, and the public keys of everyone else."""
    counsel_home: Any
    ic: str
    counsel: str
    partner: str
    ann: str
    carol_expired: str
    dave_revoked: str
    eve1: str
    eve2: str

    @property
    def recipients(self) -> list[str]:
        """Every recipient's fingerprint (the IC's own is hers to put on argv)."""
        return [
            self.counsel, self.partner, self.ann, self.carol_expired,
            self.dave_revoked, self.eve1, self.eve2,
        ]  # fmt: skip


@pytest.fixture(scope="module")
def keys(gpg_env_module) -> Keys:
    ic_home, counsel_home, other = gpg_env_module(), gpg_env_module(), gpg_env_module()
    ic = ic_home.gen_key(f"Ivy Chen <{IC}>")
    counsel = counsel_home.gen_key(f"Outside Counsel <{COUNSEL.upper()}>")
    made = {
        "partner": other.gen_key(f"Partner <{PARTNER}>"),
        "ann": other.gen_key(f"Ann <{ANN}>"),
        "carol_expired": other.gen_expired_key(f"Carol <{CAROL}>"),
        "dave_revoked": other.gen_revoked_key(f"Dave <{DAVE}>"),
        "eve1": other.gen_key(f"Eve <{EVE}>"),
        "eve2": other.gen_key(f"Eve (laptop) <{EVE}>"),
    }
    counsel_home.give(ic_home, counsel)
    other.give(ic_home, *made.values())
    ic_home.give(counsel_home, ic)
    return Keys(ic_home, counsel_home, ic, counsel, **made)


@pytest.fixture(autouse=True)
def no_default_gnupghome(keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the user's ~/.gnupg: an unset --gnupghome means the IC's throwaway home."""
    monkeypatch.setenv("GNUPGHOME", str(keys.ic_home.path))


def email_draft(**fields: Any) -> dict[str, Any]:
    return {
        "channel": "email",
        "from": f"Ivy Chen <{IC}>",
        "to": [f"Outside Counsel <{COUNSEL}>"],
        "cc": [ANN],
        "bcc": [PARTNER],
        "subject": SUBJECT,
        "body": BODY,
    } | fields


# -- the command line ----------------------------------------------------------------------


def test_lint_list_approve_export_put_no_address_or_text_on_gpg_argv(
    cli, incident: Path, tmp_path: Path, sub_tmpdir: Path, keys: Keys, shim: Shim
) -> None:
    """lint, draft approve, draft list and export drafts of an email to an external
    counsel (To), an internal address (Cc) and an external partner (Bcc): no address,
    no part of one, no recipient's fingerprint, no subject or body text in any gpg argv."""
    env = shim_env(shim, keys.ic_home)
    home = ["--gnupghome", keys.ic_home.path]
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(email_draft()), encoding="utf-8")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(
        json.dumps(email_draft(to=[NOBODY, CAROL, DAVE, EVE], cc=[], bcc=[])), encoding="utf-8"
    )

    proc = cli("lint", *home, "--json", draft, unknown, env=env)
    assert proc.returncode == 1, proc.stderr  # the unknown draft has errors
    flagged = {f["message"].split()[0] for f in json.loads(proc.stdout)}
    assert {NOBODY, CAROL, DAVE, EVE} <= flagged
    assert not {COUNSEL, ANN, PARTNER} & flagged
    secrets_ = [
        COUNSEL, ANN, PARTNER, IC, CAROL, DAVE, EVE, NOBODY, TOKEN, DOMAIN,
        SUBJECT, "CANARY", "window", *keys.recipients,
    ]  # fmt: skip
    lint_runs = shim.runs()
    assert leaks(lint_runs, secrets_) == []
    assert shim.calls("--list-keys") == 1  # one listing for both files and every address

    added = cli("draft", "add", incident, draft, env=env)
    assert added.returncode == 0, added.stderr
    draft_id = added.stdout.strip()
    approved = cli("draft", "approve", incident, draft_id, *home, env=env)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    listed = cli("draft", "list", incident, *home, env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"{draft_id}  email     approved 0 errors" in listed.stdout
    out = tmp_path / "out"
    exported = cli(
        "export", incident, "drafts", "--out", out, *home, "--sign-key", keys.ic, env=env
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["form"] for r in manifest["files"]] == ["encrypted", "encrypted"]  # To+Cc, Bcc
    assert list(sub_tmpdir.glob("warroom-keys-*")) == []  # the keys' folder is gone

    runs = shim.runs()
    assert runs[: len(lint_runs)] == lint_runs
    assert shim.calls("--list-keys") >= 4  # the shim saw every command's lookups ...
    assert shim.calls("--encrypt") == 2  # ... and both copies (To+Cc, and the Bcc's)
    assert leaks(runs, secrets_) == []
    # the signer's own key is the one fingerprint on argv: the user gave it (--sign-key)
    for argv in runs:
        if keys.ic in argv:
            assert argv[argv.index(keys.ic) - 1] == "--local-user", argv


def test_no_address_in_any_process_cmdline_while_lint_runs(cli, tmp_path: Path, keys: Keys) -> None:
    """Another local user's view: /proc/*/cmdline, scanned in a loop while `lint` looks
    up 2,000 addresses. The scan must see lint itself (it works), and no address."""
    marker = f"procscan-{secrets.token_hex(6)}"
    draft = tmp_path / f"{marker}.json"
    to = [f"r{i}-{TOKEN}@{DOMAIN}" for i in range(2000)]
    draft.write_text(json.dumps(email_draft(to=to, cc=[], bcc=[])), encoding="utf-8")
    seen_self, hits, passes = [], [], 0
    done = threading.Event()

    def scan() -> None:
        nonlocal passes
        needle, own = TOKEN.encode(), marker.encode()
        while not done.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                        cmdline = fh.read()
                except OSError:
                    continue
                if own in cmdline:
                    seen_self.append(entry.name)
                elif needle in cmdline:
                    hits.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
            passes += 1

    scanner = threading.Thread(target=scan, daemon=True)
    scanner.start()
    try:
        proc = cli("lint", "--gnupghome", keys.ic_home.path, "--json", draft)
    finally:
        done.set()
        scanner.join(10)
    assert proc.returncode == 1, proc.stderr
    assert passes > 0 and seen_self, "the /proc scan never saw lint run"
    assert hits == []


def test_lint_of_10000_recipients_takes_seconds_not_minutes(
    cli, incident: Path, tmp_path: Path, keys: Keys
) -> None:
    """One key in the ring, 10,000 external recipients: `lint` and `draft list` each
    list the keyring once (this took ~40 s with a gpg per address)."""
    home = keys.counsel_home  # counsel's key and the IC's public key
    to = [COUNSEL, *(f"r{i}-{TOKEN}@{DOMAIN}" for i in range(1, 10_000))]
    draft = tmp_path / "big.json"
    draft.write_text(json.dumps(email_draft(to=to, cc=[], bcc=[])), encoding="utf-8")
    started = time.monotonic()
    proc = cli("lint", "--gnupghome", home.path, "--json", draft, timeout=20)
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    no_key = {
        m.group(0)
        for f in json.loads(proc.stdout)
        if f["rule"] == "external-needs-gpg"
        and (m := re.match(rf"r\d+-{TOKEN}@{re.escape(DOMAIN)}", f["message"]))
    }
    assert no_key == set(to[1:])
    assert elapsed < 20

    added = cli("draft", "add", incident, draft)
    assert added.returncode == 0, added.stderr
    listed = cli("draft", "list", incident, "--gnupghome", home.path, timeout=20)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"{added.stdout.strip()}  email     draft    ")


# -- the Keyring ---------------------------------------------------------------------------


def test_keyring_lists_once_and_names_nothing_it_looks_up(
    keys: Keys, shim: Shim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every lookup, pinned or not, found or not, against one listing; encrypt, sign and
    verify pass their data on stdin and their recipients by file."""
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir(mode=0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    absent = "0123456789ABCDEF" * 2 + "01234567"
    ring = keys.ic_home.keyring(gpgbinary=shim.binary)
    spaced = " ".join(keys.eve2[i : i + 4] for i in range(0, 40, 4)).lower()
    expected = {
        COUNSEL: ("found", keys.counsel),
        f"Counsel <{COUNSEL.upper()}>": ("found", keys.counsel),
        ANN: ("found", keys.ann),
        CAROL: ("expired", keys.carol_expired),
        DAVE: ("revoked", keys.dave_revoked),
        EVE: ("ambiguous", ""),
        NOBODY: ("missing", ""),
    }
    for address, want in expected.items():
        status = ring.resolve(address)
        assert (status.status, status.fingerprint) == want, address
    pinned = {
        (EVE, spaced): ("found", keys.eve2),
        (NOBODY, keys.counsel): ("found", keys.counsel),
        (DAVE, keys.dave_revoked): ("revoked", keys.dave_revoked),
        (ANN, absent): ("missing", absent),
        (ANN, "ABCD1234"): ("missing", ""),  # not a full fingerprint
    }
    for (address, pin), want in pinned.items():
        status = ring.resolve(address, pin)
        assert (status.status, status.fingerprint) == want, (address, pin)
    assert ring.secret_fingerprint_for(IC.upper()) == keys.ic
    assert ring.secret_fingerprint_for(COUNSEL) == ""

    canary = f"CANARY-DATA-{TOKEN}".encode()
    armored = ring.encrypt(canary, [keys.counsel, keys.ic], sign_with=keys.ic)
    signature, _ = ring.sign_detached(canary, keys.ic)
    assert ring.verify_detached(canary, signature, keys.ic).ok

    assert leaks(shim.runs(), [TOKEN, "CANARY", *keys.recipients]) == []
    assert shim.calls("--list-keys") == 1
    assert shim.calls("--list-secret-keys") == 1
    assert shim.calls("--export") == 1
    [encrypting] = [argv for argv in shim.runs() if "--encrypt" in argv]
    assert encrypting.count("--recipient-file") == 2  # the keys by file ...
    assert not {"-r", "--recipient", "--hidden-recipient"} & set(encrypting)  # ... only
    path = tmp_path / "msg.asc"
    path.write_bytes(armored)
    opened = keys.counsel_home.gpg("--decrypt", path)
    assert opened.stdout == canary
    assert f"[GNUPG:] VALIDSIG {keys.ic}" in opened.stderr.decode().replace("\n", " ")
    assert list(private_tmp.iterdir()) == []  # the keys' and the signature's folders
    # resolve_many: the same answers, from the same listing
    many = ring.resolve_many([*expected, EVE], {EVE: keys.eve1})
    assert {a: (s.status, s.fingerprint) for a, s in many.items()} == {
        **expected,
        EVE: ("found", keys.eve1),
    }
    assert shim.calls("--list-keys") == 1


def test_pinning_a_subkey_fingerprint_finds_nothing(keys: Keys) -> None:
    """As before: a pin names a primary key; a subkey's fingerprint is "not in the keyring"."""
    listing = keys.ic_home.gpg("--with-colons", "--list-keys", keys.counsel).stdout.decode()
    fprs = [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")]
    assert fprs[0] == keys.counsel and len(fprs) == 2
    status = keys.ic_home.keyring().resolve(COUNSEL, fprs[1])
    assert (status.status, status.detail) == ("missing", "the pinned key is not in the keyring")


def test_keyring_lists_again_when_the_keyring_changes(gpg_env, shim: Shim) -> None:
    """A long-lived Keyring (the console's) sees an imported key and a revocation with
    no refresh(), and lists only when a file changed."""
    home, other = gpg_env(), gpg_env()
    ring = home.keyring(gpgbinary=shim.binary)
    late = other.gen_key(f"Late <{PARTNER}>")
    assert ring.resolve(PARTNER).status == "missing"
    assert ring.resolve(PARTNER).status == "missing"
    other.give(home, late)
    assert (ring.resolve(PARTNER).status, ring.resolve(PARTNER).fingerprint) == ("found", late)
    other.revoke(late)
    other.give(home, late)
    assert ring.resolve(PARTNER).status == "revoked"
    lists = shim.calls("--list-keys")
    assert ring.resolve(PARTNER).status == "revoked"
    assert shim.calls("--list-keys") == lists  # nothing changed: no new listing
    ring.refresh()
    assert ring.resolve(PARTNER).status == "revoked"
    assert shim.calls("--list-keys") == lists + 1


def test_keyring_lists_again_when_a_key_expires(gpg_env, shim: Shim) -> None:
    """A key that expires while the console is open: no file changes, the listing does."""
    home = gpg_env()
    fingerprint = home.gen_key(f"Brief <{PARTNER}>", expire="seconds=4")
    ring = home.keyring(gpgbinary=shim.binary)
    status = ring.resolve(PARTNER)
    assert (status.status, status.fingerprint) == ("found", fingerprint)
    deadline = time.time() + 15
    while ring.resolve(PARTNER).status == "found" and time.time() < deadline:
        time.sleep(0.5)
    assert ring.resolve(PARTNER).status == "expired"
    assert shim.calls("--list-keys") == 2  # once at first, once at the expiry


def test_split_keys_cuts_an_export_into_each_key(keys: Keys) -> None:
    """The whole ring exported at once, cut here: each piece is what gpg exports for
    that one key, byte for byte."""
    from warroom.gpg import split_keys  # here: the module's other tests run on old code

    blocks = split_keys(keys.ic_home.gpg("--export").stdout)
    assert set(blocks) == {keys.ic, *keys.recipients}
    for fingerprint, block in blocks.items():
        assert block == keys.ic_home.gpg("--export", fingerprint).stdout, fingerprint
    assert split_keys(b"") == {}
