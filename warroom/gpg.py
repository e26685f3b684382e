"""The user's GnuPG keyring, through python-gnupg: find keys, encrypt, sign, verify.

Every call runs gpg in batch mode with no tty and `--pinentry-mode error`: a
pinentry would fight the console for the terminal, so a secret key that needs a
passphrase must already be unlocked in gpg-agent. Data goes to gpg on stdin and
comes back on stdout; no plaintext is ever written to a file.

Nothing taken from an incident goes on gpg's command line, which every local user
can read (/proc/PID/cmdline, ps): no address, no fingerprint pinned on a roster, no
message. A Keyring lists the whole keyring once (`gpg --list-keys` with no pattern)
and matches addresses and fingerprints in-process; it lists again only when the
keyring's files change (their mtime, size, inode), when a key or subkey listed
crosses its expiry or creation time, or on `refresh()`. Encryption names its keys by
`--recipient-file`: each chosen key, cut out of one `gpg --export` (also without a
pattern), is written to a file in a private temporary folder. The only key named in
argv is the signer's own (`--local-user FPR`), which the user gave on warroom's own
command line (`--sign-key`).

Keys are chosen here, not by gpg: an address resolves to exactly one valid key
(or the fingerprint pinned on the roster), and encryption then hands gpg exactly
those keys with `--trust-model always`, so gpg's web of trust and a user's
`encrypt-to` or `default-key` settings never change who can read a message.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    # listing must not rewrite trustdb.gpg (the Keyring's cache watches it); the
    # validity letters used here (expired, revoked, invalid, disabled) need no check
    "--no-auto-check-trustdb",
]
_FPR = re.compile(r"(?:[0-9A-F]{40}|[0-9A-F]{64})")
_HASHES = {"8": "pgp-sha256", "9": "pgp-sha384", "10": "pgp-sha512"}
"""OpenPGP hash ids gpg may sign with, and their RFC 3156 micalg names."""
_ECDSA = "19"
_NO_PINENTRY = 85
_BAD_VALIDITY = {"e": "expired", "r": "revoked", "i": "invalid", "d": "disabled"}
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
_PUBLIC_KEY = 6  # the packet tag that starts each key in `gpg --export`


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
        self.curkey.setdefault("uid_times", []).extend(args[5:7])


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


@dataclass
class _Listing:
    """One listing of the whole keyring (public or secret keys), indexed in-process."""

    stamp: tuple[object, ...]
    """The home's files when the listing was taken (Keyring._stamp)."""
    stale_at: float
    """The first time after the listing when a key or subkey expires or comes of age."""
    by_fingerprint: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_address: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, stamp: tuple[object, ...], keys: Iterable[dict[str, Any]], now: float) -> _Listing:
        keys = list(keys)
        listing = cls(stamp, _next_change(keys, now))
        for key in keys:
            listing.by_fingerprint.setdefault(str(key.get("fingerprint", "")).upper(), key)
            for address in _addresses(key):
                listing.by_address.setdefault(address, []).append(key)
        return listing

    def fresh(self, stamp: tuple[object, ...], now: float) -> bool:
        return stamp == self.stamp and now < self.stale_at


def _next_change(keys: list[dict[str, Any]], now: float) -> float:
    """A second past the earliest time ahead when a key, subkey or uid listed expires or
    (made with a clock ahead) comes into force: gpg's validity letters change then, with
    no file changing. Infinity if none. (The second allows for gpg's rounding.)"""
    times: list[tuple[object, bool]] = []
    for key in keys:
        uid_times = key.get("uid_times", [])
        times += [(key.get("date"), False), (key.get("expires"), True)]
        times += [(value, i % 2 == 1) for i, value in enumerate(uid_times)]
        for info in _subkeys(key):
            times += [(info.get("date"), False), (info.get("expires"), True)]
    ahead = math.inf
    for value, expiry in times:
        try:
            when = int(str(value))
        except ValueError:
            continue
        if when > now or (expiry and when + 1 > now):
            ahead = min(ahead, when + 1)
    return ahead


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
        self._listings: dict[bool, _Listing] = {}
        self._exported: tuple[_Listing, dict[str, bytes]] | None = None

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

    def _listing(self, *, secret: bool = False) -> _Listing:
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
            listing = _Listing.of(stamp, result, now)
            self._listings[secret] = listing
            return listing

    def _key(self, fingerprint: str, *, secret: bool = False) -> dict[str, Any] | None:
        """The key whose primary fingerprint is `fingerprint` (already normalised)."""
        return self._listing(secret=secret).by_fingerprint.get(fingerprint)

    def _key_blocks(self, listing: _Listing) -> dict[str, bytes]:
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
        return _resolve_in(listing, address, pinned)

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
        return {a: _resolve_in(listing, a, pins.get(a, "")) for a in addresses}

    def secret_fingerprint_for(self, address: str) -> str:
        """The one valid signing key with a secret part whose uid carries `address`
        ("" when there is none, or more than one: then the user must say which)."""
        wanted = _bare_address(address)
        if "@" not in wanted:
            return ""
        try:
            keys = self._listing(secret=True).by_address.get(wanted, [])
        except GpgError:
            return ""
        usable = {
            k["fingerprint"] for k in keys if k.get("trust") not in _BAD_VALIDITY and _can_sign(k)
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
        listing = self._listing()
        for fpr in wanted:
            key = listing.by_fingerprint.get(fpr)
            if key is None:
                raise GpgError(f"cannot encrypt to {fpr}: the key is not in the keyring")
            state, why = _key_state(key)
            if state != "valid":
                raise GpgError(f"cannot encrypt to {_name(key)}: {why}")
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
            _write_private(sig_path, bytes(signature))
            result = gpg.verify_data(str(sig_path), bytes(data))
        except OSError as exc:
            return VerifyResult(False, "", f"gpg could not verify: {exc}")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return _verdict(result, expected)


def _resolve_in(listing: _Listing, address: str, pinned: str) -> KeyStatus:
    """Keyring.resolve against one listing: the pinned key, else the address's key."""
    if pinned:
        return _resolve_pinned(listing, address, normalize_fingerprint(pinned))
    return _resolve_address(listing, address)


def _resolve_pinned(listing: _Listing, address: str, fingerprint: str) -> KeyStatus:
    if not _FPR.fullmatch(fingerprint):
        return KeyStatus(address, "missing", "", "the pinned value is not a full key fingerprint")
    key = listing.by_fingerprint.get(fingerprint)  # a primary key's, never a subkey's
    if key is None:
        return KeyStatus(address, "missing", fingerprint, "the pinned key is not in the keyring")
    state, why = _key_state(key)
    if state == "valid":
        return KeyStatus(address, KEY_FOUND, fingerprint, "pinned on the roster")
    status = state if state in ("expired", "revoked") else "missing"
    return KeyStatus(address, status, fingerprint, f"pinned on the roster, but {why}")


def _resolve_address(listing: _Listing, address: str) -> KeyStatus:
    wanted = _bare_address(address)
    if "@" not in wanted or any(c.isspace() for c in wanted):
        return KeyStatus(address, "missing", "", "not an email address")
    carriers = listing.by_address.get(wanted, [])
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


def _write_private(path: Path, data: bytes) -> None:
    """A new file only this user can read (in a folder made by tempfile.mkdtemp)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


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
