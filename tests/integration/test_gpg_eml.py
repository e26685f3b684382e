"""warroom.gpg and warroom.export.eml against the real gpg binary.

The sender (alice) has her own secret key and only public keys of others; each
recipient checks what alice wrote with `gpg` run directly in the recipient's own
home, which holds the recipient's secret key and alice's public key.
"""

from __future__ import annotations

import email
import email.policy
import quopri
import secrets
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.export import eml
from warroom.gpg import GpgError, Keyring, uid_address

ALICE = "alice@example.com"
BOB = "bob@example.com"


@dataclass
class World:
    alice_home: Any
    bob_home: Any
    alice: str
    bob: str
    carol_expired: str
    dave_revoked: str
    eve1: str
    eve2: str
    notbob: str
    evilbob: str
    decoy: str
    stranger: str
    """A key in bob's home only: never imported into alice's."""

    @property
    def keyring(self) -> Keyring:
        return self.alice_home.keyring()


@pytest.fixture(scope="module")
def world(gpg_env_module) -> World:
    alice_home, bob_home, other = gpg_env_module(), gpg_env_module(), gpg_env_module()
    alice = alice_home.gen_key(f"Alice Example <{ALICE}>")
    bob = bob_home.gen_key(f"Bob Example <{BOB}>")
    stranger = bob_home.gen_key("Stranger <stranger@example.com>")
    keys = {
        "carol_expired": other.gen_expired_key("Carol <carol@example.com>"),
        "dave_revoked": other.gen_revoked_key("Dave <dave@example.com>"),
        "eve1": other.gen_key("Eve <eve@example.com>"),
        "eve2": other.gen_key("Eve (laptop) <EVE@example.com>"),
        "notbob": other.gen_key(f"Not Bob <not{BOB}>"),
        "evilbob": other.gen_key(f"Evil <{BOB}.evil>"),
        "decoy": other.gen_key(f"{BOB} via Mallory <mallory@example.com>"),
    }
    bob_home.give(alice_home, bob)
    alice_home.give(bob_home, alice)
    other.give(alice_home, *keys.values())
    return World(alice_home, bob_home, alice, bob, stranger=stranger, **keys)


def envelope(subject: str = "Incident AMBER-HERON: customer notice") -> eml.Envelope:
    return eml.Envelope(
        sender=f"Alice Example <{ALICE}>",
        to=(f"Bob Example <{BOB}>",),
        cc=("Zoë Ops <ops@example.com>",),
        subject=subject,
        date=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        message_id="<amber-heron.1@example.com>",
    )


def body_with(canary: str) -> str:
    return (
        f"Hello Bob,\n\nThe breach window is confirmed. {canary}\n"
        "From the logs: 3 hosts.\n.\ntrailing spaces   \nünïcode = ok\n" + "x" * 150 + "\n"
    )


def status(proc: subprocess.CompletedProcess[bytes]) -> list[list[str]]:
    return [
        line.split()[1:]
        for line in proc.stderr.decode(errors="replace").splitlines()
        if line.startswith("[GNUPG:] ")
    ]


def validsig(proc: subprocess.CompletedProcess[bytes]) -> str:
    """The primary fingerprint from gpg's VALIDSIG status line, "" if none."""
    found = [fields for fields in status(proc) if fields[0] == "VALIDSIG"]
    assert len(found) <= 1
    return found[0][10] if found else ""


def content(part: Any) -> str:
    """A parsed text part's decoded text, line endings as "\\n" (the parser keeps CRLF)."""
    return part.get_content().replace("\r\n", "\n")


def first_part(raw: bytes, boundary: str) -> bytes:
    """The first body part as RFC 1847 defines what is signed: after the first
    delimiter line, up to the CRLF that precedes the next delimiter."""
    delimiter = b"--" + boundary.encode()
    start = raw.index(b"\r\n" + delimiter + b"\r\n") + len(delimiter) + 4
    return raw[start : raw.index(b"\r\n" + delimiter, start)]


