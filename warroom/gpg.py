"""The user's GnuPG keyring, through python-gnupg: find keys, encrypt, sign, verify.

Every call runs gpg in batch mode with no tty and `--pinentry-mode error`: a
pinentry would fight the console for the terminal, so a secret key that needs a
passphrase must already be unlocked in gpg-agent. Data goes to gpg on stdin and
comes back on stdout; no plaintext is ever written to a file.

Keys are chosen here, not by gpg: an address resolves to exactly one valid key
(or the fingerprint pinned on the roster), and encryption then names keys by full
fingerprint with `--trust-model always`, so gpg's web of trust and a user's
`encrypt-to` or `default-key` settings never change who can read a message.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import gnupg

from warroom.rules.model import KEY_FOUND, KeyStatus

_OPTIONS = [
    "--no-tty",
    "--batch",
    "--pinentry-mode",
    "error",
    "--no-encrypt-to",  # a gpg.conf encrypt-to must not add readers
    "--no-auto-key-retrieve",  # verifying must not reach out to a keyserver
]
_FPR = re.compile(r"(?:[0-9A-F]{40}|[0-9A-F]{64})")
_HASHES = {"8": "pgp-sha256", "9": "pgp-sha384", "10": "pgp-sha512"}
"""OpenPGP hash ids gpg may sign with, and their RFC 3156 micalg names."""
_ECDSA = "19"
_NO_PINENTRY = 85
_BAD_VALIDITY = {"e": "expired", "r": "revoked", "i": "invalid", "d": "disabled"}


class GpgError(RuntimeError):
    """gpg refused or failed; the message is one line and never holds key material."""


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    fingerprint: str
    """The signer's primary-key fingerprint, when gpg could tell."""
    detail: str


class _ListKeys(gnupg.ListKeys):
    """python-gnupg's key listing, plus each key's own uid validities (its
    `uid_map` is keyed by uid text, so two keys with the same uid share one entry)."""

    def uid(self, args: list[str]) -> None:
        super().uid(args)
        self.curkey.setdefault("uid_validity", []).append(args[1])


class _GPG(gnupg.GPG):
    result_map = {**gnupg.GPG.result_map, "list": _ListKeys}


def normalize_fingerprint(value: str) -> str:
    """Spaces out, upper case: "ab12 cd34 ..." -> "AB12CD34..."."""
    return "".join(value.split()).upper().removeprefix("0X")


def uid_address(uid: str) -> str:
    """The address a uid carries, lower case: the `<...>` at its end, or the whole
    uid when it is a bare address; "" when it carries none."""
    uid = uid.strip()
    match = re.search(r"<([^<>\s]+)>$", uid)
    if match:
        address = match.group(1)
    elif "@" in uid and not any(c.isspace() or c in "<>" for c in uid):
        address = uid
    else:
        return ""
    return address.lower() if "@" in address else ""


def _bare_address(address: str) -> str:
    address = address.strip()
    if "<" in address:
        address = parseaddr(address)[1]
    return address.lower()


def _fix_text(text: str) -> str:
    """python-gnupg decodes gpg's (UTF-8) listing as Latin-1; undo that."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _status_lines(result: Any, keyword: str) -> list[list[str]]:
    """The fields of every `[GNUPG:] KEYWORD ...` status line gpg wrote."""
    found = []
    for line in (getattr(result, "stderr", "") or "").splitlines():
        fields = line.split()
        if fields[:2] == ["[GNUPG:]", keyword]:
            found.append(fields[2:])
    return found


def _gist(result: Any) -> str:
    """gpg's own complaint, in one short line (status lines and noise left out)."""
    said = []
    for line in (getattr(result, "stderr", "") or "").splitlines():
        line = line.strip()
        if not line or line.startswith("[GNUPG:]") or "faked system time" in line:
            continue
        line = line.removeprefix("gpg: ")
        if line not in said:
            said.append(line)
    text = "; ".join(said[:3])
    return text if len(text) <= 240 else text[:237] + "..."


def _failure(what: str, result: Any) -> GpgError:
    status = str(getattr(result, "status", "") or "").strip()
    detail = str(getattr(result, "status_detail", "") or "").strip()
    parts = [p for p in (status, detail) if p]
    gist = _gist(result)
    message = what
    if parts:
        message += f" ({': '.join(parts)})"
    if gist:
        message += f": {gist}"
    if _needs_passphrase(result):
        message += (
            " (the secret key needs its passphrase and warroom cannot prompt for it:"
            " unlock the key in gpg-agent first, e.g. by signing something with it in a shell)"
        )
    return GpgError(" ".join(message.split()))


