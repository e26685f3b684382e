"""Export approved, lint-clean drafts: PGP/MIME .eml files, text files, a signed manifest.

Everything is built in memory first; nothing is written while any approved
draft has an error, and an email with a recipient outside the company is only
ever written encrypted (to its recipients and the sender). Files land in a
private staging folder renamed into place, so a failure leaves no half export,
and what a crash leaves is removed by the next export (warroom.export.files).

File names never come from the incident's data (a hostile device can give a draft
any id, `../../escaped` included): each is derived, `NN-SLUG.EXT` (the draft's
place in the export, then its id reduced to lower-case letters, digits and
dashes), and a name that does not have that form is refused.

Bcc and encryption: a PGP message names the key ids it is encrypted to, so one
message encrypted to To, Cc and Bcc keys would tell every reader who else got it.
An encrypted email with Bcc recipients is therefore written as separate copies
(RFC 5322 section 3.6.3): `ID.eml` encrypted to To + Cc + the sender, and for
each Bcc recipient `ID.bccN.eml` encrypted to that recipient and the sender
only, with a Bcc header naming that recipient alone. Each email's record in the
manifest says whom its file is for (`deliver_to`) and whether it is a Bcc copy.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from warroom import comms
from warroom.export import eml, files
from warroom.export.manifest import (
    DEVICE_SIG,
    FORMAT,
    GPG_SIG,
    MANIFEST,
    device_signature,
    manifest_bytes,
    sha256_hex,
)
from warroom.gpg import Keyring
from warroom.gpgerror import GpgError
from warroom.rules.addresses import parse_addresses
from warroom.rules.model import ERROR, DraftDoc, Finding
from warroom.session import Session
from warroom.state import Draft
from warroom.timefmt import iso

FILE_NAME = re.compile(
    r"[0-9]{2,}-[a-z0-9-]{1,24}(\.bcc[0-9]+)?\.(eml|chat\.txt|sms\.txt|statement\.md)"
)
"""Every name `export drafts` writes, but the manifest and its signatures."""


def slug(draft_id: str) -> str:
    """A draft id as a safe piece of a file name: lower-case letters, digits, dashes."""
    return re.sub(r"[^a-z0-9]+", "-", draft_id.lower()).strip("-")[:24].strip("-") or "draft"


class ExportError(Exception):
    """Export refused; the message says which drafts and why. Nothing was written."""


@dataclass
class ExportResult:
    out: Path
    files: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def drafts(self) -> int:
        """How many drafts were exported (an email with Bcc makes more than one file)."""
        return len({record["draft"] for record in self.files})


@dataclass
class _Built:
    name: str
    data: bytes
    record: dict[str, Any]


def export_drafts(
    session: Session,
    out: Path,
    keyring: Keyring,
    *,
    sign_key: str = "",
    now_ms: int | None = None,
) -> ExportResult:
    """Export every approved draft to `out` (which must not exist, or be empty).

    The folder `out` goes in must exist (OSError otherwise): only `out` itself is
    made, so a typo is refused rather than making folders with the umask's modes."""
    out = Path(out)
    parent = out.absolute().parent
    if not parent.is_dir():
        if parent.exists():
            raise OSError(errno.ENOTDIR, f"{parent} is not a folder", str(out))
        raise OSError(errno.ENOENT, f"no folder {parent} (make it first)", str(out))
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty folder")
    state = session.state
    sign_key = sign_key.replace(" ", "").upper()
    now_ms = now_ms or session.clock.wall()
    result = ExportResult(out)
    approved: list[Draft] = []
    for draft in sorted(state.drafts.values(), key=lambda d: d.id):
        if draft.status == "approved" and draft.approvals:
            approved.append(draft)
        else:
            result.skipped.append((draft.id, f"not approved ({draft.status})"))
    if not approved:
        raise ExportError("no approved drafts to export")
    if sign_key:
        _check_sign_key(keyring, sign_key)
    keys = comms.key_lookup(keyring.resolve, state)
    reviewed = {d.id: comms.review(state, session.policy, d, keys) for d in approved}
    refusals = [
        f"draft {d.id}: {f.rule}: {f.message}"
        for d in approved
        for f in reviewed[d.id]
        if f.severity == ERROR
    ]
    if refusals:
        raise ExportError("export refused while errors stand:\n  " + "\n  ".join(refusals))
    width = max(2, len(str(len(approved))))
    stems = {d.id: f"{n:0{width}d}-{slug(d.id)}" for n, d in enumerate(approved, 1)}
    built = [
        copy
        for d in approved
        for copy in _build(session, d, stems[d.id], reviewed[d.id], keys, keyring, sign_key, now_ms)
    ]
    for b in built:
        if not FILE_NAME.fullmatch(b.name):
            raise ExportError(f"refusing to write a file named {b.name!r}")
    manifest = {
        "format": FORMAT,
        "incident": state.incident.codename,
        "incident_id": session.header.incident_id.hex(),
        "exported_at": iso(now_ms),
        "exported_by": session.device.name,
        "device": session.device.public_key.hex(),
        "gpg_sign_key": sign_key,
        "policy_sha256": sha256_hex(session.policy.source_text.encode()),
        # what `check_export` holds every email to: outside these, only ever encrypted
        "internal_domains": list(session.policy.internal_domains),
        "include_subdomains": session.policy.include_subdomains,
        "files": [b.record for b in built],
        "skipped": [{"draft": i, "reason": r} for i, r in result.skipped],
    }
    raw = manifest_bytes(manifest)
    extra = {MANIFEST: raw, DEVICE_SIG: device_signature(session.device, raw)}
    if sign_key:
        extra[GPG_SIG] = _gpg(lambda: keyring.sign_detached(raw, sign_key)[0])
    try:
        files.write_folder(out, [(b.name, b.data) for b in built] + list(extra.items()))
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    result.files = [b.record for b in built]
    return result