# -- resolve ----------------------------------------------------------------------


def test_resolve_found_exact_address_case_insensitive(world: World) -> None:
    ring = world.keyring
    for address in (BOB, BOB.upper(), f"Bob <{BOB}>"):
        status_ = ring.resolve(address)
        assert status_.status == "found", status_
        assert status_.fingerprint == world.bob
        assert status_.usable


def test_resolve_no_substring_matches(world: World) -> None:
    """notbob@, bob@....evil and "bob@... via Mallory <mallory@>" never match bob@."""
    ring = world.keyring
    assert ring.resolve(BOB).fingerprint == world.bob
    assert ring.resolve(f"not{BOB}").fingerprint == world.notbob
    assert ring.resolve(f"{BOB}.evil").fingerprint == world.evilbob
    assert ring.resolve("mallory@example.com").fingerprint == world.decoy
    for address in ("ob@example.com", "bob@example", "example.com", "bob"):
        assert ring.resolve(address).status == "missing", address


def test_resolve_missing(world: World) -> None:
    status_ = world.keyring.resolve("nobody@example.com")
    assert (status_.status, status_.fingerprint) == ("missing", "")
    assert not status_.usable


def test_resolve_expired_and_revoked(world: World) -> None:
    ring = world.keyring
    carol, dave = ring.resolve("carol@example.com"), ring.resolve("dave@example.com")
    assert (carol.status, carol.fingerprint) == ("expired", world.carol_expired)
    assert (dave.status, dave.fingerprint) == ("revoked", world.dave_revoked)
    assert "expired" in carol.detail and "revoked" in dave.detail


def test_resolve_ambiguous(world: World) -> None:
    status_ = world.keyring.resolve("eve@example.com")
    assert status_.status == "ambiguous"
    assert status_.fingerprint == ""
    assert status_.detail == "2 keys carry this address; pin one on the roster"


def test_resolve_pinned(world: World) -> None:
    ring = world.keyring
    spaced = " ".join(world.eve2[i : i + 4] for i in range(0, 40, 4)).lower()
    pinned = ring.resolve("eve@example.com", pinned=spaced)
    assert (pinned.status, pinned.fingerprint) == ("found", world.eve2)
    assert pinned.detail == "pinned on the roster"
    # pinning wins over the uid, whatever address it carries
    assert ring.resolve(BOB, pinned=world.eve1).fingerprint == world.eve1
    absent = ring.resolve(BOB, pinned=world.stranger)
    assert (absent.status, absent.fingerprint) == ("missing", world.stranger)
    assert ring.resolve(BOB, pinned="ABCD1234").status == "missing"  # not a full fingerprint
    assert ring.resolve("carol@example.com", pinned=world.carol_expired).status == "expired"
    assert ring.resolve("dave@example.com", pinned=world.dave_revoked).status == "revoked"


def test_resolve_unavailable(world: World, tmp_path: Path) -> None:
    broken = world.alice_home.keyring(gpgbinary=str(tmp_path / "no-such-gpg"))
    assert not broken.available()
    status_ = broken.resolve(BOB)
    assert status_.status == "unavailable"
    assert "gpg is not available" in status_.detail
    with pytest.raises(GpgError, match="not available"):
        broken.encrypt(b"x", [world.bob])
    assert not broken.verify_detached(b"x", b"sig", world.bob).ok
    nowhere = Keyring(tmp_path / "no-such-home")
    assert nowhere.resolve(BOB).status == "unavailable"
    assert world.keyring.available()


