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
_SEQ = struct.Struct(">Q")


KDF_FLOOR = KDF_PROFILES["interactive"]
KDF_CEILING = KDF_PROFILES["moderate"]
"""A file's header must ask for Argon2id costs between these, parameter by parameter:
what warroom writes and nothing else. Checked before deriving, so an edited header can
neither weaken the key derivation nor make every unlock burn seconds and a gigabyte."""


class KdfRangeError(CryptoError):
    """The header's key-derivation parameters are outside the allowed bounds."""

    def __init__(self) -> None:
        super().__init__("the file's key-derivation header is out of range (damaged or tampered)")


def check_kdf_params(opslimit: object, memlimit: object) -> None:
    """Raise KdfRangeError unless both are ints within [KDF_FLOOR, KDF_CEILING]."""
    for value, low, high in (
        (opslimit, KDF_FLOOR.opslimit, KDF_CEILING.opslimit),
        (memlimit, KDF_FLOOR.memlimit, KDF_CEILING.memlimit),
    ):
        if type(value) is not int or not low <= value <= high:
            raise KdfRangeError()


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
    if _lib is not None:
        return _open_box_fast(key, box, aad)
    try:
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            box[NONCE_BYTES:], aad, box[:NONCE_BYTES], key
        )
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise CryptoError("box does not open") from exc


try:  # PyNaCl's own cffi handle to libsodium: the public wrapper's argument checks
    # cost twice the decryption itself, and opening a file decrypts every event.
    from nacl._sodium import ffi as _ffi
    from nacl._sodium import lib as _lib
except ImportError:  # pragma: no cover - a PyNaCl without it falls back to the wrapper
    _ffi = _lib = None

_ABYTES = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES


def _open_box_fast(key: bytes, box: bytes, aad: bytes) -> bytes:
    clen = len(box) - NONCE_BYTES
    if clen < _ABYTES or len(key) != KEY_BYTES:
        raise CryptoError("box does not open")
    out = _ffi.new("unsigned char[]", clen - _ABYTES + 1)
    out_len = _ffi.new("unsigned long long *")
    rc = _lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
        out, out_len, _ffi.NULL, box[NONCE_BYTES:], clen, aad, len(aad), box[:NONCE_BYTES], key
    )
    if rc != 0:
        raise CryptoError("box does not open")
    return _ffi.buffer(out, out_len[0])[:]


def pad(data: bytes) -> bytes:
    return sodium.sodium_pad(data, PAD_BLOCK)


def unpad(data: bytes) -> bytes:
    """Undo `pad` (ISO/IEC 7816-4: 0x80 then zeros). Runs on authenticated data only,
    so it need not be constant-time; sodium_unpad's wrapper is slow on the open path."""
    stripped = data.rstrip(b"\x00")
    if not stripped or stripped[-1] != 0x80 or len(data) % PAD_BLOCK:
        raise CryptoError("bad padding")
    return stripped[:-1]


def wrap_aad(incident_id: bytes, salt: bytes, params: KdfParams | tuple[int, int]) -> bytes:
    """Bind the wrapped key to the header, so tampering with it fails at unlock."""
    ops, mem = (params.opslimit, params.memlimit) if isinstance(params, KdfParams) else params
    return b"warroom-wrap-v1" + incident_id + salt + struct.pack(">QQ", ops, mem)


def event_aad(incident_id: bytes, device: bytes, seq: int) -> bytes:
    return b"warroom-event-v1" + incident_id + device + _SEQ.pack(seq)


def signed_bytes(incident_id: bytes, device: bytes, seq: int, prev: bytes, box: bytes) -> bytes:
    """The exact bytes a device signs: everything stored in its row but the signature."""
    return b"warroom-sig-v1" + incident_id + device + _SEQ.pack(seq) + prev + box


def row_hash(device: bytes, seq: int, prev: bytes, box: bytes, sig: bytes) -> bytes:
    """The link a device's next event carries in its `prev` column."""
    return hashlib.sha256(b"".join((device, _SEQ.pack(seq), prev, box, sig))).digest()


GENESIS_PREV = bytes(32)


def sign(signing_key: nacl.signing.SigningKey, message: bytes) -> bytes:
    return signing_key.sign(message).signature


def verify_signature(device: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is `device`'s Ed25519 signature over `message`. Imports and
    `verify` check every row: straight through libsodium (as _open_box_fast), without
    the wrapper's objects, it runs the threads that check them with less of the GIL."""
    if _lib is not None:
        if not (type(device) is type(signature) is type(message) is bytes):
            return False
        if len(device) != 32 or len(signature) != 64:
            return False
        signed = signature + message
        out = _ffi.new("unsigned char[]", len(signed))
        return _lib.crypto_sign_open(out, _ffi.NULL, signed, len(signed), device) == 0
    try:  # pragma: no cover - a PyNaCl without its cffi handle
        nacl.signing.VerifyKey(device).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, ValueError, TypeError):
        return False
    return True