def _needs_passphrase(result: Any) -> bool:
    """Whether gpg failed for want of a pinentry (GPG_ERR_NO_PIN_ENTRY, 85)."""
    for keyword in ("FAILURE", "ERROR"):
        for fields in _status_lines(result, keyword):
            if fields and fields[-1].isdigit() and int(fields[-1]) & 0xFFFF == _NO_PINENTRY:
                return True
    return False


def _key_state(key: dict[str, Any]) -> tuple[str, str]:
    """("valid", "") or (why not: "expired" / "revoked" / "unusable", in words)."""
    validity = key.get("trust", "")
    cap = key.get("cap", "")
    if validity == "r":
        return "revoked", "the key is revoked"
    if validity == "e":
        return "expired", "the key has expired"
    if validity in _BAD_VALIDITY or "D" in cap:
        return "unusable", f"the key is {_BAD_VALIDITY.get(validity, 'disabled')}"
    if "E" in cap:  # upper case: a usable encryption (sub)key, per gpg's DETAILS
        return "valid", ""
    states = [info.get("trust", "") for info in _subkeys(key) if "e" in info.get("cap", "")]
    if "e" in cap.replace("E", ""):
        states.append(validity)
    if states and all(s == "r" for s in states):
        return "revoked", "its encryption subkey is revoked"
    if states and all(s in ("e", "r") for s in states):
        return "expired", "its encryption subkey has expired"
    return "unusable", "it has no usable encryption subkey"


def _subkeys(key: dict[str, Any]) -> list[dict[str, Any]]:
    return list((key.get("subkey_info") or {}).values())


def _addresses(key: dict[str, Any]) -> set[str]:
    """The addresses of the key's uids, leaving out a uid revoked or expired on its own
    (on an expired or revoked key every uid says so: those still count, so that the
    address resolves to "expired" or "revoked" rather than "missing")."""
    uids = key.get("uids", [])
    validity = key.get("uid_validity") or [""] * len(uids)
    key_bad = key.get("trust", "") in _BAD_VALIDITY
    return {
        address
        for uid, state in zip(uids, validity, strict=False)
        if (key_bad or state not in _BAD_VALIDITY) and (address := uid_address(_fix_text(uid)))
    }


def _name(key: dict[str, Any]) -> str:
    """A short human name for a key in messages: its first address, else its fingerprint."""
    for uid in key.get("uids", []):
        if address := uid_address(_fix_text(uid)):
            return f"{key.get('fingerprint', '')} ({address})"
    return str(key.get("fingerprint", ""))


