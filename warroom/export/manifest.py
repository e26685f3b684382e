"""The export manifest: what was exported, checked and approved, signed twice.

`manifest.json` lists every file with its SHA-256, the draft it came from, the
rule results, the approver and the keys used. `manifest.json.sig` is the
exporting device's Ed25519 signature over it (domain-separated), and, when a
GPG signing key was given, `manifest.json.asc` an armored detached signature.
`check_export` verifies all of it, and that the folder holds nothing else.

A signature proves only that the manifest is unchanged since its signer signed
it: anyone can re-sign an edited folder with a fresh key. So an export is only
"ok" once its signer is pinned: the device key given (`device_key`), the GPG
key expected (`expect_gpg`), or any device of a given incident (`incident`);
unpinned, `ExportCheck.pinned` is empty and the command exits 1. And whoever
signed, an email file for a recipient outside the manifest's internal domains
must be PGP/MIME encrypted (a plaintext copy swapped in fails).
"""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warroom import crypto
from warroom.device import Device
from warroom.export.files import safe_name

FORMAT = "warroom-export/1"
MANIFEST = "manifest.json"
DEVICE_SIG = "manifest.json.sig"
GPG_SIG = "manifest.json.asc"
_DOMAIN = b"warroom-export-manifest-v1\x00"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def device_signature(device: Device, data: bytes) -> bytes:
    """The .sig file: the device key and its signature, both hex, one line."""
    sig = crypto.sign(device.signing_key, _DOMAIN + data)
    return f"ed25519 {device.public_key.hex()} {base64.b64encode(sig).decode()}\n".encode()


def _read_device_signature(text: str) -> tuple[bytes, bytes]:
    parts = text.split()
    if len(parts) != 3 or parts[0] != "ed25519":
        raise ValueError("not a warroom device signature")
    return bytes.fromhex(parts[1]), base64.b64decode(parts[2], validate=True)


@dataclass(frozen=True)
class IncidentPin:
    """The incident an export must come from: its id and its devices (hex -> name)."""

    incident_id: str
    codename: str
    devices: Mapping[str, str]


@dataclass
class ExportCheck:
    files: int = 0
    device: str = ""
    device_name: str = ""
    """The signing device's name in the pinned incident, when one was given."""
    gpg_signer: str = ""
    pinned: list[str] = field(default_factory=list)
    """What ties the signer to someone: empty means anyone could have signed."""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.pinned)


def check_export(
    folder: Path,
    *,
    device_key: str = "",
    keyring: Any = None,
    expect_gpg: str = "",
    incident: IncidentPin | None = None,
) -> ExportCheck:
    """Verify an export folder: signatures, every file's hash, nothing added or missing,
    every email for someone outside the internal domains encrypted, and the signer pinned.

    `device_key` (hex) pins the device that must have signed; `incident` pins the
    devices of an incident; `keyring` (a warroom.gpg.Keyring) checks the GPG
    signature, against `expect_gpg` (a pin) or else the fingerprint the manifest
    names (not a pin: whoever re-signs names their own).
    """
    result = ExportCheck()
    try:
        raw = (folder / MANIFEST).read_bytes()
        manifest = json.loads(raw)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} manifest")
    except (OSError, ValueError) as exc:
        result.problems.append(f"{MANIFEST}: {exc}")
        return result
    _check_device_signature(folder, raw, manifest, device_key, result)
    if incident is not None:
        _check_incident(manifest, incident, result)
    _check_gpg_signature(folder, raw, manifest, keyring, expect_gpg, result)
    listed = _check_files(folder, manifest, result)
    extra = sorted(
        p.name for p in folder.iterdir() if p.name not in listed | {MANIFEST, DEVICE_SIG, GPG_SIG}
    )
    result.problems += [f"{name}: not in the manifest" for name in extra]
    return result


def _check_device_signature(
    folder: Path, raw: bytes, manifest: dict[str, Any], device_key: str, result: ExportCheck
) -> None:
    try:
        key, sig = _read_device_signature((folder / DEVICE_SIG).read_text())
    except (OSError, ValueError) as exc:
        result.problems.append(f"{DEVICE_SIG}: {exc}")
        return
    result.device = key.hex()
    if key.hex() != manifest.get("device"):
        result.problems.append(f"{DEVICE_SIG}: signed by another device than the manifest names")
    if device_key and key.hex() != device_key.lower():
        result.problems.append(f"{DEVICE_SIG}: signed by {key.hex()[:16]}, not the expected device")
    elif device_key:
        result.pinned.append("the device key given")
    if not crypto.verify_signature(key, _DOMAIN + raw, sig):
        result.problems.append(f"{DEVICE_SIG}: bad signature: the manifest was changed")