def _check_sign_key(keyring: Keyring, fingerprint: str) -> None:
    _gpg(lambda: keyring.sign_detached(b"warroom signing-key probe", fingerprint))


def _gpg(call: Any) -> Any:
    try:
        return call()
    except GpgError as exc:
        raise ExportError(f"gpg: {exc}") from None


def _build(
    session: Session,
    draft: Draft,
    stem: str,
    findings: list[Finding],
    keys: comms.KeyLookup,
    keyring: Keyring,
    sign_key: str,
    now_ms: int,
) -> list[_Built]:
    """The file(s) for one draft, named `stem` + a suffix: one, or for an encrypted
    email with Bcc one per copy."""
    approval = draft.approvals[-1]
    base: dict[str, Any] = {
        "draft": draft.id,
        "channel": draft.channel,
        "findings": [f.to_dict() for f in findings],
        "approved_by": approval.by,
        "approved_at": iso(approval.at),
        "encrypted_to": [],
        "signed_by": "",
    }
    if draft.channel == "email":
        doc = comms.draft_doc(draft)
        copies = _emails(session, doc, stem, keys, keyring, sign_key, now_ms, base)
    else:
        name, data = _text_file(draft, stem)
        copies = [(name, data, base | {"form": "text"})]
    return [
        _Built(name, data, record | {"file": name, "sha256": sha256_hex(data)})
        for name, data, record in copies
    ]


def _emails(
    session: Session,
    doc: DraftDoc,
    stem: str,
    keys: comms.KeyLookup,
    keyring: Keyring,
    sign_key: str,
    now_ms: int,
    base: dict[str, Any],
) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(file name, .eml bytes, manifest record) for each copy of an email draft."""
    draft_id = base["draft"]
    sender = comms.sender_address(doc)
    envelope = eml.Envelope(
        sender=doc.sender,
        to=doc.to,
        cc=doc.cc,
        subject=doc.subject,
        date=datetime.fromtimestamp(now_ms / 1000, UTC),
        message_id=make_msgid(domain=sender.rpartition("@")[2] or "warroom.invalid"),
    )
    everyone = comms.email_addresses(doc)
    if not comms.has_external(doc, session.policy):
        if sign_key:
            msg = _gpg(lambda: eml.build_signed(envelope, doc.body, keyring, sign_key))
            form = {"form": "signed", "signed_by": sign_key}
        else:
            msg = eml.build_plain(envelope, doc.body)
            form = {"form": "plain"}
        record = base | form | {"deliver_to": everyone, "bcc_copy": False}
        return [(f"{stem}.eml", eml.message_bytes(msg), record)]
    visible = comms.email_addresses(replace(doc, bcc=()))
    hidden = [a for a in everyone if a not in visible]
    copies: list[tuple[str, list[str], tuple[str, ...]]] = []
    if visible:
        copies.append((f"{stem}.eml", visible, ()))
    typed = {spec.lower(): raw for raw, spec in reversed(parse_addresses(doc.bcc)) if spec}
    for n, address in enumerate(hidden, 1):
        copies.append((f"{stem}.bcc{n}.eml", [address], (typed.get(address, address),)))
    out = []
    for name, readers, bcc in copies:
        fingerprints = _fingerprints(draft_id, [*readers, sender], keys)
        env = replace(envelope, bcc=bcc)
        msg = _gpg(
            lambda e=env, f=fingerprints: eml.build_encrypted(e, doc.body, keyring, f, sign_key)
        )
        record = base | {
            "form": "encrypted",
            "encrypted_to": fingerprints,
            "signed_by": sign_key,
            "deliver_to": readers,
            "bcc_copy": bool(bcc),
        }
        out.append((name, eml.message_bytes(msg), record))
    return out


def _fingerprints(draft_id: str, addresses: list[str], keys: comms.KeyLookup) -> list[str]:
    """The key to encrypt to for each address (the last one is the sender's)."""
    fingerprints: list[str] = []
    for address in addresses:
        status = keys(address) if address else None
        if status is None or not status.usable:
            why = (status.detail or status.status) if status else "no sender address"
            raise ExportError(
                f"draft {draft_id}: cannot encrypt to {address or 'the sender'}: {why}"
            )
        if status.fingerprint not in fingerprints:
            fingerprints.append(status.fingerprint)
    return fingerprints


def _text_file(draft: Draft, stem: str) -> tuple[str, bytes]:
    if draft.channel == "statement":
        return f"{stem}.statement.md", f"# {draft.title}\n\n{draft.body}\n".encode()
    if draft.channel == "chat":
        return f"{stem}.chat.txt", f"Topic: {draft.topic}\n\n{draft.body}\n".encode()
    to = ", ".join(draft.to)
    return f"{stem}.sms.txt", f"To: {to}\n\n{draft.body}\n".encode()