class Keyring:
    """A GnuPG home (None: gpg's default, $GNUPGHOME or ~/.gnupg) and a gpg binary."""

    def __init__(
        self, gnupghome: str | os.PathLike[str] | None = None, *, gpgbinary: str = "gpg"
    ) -> None:
        self.gnupghome = os.fspath(gnupghome) if gnupghome is not None else None
        self.gpgbinary = gpgbinary
        self._gpg: _GPG | None = None

    # -- plumbing --------------------------------------------------------

    def _get(self) -> _GPG:
        if self._gpg is not None:
            return self._gpg
        try:
            gpg = _GPG(gpgbinary=self.gpgbinary, gnupghome=self.gnupghome, options=list(_OPTIONS))
        except (OSError, ValueError) as exc:
            where = f" (GNUPGHOME {self.gnupghome})" if self.gnupghome else ""
            raise GpgError(f"gpg is not available{where}: {' '.join(str(exc).split())}") from None
        gpg.decode_errors = "replace"
        self._gpg = gpg
        return gpg

    def available(self) -> bool:
        """Whether the gpg binary runs (with this home). Never raises."""
        try:
            self._get()
        except Exception:  # a probe: any failure means "no"
            return False
        return True

    def _list(self, patterns: Sequence[str], *, secret: bool = False) -> list[dict[str, Any]]:
        """Keys matching any of `patterns` (gpg exits 2 when none do: not an error)."""
        try:
            return list(self._get().list_keys(secret=secret, keys=list(patterns)))
        except OSError as exc:
            raise GpgError(f"gpg could not list keys: {exc}") from None

    def _key(self, fingerprint: str, *, secret: bool = False) -> dict[str, Any] | None:
        """The key whose primary fingerprint is `fingerprint` (already normalised)."""
        for key in self._list([fingerprint], secret=secret):
            if key.get("fingerprint", "").upper() == fingerprint:
                return key
        return None

    # -- lookup ----------------------------------------------------------

    def resolve(self, address: str, pinned: str = "") -> KeyStatus:
        """The key to encrypt to for `address`: the pinned fingerprint if given, else
        the one valid key whose uid carries exactly that address."""
        try:
            self._get()
        except GpgError as exc:
            return KeyStatus(address, "unavailable", "", str(exc))
        try:
            if pinned:
                return self._resolve_pinned(address, normalize_fingerprint(pinned))
            return self._resolve_address(address)
        except GpgError as exc:
            return KeyStatus(address, "unavailable", "", str(exc))

    def _resolve_pinned(self, address: str, fingerprint: str) -> KeyStatus:
        if not _FPR.fullmatch(fingerprint):
            return KeyStatus(
                address, "missing", "", "the pinned value is not a full key fingerprint"
            )
        key = self._key(fingerprint)
        if key is None:
            return KeyStatus(
                address, "missing", fingerprint, "the pinned key is not in the keyring"
            )
        state, why = _key_state(key)
        if state == "valid":
            return KeyStatus(address, KEY_FOUND, fingerprint, "pinned on the roster")
        status = state if state in ("expired", "revoked") else "missing"
        return KeyStatus(address, status, fingerprint, f"pinned on the roster, but {why}")

    def _resolve_address(self, address: str) -> KeyStatus:
        wanted = _bare_address(address)
        if "@" not in wanted or any(c.isspace() for c in wanted):
            return KeyStatus(address, "missing", "", "not an email address")
        carriers = [k for k in self._list(["*" + wanted]) if wanted in _addresses(k)]
        if not carriers:
            return KeyStatus(address, "missing", "", "no key carries this address")
        states = [(k, *_key_state(k)) for k in carriers]
        valid = [k for k, state, _ in states if state == "valid"]
        if len(valid) == 1:
            return KeyStatus(address, KEY_FOUND, valid[0]["fingerprint"], "")
        if len(valid) > 1:
            return KeyStatus(
                address,
                "ambiguous",
                "",
                f"{len(valid)} keys carry this address; pin one on the roster",
            )
        kinds = {state for _, state, _ in states}
        newest = max(states, key=lambda s: int(s[0].get("date") or 0))
        if kinds == {"expired"}:
            status = "expired"
        elif kinds == {"revoked"}:
            status = "revoked"
        elif kinds <= {"expired", "revoked"}:
            status = newest[1]
        else:
            status = "missing"
        if len(states) == 1:
            detail = newest[2]
        else:
            detail = f"{len(states)} keys carry this address, none usable ({newest[2]}, newest)"
        return KeyStatus(address, status, newest[0]["fingerprint"], detail)

    def secret_fingerprint_for(self, address: str) -> str:
        """The one valid signing key with a secret part whose uid carries `address`
        ("" when there is none, or more than one: then the user must say which)."""
        wanted = _bare_address(address)
        if "@" not in wanted:
            return ""
        try:
            keys = self._list(["*" + wanted], secret=True)
        except GpgError:
            return ""
        usable = {
            k["fingerprint"]
            for k in keys
            if wanted in _addresses(k) and k.get("trust") not in _BAD_VALIDITY and _can_sign(k)
        }
        return usable.pop() if len(usable) == 1 else ""

    # -- crypto ------------------------------------------------------------

    def encrypt(self, data: bytes, fingerprints: Sequence[str], sign_with: str = "") -> bytes:
        """ASCII-armored ciphertext of `data` to exactly these keys (by full primary
        fingerprint), signed in the same pass by `sign_with` if given."""
        wanted = [normalize_fingerprint(f) for f in fingerprints]
        if not wanted:
            raise GpgError("no recipients to encrypt to")
        for fpr in wanted:
            if not _FPR.fullmatch(fpr):
                raise GpgError(f"cannot encrypt to {fpr or '(empty)'}: not a full key fingerprint")
        keys = {k.get("fingerprint", "").upper(): k for k in self._list(wanted)}
        for fpr in wanted:
            key = keys.get(fpr)
            if key is None:
                raise GpgError(f"cannot encrypt to {fpr}: the key is not in the keyring")
            state, why = _key_state(key)
            if state != "valid":
                raise GpgError(f"cannot encrypt to {_name(key)}: {why}")
        extra: list[str] = []
        signer: dict[str, Any] | None = None
        if sign_with:
            signer, fpr = self._signer(sign_with)
            extra = ["--local-user", fpr, "--digest-algo", _digest_for(signer)]
        result = self._get().encrypt(
            bytes(data),
            list(dict.fromkeys(wanted)),
            sign=bool(sign_with),
            always_trust=True,
            armor=True,
            extra_args=extra,
        )
        if not result.ok or result.returncode != 0 or not result.data:
            raise _failure("gpg could not encrypt", result)
        if signer is not None:
            _check_signed_by(signer, _status_lines(result, "SIG_CREATED"), result)
        return bytes(result.data)

    def sign_detached(self, data: bytes, fingerprint: str) -> tuple[bytes, str]:
        """(ASCII-armored detached signature over `data`, micalg such as "pgp-sha256")."""
        signer, fpr = self._signer(fingerprint)
        result = self._get().sign(
            bytes(data),
            detach=True,
            clearsign=False,
            extra_args=["--local-user", fpr, "--digest-algo", _digest_for(signer)],
        )
        if not result or result.returncode != 0 or not result.data:
            raise _failure(f"gpg could not sign with {fpr}", result)
        micalg = _check_signed_by(signer, _status_lines(result, "SIG_CREATED"), result)
        return bytes(result.data), micalg

    def _signer(self, fingerprint: str) -> tuple[dict[str, Any], str]:
        fpr = normalize_fingerprint(fingerprint)
        if not _FPR.fullmatch(fpr):
            raise GpgError(f"cannot sign with {fpr or '(empty)'}: not a full key fingerprint")
        key = self._key(fpr, secret=True)
        if key is None:
            raise GpgError(f"cannot sign with {fpr}: no secret key for it in the keyring")
        state, why = _key_state(key)
        if state in ("expired", "revoked") or not _can_sign(key):
            raise GpgError(f"cannot sign with {fpr}: {why or 'it has no usable signing key'}")
        return key, fpr

    def verify_detached(
        self, data: bytes, signature: bytes, expected_fingerprint: str
    ) -> VerifyResult:
        """Whether `signature` is one good signature over `data` by the key whose
        primary fingerprint is `expected_fingerprint` (a subkey of it may have signed)."""
        expected = normalize_fingerprint(expected_fingerprint)
        if not _FPR.fullmatch(expected):
            return VerifyResult(False, "", "no full fingerprint to check the signature against")
        try:
            gpg = self._get()
        except GpgError as exc:
            return VerifyResult(False, "", str(exc))
        workdir = tempfile.mkdtemp(prefix="warroom-sig-")  # mode 0700
        try:
            sig_path = Path(workdir, "signature.asc")
            fd = os.open(sig_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(bytes(signature))
            result = gpg.verify_data(str(sig_path), bytes(data))
        except OSError as exc:
            return VerifyResult(False, "", f"gpg could not verify: {exc}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return _verdict(result, expected)


def _can_sign(key: dict[str, Any]) -> bool:
    """A usable signing (sub)key with its secret part here ('+') or on a card ('>')."""
    if "S" not in key.get("cap", ""):
        return False
    if "s" in key.get("cap", "") and key.get("token", "+") in ("+", ">", ""):
        return True
    return any(
        "s" in info.get("cap", "")
        and info.get("trust", "") not in _BAD_VALIDITY
        and info.get("token", "+") in ("+", ">", "")
        for info in _subkeys(key)
    )


def _digest_for(key: dict[str, Any]) -> str:
    """SHA-256, or SHA-512 where an ECDSA key over a larger curve needs a longer hash."""
    signing = [key] if "s" in key.get("cap", "") else []
    signing += [info for info in _subkeys(key) if "s" in info.get("cap", "")]
    for info in signing:
        if info.get("algo") == _ECDSA and int(info.get("length") or 0) > 256:
            return "SHA512"
    return "SHA256"


def _own_fingerprints(key: dict[str, Any]) -> set[str]:
    fprs = {key.get("fingerprint", "").upper()}
    fprs |= {str(info.get("fingerprint") or "").upper() for info in _subkeys(key)}
    return fprs - {""}


def _check_signed_by(key: dict[str, Any], created: list[list[str]], result: Any) -> str:
    """Check gpg's SIG_CREATED lines: one signature, by `key`, with SHA-256 or better.
    Returns the micalg name."""
    if len(created) != 1 or len(created[0]) < 6:
        raise _failure("gpg did not report exactly one signature", result)
    _kind, _algo, hash_algo, _cls, _when, signer = created[0][:6]
    if signer.upper() not in _own_fingerprints(key):
        raise GpgError(f"gpg signed with {signer}, not the requested key {key['fingerprint']}")
    micalg = _HASHES.get(hash_algo)
    if micalg is None:
        raise GpgError(f"gpg signed with a hash weaker than SHA-256 (OpenPGP hash {hash_algo})")
    return micalg


def _verdict(result: Any, expected: str) -> VerifyResult:
    signatures = len(_status_lines(result, "NEWSIG"))
    valid = _status_lines(result, "VALIDSIG")
    primary = ""
    if valid:
        fields = valid[0]
        primary = (fields[9] if len(fields) >= 10 else fields[0]).upper()
    if signatures > 1 or len(valid) > 1:
        return VerifyResult(False, primary, "more than one signature; expected exactly one")
    if not result.valid or not valid or result.status != "signature valid":
        why = result.key_status or result.status or _gist(result) or "no valid signature"
        if result.status == "signature bad":
            why = "bad signature: the signed data was changed"
        elif result.status == "no public key":
            why = f"no public key for the signer ({result.key_id}) in the keyring"
        return VerifyResult(False, primary, why)
    if primary != expected:
        return VerifyResult(False, primary, f"signed by {primary}, not the expected {expected}")
    return VerifyResult(True, primary, f"good signature from {primary}")
