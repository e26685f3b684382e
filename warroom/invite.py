"""An invite: what a new responder needs to make a replica of an incident
(`warroom invite`, `warroom join`), in one strict, bounded, authenticated file.

    magic      16  b"warroom-invite" NUL, then the format version (1)
    method      1  1: the key wrapped under an invite passphrase; 2: under a GPG key
    incident   16  the incident id
    (method 1) salt 16 | opslimit 8 | memlimit 8   Argon2id, as an incident header's
    wrap_len    4  then the wrapped data key:
                   1: XChaCha20-Poly1305 under the invite passphrase's KEK, associated
                      data WRAP_AAD + every byte above (the incident id and this header)
                   2: an ASCII-armored OpenPGP message of GPG_KEY_PREFIX + id + key
    body_len    8  then the body: sealed under the data key, associated data BODY_AAD +
                   the incident id + every byte above it (so the header and the wrap too)
    check      32  BLAKE2b-256 of every byte above: a damaged file is told apart from a
                   wrong passphrase before any key derivation (the AEADs are what bind)

The body, padded (crypto.pad): url_len 2 | the relay URL (UTF-8, "" for none) |
frame count 4 | each frame: frame_len 4 | warroom.sync.wire rows. Rows are stored
rows, ciphertext and signatures: the joiner checks each one (intake) as it would a
sync's. Integers are unsigned, big-endian; every length is checked against the
bytes present and the caps below, and nothing may follow the check.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass

from warroom import crypto
from warroom.errors import SessionError
from warroom.ledger import INCIDENT_ID_BYTES, Header, open_store, unwrap_key
from warroom.store import Row
from warroom.sync import wire

MAGIC = b"warroom-invite\x00\x01"
BY_PASSPHRASE = 1
BY_GPG = 2
WRAP_AAD = b"warroom-invite-wrap-v1"
BODY_AAD = b"warroom-invite-body-v1"
GPG_KEY_PREFIX = b"warroom-invite-key-v1"
MAX_INVITE_BYTES = 512 * 2**20
"""An invite holds every row of the incident: 100,000 events are some 50 MB."""
MAX_WRAP_BYTES = 64 * 1024
"""An armored OpenPGP message of 69 bytes, to one key: a few KB at most."""
MAX_URL_CHARS = 2048
FRAME_ROWS = 10_000
"""Rows per frame written (a frame may hold up to wire.MAX_FRAME_ROWS)."""

_KDF = struct.Struct(">16sQQ")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_CHECK_BYTES = 32


class InviteError(SessionError):
    """Bytes that are not a whole, unaltered invite."""


class WrongInvitePassphrase(SessionError):
    def __init__(self) -> None:
        super().__init__("wrong invite passphrase")


@dataclass(frozen=True)
class Contents:
    """What an invite carries, opened."""

    incident_id: bytes
    data_key: bytes
    relay_url: str
    rows: list[Row]


@dataclass(frozen=True)
class Sealed:
    """An invite parsed (its framing checked), not yet opened."""

    method: int
    incident_id: bytes
    kdf: tuple[bytes, int, int] | None
    """(salt, opslimit, memlimit) for BY_PASSPHRASE."""
    header: bytes
    """Every byte before the wrapped key (its associated data)."""
    wrapped: bytes
    before_body: bytes
    body: bytes

    def unwrap_with_passphrase(self, passphrase: str) -> bytes:
        """The data key. Raises WrongInvitePassphrase (or InviteError: not this kind)."""
        if self.method != BY_PASSPHRASE or self.kdf is None:
            raise InviteError("this invite is for a GPG key, not a passphrase (use --gnupghome)")
        salt, ops, mem = self.kdf
        try:
            kek = crypto.derive_kek(passphrase, salt, ops, mem)
            return crypto.open_box(kek, self.wrapped, WRAP_AAD + self.header)
        except crypto.KdfRangeError:
            raise InviteError("not a warroom invite (its key-derivation costs)") from None
        except crypto.CryptoError:
            raise WrongInvitePassphrase() from None

    def unwrap_with_gpg(self, decrypt: Callable[[bytes], bytes]) -> bytes:
        """The data key, from `decrypt` (the OpenPGP message -> its plaintext)."""
        if self.method != BY_GPG:
            raise InviteError("this invite is for a passphrase, not a GPG key")
        plain = decrypt(self.wrapped)
        prefix = GPG_KEY_PREFIX + self.incident_id
        if len(plain) != len(prefix) + crypto.KEY_BYTES or not plain.startswith(prefix):
            raise InviteError("damaged: its GPG message is not this invite's key")
        return plain[len(prefix) :]

    def open(self, data_key: bytes) -> Contents:
        """The contents, once the data key is known. Raises InviteError."""
        try:
            payload = crypto.unpad(crypto.open_box(data_key, self.body, self._body_aad()))
        except crypto.CryptoError:
            raise InviteError("damaged: its contents do not open under its key") from None
        url, rows = _read_payload(payload)
        return Contents(self.incident_id, data_key, url, rows)

    def _body_aad(self) -> bytes:
        return BODY_AAD + self.incident_id + self.before_body


# -- writing -------------------------------------------------------------------


def by_passphrase(contents: Contents, passphrase: str, costs: tuple[int, int]) -> bytes:
    """The invite, its key wrapped under `passphrase` (Argon2id at `costs`, a fresh salt)."""
    if not passphrase:
        raise SessionError("the invite passphrase must not be empty")
    salt = crypto.random_bytes(crypto.SALT_BYTES)
    header = _head(BY_PASSPHRASE, contents.incident_id) + _KDF.pack(salt, *costs)
    kek = crypto.derive_kek(passphrase, salt, *costs)
    wrapped = crypto.seal(kek, contents.data_key, WRAP_AAD + header)
    return _finish(contents, header, wrapped)


def by_gpg(contents: Contents, encrypt: Callable[[bytes], bytes]) -> bytes:
    """The invite, its key given to `encrypt` (plaintext -> an armored OpenPGP message)."""
    header = _head(BY_GPG, contents.incident_id)
    wrapped = encrypt(GPG_KEY_PREFIX + contents.incident_id + contents.data_key)
    if not 0 < len(wrapped) <= MAX_WRAP_BYTES:
        raise SessionError(f"gpg's message is {len(wrapped):,} bytes; the most is 64 KiB")
    return _finish(contents, header, wrapped)


def _head(method: int, incident_id: bytes) -> bytes:
    if len(incident_id) != INCIDENT_ID_BYTES:
        raise SessionError("an incident id is 16 bytes")
    return MAGIC + bytes([method]) + incident_id


def _finish(contents: Contents, header: bytes, wrapped: bytes) -> bytes:
    before_body = header + _U32.pack(len(wrapped)) + wrapped
    url = contents.relay_url.encode("utf-8")
    if len(contents.relay_url) > MAX_URL_CHARS:
        raise SessionError(f"the relay URL is longer than {MAX_URL_CHARS} characters")
    frames = [
        wire.encode_rows(contents.rows[i : i + FRAME_ROWS])
        for i in range(0, len(contents.rows), FRAME_ROWS)
    ]
    payload = b"".join(
        [_U16.pack(len(url)), url, _U32.pack(len(frames))]
        + [part for frame in frames for part in (_U32.pack(len(frame)), frame)]
    )
    aad = BODY_AAD + contents.incident_id + before_body
    body = crypto.seal(contents.data_key, crypto.pad(payload), aad)
    out = before_body + _U64.pack(len(body)) + body
    if len(out) + _CHECK_BYTES > MAX_INVITE_BYTES:
        raise SessionError(
            f"the invite would be {len(out):,} bytes; the most is {MAX_INVITE_BYTES:,}"
        )
    return out + _check(out)


def _check(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=_CHECK_BYTES).digest()


# -- reading -------------------------------------------------------------------


class _Reader:
    """Bytes taken in order, each length checked against what is left."""

    def __init__(self, data: bytes | memoryview) -> None:
        self.view = memoryview(data)
        self.at = 0

    def take(self, n: int, what: str) -> bytes:
        if n > len(self.view) - self.at:
            raise InviteError(f"damaged: truncated ({what})")
        out = bytes(self.view[self.at : self.at + n])
        self.at += n
        return out

    def number(self, form: struct.Struct, what: str) -> int:
        (value,) = form.unpack(self.take(form.size, what))
        return int(value)

    def done(self) -> bool:
        return self.at == len(self.view)


def parse(data: bytes) -> Sealed:
    """Check an invite's framing and checksum (no key needed). Raises InviteError."""
    if not data.startswith(MAGIC[:14]):
        raise InviteError("not a warroom invite")
    if not data.startswith(MAGIC):
        raise InviteError("an invite of another format version: update warroom")
    if len(data) > MAX_INVITE_BYTES:
        raise InviteError(f"larger than an invite may be ({MAX_INVITE_BYTES:,} bytes)")
    body, check = data[:-_CHECK_BYTES], data[-_CHECK_BYTES:]
    if len(data) < len(MAGIC) + _CHECK_BYTES or _check(body) != check:
        raise InviteError("damaged: truncated or altered (its checksum does not match)")
    reader = _Reader(memoryview(data)[:-_CHECK_BYTES])
    reader.take(len(MAGIC), "magic")
    method = reader.take(1, "method")[0]
    incident_id = reader.take(INCIDENT_ID_BYTES, "incident id")
    kdf = None
    if method == BY_PASSPHRASE:
        salt, ops, mem = _KDF.unpack(reader.take(_KDF.size, "key derivation"))
        try:  # before any derivation: an edited header must not cost seconds and a GiB
            crypto.check_kdf_params(ops, mem)
        except crypto.KdfRangeError:
            raise InviteError("damaged: its key-derivation costs are out of range") from None
        kdf = (salt, ops, mem)
    elif method != BY_GPG:
        raise InviteError(f"damaged: unknown key method {method}")
    header = bytes(reader.view[: reader.at])
    wrap_len = reader.number(_U32, "wrapped key length")
    if not 0 < wrap_len <= MAX_WRAP_BYTES:
        raise InviteError("damaged: the wrapped key's length is out of range")
    wrapped = reader.take(wrap_len, "wrapped key")
    before_body = bytes(reader.view[: reader.at])
    body_len = reader.number(_U64, "body length")
    body = reader.take(body_len, "body")
    if not reader.done():
        raise InviteError("damaged: bytes after its body")
    return Sealed(method, incident_id, kdf, header, wrapped, before_body, body)


