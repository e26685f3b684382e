"""Email drafts as .eml files: plain, PGP/MIME signed or PGP/MIME encrypted (RFC 3156).

The text part is always 7-bit quoted-printable with CRLF line endings, no
trailing whitespace, and lines that start with "From " or "." encoded, so a
signature over it survives any mail gateway (RFC 3156 section 3). A signed
message's first part is flattened once, signed over exactly those bytes, and
`message_bytes` checks that the file holds them unchanged.

An encrypted message carries only From/To/Cc/Subject/Date/Message-ID outside the
ciphertext; the body (and any signature over it) is inside. A Bcc header is
written only when the envelope says so: in a Bcc recipient's own copy, naming
that recipient alone (RFC 5322 section 3.6.3), never in the To/Cc copy.
"""

from __future__ import annotations

import base64
import email.policy
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.generator import BytesGenerator
from email.message import EmailMessage, Message, MIMEPart
from email.utils import format_datetime
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.gpg import Keyring

POLICY = email.policy.SMTP.clone(cte_type="7bit", max_line_length=78)
"""How every message and part is flattened: CRLF, 7-bit, RFC 2047 headers."""

_SIGNED_ENTITY = "_warroom_signed_entity"
"""The attribute on a multipart/signed message holding the bytes that were signed."""
_QP_WIDTH = 76
_QP_SAFE = frozenset(range(33, 127)) - {ord("=")}
_TEXT_TYPE = 'text/plain; charset="utf-8"'


@dataclass(frozen=True)
class Envelope:
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime
    message_id: str
    bcc: tuple[str, ...] = ()
    """Only for a Bcc recipient's own copy: that recipient."""


