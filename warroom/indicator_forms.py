"""What a well-formed indicator of each type is, and its one normal form.

One function a type takes a candidate string and returns its normal form, or None
when it is not one: `ipv4`, `ipv6`, `hostname` (a domain), `url`, `email`,
`hex_hash` (md5, sha1, sha256) and `account`. `warroom.indicators` runs them on what
it finds in text; `is_valid` runs them on a value from anywhere (a register row, a
value typed by hand) before it goes on a blocklist. The rules they keep are listed,
type by type, in `warroom.indicators`' docstring, with the rules for where in a note
an indicator may stand, which are the finder's. A dot the text had defanged arrives
here as `DOT` and is read as a dot.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import cache
from importlib import resources

IOC_TYPES = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "account")
"""Every type of indicator."""
TLD_FILE = "tlds.txt"
"""IANA's top-level domains, one a line, in `warroom.data` (data apart from code)."""


@cache
def tlds() -> frozenset[str]:
    """IANA's top-level domains, from `warroom.data/tlds.txt` (read once, on first use)."""
    text = resources.files("warroom.data").joinpath(TLD_FILE).read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


_NOT_ACCOUNTS = frozenset({"none", "null", "nil", "unknown", "n"})

DOT = "\ue000"
"""Stands for a dot the text had defanged, so that the name is known to be meant."""

# -- normalising one value of each type -------------------------------------------

LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_HOST_RE = re.compile(rf"(?:{LABEL}\.)+{LABEL}")


def hostname(name: str) -> str | None:
    """`name` in lower-case IDNA form if it is a name under a known TLD, else None."""
    name = name.replace(DOT, ".").lower()
    if not _HOST_RE.fullmatch(name):
        return None
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    labels = name.split(".")
    if len(name) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        return None
    if labels[-1] not in tlds():
        return None
    return name


def ipv4(text: str) -> str | None:
    """Normal form of an IPv4 address or CIDR block; None if invalid or dropped."""
    address, slash, prefix = text.replace(DOT, ".").partition("/")
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return None
    if ip.is_unspecified or ip.is_reserved:
        return None
    if not slash or prefix == "32":
        return str(ip)
    if not (prefix.isdigit() and int(prefix) <= 32 and prefix == str(int(prefix))):
        return None
    return f"{ip}/{prefix}"


def ipv6(text: str) -> str | None:
    address = text.split("%", 1)[0]
    try:
        ip = ipaddress.IPv6Address(address)
    except ValueError:
        return None
    if ip.is_unspecified:
        return None
    if ip.ipv4_mapped is not None:  # one spelling whatever the Python version
        return f"::ffff:{ip.ipv4_mapped}"
    return ip.compressed


CONTROLS = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""C0, DEL, C1 and the bidirectional marks, overrides and isolates (as warroom.sanitize
strips): never part of a URL (RFC 3987 bars bidi controls from IRIs), so one ends it."""
_CONTROL_RE = re.compile(f"[{CONTROLS}]")
_URL_HEAD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<rest>.*)", re.S)
_SCHEMES = ("http", "https", "ftp", "ftps", "sftp", "ws", "wss")


def url(text: str) -> str | None:
    """Normal form of a URL: scheme and host lower-cased, path as typed."""
    text = text.replace(DOT, ".")
    if any(c.isspace() for c in text) or _CONTROL_RE.search(text):
        return None
    head = _URL_HEAD.fullmatch(text)
    if head is None or head["scheme"].lower() not in _SCHEMES:
        return None
    userinfo, at, hostport = head["authority"].rpartition("@")
    if hostport.startswith("["):
        inside, bracket, port = hostport[1:].partition("]")
        ip6 = ipv6(inside) if bracket else None
        if ip6 is None:
            return None
        host = f"[{ip6}]"
        if port and not port.startswith(":"):
            return None
        port = port[1:]
    else:
        name, _, port = hostport.partition(":")
        host = ipv4(name) if re.fullmatch(r"[\d.]+", name) else hostname(name)
        if host is None:
            return None
    if port and not (port.isdigit() and 0 < int(port) <= 65535):
        return None
    authority = f"{userinfo}{at}{host}" + (f":{port}" if port else "")
    return f"{head['scheme'].lower()}://{authority}{head['rest']}"


_LOCAL_RE = re.compile(r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*", re.I)


def email(text: str) -> str | None:
    local, at, domain = text.replace(DOT, ".").rpartition("@")
    host = hostname(domain)
    if not at or host is None or not _LOCAL_RE.fullmatch(local) or len(local) > 64:
        return None
    return f"{local.lower()}@{host}"


HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}


def hex_hash(text: str, kind: str) -> str | None:
    if HASH_LENGTHS.get(len(text)) != kind or not re.fullmatch(r"[0-9a-fA-F]+", text):
        return None
    if text.isdigit() or not any(c.isdigit() for c in text):
        return None
    return text.lower()


_AWS_ID_RE = re.compile(r"(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}")
_ACCOUNT_RE = re.compile(r"(?:[A-Za-z][A-Za-z0-9-]{1,14}\\)?[A-Za-z0-9_$][\w.$@-]{0,63}")


def account(text: str) -> str | None:
    if _AWS_ID_RE.fullmatch(text):
        return text
    text = text.rstrip(".")
    if not _ACCOUNT_RE.fullmatch(text) or text.lower() in _NOT_ACCOUNTS:
        return None
    return text.lower()


def _domain(text: str) -> str | None:
    return hostname(text)


_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "ipv4": ipv4,
    "ipv6": ipv6,
    "domain": _domain,
    "url": url,
    "email": email,
    "md5": lambda v: hex_hash(v, "md5"),
    "sha1": lambda v: hex_hash(v, "sha1"),
    "sha256": lambda v: hex_hash(v, "sha256"),
    "account": account,
}


def is_valid(value: str, type_: str) -> bool:
    """Whether `value` is a well-formed, normalised indicator of `type_`
    (what `extract` would return for it, leaving aside the context rules)."""
    normalise = _NORMALISERS.get(type_)
    return normalise is not None and normalise(value) == value