def _read_payload(payload: bytes) -> tuple[str, list[Row]]:
    reader = _Reader(payload)
    try:
        url = reader.take(reader.number(_U16, "URL length"), "URL").decode("utf-8")
    except UnicodeDecodeError:
        raise InviteError("damaged: its relay URL is not UTF-8") from None
    if len(url) > MAX_URL_CHARS or not all(" " < c < "\x7f" for c in url):
        raise InviteError("damaged: its relay URL is not a plain URL")
    rows: list[Row] = []
    for _ in range(reader.number(_U32, "frame count")):
        frame = reader.take(reader.number(_U32, "frame length"), "frame")
        try:
            rows += wire.decode_rows(frame)
        except wire.WireError as exc:
            raise InviteError(f"damaged: {exc}") from None
    if not reader.done():
        raise InviteError("damaged: bytes after its rows")
    return url, rows


# -- the incident's side ---------------------------------------------------------


def read_incident(
    path: str | os.PathLike[str], passphrase: str, relay_url: Callable[[bytes], str]
) -> tuple[Contents, Header]:
    """The contents an invite to `path` carries: its id, its data key (unwrapped with
    `passphrase`: WrongPassphrase), every stored row that can travel (ciphertext and
    signatures, as sync sends them) and `relay_url(incident_id)`. Writes nothing."""
    store = open_store(path)
    try:
        header, data_key = unwrap_key(path, store, passphrase)
        rows = [row for row in store.rows() if _travels(row)]
    finally:
        store.close()
    return Contents(header.incident_id, data_key, relay_url(header.incident_id), rows), header


def _travels(row: Row) -> bool:
    """Whether the wire can carry it (a malformed row would be refused on arrival)."""
    return (
        row.well_formed() and len(row.sig) == wire.SIG_BYTES and len(row.box) <= wire.MAX_BOX_BYTES
    )
