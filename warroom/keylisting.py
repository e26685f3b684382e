"""The keyring's keys as gpg lists them, matched in-process: which key an address
or a pinned fingerprint resolves to, and what a key can do.

A `Listing` indexes one listing of the whole keyring (python-gnupg's parse of
`gpg --list-keys` or `--list-secret-keys`, no pattern) by primary fingerprint and
by the addresses of its uids, and knows when it goes stale on its own (a key,
subkey or uid expiring or coming into force). `resolve_in` chooses the key to
encrypt to for an address from it. Nothing here runs gpg: `warroom.gpg.Keyring`
lists, caches the Listing and asks it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from warroom.rules.model import KEY_FOUND, KeyStatus

FINGERPRINT = re.compile(r"(?:[0-9A-F]{40}|[0-9A-F]{64})")
"""A full key fingerprint, normalised: 40 hex digits (v4) or 64 (v5, v6)."""
BAD_VALIDITY = {"e": "expired", "r": "revoked", "i": "invalid", "d": "disabled"}


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


def bare_address(address: str) -> str:
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


def key_state(key: dict[str, Any]) -> tuple[str, str]:
    """("valid", "") or (why not: "expired" / "revoked" / "unusable", in words)."""
    validity = key.get("trust", "")
    cap = key.get("cap", "")
    if validity == "r":
        return "revoked", "the key is revoked"
    if validity == "e":
        return "expired", "the key has expired"
    if validity in BAD_VALIDITY or "D" in cap:
        return "unusable", f"the key is {BAD_VALIDITY.get(validity, 'disabled')}"
    if "E" in cap:  # upper case: a usable encryption (sub)key, per gpg's DETAILS
        return "valid", ""
    states = [info.get("trust", "") for info in subkeys(key) if "e" in info.get("cap", "")]
    if "e" in cap.replace("E", ""):
        states.append(validity)
    if states and all(s == "r" for s in states):
        return "revoked", "its encryption subkey is revoked"
    if states and all(s in ("e", "r") for s in states):
        return "expired", "its encryption subkey has expired"
    return "unusable", "it has no usable encryption subkey"


def subkeys(key: dict[str, Any]) -> list[dict[str, Any]]:
    return list((key.get("subkey_info") or {}).values())


def _addresses(key: dict[str, Any]) -> set[str]:
    """The addresses of the key's uids, leaving out a uid revoked or expired on its own
    (on an expired or revoked key every uid says so: those still count, so that the
    address resolves to "expired" or "revoked" rather than "missing")."""
    uids = key.get("uids", [])
    validity = key.get("uid_validity") or [""] * len(uids)
    key_bad = key.get("trust", "") in BAD_VALIDITY
    return {
        address
        for uid, state in zip(uids, validity, strict=False)
        if (key_bad or state not in BAD_VALIDITY) and (address := uid_address(_fix_text(uid)))
    }


def key_name(key: dict[str, Any]) -> str:
    """A short human name for a key in messages: its first address, else its fingerprint."""
    for uid in key.get("uids", []):
        if address := uid_address(_fix_text(uid)):
            return f"{key.get('fingerprint', '')} ({address})"
    return str(key.get("fingerprint", ""))


@dataclass
class Listing:
    """One listing of the whole keyring (public or secret keys), indexed in-process."""

    stamp: tuple[object, ...]
    """The home's files when the listing was taken (Keyring._stamp)."""
    stale_at: float
    """The first time after the listing when a key or subkey expires or comes of age."""
    by_fingerprint: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_address: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, stamp: tuple[object, ...], keys: Iterable[dict[str, Any]], now: float) -> Listing:
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
        for info in subkeys(key):
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


def resolve_in(listing: Listing, address: str, pinned: str) -> KeyStatus:
    """Keyring.resolve against one listing: the pinned key, else the address's key."""
    if pinned:
        return _resolve_pinned(listing, address, normalize_fingerprint(pinned))
    return _resolve_address(listing, address)


def _resolve_pinned(listing: Listing, address: str, fingerprint: str) -> KeyStatus:
    if not FINGERPRINT.fullmatch(fingerprint):
        return KeyStatus(address, "missing", "", "the pinned value is not a full key fingerprint")
    key = listing.by_fingerprint.get(fingerprint)  # a primary key's, never a subkey's
    if key is None:
        return KeyStatus(address, "missing", fingerprint, "the pinned key is not in the keyring")
    state, why = key_state(key)
    if state == "valid":
        return KeyStatus(address, KEY_FOUND, fingerprint, "pinned on the roster")
    status = state if state in ("expired", "revoked") else "missing"
    return KeyStatus(address, status, fingerprint, f"pinned on the roster, but {why}")


def _resolve_address(listing: Listing, address: str) -> KeyStatus:
    wanted = bare_address(address)
    if "@" not in wanted or any(c.isspace() for c in wanted):
        return KeyStatus(address, "missing", "", "not an email address")
    carriers = listing.by_address.get(wanted, [])
    if not carriers:
        return KeyStatus(address, "missing", "", "no key carries this address")
    states = [(k, *key_state(k)) for k in carriers]
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


def can_sign(key: dict[str, Any]) -> bool:
    """A usable signing (sub)key with its secret part here ('+') or on a card ('>')."""
    if "S" not in key.get("cap", ""):
        return False
    if "s" in key.get("cap", "") and key.get("token", "+") in ("+", ">", ""):
        return True
    return any(
        "s" in info.get("cap", "")
        and info.get("trust", "") not in BAD_VALIDITY
        and info.get("token", "+") in ("+", ">", "")
        for info in subkeys(key)
    )
