"""Indicators of compromise in the text people type into the timeline.

`extract(text)` finds IP addresses, domains, URLs, e-mail addresses, file hashes
and accounts in a note as a responder would type it, refangs and normalises
them, and returns each once, in the order they first appear. `blocklist` and
`to_csv` write them out. What a well-formed value of each type is, and its normal
form, is `warroom.indicator_forms` (`is_valid`, the TLD list); the rules below
cover both it and where in a note this module looks.

What counts (and what does not):

- **Defanged forms** are refanged first: ``hxxp://`` and ``hxxps://`` (any case),
  ``fxp://``, ``[:]`` and ``[://]``, a dot written ``[.]``, ``(.)``, ``{.}``,
  ``[dot]`` or ``(dot)`` (spaces around allowed), and ``[@]``, ``[at]``, ``(at)``.
  Defanging is a deliberate act, so a defanged name is always taken as a domain
  (see file names below).
- **URLs** need a scheme (http, https, ftp, ftps, sftp, ws, wss) and a host that
  is an IP address or a name under a known top-level domain (so internal links
  to ``wiki.corp.local`` are not indicators). Scheme and host are lower-cased,
  the path is kept as typed; trailing punctuation and an unbalanced closing
  bracket are dropped. A control character or a bidirectional mark or override
  ends a URL (RFC 3987 bars them from IRIs; in a blocklist they would hide what
  it says). A URL is one indicator: its host is not listed again as a
  domain (and an e-mail address's domain is not either).
- **IPv4**: four dotted decimals that `ipaddress` accepts (so no leading zeros),
  not part of a longer dotted run (``1.2.3.4.5``) or a host name
  (``4.3.2.1.in-addr.arpa`` is a domain). A CIDR suffix is kept
  (``203.0.113.0/24`` is one ipv4 indicator, as firewalls take it); ``/32`` is
  dropped. A port (``:8443``) is not part of the value. Dropped: ``0.0.0.0``
  (unspecified: "listening on 0.0.0.0" is no indicator, nor is ``0.0.0.0/0``)
  and 240.0.0.0/4, reserved and never a host, which covers netmasks
  (``255.255.255.0``) and broadcast. Private and loopback addresses are kept:
  in an intrusion the internal hosts matter. A dotted quad right after
  ``version``, ``ver``, ``v``, ``release``, ``build``, ``rev``, ``revision``,
  ``patch``, ``firmware``, ``fw`` or ``kernel`` is a version number.
- **IPv6**: full or compressed, bracketed (``[2001:db8::1]:443``) or not, with an
  IPv4 tail or a zone (``fe80::1%eth0``, zone dropped), as `ipaddress` accepts;
  the value is the compressed lower-case form. Unbracketed, it needs a digit
  somewhere (``std::``, ``dead::beef`` are not addresses). ``::`` is dropped like
  ``0.0.0.0``; ``::1`` is kept. Times (``10:32:01``) and MAC addresses
  (``00:1a:2b:3c:4d:5e``) are not valid IPv6 and are not indicators here.
- **Hashes**: a run of exactly 32, 40 or 64 hex digits (md5, sha1, sha256) with
  both a digit and a letter, not inside a longer word or hex run; lower-cased.
  (A 40-digit git commit id looks like a sha1 and is taken as one.)
- **Domains**: dotted names whose last label is a top-level domain in IANA's list
  (`data/tlds.txt`), lower-cased, internationalised names in their IDNA
  ``xn--`` form (which also shows a homoglyph for what it is). Not domains:
  - file names: a two-label name whose "TLD" is a common file extension
    (``app.py``, ``readme.md``, ``install.sh``, ``report.zip``, ``Main.java``)
    unless defanged; three labels (``cdn.evil.zip``) or a URL or e-mail address
    make it a domain. Extensions that are not TLDs (``.yaml``, ``.txt``, ``.gz``)
    never match anyway;
  - names in a path (after ``/`` or ``\\``), code (``logger.info(``,
    ``self.data``), Java packages (``com.example.Foo``: three or more labels
    starting ``com``, ``org``, ``net``, ``edu``, ``gov`` or ``io``) and two
    sentences run together (``done.Next``: a capitalised last label);
  - version numbers (``v1.2.3``, ``python3.11``, ``openssl 3.0.13``): a TLD is
    never numeric.
- **Accounts**, conservatively: a name after ``user``, ``username``, ``account``
  or ``acct`` and ``:`` or ``=`` (``user:alice``, ``user=root``,
  ``Account: CORP\\alice``); a Windows ``DOMAIN\\user`` with an upper-case
  NetBIOS domain (not registry hives like ``HKLM\\...``, nor the built-in
  ``NT AUTHORITY\\SYSTEM`` and its kind); and AWS access key and unique ids
  (``AKIA``, ``ASIA``, ``AIDA``, ``AROA`` + 16 characters). Values are
  lower-cased (Windows and most identity providers ignore case), AWS ids kept
  upper-case. Not accounts: ``@handles`` (in a war room those are the
  responders) and "account alice" in prose (the next word is as often "was").

Ports alone, times, dates and timestamps are never indicators. Text is taken in
Unicode NFC form first, so an accented name is one label however it was typed.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from warroom import indicator_forms as forms
from warroom import tabular

# re-exported: callers import these from here
from warroom.indicator_forms import IOC_TYPES as IOC_TYPES
from warroom.indicator_forms import TLD_FILE as TLD_FILE
from warroom.indicator_forms import is_valid as is_valid
from warroom.indicator_forms import tlds as tlds

NETWORK_TYPES = ("ipv4", "ipv6", "domain", "url")
"""The types a blocklist takes."""


@dataclass(frozen=True, slots=True)
class Indicator:
    value: str
    type: str


class _HasValueAndType(Protocol):
    @property
    def value(self) -> str: ...
    @property
    def type(self) -> str: ...


_FILE_EXTENSIONS = frozenset(
    {"java", "mov", "md", "one", "pid", "pl", "pm", "py", "rs", "sh", "so", "zip"}
)
"""File extensions that are also TLDs and that name files in notes far more often
than domains: a two-label name ending in one is a file unless defanged."""

_JAVA_ROOTS = frozenset({"com", "org", "net", "edu", "gov", "io"})
_CODE_OBJECTS = frozenset({"self", "this", "cls"})
_NOT_WINDOWS_DOMAINS = frozenset({"HKLM", "HKCU", "HKCR", "HKU", "HKCC", "TCP", "UDP"})
"""Registry hives (HKLM\\Software) and TCP\\IP: not DOMAIN\\user."""

_D = "[.\ue000]"

# -- refanging -------------------------------------------------------------------

_REFANG: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bhxxp(s?)(?=\s*(?:\[:\]|:|\[://\]))", re.I), r"http\1"),
    (re.compile(r"\bfxp(s?)(?=\s*(?:\[:\]|:|\[://\]))", re.I), r"ftp\1"),
    (re.compile(r"\[://\]"), "://"),
    (re.compile(r"\[:\]"), ":"),
    (
        re.compile(
            r"\s*(?:\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\})\s*", re.I
        ),
        forms.DOT,
    ),
    (re.compile(r"\s*(?:\[\s*(?:@|at)\s*\]|\(\s*(?:@|at)\s*\)|\{\s*(?:@|at)\s*\})\s*", re.I), "@"),
)


def refang(text: str) -> str:
    """`text` with the common defanged forms of URLs, dots and at signs undone."""
    return _refang(unicodedata.normalize("NFC", text)).replace(forms.DOT, ".")


def _refang(text: str) -> str:
    text = text.replace(forms.DOT, " ")
    for pattern, replacement in _REFANG:
        text = pattern.sub(replacement, text)
    return text


# -- finding them in text ---------------------------------------------------------

_URL_RE = re.compile(
    rf"(?<![\w.+-])(?:https?|ftps?|sftp|wss?)://[^\s<>\"'`{forms.CONTROLS}]+", re.I
)
_TRAILING = ".,;:!?'\"*" + forms.DOT
_CLOSERS = {")": "(", "]": "[", "}": "{"}

_EMAIL_RE = re.compile(
    rf"(?<![\w.+%'-])[A-Za-z0-9_%+-]+(?:{_D}[A-Za-z0-9_%+-]+)*@(?:{forms.LABEL}{_D})+{forms.LABEL}"
)

_HEX4 = "[0-9A-Fa-f]{0,4}"
_V6_BODY = rf"(?:{_HEX4}:){{2,7}}(?:\d{{1,3}}(?:\.\d{{1,3}}){{3}}|[0-9A-Fa-f]{{1,4}})?"
_IPV6_RE = re.compile(
    rf"\[(?P<bracketed>{_V6_BODY})(?:%[\w.-]+)?\]"
    rf"|(?<![\w:.\[])(?P<bare>{_V6_BODY})(?:%[\w.-]+)?(?![\w:]|\.\d)"
)

_IPV4_RE = re.compile(
    rf"(?<![\w.\ue000])(\d{{1,3}}(?:{_D}\d{{1,3}}){{3}}(?:/\d{{1,2}})?)(?![\w\ue000]|{_D}\w)"
)
_VERSION_BEFORE = re.compile(
    r"\b(?:v|ver|version|release|build|rev|revision|patch|firmware|fw|kernel)\s*[:=#]?\s*$",
    re.I,
)

_HASH_RE = re.compile(r"(?<![\w\ue000])[0-9A-Fa-f]{32,64}(?![\w\ue000])")
_AWS_RE = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_WINDOWS_ACCOUNT_RE = re.compile(
    r"(?<![\w\\/:.%$-])(?<!NT )(?P<domain>[A-Z][A-Z0-9-]{1,14})\\[A-Za-z0-9_][\w.$-]{0,63}"
    r"(?![\w\\])"
)
_KEYED_ACCOUNT_RE = re.compile(
    r"(?<![\w./\\-])(?:user(?:name)?|account|acct)\s?[:=]\s?"
    r"(?P<name>(?:[A-Z][A-Z0-9-]{1,14}\\)?[A-Za-z0-9_$][\w.$-]{0,63})(?![\w\\@])",
    re.I,
)

_DOMAIN_RE = re.compile(
    rf"(?<![\w.@/\\\ue000$%-])(?:{forms.LABEL}{_D})+{forms.LABEL}(?![\w$@-]|{_D}[^\W_]|\()"
)


class _Scan:
    """The text being searched; what one pass takes is blanked for the next."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: list[tuple[int, Indicator]] = []

    def take(self, spans: list[tuple[int, int, Indicator]]) -> None:
        if not spans:
            return
        chars = list(self.text)
        for start, end, indicator in spans:
            self.found.append((start, indicator))
            chars[start:end] = " " * (end - start)
        self.text = "".join(chars)


