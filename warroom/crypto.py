"""Key derivation, key wrapping, payload sealing and device signatures.

Passphrase -> Argon2id -> key-encryption key (KEK) -> unwraps a random 256-bit
data key. Event payloads are padded and sealed with XChaCha20-Poly1305 under
the data key; the associated data binds each box to its incident, device and
sequence number so a box moved to another row no longer opens.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import nacl.bindings as sodium
import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
import nacl.signing
import nacl.utils

KEY_BYTES = 32
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
PAD_BLOCK = 64
"""Payloads are padded to a multiple of this, so a box tells its size only roughly."""


class CryptoError(Exception):
    """A box did not open or a signature did not verify."""


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost parameters, stored in the clear beside the salt."""

    name: str
    opslimit: int
    memlimit: int


KDF_PROFILES: dict[str, KdfParams] = {
    # INTERACTIVE is the floor (tests, small hosts); MODERATE is the default.
    # PyNaCl's SENSITIVE (1 GiB) is deliberately not offered: a bastion may not have it.
    "interactive": KdfParams(
        "interactive", argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE
    ),
    "moderate": KdfParams("moderate", argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE),
}
SALT_BYTES = argon2id.SALTBYTES


def check_kdf_params(opslimit: int, memlimit: int) -> None:
    """Refuse parameters below the INTERACTIVE floor (a tampered or hostile header)."""
    floor = KDF_PROFILES["interactive"]
    if opslimit < floor.opslimit or memlimit < floor.memlimit:
        raise CryptoError("key derivation parameters are below the allowed floor")
    if memlimit > 4 * 1024**3 or opslimit > 64:
        raise CryptoError("key derivation parameters are unreasonably high")


def derive_kek(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    """Argon2id: the slow step. Run it off the UI thread."""
    check_kdf_params(opslimit, memlimit)
    return argon2id.kdf(
        KEY_BYTES, passphrase.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit
    )


def random_bytes(n: int) -> bytes:
    return nacl.utils.random(n)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AEAD-encrypt; the result is nonce || ciphertext+tag."""
    nonce = nacl.utils.random(NONCE_BYTES)
    return nonce + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)


def open_box(key: bytes, box: bytes, aad: bytes) -> bytes:
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            box[NONCE_BYTES:], aad, box[:NONCE_BYTES], key
        )
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise CryptoError("box does not open") from exc


def pad(data: bytes) -> bytes:
    return sodium.sodium_pad(data, PAD_BLOCK)


def unpad(data: bytes) -> bytes:
    try:
        return sodium.sodium_unpad(data, PAD_BLOCK)
    except (nacl.exceptions.CryptoError, ValueError) as exc:
        raise CryptoError("bad padding") from exc


def wrap_aad(incident_id: bytes, salt: bytes, params: KdfParams | tuple[int, int]) -> bytes:
    """Bind the wrapped key to the header, so tampering with it fails at unlock."""
    ops, mem = (params.opslimit, params.memlimit) if isinstance(params, KdfParams) else params
    return b"warroom-wrap-v1" + incident_id + salt + struct.pack(">QQ", ops, mem)


def event_aad(incident_id: bytes, device: bytes, seq: int) -> bytes:
    return b"warroom-event-v1" + incident_id + device + struct.pack(">Q", seq)


def signed_bytes(incident_id: bytes, device: bytes, seq: int, prev: bytes, box: bytes) -> bytes:
    """The exact bytes a device signs: everything stored in its row but the signature."""
    return b"warroom-sig-v1" + incident_id + device + struct.pack(">Q", seq) + prev + box


def row_hash(device: bytes, seq: int, prev: bytes, box: bytes, sig: bytes) -> bytes:
    """The link a device's next event carries in its `prev` column."""
    h = hashlib.sha256(device)
    h.update(struct.pack(">Q", seq))
    h.update(prev)
    h.update(box)
    h.update(sig)
    return h.digest()


GENESIS_PREV = bytes(32)


def sign(signing_key: nacl.signing.SigningKey, message: bytes) -> bytes:
    return signing_key.sign(message).signature


def verify_signature(device: bytes, message: bytes, signature: bytes) -> bool:
    try:
        nacl.signing.VerifyKey(device).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError, TypeError):
        return False
    return True