def quoted_printable(text: str) -> str:
    """`text` as UTF-8 quoted-printable (RFC 2045), lines joined with "\\n" and ending
    with one: every byte outside printable ASCII, "=", whitespace at a line's end,
    and the first character of a line starting with "From " or "." are encoded;
    lines are soft-broken at 76 characters."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()  # the text's own final newline
    out: list[str] = []
    for line in lines:
        data = line.encode("utf-8")
        last = len(data) - 1
        current = ""
        for i, byte in enumerate(data):
            plain = byte in _QP_SAFE or (byte in (9, 32) and i < last)
            token = chr(byte) if plain else f"={byte:02X}"
            if len(current) + len(token) > _QP_WIDTH - 1:
                out.append(current + "=")  # soft line break
                current = ""
            if not current and plain and (data.startswith(b"From ", i) or byte == ord(".")):
                token = f"={byte:02X}"
            current += token
        out.append(current)
    return "\n".join(out) + "\n"


def _text_part(body: str, part: MIMEPart | None = None) -> MIMEPart:
    part = part if part is not None else MIMEPart(policy=POLICY)
    part["Content-Type"] = _TEXT_TYPE
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(quoted_printable(body))
    return part


def _part(content_type: str, payload: str, **headers: str) -> MIMEPart:
    part = MIMEPart(policy=POLICY)
    part["Content-Type"] = content_type
    for name, value in headers.items():
        part[name.replace("_", "-")] = value
    part.set_payload(payload)
    return part


def _envelope(env: Envelope) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    msg["From"] = env.sender
    if env.to:
        msg["To"] = ", ".join(env.to)
    if env.cc:
        msg["Cc"] = ", ".join(env.cc)
    if env.bcc:
        msg["Bcc"] = ", ".join(env.bcc)
    _set_subject(msg, env.subject)
    msg["Date"] = format_datetime(env.date)
    if env.message_id:
        msg["Message-ID"] = env.message_id
    msg["MIME-Version"] = "1.0"
    return msg


_WORD_BYTES = 42
"""UTF-8 bytes per encoded-word: `=?utf-8?b?` + 56 base64 characters + `?=` is 68
characters, so "Subject: " and one word fit in 78."""


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """The Subject, so that a reader decodes exactly `subject` (the rules demand the
    policy's string and nothing else). Printable ASCII that fits on the line is
    written as it is; anything else as RFC 2047 base64 encoded-words cut between
    characters, with the spaces inside them. The email package's own folding can
    drop the space between two encoded-words, which readers then join ("по делу
    номер" read back as "по делуномер"), or start a long ASCII subject on the next
    line, which readers then read with a leading space."""
    fits = len("Subject: ") + len(subject) <= POLICY.max_line_length
    if fits and subject.isascii() and subject.isprintable() and "=?" not in subject:
        msg["Subject"] = subject
        return
    words: list[bytes] = [b""]
    for char in subject:
        data = char.encode("utf-8")
        if words[-1] and len(words[-1]) + len(data) > _WORD_BYTES:
            words.append(b"")
        words[-1] += data
    encoded = [f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words]
    msg.set_raw("Subject", "\r\n ".join(encoded))


def _flatten(msg: Message) -> bytes:
    buf = BytesIO()
    BytesGenerator(buf, mangle_from_=False, policy=POLICY).flatten(msg, unixfrom=False)
    return buf.getvalue()


def _boundary(*contents: bytes) -> str:
    """A fresh boundary; "=_" never occurs in quoted-printable or base64 text."""
    while True:
        boundary = f"=_warroom_{secrets.token_hex(16)}"
        if not any(boundary.encode() in c for c in contents):
            return boundary


def _multipart(
    env: Envelope, subtype: str, params: str, parts: list[MIMEPart], preamble: str
) -> EmailMessage:
    msg = _envelope(env)
    boundary = _boundary(*(_flatten(p) for p in parts))
    msg["Content-Type"] = f'multipart/{subtype}; {params}; boundary="{boundary}"'
    msg.preamble = preamble
    msg.set_payload(list(parts))
    return msg


def build_plain(env: Envelope, body: str) -> EmailMessage:
    """A plain text/plain message (UTF-8, quoted-printable)."""
    msg = _envelope(env)
    _text_part(body, msg)
    return msg


def build_signed(env: Envelope, body: str, keyring: Keyring, sign_fpr: str) -> EmailMessage:
    """RFC 3156 section 5: multipart/signed over the text part, signed by `sign_fpr`."""
    part = _text_part(body)
    entity = _flatten(part)
    signature, micalg = keyring.sign_detached(entity, sign_fpr)
    sig_part = _part(
        'application/pgp-signature; name="signature.asc"',
        signature.decode("ascii"),
        Content_Description="OpenPGP digital signature",
        Content_Disposition='attachment; filename="signature.asc"',
    )
    msg = _multipart(
        env,
        "signed",
        f'micalg={micalg}; protocol="application/pgp-signature"',
        [part, sig_part],
        "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)",
    )
    setattr(msg, _SIGNED_ENTITY, entity)
    return msg


def build_encrypted(
    env: Envelope,
    body: str,
    keyring: Keyring,
    fingerprints: Sequence[str],
    sign_fpr: str = "",
) -> EmailMessage:
    """RFC 3156 section 4: multipart/encrypted to `fingerprints`; with `sign_fpr`,
    signed and encrypted in one pass (section 6.2)."""
    ciphertext = keyring.encrypt(_flatten(_text_part(body)), fingerprints, sign_with=sign_fpr)
    control = _part(
        "application/pgp-encrypted",
        "Version: 1\n",
        Content_Description="PGP/MIME version identification",
    )
    data = _part(
        'application/octet-stream; name="encrypted.asc"',
        ciphertext.decode("ascii"),
        Content_Description="OpenPGP encrypted message",
        Content_Disposition='inline; filename="encrypted.asc"',
    )
    return _multipart(
        env,
        "encrypted",
        'protocol="application/pgp-encrypted"',
        [control, data],
        "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)",
    )


def message_bytes(msg: Message) -> bytes:
    """The .eml file: CRLF line endings, 7-bit. For a message from `build_signed`,
    raises ValueError unless its first part is byte for byte what was signed."""
    data = _flatten(msg)
    entity = getattr(msg, _SIGNED_ENTITY, None)
    if entity is not None and first_part_bytes(data, msg.get_boundary() or "") != entity:
        raise ValueError("the signed part would not be written exactly as it was signed")
    return data


def first_part_bytes(data: bytes, boundary: str) -> bytes | None:
    """The bytes of a multipart's first body part, as a signature covers them: after
    the first delimiter line, up to (not including) the CRLF before the next one."""
    delimiter = b"--" + boundary.encode("ascii")
    start = data.find(delimiter + b"\r\n")
    if not boundary or start < 0:
        return None
    start += len(delimiter) + 2
    end = data.find(b"\r\n" + delimiter, start)
    return data[start:end] if end >= 0 else None