def _urls(scan: _Scan) -> None:
    spans = []
    for match in _URL_RE.finditer(scan.text):
        raw = match[0]
        while raw:
            last = raw[-1]
            unbalanced = last in _CLOSERS and raw.count(last) > raw.count(_CLOSERS[last])
            if last not in _TRAILING and not unbalanced:
                break
            raw = raw[:-1]
        value = forms.url(raw)
        if value is not None:
            spans.append((match.start(), match.start() + len(raw), Indicator(value, "url")))
    scan.take(spans)


def _emails(scan: _Scan) -> None:
    spans = []
    for match in _EMAIL_RE.finditer(scan.text):
        value = forms.email(match[0])
        if value is not None:
            spans.append((match.start(), match.end(), Indicator(value, "email")))
    scan.take(spans)


def _ipv6s(scan: _Scan) -> None:
    spans = []
    for match in _IPV6_RE.finditer(scan.text):
        candidate = match["bracketed"]
        if candidate is None:
            candidate = match["bare"]
            if not any(c.isdigit() for c in candidate):
                continue
        value = forms.ipv6(candidate)
        if value is None and candidate.endswith(":") and not candidate.endswith("::"):
            value = forms.ipv6(candidate[:-1])  # "fe80::1: ..."
        if value is not None:
            spans.append((match.start(), match.end(), Indicator(value, "ipv6")))
    scan.take(spans)


