"""`warroom export PATH drafts` and `warroom verify-export`, end to end (issue #4).

The real command line runs in a subprocess and real gpg runs in throwaway homes:

- the exporter (the incident commander, IC) has her own secret signing key and
  only the public keys of everyone else;
- each recipient reads what the export wrote with `gpg` run directly by the test
  in the recipient's own home (the recipient's secret key and the IC's public key).

Keys are made once per module; every incident is made with the interactive KDF.
"""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import hashlib
import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from warroom.device import Device
from warroom.export import eml
from warroom.export.manifest import device_signature, manifest_bytes

SUBJECT = "Attorney Work Project"
IC = "ic@example.com"
ANN = "ann@example.com"
BOB = "bob@partner.net"
FRANK = "frank@partner.net"
EVE = "eve@partner.net"
CAROL = "carol@partner.net"
DAVE = "dave@partner.net"
MIA = "mia@partner.net"
NOBODY = "nobody@example.com"
ZED = "zed@example.com"
SENDER = f"Ivy Chen <{IC}>"
CANARY = f"CANARY-{secrets.token_hex(8)}"


# -- helpers ------------------------------------------------------------------------


def status(proc: subprocess.CompletedProcess[bytes]) -> list[list[str]]:
    """The fields of every `[GNUPG:] ...` status line (gpg ran with --status-fd 2)."""
    return [
        line.split()[1:]
        for line in proc.stderr.decode(errors="replace").splitlines()
        if line.startswith("[GNUPG:] ")
    ]


def validsig(proc: subprocess.CompletedProcess[bytes]) -> str:
    """The signer's primary fingerprint from the one VALIDSIG line ("" if none)."""
    found = [f for f in status(proc) if f[0] == "VALIDSIG"]
    assert len(found) <= 1, found
    return found[0][10] if found else ""


def enc_to(home: Any, armored: str, tmp_path: Path) -> set[str]:
    """The key ids a PGP message is encrypted to, as gpg reports them (ENC_TO), read
    without decrypting; a hidden recipient shows as 0000000000000000."""
    path = tmp_path / f"list-{secrets.token_hex(4)}.asc"
    path.write_text(armored)
    proc = home.gpg("--list-only", "--decrypt", path, check=False)
    return {f[1].upper() for f in status(proc) if f[0] == "ENC_TO"}


def key_ids(home: Any, fingerprint: str) -> set[str]:
    """The long key ids of a key's primary and subkeys."""
    listing = home.gpg("--with-colons", "--list-keys", fingerprint).stdout.decode()
    return {
        line.split(":")[4].upper()
        for line in listing.splitlines()
        if line.startswith(("pub:", "sub:"))
    }


def parse(data: bytes) -> Any:
    return email.message_from_bytes(data, policy=email.policy.default)


def text(part: Any) -> str:
    return part.get_content().replace("\r\n", "\n")


def armored_payload(msg: Any) -> str:
    """The ciphertext of a multipart/encrypted message (its second part)."""
    assert msg.get_content_type() == "multipart/encrypted"
    control, data = msg.get_payload()
    assert control.get_content_type() == "application/pgp-encrypted"
    assert control.get_payload().strip() == "Version: 1"
    assert data.get_content_type() == "application/octet-stream"
    return data.get_payload()