def test_default_home_from_gnupghome(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GNUPGHOME", str(world.alice_home.path))
    assert Keyring().resolve(BOB).fingerprint == world.bob


def test_secret_fingerprint_for(world: World) -> None:
    ring = world.keyring
    assert ring.secret_fingerprint_for(ALICE) == world.alice
    assert ring.secret_fingerprint_for(ALICE.upper()) == world.alice
    assert ring.secret_fingerprint_for(BOB) == ""  # public key only
    assert ring.secret_fingerprint_for("nobody@example.com") == ""


def test_uid_address() -> None:
    assert uid_address("Bob <Bob@Example.com>") == "bob@example.com"
    assert uid_address("bob@example.com") == "bob@example.com"
    assert uid_address("bob@example.com via Mallory <m@example.com>") == "m@example.com"
    assert uid_address("Bob (no mail)") == ""
    assert uid_address("Bob <bob@example.com> trailing") == ""


# -- encrypt refusals -----------------------------------------------------------


@pytest.mark.parametrize("which", ["carol_expired", "dave_revoked"])
def test_encrypt_to_expired_or_revoked_is_refused(world: World, which: str) -> None:
    fingerprint = getattr(world, which)
    address = "carol@example.com" if which == "carol_expired" else "dave@example.com"
    word = "expired" if which == "carol_expired" else "revoked"
    with pytest.raises(GpgError) as caught:
        world.keyring.encrypt(b"secret", [world.bob, fingerprint])
    message = str(caught.value)
    assert fingerprint in message and address in message and word in message
    assert "\n" not in message
    with pytest.raises(GpgError, match=fingerprint):
        eml.build_encrypted(envelope(), "secret body", world.keyring, [fingerprint])


def test_encrypt_to_unknown_key_or_bad_fingerprint(world: World) -> None:
    with pytest.raises(GpgError, match=f"{world.stranger}: the key is not in the keyring"):
        world.keyring.encrypt(b"x", [world.stranger])
    with pytest.raises(GpgError, match="not a full key fingerprint"):
        world.keyring.encrypt(b"x", [world.bob[-16:]])
    with pytest.raises(GpgError, match="no recipients"):
        world.keyring.encrypt(b"x", [])


def test_sign_without_secret_key_is_refused(world: World) -> None:
    with pytest.raises(GpgError, match=f"cannot sign with {world.bob}: no secret key"):
        world.keyring.sign_detached(b"x", world.bob)
    with pytest.raises(GpgError, match="no secret key"):
        world.keyring.encrypt(b"x", [world.bob], sign_with=world.bob)


def test_passphrase_key_fails_fast_without_prompting(gpg_env) -> None:
    home = gpg_env()
    fingerprint = home.gen_key("Locked <locked@example.com>", passphrase="hunter2 hunter2")
    home.kill_agent()  # forget the passphrase cached while generating
    started = time.monotonic()
    with pytest.raises(GpgError, match="cannot prompt"):
        home.keyring().sign_detached(b"x", fingerprint)
    assert time.monotonic() - started < 10


# -- encrypted .eml ---------------------------------------------------------------


@pytest.mark.parametrize("signed", [True, False], ids=["sign+encrypt", "encrypt"])
def test_build_encrypted(world: World, tmp_path: Path, signed: bool) -> None:
    canary = f"CANARY-{secrets.token_hex(8)}"
    body = body_with(canary)
    subject = "Incident AMBER-HERON: ünïcode customer notice"
    msg = eml.build_encrypted(
        envelope(subject),
        body,
        world.keyring,
        [world.bob, world.alice],
        world.alice if signed else "",
    )
    raw = eml.message_bytes(msg)

    assert canary.encode() not in raw
    assert b"breach window" not in raw and b"hosts" not in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only
    assert max(map(len, raw.split(b"\r\n"))) <= 78 and raw.isascii()

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/encrypted"
    assert parsed.get_param("protocol") == "application/pgp-encrypted"
    assert parsed["Subject"] == subject
    assert parsed["Message-ID"] == "<amber-heron.1@example.com>"
    assert {k.lower() for k in parsed} == {
        "from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type"
    }  # fmt: skip
    control, data = parsed.get_payload()
    assert len(parsed.get_payload()) == 2
    assert control.get_content_type() == "application/pgp-encrypted"
    assert control.get_payload().strip() == "Version: 1"
    assert data.get_content_type() == "application/octet-stream"
    armored = data.get_payload()
    assert armored.startswith("-----BEGIN PGP MESSAGE-----")

    path = tmp_path / "encrypted.asc"
    path.write_text(armored)
    proc = world.bob_home.gpg("--decrypt", path)
    fields = status(proc)
    assert ["DECRYPTION_OKAY"] in fields
    if signed:
        assert any(f[0] == "GOODSIG" for f in fields)
        assert validsig(proc) == world.alice
    else:
        assert not any(f[0] in ("GOODSIG", "VALIDSIG", "NEWSIG") for f in fields)

    inner_bytes = proc.stdout
    assert inner_bytes.startswith(b"Content-Type: text/plain")
    assert b"\n" not in inner_bytes.replace(b"\r\n", b"") and inner_bytes.isascii()
    inner = email.message_from_bytes(inner_bytes, policy=email.policy.default)
    assert inner.get_content_type() == "text/plain"
    assert inner["Content-Transfer-Encoding"] == "quoted-printable"
    assert content(inner) == body
    assert canary in content(inner)


def test_encrypted_to_alice_also_opens_for_alice(world: World, tmp_path: Path) -> None:
    msg = eml.build_encrypted(envelope(), "for both", world.keyring, [world.bob, world.alice])
    parsed = email.message_from_bytes(eml.message_bytes(msg), policy=email.policy.default)
    path = tmp_path / "m.asc"
    path.write_text(parsed.get_payload()[1].get_payload())
    assert b"for both" in world.alice_home.gpg("--decrypt", path).stdout


# -- signed .eml ------------------------------------------------------------------


def test_build_signed_verifies_with_gpg(world: World, tmp_path: Path) -> None:
    canary = f"CANARY-{secrets.token_hex(8)}"
    body = body_with(canary)
    long_subject = "Incident AMBER-HERON: " + "very long subject line " * 8
    env = envelope(long_subject)
    env = eml.Envelope(
        env.sender, env.to + tuple(f"r{i}@example.com" for i in range(20)), env.cc,
        env.subject, env.date, env.message_id,
    )  # fmt: skip
    msg = eml.build_signed(env, body, world.keyring, world.alice)
    raw = eml.message_bytes(msg)
    assert raw == eml.message_bytes(msg)  # stable

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/signed"
    assert parsed.get_param("micalg") == "pgp-sha256"
    assert parsed.get_param("protocol") == "application/pgp-signature"
    assert parsed["Subject"] == long_subject
    text, sig = parsed.get_payload()
    assert content(text) == body
    assert sig.get_content_type() == "application/pgp-signature"

    part = first_part(raw, parsed.get_boundary())
    assert part == eml.first_part_bytes(raw, parsed.get_boundary())
    assert part.startswith(b'Content-Type: text/plain; charset="utf-8"\r\n')
    # RFC 3156 section 3: 7-bit, CRLF, no trailing whitespace, "From " encoded
    assert part.isascii() and b"\n" not in part.replace(b"\r\n", b"")
    for line in part.split(b"\r\n"):
        assert len(line) <= 76 and line == line.rstrip(b" \t")
        assert not line.startswith(b"From ") and line != b"."

    part_path, sig_path = tmp_path / "part.bin", tmp_path / "sig.asc"
    part_path.write_bytes(part)
    sig_path.write_text(sig.get_payload())
    proc = world.bob_home.gpg("--verify", sig_path, part_path)
    assert validsig(proc) == world.alice
    assert any(f[0] == "GOODSIG" for f in status(proc))
    packets = world.bob_home.gpg("--list-packets", sig_path).stdout.decode()
    assert "digest algo 8" in packets  # SHA-256, as micalg says

    # one flipped byte of the body in the file: gpg says BAD
    at = raw.index(canary.encode())
    tampered_raw = raw[:at] + b"K" + raw[at + 1 :]
    part_path.write_bytes(first_part(tampered_raw, parsed.get_boundary()))
    bad = world.bob_home.gpg("--verify", sig_path, part_path, check=False)
    assert bad.returncode != 0 and validsig(bad) == ""
    assert any(f[0] == "BADSIG" for f in status(bad))

    # Keyring.verify_detached agrees, and insists on the expected signer
    bob_ring = world.bob_home.keyring()
    signature = sig.get_payload().encode()
    good = bob_ring.verify_detached(part, signature, world.alice.lower())
    assert (good.ok, good.fingerprint) == (True, world.alice)
    other = bob_ring.verify_detached(part, signature, world.bob)
    assert not other.ok and other.fingerprint == world.alice
    assert "not the expected" in other.detail
    changed = bob_ring.verify_detached(part.replace(b"Hello", b"Hellp"), signature, world.alice)
    assert not changed.ok and "bad signature" in changed.detail


def test_verify_detached_unknown_signer(world: World) -> None:
    """Bob's stranger key signs; alice's keyring has no public key for it."""
    signature, _ = world.bob_home.keyring().sign_detached(b"data", world.stranger)
    verdict = world.keyring.verify_detached(b"data", signature, world.stranger)
    assert not verdict.ok and "no public key" in verdict.detail
    garbage = world.keyring.verify_detached(b"data", b"not a signature", world.alice)
    assert not garbage.ok


def test_sign_detached_returns_micalg(world: World) -> None:
    signature, micalg = world.keyring.sign_detached(b"manifest", world.alice)
    assert micalg == "pgp-sha256"
    assert signature.startswith(b"-----BEGIN PGP SIGNATURE-----")
    assert world.keyring.verify_detached(b"manifest", signature, world.alice).ok


def test_signing_subkey_counts_as_its_primary(gpg_env) -> None:
    signer, checker = gpg_env(), gpg_env()
    primary = signer.gen_key("Sub Signer <subsigner@example.com>")
    subkey = signer.add_signing_subkey(primary)
    signer.give(checker, primary)
    signature, micalg = signer.keyring().sign_detached(b"data", primary)
    packets = checker.gpg("--list-packets", input=signature).stdout.decode()
    assert subkey[-16:] in packets  # gpg signed with the subkey ...
    verdict = checker.keyring().verify_detached(b"data", signature, primary)
    assert (verdict.ok, verdict.fingerprint) == (True, primary)  # ... which counts as primary
    assert not checker.keyring().verify_detached(b"data", signature, subkey).ok


def test_p384_key_signs_with_sha512(gpg_env) -> None:
    """gpg refuses SHA-256 with an ECDSA P-384 key; warroom picks SHA-512 and says so."""
    home = gpg_env()
    fingerprint = home.gen_key("P384 <p384@example.com>", algo="nistp384")
    signature, micalg = home.keyring().sign_detached(b"data", fingerprint)
    assert micalg == "pgp-sha512"
    assert home.keyring().verify_detached(b"data", signature, fingerprint).ok


def test_message_bytes_refuses_a_changed_signed_part(world: World) -> None:
    msg = eml.build_signed(envelope(), "signed text\n", world.keyring, world.alice)
    msg.get_payload()[0].set_payload("changed after signing\n")
    with pytest.raises(ValueError, match="exactly as it was signed"):
        eml.message_bytes(msg)


def test_bcc_never_written_and_plain_round_trip(world: World) -> None:
    body = body_with("visible")
    raw = eml.message_bytes(eml.build_plain(envelope(), body))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "text/plain"
    assert content(parsed) == body
    assert "bcc" not in {k.lower() for k in parsed}
    assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b"")


# -- quoted-printable -------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_quoted_printable_is_rfc3156_safe_and_round_trips(text: str) -> None:
    encoded = eml.quoted_printable(text)
    assert encoded.isascii() and encoded.endswith("\n")
    for line in encoded[:-1].split("\n"):
        assert len(line) <= 76
        assert line == line.rstrip(" \t")
        assert not line.startswith(("From ", "."))
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normal.endswith("\n"):
        normal += "\n"
    assert quopri.decodestring(encoded.encode()) == normal.encode("utf-8")