def _ipv4s(scan: _Scan) -> None:
    spans = []
    for match in _IPV4_RE.finditer(scan.text):
        if _VERSION_BEFORE.search(scan.text, max(0, match.start() - 40), match.start()):
            continue
        candidate = match[1]
        value = forms.ipv4(candidate)
        if value is None and "/" in candidate:
            candidate = candidate.partition("/")[0]  # "1.2.3.4/99": a path, not a prefix
            value = forms.ipv4(candidate)
        if value is not None:
            end = match.start() + len(candidate)
            spans.append((match.start(), end, Indicator(value, "ipv4")))
    scan.take(spans)


def _hashes(scan: _Scan) -> None:
    spans = []
    for match in _HASH_RE.finditer(scan.text):
        kind = forms.HASH_LENGTHS.get(len(match[0]))
        value = forms.hex_hash(match[0], kind) if kind else None
        if kind and value is not None:
            spans.append((match.start(), match.end(), Indicator(value, kind)))
    scan.take(spans)


def _accounts(scan: _Scan) -> None:
    spans = [
        (match.start(), match.end(), Indicator(match[0], "account"))
        for match in _AWS_RE.finditer(scan.text)
    ]
    scan.take(spans)
    spans = []
    for match in _WINDOWS_ACCOUNT_RE.finditer(scan.text):
        if match["domain"] in _NOT_WINDOWS_DOMAINS:
            continue
        value = forms.account(match[0])
        if value is not None:
            spans.append((match.start(), match.end(), Indicator(value, "account")))
    scan.take(spans)
    spans = []
    for match in _KEYED_ACCOUNT_RE.finditer(scan.text):
        value = forms.account(match["name"])
        if value is not None:
            spans.append((match.start("name"), match.end("name"), Indicator(value, "account")))
    scan.take(spans)