def decrypt(home: Any, armored: str, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    path = tmp_path / f"msg-{secrets.token_hex(4)}.asc"
    path.write_text(armored)
    return home.gpg("--decrypt", path, check=False)


def first_part(raw: bytes, boundary: str) -> bytes:
    """What RFC 1847/3156 sign: the first body part, after its delimiter line and up
    to the CRLF that precedes the next delimiter."""
    delimiter = b"--" + boundary.encode()
    start = raw.index(b"\r\n" + delimiter + b"\r\n") + len(delimiter) + 4
    return raw[start : raw.index(b"\r\n" + delimiter, start)]


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


def record(out: Path, draft_id: str) -> dict[str, Any]:
    found = [r for r in manifest(out)["files"] if r["draft"] == draft_id]
    assert len(found) == 1, found
    return found[0]


def email_draft(body: str = "Please join the bridge.", **fields: Any) -> dict[str, Any]:
    return {"channel": "email", "from": SENDER, "subject": SUBJECT, "body": body, **fields}


class Incident:
    """One incident driven through the real CLI."""

    def __init__(self, cli: Any, base: Path) -> None:
        self.cli = cli
        self.base = base
        self.path = base / "inc.db"
        self._n = 0
        proc = cli("init", self.path, "--kdf", "interactive", "--codename", "amber-heron")
        assert proc.returncode == 0, proc.stderr

    def run(self, *args: Any, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = self.cli(*args)
        if ok:
            assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    def add(self, draft: dict[str, Any]) -> str:
        self._n += 1
        path = self.base / f"draft{self._n}.json"
        path.write_text(json.dumps(draft), encoding="utf-8")
        draft_id = self.run("draft", "add", self.path, path).stdout.strip()
        assert draft_id and len(draft_id.split()) == 1
        return draft_id

    def approve(self, draft_id: str, home: Any, *, ok: bool = True) -> Any:
        return self.run("draft", "approve", self.path, draft_id, "--gnupghome", home.path, ok=ok)

    def add_approved(self, draft: dict[str, Any], home: Any) -> str:
        draft_id = self.add(draft)
        self.approve(draft_id, home)
        return draft_id

    def export(
        self, out: Path, home: Any, *extra: Any, ok: bool = True
    ) -> subprocess.CompletedProcess[str]:
        args = ["export", self.path, "drafts", "--out", out, "--gnupghome", home.path, *extra]
        return self.run(*args, ok=ok)


# -- keys (one set per module) -------------------------------------------------------


@dataclass
class Keys:
    ic_home: Any
    """The exporter: the IC's secret key, everyone else's public keys."""
    bob_home: Any
    ann_home: Any
    frank_home: Any
    eve_home: Any
    desk_home: Any
    """Valid keys for carol, dave, mia, nobody and zed, and the public keys of the IC
    and bob: what the approver saw before keys went bad (or away)."""
    stranger_home: Any
    """An impostor: a key that also carries the IC's address (bob has its public key)."""
    empty_home: Any
    ic: str
    ann: str
    bob: str
    frank: str
    eve1: str
    eve2: str
    stranger: str
    carol_expired: str
    dave_revoked: str


@pytest.fixture(scope="module")
def keys(gpg_env_module) -> Keys:
    homes = {
        name: gpg_env_module()
        for name in ("ic", "bob", "ann", "frank", "eve", "desk", "stranger", "other", "empty")
    }
    ic = homes["ic"].gen_key(f"Ivy Chen <{IC}>")
    ann = homes["ann"].gen_key(f"Ann <{ANN}>")
    bob = homes["bob"].gen_key(f"Bob Partner <{BOB}>")
    frank = homes["frank"].gen_key(f"Frank Counsel <{FRANK}>")
    eve1 = homes["eve"].gen_key(f"Eve <{EVE}>")
    eve2 = homes["eve"].gen_key(f"Eve (new laptop) <{EVE}>")
    stranger = homes["stranger"].gen_key(f"Ivy Impostor <{IC}>")
    carol_expired = homes["other"].gen_expired_key(f"Carol <{CAROL}>")
    dave_revoked = homes["other"].gen_revoked_key(f"Dave <{DAVE}>")
    for uid in (f"Carol <{CAROL}>", f"Dave <{DAVE}>", f"Mia <{MIA}>", f"Nobody <{NOBODY}>",
                f"Zed <{ZED}>"):  # fmt: skip
        homes["desk"].gen_key(uid)
    homes["ic"].give(homes["desk"], ic)  # an encrypted mail goes to its sender too
    homes["bob"].give(homes["desk"], bob)
    for name, fpr in (("ann", ann), ("bob", bob), ("frank", frank)):
        homes[name].give(homes["ic"], fpr)
        homes["ic"].give(homes[name], ic)
    homes["eve"].give(homes["ic"], eve1, eve2)
    homes["ic"].give(homes["eve"], ic)
    homes["other"].give(homes["ic"], carol_expired, dave_revoked)
    homes["stranger"].give(homes["bob"], stranger)  # bob can check both "Ivy" signatures
    return Keys(
        ic_home=homes["ic"],
        bob_home=homes["bob"],
        ann_home=homes["ann"],
        frank_home=homes["frank"],
        eve_home=homes["eve"],
        desk_home=homes["desk"],
        stranger_home=homes["stranger"],
        empty_home=homes["empty"],
        ic=ic,
        ann=ann,
        bob=bob,
        frank=frank,
        eve1=eve1,
        eve2=eve2,
        stranger=stranger,
        carol_expired=carol_expired,
        dave_revoked=dave_revoked,
    )


@pytest.fixture(scope="module", autouse=True)
def no_default_gnupghome(keys: Keys) -> Iterator[None]:
    """A command run without --gnupghome must never reach the user's ~/.gnupg."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GNUPGHOME", str(keys.empty_home.path))
        yield


# -- one export with every kind of draft, shared by the read-only tests ---------------


@dataclass
class Exported:
    inc: Incident
    signed: Path
    """Exported with --sign-key (the IC's key)."""
    unsigned: Path
    ids: dict[str, str]
    bodies: dict[str, str]
    signed_stdout: str
    signed_stderr: str


EXTERNAL_BODY = (
    f"Bob,\n\nThe window is 02:00-04:10 UTC. {CANARY}\nFrom the logs: 3 hosts.\n.\n"
    "Ünïcode line = fine\n"
)
INTERNAL_BODY = "Ann,\n\nThe bridge moves to room 4 at 14:30.\n"


@pytest.fixture(scope="module")
def exported(cli_factory, tmp_path_factory, keys: Keys) -> Exported:
    base = tmp_path_factory.mktemp("export")
    inc = Incident(cli_factory(base), base)
    bodies = {"external": EXTERNAL_BODY, "internal": INTERNAL_BODY}
    ids = {
        "external": inc.add_approved(
            email_draft(EXTERNAL_BODY, to=[f"Bob Partner <{BOB}>"], cc=[ANN]), keys.ic_home
        ),
        "internal": inc.add_approved(email_draft(INTERNAL_BODY, to=[ANN]), keys.ic_home),
        "chat": inc.add_approved(
            {
                "channel": "chat",
                "topic": f"{SUBJECT}: bridge",
                "body": f"{SUBJECT}: join the bridge",
            },
            keys.ic_home,
        ),
        "sms": inc.add_approved(
            {"channel": "sms", "to": ["+15555550100"], "body": "move to the secure channel"},
            keys.ic_home,
        ),
        "statement": inc.add_approved(
            {
                "channel": "statement",
                "title": "Service disruption, 4 March 2026",
                "body": "Service is restored.",
            },
            keys.ic_home,
        ),
        "unapproved": inc.add(email_draft("Not approved yet.", to=[ANN])),
    }
    signed = base / "out-signed"
    proc = inc.export(signed, keys.ic_home, "--sign-key", keys.ic)
    unsigned = base / "out-unsigned"
    inc.export(unsigned, keys.ic_home)
    return Exported(inc, signed, unsigned, ids, bodies, proc.stdout, proc.stderr)


@pytest.fixture
def copy(exported: Exported, tmp_path: Path) -> Path:
    """A private copy of the signed export, to tamper with."""
    target = tmp_path / "export-copy"
    shutil.copytree(exported.signed, target)
    return target


def eml_path(out: Path, draft_id: str) -> Path:
    return out / record(out, draft_id)["file"]


# -- the acceptance list ---------------------------------------------------------------


def test_external_email_is_multipart_encrypted_with_the_policy_subject(
    exported: Exported, keys: Keys
) -> None:
    for out in (exported.signed, exported.unsigned):
        raw = eml_path(out, exported.ids["external"]).read_bytes()
        msg = parse(raw)
        assert msg["Subject"] == SUBJECT
        assert str(msg["Subject"]) == SUBJECT and raw.count(b"\r\nSubject: " + SUBJECT.encode())
        assert msg.get_content_type() == "multipart/encrypted"
        assert msg.get_param("protocol") == "application/pgp-encrypted"
        assert len(msg.get_payload()) == 2
        assert armored_payload(msg).startswith("-----BEGIN PGP MESSAGE-----")
        assert msg["From"].addresses[0].addr_spec == IC
        assert [a.addr_spec for a in msg["To"].addresses] == [BOB]
        assert [a.addr_spec for a in msg["Cc"].addresses] == [ANN]
        assert "bcc" not in {k.lower() for k in msg}
        assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b"")
        assert record(out, exported.ids["external"])["form"] == "encrypted"


def test_recipient_decrypts_body_with_good_signature_from_the_sign_key(
    exported: Exported, keys: Keys, tmp_path: Path
) -> None:
    armored = armored_payload(
        parse(eml_path(exported.signed, exported.ids["external"]).read_bytes())
    )
    for home in (keys.bob_home, keys.ann_home, keys.ic_home):  # to, cc and the sender's copy
        proc = decrypt(home, armored, tmp_path)
        assert proc.returncode == 0, proc.stderr.decode()
        fields = status(proc)
        assert ["DECRYPTION_OKAY"] in fields
        assert any(f[0] == "GOODSIG" for f in fields)
        assert validsig(proc) == keys.ic
        inner = parse(proc.stdout)
        assert inner.get_content_type() == "text/plain"
        assert text(inner) == EXTERNAL_BODY
        assert CANARY in text(inner)


def test_encrypted_to_exactly_the_recipients_and_the_sender(
    exported: Exported, keys: Keys, tmp_path: Path
) -> None:
    rec = record(exported.signed, exported.ids["external"])
    assert sorted(rec["encrypted_to"]) == sorted([keys.bob, keys.ann, keys.ic])
    assert rec["signed_by"] == keys.ic
    armored = armored_payload(
        parse(eml_path(exported.signed, exported.ids["external"]).read_bytes())
    )
    expected = set().union(*(key_ids(keys.ic_home, f) for f in (keys.bob, keys.ann, keys.ic)))
    found = enc_to(keys.ic_home, armored, tmp_path)
    assert len(found) == 3 and found <= expected
    # and nobody else can read it
    proc = decrypt(keys.frank_home, armored, tmp_path)
    assert proc.returncode != 0 and EXTERNAL_BODY.encode() not in proc.stdout


def test_without_a_sign_key_the_external_email_is_encrypted_but_not_signed(
    exported: Exported, keys: Keys, tmp_path: Path
) -> None:
    raw = eml_path(exported.unsigned, exported.ids["external"]).read_bytes()
    proc = decrypt(keys.bob_home, armored_payload(parse(raw)), tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert not any(f[0] in ("GOODSIG", "VALIDSIG", "NEWSIG") for f in status(proc))
    assert text(parse(proc.stdout)) == EXTERNAL_BODY
    assert record(exported.unsigned, exported.ids["external"])["signed_by"] == ""


def test_internal_email_with_sign_key_is_multipart_signed_over_the_exact_first_part(
    exported: Exported, keys: Keys, tmp_path: Path
) -> None:
    raw = eml_path(exported.signed, exported.ids["internal"]).read_bytes()
    msg = parse(raw)
    assert msg["Subject"] == SUBJECT
    assert msg.get_content_type() == "multipart/signed"
    assert msg.get_param("protocol") == "application/pgp-signature"
    assert msg.get_param("micalg") in ("pgp-sha256", "pgp-sha384", "pgp-sha512")
    body_part, sig_part = msg.get_payload()
    assert text(body_part) == INTERNAL_BODY
    assert sig_part.get_content_type() == "application/pgp-signature"
    signed = first_part(raw, msg.get_boundary())
    (tmp_path / "part").write_bytes(signed)
    (tmp_path / "sig.asc").write_text(sig_part.get_payload())
    proc = keys.ann_home.gpg("--verify", tmp_path / "sig.asc", tmp_path / "part", check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    assert validsig(proc) == keys.ic
    # the same check fails on a part changed by one byte: it is a real check
    (tmp_path / "part").write_bytes(signed.replace(b"room 4", b"room 5"))
    proc = keys.ann_home.gpg("--verify", tmp_path / "sig.asc", tmp_path / "part", check=False)
    assert proc.returncode != 0 and not validsig(proc)
    assert record(exported.signed, exported.ids["internal"])["form"] == "signed"


def test_internal_email_without_sign_key_is_text_plain(exported: Exported) -> None:
    raw = eml_path(exported.unsigned, exported.ids["internal"]).read_bytes()
    msg = parse(raw)
    assert msg.get_content_type() == "text/plain"
    assert msg["Subject"] == SUBJECT
    assert text(msg) == INTERNAL_BODY
    assert record(exported.unsigned, exported.ids["internal"])["form"] == "plain"


def test_chat_sms_and_statement_are_text_files(exported: Exported) -> None:
    for out in (exported.signed, exported.unsigned):
        chat = record(out, exported.ids["chat"])
        sms = record(out, exported.ids["sms"])
        statement = record(out, exported.ids["statement"])
        assert {chat["form"], sms["form"], statement["form"]} == {"text"}
        assert (out / chat["file"]).read_text() == (
            f"Topic: {SUBJECT}: bridge\n\n{SUBJECT}: join the bridge\n"
        )
        assert (out / sms["file"]).read_text() == "To: +15555550100\n\nmove to the secure channel\n"
        assert (out / statement["file"]).read_text() == (
            "# Service disruption, 4 March 2026\n\nService is restored.\n"
        )
        assert [f["rule"] for f in sms["findings"]] == ["sms-channel"]


def test_unapproved_drafts_are_skipped_and_listed(exported: Exported) -> None:
    unapproved = exported.ids["unapproved"]
    for out in (exported.signed, exported.unsigned):
        data = manifest(out)
        assert data["skipped"] == [{"draft": unapproved, "reason": "not approved (draft)"}]
        assert unapproved not in {r["draft"] for r in data["files"]}
        assert not [p for p in out.iterdir() if unapproved in p.name]
    assert f"skipped {unapproved}" in exported.signed_stderr
    assert f"exported 5 drafts to {exported.signed}" in exported.signed_stdout


def test_manifest_lists_every_file_with_hash_approver_and_keys(exported: Exported, keys: Keys):
    data = manifest(exported.signed)
    assert data["format"] == "warroom-export/1"
    assert data["incident"] == "amber-heron"
    assert data["gpg_sign_key"] == keys.ic
    assert len(bytes.fromhex(data["device"])) == 32
    names = {p.name for p in exported.signed.iterdir()}
    listed = {r["file"] for r in data["files"]}
    assert names == listed | {"manifest.json", "manifest.json.sig", "manifest.json.asc"}
    assert {r["draft"] for r in data["files"]} == set(exported.ids.values()) - {
        exported.ids["unapproved"]
    }
    for rec in data["files"]:
        assert (
            rec["sha256"]
            == hashlib.sha256((exported.signed / rec["file"]).read_bytes()).hexdigest()
        )
        assert rec["approved_by"] and rec["approved_at"]
        assert all(f["severity"] == "warning" for f in rec["findings"])
    # the rules saw the drafts as `warroom lint` sees the same files: forensics is not
    # done, so internal comms are warned about, and an email to a partner is not internal
    rules = {
        name: [f["rule"] for f in record(exported.signed, draft_id)["findings"]]
        for name, draft_id in exported.ids.items()
        if name != "unapproved"
    }
    assert "internal-before-forensics" in rules["internal"]
    assert "internal-before-forensics" in rules["chat"]
    assert "internal-before-forensics" not in rules["external"]
    assert "internal-before-forensics" not in rules["statement"]
    assert "statement-not-ready" in rules["statement"]
    assert "manifest.json.asc" not in {p.name for p in exported.unsigned.iterdir()}
    assert manifest(exported.unsigned)["gpg_sign_key"] == ""


def _decoded_parts(data: bytes) -> Iterator[bytes]:
    """Every MIME part of a message, transfer-decoded (quoted-printable, base64)."""
    for part in parse(data).walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            yield payload


def test_canary_of_an_external_email_is_never_written_in_clear(
    exported: Exported, keys: Keys
) -> None:
    assert exported.bodies["external"].count(CANARY) == 1
    # the canary as is, as UTF-16, and in base64 at each of the three alignments
    needles = [CANARY.encode(), CANARY[:20].encode("utf-16-le")]
    needles += [base64.b64encode(b"\0" * k + CANARY.encode())[4:20] for k in range(3)]
    scanned = 0
    # the incident folder (the exports, the incident, the device), the subprocesses'
    # TMPDIR, and the exporter's GnuPG home
    roots = [exported.inc.base, exported.inc.cli.tmpdir, keys.ic_home.path]
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or path.name.startswith("draft"):
                continue  # the draft JSON files are the test's own input
            data = path.read_bytes()
            scanned += 1
            for needle in needles:
                assert needle not in data, path
            if path.suffix == ".eml":
                for payload in _decoded_parts(data):
                    assert CANARY.encode() not in payload, path
    assert scanned >= 14
    assert CANARY not in json.dumps(manifest(exported.signed))
    # no staging folder is left next to the export
    assert not [p for p in exported.inc.base.iterdir() if p.name.startswith(".warroom-export")]


# -- export is refused, and nothing written -------------------------------------------


@pytest.fixture
def inc(cli, tmp_path: Path) -> Incident:
    base = tmp_path / "inc"
    base.mkdir()
    return Incident(cli, base)


def assert_refused(proc: subprocess.CompletedProcess[str], out: Path, *needles: str) -> None:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("warroom: ")
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".warroom-export")]


@pytest.mark.parametrize(
    ("address", "why"),
    [(MIA, "missing"), (CAROL, "expired"), (DAVE, "revoked")],
    ids=["missing", "expired", "revoked"],
)
def test_a_key_gone_bad_after_approval_blocks_export_naming_the_recipient(
    inc: Incident, keys: Keys, address: str, why: str
) -> None:
    # approved while the desk's keyring held a valid key for the address ...
    draft_id = inc.add_approved(email_draft(to=[f"Partner <{address}>"]), keys.desk_home)
    ok = inc.add_approved(email_draft(to=[BOB]), keys.ic_home)
    # ... exported where it is missing, expired or revoked
    out = inc.base / "out"
    proc = inc.export(out, keys.ic_home, "--sign-key", keys.ic, ok=False)
    assert_refused(proc, out, draft_id, "external-needs-gpg", address, why)
    assert ok not in proc.stderr  # only the draft at fault is named


@pytest.mark.parametrize("who", ["sender", "internal cc"])
def test_an_external_email_needs_keys_for_the_sender_and_internal_recipients_too(
    inc: Incident, keys: Keys, who: str
) -> None:
    """The encrypted message goes to everyone on it, so approval and export refuse when
    anyone on it has no key: here approved where every key was found, exported where
    the sender's or an internal recipient's is missing."""
    if who == "sender":
        draft = email_draft(to=[BOB]) | {"from": f"Nobody <{NOBODY}>"}
        address = NOBODY
    else:
        draft = email_draft(to=[BOB], cc=[ZED])
        address = ZED
    assert inc.approve(inc.add(draft), keys.ic_home, ok=False).returncode == 1
    draft_id = inc.add_approved(draft, keys.desk_home)
    out = inc.base / "out"
    proc = inc.export(out, keys.ic_home, ok=False)
    assert_refused(proc, out, f"draft {draft_id}: ", address)


def test_approval_itself_is_refused_when_the_key_is_bad(inc: Incident, keys: Keys) -> None:
    draft_id = inc.add(email_draft(to=[CAROL]))
    proc = inc.approve(draft_id, keys.ic_home, ok=False)
    assert proc.returncode == 1
    assert "external-needs-gpg" in proc.stdout and CAROL in proc.stdout and "expired" in proc.stdout
    assert f"draft {draft_id} not approved" in proc.stderr
    listed = json.loads(inc.run("draft", "list", inc.path, "--format", "json", "--gnupghome",
                                keys.ic_home.path).stdout)  # fmt: skip
    assert [d["status"] for d in listed] == ["draft"]


def test_an_approved_draft_that_gains_an_error_refuses_export(
    inc: Incident, keys: Keys, tmp_path: Path
) -> None:
    draft_id = inc.add_approved(email_draft(to=[ANN]), keys.ic_home)
    chat_id = inc.add_approved(
        {"channel": "chat", "topic": SUBJECT, "body": f"{SUBJECT}: bridge"}, keys.ic_home
    )
    policy = tmp_path / "policy.toml"
    policy.write_text('subject = "Privileged and Confidential"\n')
    inc.run("policy", "set", inc.path, policy)
    out = inc.base / "out"
    proc = inc.export(out, keys.ic_home, ok=False)
    assert_refused(proc, out, f"draft {draft_id}: subject-not-awp", "Privileged and Confidential")
    assert f"draft {chat_id}: chat-prefix" in proc.stderr
    # the approval stands (the words did not change), but export waits for a fix
    listed = inc.run("draft", "list", inc.path, "--gnupghome", keys.ic_home.path).stdout
    assert f"{draft_id}  email     approved 1 errors" in listed


def test_export_needs_an_approved_draft_and_a_usable_sign_key(inc: Incident, keys: Keys) -> None:
    out = inc.base / "out"
    draft_id = inc.add(email_draft(to=[ANN]))
    assert_refused(inc.export(out, keys.ic_home, ok=False), out, "no approved drafts")
    inc.approve(draft_id, keys.ic_home)
    # bob's key is here, but not its secret part
    proc = inc.export(out, keys.ic_home, "--sign-key", keys.bob, ok=False)
    assert_refused(proc, out, "no secret key")
    # a short key id is not a fingerprint: bad usage, one line, exit 2
    proc = inc.export(out, keys.ic_home, "--sign-key", keys.ic[-16:], ok=False)
    assert (proc.returncode, proc.stderr.count("\n")) == (2, 1), proc.stderr
    assert proc.stderr.startswith("warroom: ") and "not a full key fingerprint" in proc.stderr
    assert not out.exists()
    # a folder with something in it is never written into
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    proc = inc.export(out, keys.ic_home, ok=False)
    assert proc.returncode != 0 and "not an empty folder" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    # an empty one is fine
    (out / "keep.txt").unlink()
    inc.export(out, keys.ic_home)
    assert (out / f"01-{draft_id}.eml").is_file()  # NN-ID: a plain id is its own slug


# -- the roster's pinned key wins ---------------------------------------------------


@pytest.mark.parametrize("typed", ["plain", "display-name"])
def test_two_keys_for_one_address_block_until_the_roster_pins_one(
    inc: Incident, keys: Keys, tmp_path: Path, typed: str
) -> None:
    draft_id = inc.add(email_draft(to=[f"Eve <{EVE}>"]))
    proc = inc.approve(draft_id, keys.ic_home, ok=False)
    assert proc.returncode == 1
    assert EVE in proc.stdout and "ambiguous" in proc.stdout and "pin one" in proc.stdout
    if typed == "plain":
        email_field, pin = EVE, keys.eve2
    else:  # as people type them: display name, any case, a spaced lower-case fingerprint
        email_field = f"Eve <{EVE.upper()}>"
        pin = " ".join(keys.eve2[i : i + 4] for i in range(0, 40, 4)).lower()
    inc.run("roster", "add", inc.path, "Eve", "--email", email_field, "--gpg", pin, "--external")
    inc.approve(draft_id, keys.ic_home)
    out = inc.base / "out"
    inc.export(out, keys.ic_home, "--sign-key", keys.ic)
    rec = record(out, draft_id)
    assert rec["encrypted_to"] == [keys.eve2, keys.ic]
    armored = armored_payload(parse((out / rec["file"]).read_bytes()))
    found = enc_to(keys.ic_home, armored, tmp_path)
    allowed = key_ids(keys.ic_home, keys.eve2) | key_ids(keys.ic_home, keys.ic)
    assert len(found) == 2 and found <= allowed
    assert not found & key_ids(keys.ic_home, keys.eve1)
    proc = decrypt(keys.eve_home, armored, tmp_path)
    assert proc.returncode == 0 and validsig(proc) == keys.ic


def test_the_roster_pinning_two_keys_for_one_address_blocks(inc: Incident, keys: Keys) -> None:
    for pin in (keys.eve1, keys.eve2):
        inc.run("roster", "add", inc.path, "Eve", "--email", EVE, "--gpg", pin)
    draft_id = inc.add(email_draft(to=[EVE]))
    proc = inc.approve(draft_id, keys.ic_home, ok=False)
    assert proc.returncode == 1
    assert "roster pins 2 different keys" in proc.stdout


def test_a_pinned_key_that_is_not_in_the_keyring_blocks(inc: Incident, keys: Keys) -> None:
    inc.run("roster", "add", inc.path, "Bob", "--email", BOB, "--gpg", keys.stranger)
    draft_id = inc.add(email_draft(to=[BOB]))
    proc = inc.approve(draft_id, keys.ic_home, ok=False)
    assert proc.returncode == 1
    assert BOB in proc.stdout and "pinned key is not in the keyring" in proc.stdout


# -- Bcc ------------------------------------------------------------------------------


def test_bcc_recipients_get_their_own_copy_and_stay_hidden_from_to_and_cc(
    inc: Incident, keys: Keys, tmp_path: Path
) -> None:
    body = f"Bob, Frank: the window is confirmed. {CANARY}\n"
    draft_id = inc.add_approved(
        email_draft(body, to=[BOB], cc=[ANN], bcc=[f"Frank Counsel <{FRANK}>", ANN]),
        keys.ic_home,
    )
    only_bcc = inc.add_approved(email_draft(body, bcc=[FRANK]), keys.ic_home)
    out = inc.base / "out"
    proc = inc.export(out, keys.ic_home, "--sign-key", keys.ic)
    assert "(bcc copy)" in proc.stdout
    assert f"exported 2 drafts (3 files) to {out}" in proc.stdout
    # nobody in To or Cc: the Bcc copy is the only file
    # file names: the draft's place in the export (ids sorted), then its id
    stem = {d: f"{n:02d}-{d}" for n, d in enumerate(sorted([draft_id, only_bcc]), 1)}
    [alone] = [r for r in manifest(out)["files"] if r["draft"] == only_bcc]
    assert alone["file"] == f"{stem[only_bcc]}.bcc1.eml" and alone["encrypted_to"] == [
        keys.frank,
        keys.ic,
    ]
    records = {r["file"]: r for r in manifest(out)["files"] if r["draft"] == draft_id}
    main, bcc = records[f"{stem[draft_id]}.eml"], records[f"{stem[draft_id]}.bcc1.eml"]
    assert len(records) == 2
    assert main["deliver_to"] == [BOB, ANN] and not main["bcc_copy"]
    assert bcc["deliver_to"] == [FRANK] and bcc["bcc_copy"]
    assert main["encrypted_to"] == [keys.bob, keys.ann, keys.ic]
    assert bcc["encrypted_to"] == [keys.frank, keys.ic]

    frank_ids = key_ids(keys.ic_home, keys.frank)
    main_raw = (out / main["file"]).read_bytes()
    main_msg = parse(main_raw)
    assert b"frank" not in main_raw.lower() and "bcc" not in {k.lower() for k in main_msg}
    main_armored = armored_payload(main_msg)
    found = enc_to(keys.ic_home, main_armored, tmp_path)
    assert len(found) == 3 and not found & frank_ids and "0000000000000000" not in found
    assert decrypt(keys.frank_home, main_armored, tmp_path).returncode != 0
    proc = decrypt(keys.bob_home, main_armored, tmp_path)
    assert proc.returncode == 0 and text(parse(proc.stdout)) == body

    bcc_msg = parse((out / bcc["file"]).read_bytes())
    assert bcc_msg["Subject"] == SUBJECT
    assert [a.addr_spec for a in bcc_msg["Bcc"].addresses] == [FRANK]
    assert [a.addr_spec for a in bcc_msg["To"].addresses] == [BOB]
    bcc_armored = armored_payload(bcc_msg)
    found = enc_to(keys.ic_home, bcc_armored, tmp_path)
    assert len(found) == 2 and found <= frank_ids | key_ids(keys.ic_home, keys.ic)
    proc = decrypt(keys.frank_home, bcc_armored, tmp_path)
    assert proc.returncode == 0 and validsig(proc) == keys.ic
    assert text(parse(proc.stdout)) == body
    assert decrypt(keys.bob_home, bcc_armored, tmp_path).returncode != 0
    for path in out.iterdir():
        assert CANARY.encode() not in path.read_bytes()
    proc = inc.run("verify-export", out, "--gnupghome", keys.ic_home.path, "--incident", inc.path)
    assert proc.stdout.startswith("ok: 3 files;")


def test_internal_bcc_is_left_out_of_the_file_and_listed_for_delivery(
    inc: Incident, keys: Keys
) -> None:
    draft_id = inc.add_approved(email_draft(to=[ANN], bcc=["zed@example.com"]), keys.ic_home)
    out = inc.base / "out"
    inc.export(out, keys.ic_home)
    rec = record(out, draft_id)
    raw = (out / rec["file"]).read_bytes()
    assert rec["form"] == "plain" and b"zed@" not in raw
    assert rec["deliver_to"] == [ANN, "zed@example.com"]


# -- verify-export ------------------------------------------------------------------


def verify(exported: Exported, folder: Path, *args: Any) -> subprocess.CompletedProcess[str]:
    return exported.inc.cli("verify-export", folder, *args)


def test_an_untampered_export_verifies(exported: Exported, keys: Keys) -> None:
    device = manifest(exported.signed)["device"]
    proc = verify(
        exported, exported.signed, "--gnupghome", keys.ic_home.path, "--device-key", device
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: 5 files; manifest signed by device")
    assert f"GPG signature by {keys.ic}" in proc.stdout
    # the recipient's home holds the IC's public key: enough to check the .asc, pinned
    proc = verify(
        exported, exported.signed, "--gnupghome", keys.bob_home.path, "--expect-gpg", keys.ic
    )
    assert proc.returncode == 0, proc.stderr
    assert f"GPG signature by {keys.ic}; pinned by GPG key {keys.ic}" in proc.stdout
    # the incident it came from pins its devices
    proc = verify(exported, exported.unsigned, "--incident", exported.inc.path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("; pinned by a device of amber-heron\n")
    # no GPG signature to check: no keyring needed ($GNUPGHOME is an empty home here)
    proc = verify(exported, exported.unsigned, "--device-key", device.upper())
    assert proc.returncode == 0, proc.stderr
    assert "GPG" not in proc.stdout


def test_the_gpg_signature_is_checked_against_the_signer(exported: Exported, keys: Keys):
    # no keyring with the signer's key: cannot be checked, so it does not pass
    proc = verify(exported, exported.signed)
    assert proc.returncode == 1 and "manifest.json.asc" in proc.stderr
    proc = verify(exported, exported.signed, "--gnupghome", keys.empty_home.path)
    assert proc.returncode == 1 and "no public key" in proc.stderr
    # another signer was expected
    proc = verify(
        exported, exported.signed, "--gnupghome", keys.bob_home.path, "--expect-gpg", keys.stranger
    )
    assert proc.returncode == 1 and f"not the expected {keys.stranger}" in proc.stderr
    # an unsigned export when a GPG signature was expected
    proc = verify(
        exported, exported.unsigned, "--gnupghome", keys.bob_home.path, "--expect-gpg", keys.ic
    )
    assert proc.returncode == 1 and "expected a GPG signature" in proc.stderr


def flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    while chr(data[i]) in "\r\n-=":  # a byte that matters, not armor or padding
        i += 1
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


def _tamper(kind: str, folder: Path, exported: Exported, keys: Keys) -> str:
    """Tamper with an export copy; the name verify-export must complain about."""
    ext = record(folder, exported.ids["external"])["file"]
    statement = record(folder, exported.ids["statement"])["file"]
    if kind == "eml-byte":
        flip(folder / ext)
        return ext
    if kind == "text-byte":
        flip(folder / statement)
        return statement
    if kind == "manifest-byte":
        flip(folder / "manifest.json")
        return "manifest.json"
    if kind == "manifest-edit":
        # a plausible edit: claim another approver (still valid JSON)
        path = folder / "manifest.json"
        path.write_text(path.read_text().replace('"approved_by": "', '"approved_by": "Mallory ', 1))
        return "manifest.json.sig"
    if kind == "sig-byte":
        path = folder / "manifest.json.sig"
        kind_, key, sig = path.read_text().split()
        raw = bytearray(base64.b64decode(sig))
        raw[10] ^= 0x01
        path.write_text(f"{kind_} {key} {base64.b64encode(bytes(raw)).decode()}\n")
        return "manifest.json.sig"
    if kind == "sig-device":
        flip(folder / "manifest.json.sig", 0.2)  # inside the device key
        return "manifest.json.sig"
    if kind == "asc-byte":
        flip(folder / "manifest.json.asc", 0.4)
        return "manifest.json.asc"
    if kind == "asc-impostor":
        # a GPG signature by another key that carries the IC's address
        asc = keys.stranger_home.gpg(
            "--armor", "--output", "-", "--local-user", keys.stranger,
            "--detach-sign", folder / "manifest.json",
        ).stdout  # fmt: skip
        (folder / "manifest.json.asc").write_bytes(asc)
        return "manifest.json.asc"
    if kind == "delete":
        (folder / statement).unlink()
        return statement
    if kind == "delete-asc":
        (folder / "manifest.json.asc").unlink()
        return "manifest.json.asc"
    if kind == "delete-sig":
        (folder / "manifest.json.sig").unlink()
        return "manifest.json.sig"
    if kind == "add":
        (folder / "extra.eml").write_bytes((folder / ext).read_bytes())
        return "extra.eml"
    if kind == "add-hidden":
        (folder / ".hidden").write_text("x")
        return ".hidden"
    if kind == "swap":
        a, b = folder / ext, folder / statement
        data_a = a.read_bytes()
        a.write_bytes(b.read_bytes())
        b.write_bytes(data_a)
        return ext
    raise AssertionError(kind)


TAMPERING = [
    "eml-byte", "text-byte", "manifest-byte", "manifest-edit", "sig-byte", "sig-device",
    "asc-byte", "asc-impostor", "delete", "delete-asc", "delete-sig", "add", "add-hidden", "swap",
]  # fmt: skip


@pytest.mark.parametrize("kind", TAMPERING)
def test_a_tampered_export_fails_verify_export(
    exported: Exported, keys: Keys, copy: Path, kind: str
) -> None:
    device = manifest(exported.signed)["device"]
    # the copy is the export that verifies (test_an_untampered_export_verifies), byte
    # for byte: the failure below is the tampering's
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == {
        p.name: p.read_bytes() for p in exported.signed.iterdir()
    }
    args = ["--gnupghome", keys.bob_home.path, "--device-key", device]
    named = _tamper(kind, copy, exported, keys)
    proc = verify(exported, copy, *args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert f"warroom: {named}" in proc.stderr
    assert "export does not verify" in proc.stderr
    assert proc.stdout == ""


def _forge(folder: Path, change: Any) -> str:
    """Re-sign the manifest with a new device (as someone with the folder but not the
    IC's device key would), after `change(manifest, folder)`; the forger's device key."""
    data = manifest(folder)
    change(data, folder)
    mallory = Device(nacl.signing.SigningKey.generate(), "Mallory")
    data["device"] = mallory.public_key.hex()
    data["gpg_sign_key"] = ""
    (folder / "manifest.json.asc").unlink(missing_ok=True)
    raw = manifest_bytes(data)
    (folder / "manifest.json").write_bytes(raw)
    (folder / "manifest.json.sig").write_bytes(device_signature(mallory, raw))
    return mallory.public_key.hex()


def test_a_manifest_re_signed_by_another_device_fails_with_the_device_pinned(
    exported: Exported, copy: Path
) -> None:
    device = manifest(exported.signed)["device"]
    statement = record(copy, exported.ids["statement"])["file"]

    def change(data: dict[str, Any], folder: Path) -> None:
        (folder / statement).write_text("# Nothing happened, 4 March 2026\n\nAll is well.\n")
        for item in data["files"]:
            if item["file"] == statement:
                item["sha256"] = hashlib.sha256((folder / statement).read_bytes()).hexdigest()

    forger = _forge(copy, change)
    # self-consistent: only pinning the device, the GPG key or the incident tells it
    # apart, so without a pin it is never ok
    proc = verify(exported, copy)
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"signed by device {forger[:16]}, which nothing pins" in proc.stderr
    proc = verify(exported, copy, "--incident", exported.inc.path)
    assert proc.returncode == 1
    assert f"signed by {forger[:16]}, not a device of amber-heron" in proc.stderr
    proc = verify(exported, copy, "--device-key", device)
    assert proc.returncode == 1
    assert f"warroom: manifest.json.sig: signed by {forger[:16]}, not the expected device" in (
        proc.stderr
    )
    ic_key = manifest(exported.signed)["gpg_sign_key"]
    proc = verify(exported, copy, "--expect-gpg", ic_key)
    assert proc.returncode == 1 and "expected a GPG signature" in proc.stderr


def test_an_encrypted_email_swapped_for_plain_text_fails_even_when_re_signed(
    exported: Exported, copy: Path
) -> None:
    ext = record(copy, exported.ids["external"])["file"]
    internal = record(exported.unsigned, exported.ids["internal"])["file"]

    def change(data: dict[str, Any], folder: Path) -> None:
        shutil.copy(exported.unsigned / internal, folder / ext)
        for item in data["files"]:
            if item["file"] == ext:
                item["sha256"] = hashlib.sha256((folder / ext).read_bytes()).hexdigest()

    _forge(copy, change)
    proc = verify(exported, copy)
    assert proc.returncode == 1
    assert f"warroom: {ext}: should be PGP/MIME encrypted and is not" in proc.stderr


# -- a policy subject that is not plain ASCII ---------------------------------------------

LONG_SUBJECT = "Привилегированная переписка с адвокатом по делу номер 7 – Anwaltsgeheimnis"


def test_a_long_non_ascii_policy_subject_is_written_exactly(
    inc: Incident, keys: Keys, tmp_path: Path
) -> None:
    """Long enough to be folded over several encoded-words: every space must survive."""
    policy = tmp_path / "policy.toml"
    policy.write_text(f'subject = "{LONG_SUBJECT}"\n', encoding="utf-8")
    inc.run("policy", "set", inc.path, policy)
    ids = [
        inc.add_approved(email_draft(to=[ANN]) | {"subject": LONG_SUBJECT}, keys.ic_home),
        inc.add_approved(email_draft(to=[BOB]) | {"subject": LONG_SUBJECT}, keys.ic_home),
    ]
    for n, extra in enumerate(([], ["--sign-key", keys.ic])):
        out = inc.base / f"out{n}"
        inc.export(out, keys.ic_home, *extra)
        paths = [eml_path(out, draft_id) for draft_id in ids]
        for path in paths:
            raw = path.read_bytes()
            assert raw.isascii() and max(map(len, raw.split(b"\r\n"))) <= 78
            assert parse(raw)["Subject"] == LONG_SUBJECT
            header = raw.split(b"\r\nSubject: ")[1].split(b"\r\nDate: ")[0].decode()
            decoded = email.header.make_header(email.header.decode_header(header))
            assert str(decoded) == LONG_SUBJECT
        # the export passes the rules it was checked against
        proc = inc.run(
            "lint", "--json", "--policy", policy, "--gnupghome", keys.ic_home.path, *paths,
            ok=False,
        )  # fmt: skip
        assert "subject-not-awp" not in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    "subject",
    [
        SUBJECT,
        LONG_SUBJECT,
        "Привилегированная переписка с адвокатом по делу номер 12345 очень длинная тема",
        "日本語の件名" * 10,
        'Privileged: "Attorney" Work Product =?utf-8?q?not-an-encoded-word?=',
        '-;;].<],g];(c\\acz \\>;g\\ _y)f@>y[((--\\;hhy:a  ::xz-"=d<\\][=dg];(g)bz\\_f=][(',
        "Attorney   Work  Project",
        "A" * 120,
    ],
    ids=[
        "default",
        "long",
        "cyrillic",
        "cjk",
        "encoded-word-lookalike",
        "punctuation",
        "spaces",
        "one-long-word",
    ],  # fmt: skip
)
def test_every_subject_reads_back_exactly(subject: str) -> None:
    """What the .eml writer does with a subject, in process, for the odd ones."""

    env = eml.Envelope(SENDER, (ANN,), (), subject, datetime(2026, 3, 4, tzinfo=UTC), "<a@b>")
    raw = eml.message_bytes(eml.build_plain(env, "hi\n"))
    assert raw.isascii() and max(map(len, raw.split(b"\r\n"))) <= 78
    assert str(parse(raw)["Subject"]) == subject
    legacy = email.message_from_bytes(raw, policy=email.policy.compat32)["Subject"]
    decoded = email.header.make_header(email.header.decode_header(legacy.replace("\r\n", "")))
    assert str(decoded) == subject
