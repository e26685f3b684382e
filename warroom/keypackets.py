"""Binary OpenPGP keys, as `gpg --export` writes them one after another, cut into one
block per key and named by its primary fingerprint (RFC 4880 packet headers; v4,
v5 and v6 fingerprints computed here). Pure bytes in, bytes out: nothing runs gpg.
"""

from __future__ import annotations

import hashlib

from warroom.gpgerror import GpgError

_PUBLIC_KEY = 6  # the packet tag that starts each key in `gpg --export`


def split_keys(data: bytes) -> dict[str, bytes]:
    """Binary OpenPGP keys, one after another (what `gpg --export` writes) -> primary
    fingerprint (upper-case hex) -> that key's packets. A key whose fingerprint this
    cannot compute (v3) is left out; the first of two copies of a key is kept."""
    keys: dict[str, bytes] = {}
    start, fingerprint, pos = 0, "", 0
    while pos < len(data):
        tag, body, end = _packet(data, pos)
        if tag == _PUBLIC_KEY:
            if fingerprint:
                keys.setdefault(fingerprint, data[start:pos])
            start, fingerprint = pos, _v4_plus_fingerprint(data[body:end])
        pos = end
    if fingerprint:
        keys.setdefault(fingerprint, data[start:])
    return keys


def _packet(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, where the body starts, where the packet ends) of the packet at `pos`
    (RFC 4880 section 4.2: old and new headers; keys never use partial lengths)."""
    first = data[pos]
    if not first & 0x80:
        raise GpgError("gpg exported something that is not an OpenPGP key")
    if first & 0x40:  # new format
        tag, octet = first & 0x3F, data[pos + 1] if pos + 1 < len(data) else 0
        if octet < 192:
            length, header = octet, 2
        elif octet < 224:
            length, header = ((octet - 192) << 8) + data[pos + 2] + 192, 3
        elif octet == 255:
            length, header = int.from_bytes(data[pos + 2 : pos + 6], "big"), 6
        else:
            raise GpgError("gpg exported a key packet with a partial length")
    else:
        tag, kind = (first >> 2) & 0x0F, first & 0x03
        if kind == 3:
            raise GpgError("gpg exported a key packet of indeterminate length")
        size = 1 << kind
        length, header = int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), 1 + size
    end = pos + header + length
    if end > len(data):
        raise GpgError("gpg exported a truncated key")
    return tag, pos + header, end


def _v4_plus_fingerprint(body: bytes) -> str:
    """A v4 (SHA-1), v5 or v6 (SHA-256) public key packet's fingerprint; "" for others."""
    version = body[0] if body else 0
    if version == 4:
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(b"\x99" + len(body).to_bytes(2, "big") + body)
    elif version in (5, 6):
        digest = hashlib.sha256()
        digest.update((b"\x9a" if version == 5 else b"\x9b") + len(body).to_bytes(4, "big") + body)
    else:
        return ""
    return digest.hexdigest().upper()
