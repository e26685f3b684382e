"""The user's GnuPG keyring, through python-gnupg: find keys, encrypt, sign, verify.

Every call runs gpg in batch mode with no tty and `--pinentry-mode error`: a
pinentry would fight the console for the terminal, so a secret key that needs a
passphrase must already be unlocked in gpg-agent. Data goes to gpg on stdin and
comes back on stdout; no plaintext is ever written to a file.

Nothing taken from an incident goes on gpg's command line, which every local user
can read (/proc/PID/cmdline, ps): no address, no fingerprint pinned on a roster, no
message. A Keyring lists the whole keyring once (`gpg --list-keys` with no pattern)
and matches addresses and fingerprints in-process (`warroom.keylisting`); it lists
again only when the keyring's files change (their mtime, size, inode), when a key or
subkey listed crosses its expiry or creation time, or on `refresh()`. Encryption
names its keys by `--recipient-file`: each chosen key, cut out of one `gpg --export`
(also without a pattern; `warroom.keypackets` cuts it), is written to a file in a
private temporary folder. The only key named in argv is the signer's own
(`--local-user FPR`), which the user gave on warroom's own command line
(`--sign-key`).

Keys are chosen here, not by gpg: an address resolves to exactly one valid key
(or the fingerprint pinned on the roster), and encryption then hands gpg exactly
those keys with `--trust-model always`, so gpg's web of trust and a user's
`encrypt-to` or `default-key` settings never change who can read a message.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gnupg

from warroom.gpgerror import GpgError
from warroom.keylisting import (
    BAD_VALIDITY,
    FINGERPRINT,
    Listing,
    bare_address,
    can_sign,
    key_name,
    key_state,
    normalize_fingerprint,
    resolve_in,
    subkeys,
)
from warroom.keylisting import uid_address as uid_address  # re-exported: callers import it here
from warroom.keypackets import split_keys
from warroom.rules.model import KeyStatus

_OPTIONS = [
    "--no-tty",
    "--batch",
    "--pinentry-mode",
    "error",
    "--no-encrypt-to",  # a gpg.conf encrypt-to must not add readers
    "--no-auto-key-retrieve",  # verifying must not reach out to a keyserver
    # listing must not rewrite trustdb.gpg (the Keyring's cache watches it); the
    # validity letters used here (expired, revoked, invalid, disabled) need no check
    "--no-auto-check-trustdb",
]
_HASHES = {"8": "pgp-sha256", "9": "pgp-sha384", "10": "pgp-sha512"}
"""OpenPGP hash ids gpg may sign with, and their RFC 3156 micalg names."""
_ECDSA = "19"
_NO_PINENTRY = 85
_WATCHED = (
    "pubring.kbx",
    "pubring.gpg",
    "trustdb.gpg",  # a key disabled or enabled
    "gpg.conf",
    "common.conf",
    "private-keys-v1.d",
    "secring.gpg",
)
"""Files of a GnuPG home whose change makes a Keyring list its keys again."""


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
        self.curkey.setdefault("uid_times", []).extend(args[5:7])


class _GPG(gnupg.GPG):
    result_map = {**gnupg.GPG.result_map, "list": _ListKeys}


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


class Keyring:
    """A GnuPG home (None: gpg's default, $GNUPGHOME or ~/.gnupg) and a gpg binary.

    Lookups read one cached listing of the whole keyring (see the module's docstring):
    one Keyring per command, or per console session, lists it once."""

    def __init__(
        self, gnupghome: str | os.PathLike[str] | None = None, *, gpgbinary: str = "gpg"
    ) -> None:
        self.gnupghome = os.fspath(gnupghome) if gnupghome is not None else None
        self.gpgbinary = gpgbinary
        self._gpg: _GPG | None = None
        self._lock = threading.Lock()  # the console looks keys up from worker threads too
        self._listings: dict[bool, Listing] = {}
        self._exported: tuple[Listing, dict[str, bytes]] | None = None

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

    def refresh(self) -> None:
        """Forget the cached listings: the next lookup lists the keyring again. (Not
        needed after a change to the home's own files: that is noticed.)"""
        with self._lock:
            self._listings.clear()
            self._exported = None

    def _home(self) -> str:
        if self.gnupghome is not None:
            return self.gnupghome
        return os.environ.get("GNUPGHOME") or os.path.expanduser("~/.gnupg")

    def _stamp(self) -> tuple[object, ...]:
        """The home and the state of its keyring files: a change means "list again".
        (A few stat calls: cheap enough to make on every lookup.)"""
        home = self._home()
        stamp: list[object] = [home]
        for name in _WATCHED:
            try:
                st = os.stat(os.path.join(home, name))
            except OSError:
                stamp.append(None)
            else:
                stamp.append((st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino))
        return tuple(stamp)

    def _listing(self, *, secret: bool = False) -> Listing:
        """Every key in the keyring, listed with no pattern: nothing looked up is ever
        on gpg's command line. Cached until the keyring changes."""
        gpg = self._get()
        with self._lock:
            stamp, now = self._stamp(), time.time()  # before listing: a change during it counts
            cached = self._listings.get(secret)
            if cached is not None and cached.fresh(stamp, now):
                return cached
            try:
                result = gpg.list_keys(secret=secret)
            except OSError as exc:
                raise GpgError(f"gpg could not list keys: {exc}") from None
            if result.returncode != 0 and not len(result):
                raise _failure("gpg could not list keys", result)
            listing = Listing.of(stamp, result, now)
            self._listings[secret] = listing
            return listing

    def _key(self, fingerprint: str, *, secret: bool = False) -> dict[str, Any] | None:
        """The key whose primary fingerprint is `fingerprint` (already normalised)."""
        return self._listing(secret=secret).by_fingerprint.get(fingerprint)

    def _key_blocks(self, listing: Listing) -> dict[str, bytes]:
        """primary fingerprint -> the key as `gpg --export` gives it (no pattern: the
        whole keyring, cut into keys here). Exported again when the listing is."""
        gpg = self._get()
        with self._lock:
            if self._exported is not None and self._exported[0] is listing:
                return self._exported[1]
            result = gpg.result_map["export"](gpg)
            try:
                process = gpg._open_subprocess(["--export"])  # as python-gnupg's export_keys
                gpg._collect_output(process, result, stdin=process.stdin)
            except OSError as exc:
                raise GpgError(f"gpg could not export keys: {exc}") from None
            if result.returncode != 0 and not result.data:
                raise _failure("gpg could not export keys", result)
            blocks = split_keys(bytes(result.data or b""))
            self._exported = (listing, blocks)
            return blocks

    # -- lookup ----------------------------------------------------------

    def resolve(self, address: str, pinned: str = "") -> KeyStatus:
        """The key to encrypt to for `address`: the pinned fingerprint if given, else
        the one valid key whose uid carries exactly that address."""
        try:
            listing = self._listing()
        except GpgError as exc:
            return KeyStatus(address, "unavailable", "", str(exc))
        return resolve_in(listing, address, pinned)

    def resolve_many(
        self, addresses: Iterable[str], pins: Mapping[str, str] | None = None
    ) -> dict[str, KeyStatus]:
        """`resolve` for each address (as given -> its KeyStatus), against one listing;
        `pins` maps an address, as given, to the fingerprint pinned for it."""
        addresses = list(addresses)
        pins = pins or {}
        try:
            listing = self._listing()
        except GpgError as exc:
            return {a: KeyStatus(a, "unavailable", "", str(exc)) for a in addresses}
        return {a: resolve_in(listing, a, pins.get(a, "")) for a in addresses}

    def secret_fingerprint_for(self, address: str) -> str:
        """The one valid signing key with a secret part whose uid carries `address`
        ("" when there is none, or more than one: then the user must say which)."""
        wanted = bare_address(address)
        if "@" not in wanted:
            return ""
        try:
            keys = self._listing(secret=True).by_address.get(wanted, [])
        except GpgError:
            return ""
        usable = {
            k["fingerprint"] for k in keys if k.get("trust") not in BAD_VALIDITY and can_sign(k)
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
            if not FINGERPRINT.fullmatch(fpr):
                raise GpgError(f"cannot encrypt to {fpr or '(empty)'}: not a full key fingerprint")
        listing = self._listing()
        for fpr in wanted:
            key = listing.by_fingerprint.get(fpr)
            if key is None:
                raise GpgError(f"cannot encrypt to {fpr}: the key is not in the keyring")
            state, why = key_state(key)
            if state != "valid":
                raise GpgError(f"cannot encrypt to {key_name(key)}: {why}")
        args = ["--encrypt", "--armor", "--trust-model", "always"]
        signer: dict[str, Any] | None = None
        if sign_with:
            signer, fpr = self._signer(sign_with)
            args += ["--sign", "--local-user", fpr, "--digest-algo", _digest_for(signer)]
        blocks = self._key_blocks(listing)
        gpg = self._get()
        workdir = tempfile.mkdtemp(prefix="warroom-keys-")  # mode 0700
        try:
            # keys by file, not by fingerprint: who a message is for stays off argv
            for n, fpr in enumerate(dict.fromkeys(wanted)):
                if fpr not in blocks:
                    raise GpgError(f"cannot encrypt to {fpr}: gpg did not export the key")
                path = Path(workdir, f"{n}.pgp")
                _write_private(path, blocks[fpr])
                args += ["--recipient-file", str(path)]
            result = gpg.result_map["crypt"](gpg)
            gpg._handle_io(args, io.BytesIO(bytes(data)), result, binary=True)
        except OSError as exc:
            raise GpgError(f"gpg could not encrypt: {exc}") from None
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if not result.ok or result.returncode != 0 or not result.data:
            raise _failure("gpg could not encrypt", result)
        if signer is not None:
            _check_signed_by(signer, _status_lines(result, "SIG_CREATED"), result)
        return bytes(result.data)

    def decrypt(self, message: bytes, *, max_output: int, what: str = "the message") -> bytes:
        """The plaintext of an OpenPGP message to a secret key in this keyring (the
        message on stdin, nothing from it on gpg's argv), at most `max_output` bytes."""
        try:
            result = self._get().decrypt(
                bytes(message), extra_args=["--max-output", str(max_output)]
            )
        except (OSError, ValueError) as exc:
            raise GpgError(f"gpg could not decrypt {what}: {exc}") from None
        stderr = getattr(result, "stderr", "") or ""
        if "NO_SECKEY" in stderr and not result.ok:
            where = f" (GNUPGHOME {self.gnupghome})" if self.gnupghome else ""
            raise GpgError(
                f"no secret key in this keyring{where} can open {what}: it was made for "
                "another key (give --gnupghome, or ask for one made for your key)"
            )
        if not result.ok or not result.data:
            status = str(getattr(result, "status", "") or "no data")
            raise GpgError(f"gpg could not decrypt {what} ({status}); is it damaged?")
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
        if not FINGERPRINT.fullmatch(fpr):
            raise GpgError(f"cannot sign with {fpr or '(empty)'}: not a full key fingerprint")
        key = self._key(fpr, secret=True)
        if key is None:
            raise GpgError(f"cannot sign with {fpr}: no secret key for it in the keyring")
        state, why = key_state(key)
        if state in ("expired", "revoked") or not can_sign(key):
            raise GpgError(f"cannot sign with {fpr}: {why or 'it has no usable signing key'}")
        return key, fpr

    def verify_detached(
        self, data: bytes, signature: bytes, expected_fingerprint: str
    ) -> VerifyResult:
        """Whether `signature` is one good signature over `data` by the key whose
        primary fingerprint is `expected_fingerprint` (a subkey of it may have signed)."""
        expected = normalize_fingerprint(expected_fingerprint)
        if not FINGERPRINT.fullmatch(expected):
            return VerifyResult(False, "", "no full fingerprint to check the signature against")
        try:
            gpg = self._get()
        except GpgError as exc:
            return VerifyResult(False, "", str(exc))
        workdir = tempfile.mkdtemp(prefix="warroom-sig-")  # mode 0700
        try:
            sig_path = Path(workdir, "signature.asc")
            _write_private(sig_path, bytes(signature))
            result = gpg.verify_data(str(sig_path), bytes(data))
        except OSError as exc:
            return VerifyResult(False, "", f"gpg could not verify: {exc}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return _verdict(result, expected)


def _write_private(path: Path, data: bytes) -> None:
    """A new file only this user can read (in a folder made by tempfile.mkdtemp)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _digest_for(key: dict[str, Any]) -> str:
    """SHA-256, or SHA-512 where an ECDSA key over a larger curve needs a longer hash."""
    signing = [key] if "s" in key.get("cap", "") else []
    signing += [info for info in subkeys(key) if "s" in info.get("cap", "")]
    for info in signing:
        if info.get("algo") == _ECDSA and int(info.get("length") or 0) > 256:
            return "SHA512"
    return "SHA256"


def _own_fingerprints(key: dict[str, Any]) -> set[str]:
    fprs = {key.get("fingerprint", "").upper()}
    fprs |= {str(info.get("fingerprint") or "").upper() for info in subkeys(key)}
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