def _check_incident(manifest: dict[str, Any], pin: IncidentPin, result: ExportCheck) -> None:
    if manifest.get("incident_id") != pin.incident_id:
        result.problems.append(f"{MANIFEST}: exported from another incident than {pin.codename}")
    if not result.device:
        return  # no readable device signature: already a problem
    if result.device not in pin.devices:
        result.problems.append(
            f"{DEVICE_SIG}: signed by {result.device[:16]}, not a device of {pin.codename}"
        )
        return
    result.device_name = pin.devices[result.device]
    result.pinned.append(f"a device of {pin.codename}")


def _check_gpg_signature(
    folder: Path,
    raw: bytes,
    manifest: dict[str, Any],
    keyring: Any,
    expect_gpg: str,
    result: ExportCheck,
) -> None:
    named = str(manifest.get("gpg_sign_key") or "")
    asc = folder / GPG_SIG
    if not named and not asc.exists():
        if expect_gpg:
            result.problems.append(f"{GPG_SIG}: missing; expected a GPG signature")
        return
    if not asc.exists():
        result.problems.append(f"{GPG_SIG}: missing, but the manifest names {named}")
        return
    if keyring is None:
        result.problems.append(f"{GPG_SIG}: no keyring to check it with (--gnupghome)")
        return
    expected = (expect_gpg or named).replace(" ", "").upper()
    verdict = keyring.verify_detached(raw, asc.read_bytes(), expected)
    if verdict.ok:
        result.gpg_signer = verdict.fingerprint
        if expect_gpg:
            result.pinned.append(f"GPG key {verdict.fingerprint}")
    else:
        result.problems.append(f"{GPG_SIG}: {verdict.detail}")


def _check_files(folder: Path, manifest: dict[str, Any], result: ExportCheck) -> set[str]:
    listed: set[str] = set()
    files = manifest.get("files")
    if not isinstance(files, list):
        result.problems.append(f"{MANIFEST}: no file list")
        return listed
    outside = _outside(manifest)
    for item in files:
        name = str(item.get("file", "")) if isinstance(item, dict) else ""
        if not safe_name(name):
            result.problems.append(f"{MANIFEST}: a file entry with a bad name {name!r}")
            continue
        listed.add(name)
        try:
            data = (folder / name).read_bytes()
        except OSError:
            result.problems.append(f"{name}: missing")
            continue
        result.files += 1
        if sha256_hex(data) != item.get("sha256"):
            result.problems.append(f"{name}: SHA-256 differs from the manifest: changed")
        if _is_pgp_encrypted(data):
            continue
        if item.get("form") == "encrypted":
            result.problems.append(f"{name}: should be PGP/MIME encrypted and is not")
        elif external := [a for a in _recipients(data, item) if outside(a)]:
            result.problems.append(
                f"{name}: for {external[0]}, outside the internal domains, "
                "and not PGP/MIME encrypted"
            )
    return listed


def _outside(manifest: dict[str, Any]) -> Callable[[str], bool]:
    """Whether an address is outside the manifest's internal domains (every address
    is, when it names none: an export before they were recorded, or an edited one)."""
    from warroom.rules.addresses import is_internal
    from warroom.rules.policy import Policy

    listed = manifest.get("internal_domains")
    domains = (
        tuple(d.lower() for d in listed if isinstance(d, str)) if isinstance(listed, list) else ()
    )
    policy = Policy("", domains, manifest.get("include_subdomains") is True)
    return lambda address: not is_internal(address, policy)


def _recipients(data: bytes, item: dict[str, Any]) -> list[str]:
    """Whom a file is for: the addresses in its To, Cc and Bcc headers if it reads as an
    email, and those its manifest record names (`deliver_to`)."""
    named = item.get("deliver_to")
    out = [a for a in named if isinstance(a, str)] if isinstance(named, list) else []
    try:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
        for header in ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"):
            values = [str(v) for v in msg.get_all(header, [])]
            out += [a for _, a in email.utils.getaddresses(values) if "@" in a]
    except Exception:  # noqa: BLE001 - the stdlib parser raises odd errors on junk
        out.append("an unreadable header")  # not an address: counts as outside
    return out


def _is_pgp_encrypted(data: bytes) -> bool:
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        return (
            msg.get_content_type() == "multipart/encrypted"
            and msg.get_param("protocol") == "application/pgp-encrypted"
        )
    except Exception:  # noqa: BLE001 - junk is not an encrypted message
        return False