def _domains(scan: _Scan) -> None:
    spans = []
    for match in _DOMAIN_RE.finditer(scan.text):
        raw = match[0]
        value = forms.hostname(raw)
        if value is None:
            continue
        labels = raw.replace(forms.DOT, ".").split(".")
        if forms.DOT not in raw:  # a defanged name was meant as one
            if len(labels) == 2 and value.rsplit(".", 1)[1] in _FILE_EXTENSIONS:
                continue  # app.py, report.zip
            if len(labels) >= 3 and labels[0].lower() in _JAVA_ROOTS:
                continue  # com.example.Foo
            if labels[0] in _CODE_OBJECTS:
                continue  # self.data
            if re.fullmatch(r"[A-Z][a-z]+", labels[-1]) and not labels[0][:1].isupper():
                continue  # "done.Next": two sentences without a space
        spans.append((match.start(), match.end(), Indicator(value, "domain")))
    scan.take(spans)


_PASSES = (_urls, _emails, _ipv6s, _ipv4s, _hashes, _accounts, _domains)


def extract(text: str) -> list[Indicator]:
    """The indicators in `text`, refanged and normalised, each once, in order of
    first appearance."""
    scan = _Scan(_refang(unicodedata.normalize("NFC", text)))
    for find in _PASSES:
        find(scan)
    seen: set[str] = set()
    out: list[Indicator] = []
    for _, indicator in sorted(scan.found, key=lambda found: found[0]):
        if indicator.value not in seen:
            seen.add(indicator.value)
            out.append(indicator)
    return out


# -- output ------------------------------------------------------------------------


def _sort_key(indicator: _HasValueAndType) -> tuple[Any, ...]:
    rank = NETWORK_TYPES.index(indicator.type)
    if indicator.type in ("ipv4", "ipv6"):
        network = ipaddress.ip_interface(indicator.value)
        return (rank, int(network.ip), network.network.prefixlen, "")
    return (rank, 0, 0, indicator.value)


def blocklist(indicators: Iterable[_HasValueAndType]) -> str:
    """The network indicators (ipv4, ipv6, domain, url), one value a line, by type
    and then value (addresses in numeric order), each once.

    Takes `Indicator`s or anything with `value` and `type` (the register's rows:
    filter out the dismissed ones first). A value that is not a well-formed
    indicator of its type is left out, so a hostile or broken record cannot put a
    second line, or anything else, into a firewall's list.
    """
    chosen: dict[tuple[str, str], _HasValueAndType] = {}
    for indicator in indicators:
        if indicator.type in NETWORK_TYPES and is_valid(indicator.value, indicator.type):
            chosen.setdefault((indicator.type, indicator.value), indicator)
    lines = [i.value for i in sorted(chosen.values(), key=_sort_key)]
    return "".join(f"{line}\n" for line in lines)


def to_csv(rows: Iterable[Mapping[str, object]], fields: Sequence[str] | None = None) -> str:
    """Rows (dicts with value, type, status, ...) as CSV with a header line, through
    the one CSV writer, `warroom.tabular.to_csv` (see there: formulas
    neutralised, controls stripped, lists joined with ";", CRLF line ends).

    The columns are `fields`, or every key in the order the rows first use them.
    """
    rows = list(rows)
    if fields is None:
        fields = list(dict.fromkeys(key for row in rows for key in row))
    return tabular.to_csv(fields, rows)
