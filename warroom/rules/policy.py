"""The comms policy: what the rules enforce, from a TOML file.

The shipped default is `data/policy.toml` (package `warroom.data`); an incident
may carry its own. Keys (every one optional in a custom policy: a key left out
takes the shipped default, so leaving one out never switches a rule off):

- `subject` (string): the one email subject allowed ("Attorney Work Project").
- `chat_prefix` (string): what chat topics and messages start with; defaults
  to `subject`.
- `internal_domains` (list of lower-case ASCII host names, at least one).
- `include_subdomains` (bool): whether `mail.example.com` is internal too.
- `banned_phrases` (list of regexes, RE2 syntax): matched, case-insensitively,
  against normalized text (see `warroom.rules.text.normalize`), in linear time
  (`warroom.rules.matcher`): a pattern cannot hang a command.
- `sms_allowed_words` (list of words): all an SMS may say.
- `vendors` (list): third parties; each a name, or a table with `name`,
  `aliases` and `domains` (where that vendor publishes its own disclosures).
- `update_every` (table): how often stakeholders get an update, in minutes, per
  severity (`{ SEV1 = 30, SEV2 = 60 }`, each 1..1440); a severity left out has
  no rhythm, `{}` none at all (warroom/updates.py). Optional even in a policy
  with no base (one stored before the key existed): left out there, no rhythm.

A bad policy raises `PolicyError` whose message starts `source:LINE:`: TOML
syntax, unknown keys (a typo must not silently disable a rule), wrong types,
empty strings or lists, regexes RE2 refuses (backreferences, lookaround, too
large) or that match empty text, more than `MAX_POLICY_PATTERNS` patterns (banned
phrases; vendor names and aliases), domains that are not plain lower-case ASCII
host names, a policy over `MAX_POLICY_CHARS`.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from warroom.limits import MAX_POLICY_PATTERNS
from warroom.rules.addresses import is_hostname
from warroom.rules.matcher import Pattern, PatternError, compile_all, compile_pattern, matches_empty
from warroom.tomlfile import TomlError, parse, read_text

DEFAULT_RESOURCE = "policy.toml"
MAX_POLICY_CHARS = 1_000_000
"""A policy's TOML text: every command that reads the incident parses it."""
DEFAULT_SOURCE = "warroom default policy.toml"

KEYS = (
    "subject",
    "chat_prefix",
    "internal_domains",
    "include_subdomains",
    "banned_phrases",
    "sms_allowed_words",
    "vendors",
    "update_every",
)
OPTIONAL_KEYS = ("chat_prefix", "update_every")
"""Keys even a policy with no base may leave out (the shipped one names every other)."""
SEVERITY_KEYS = ("SEV1", "SEV2", "SEV3", "SEV4")
"""The keys of `update_every`: severity 1 (the most severe) to 4."""
MAX_UPDATE_MINUTES = 1440
VENDOR_KEYS = ("name", "aliases", "domains")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PolicyError(TomlError):
    """A policy that cannot be used; str() is `source:LINE: message` (`source:
    message` when no line applies: line 0 or None). Constructed as
    `PolicyError(source, line, message)`."""


@dataclass(frozen=True, slots=True)
class Vendor:
    """A third party the comms must not name without linking its own disclosure."""

    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    """Where the vendor publishes; a link must be on one of these (or a
    subdomain). Empty: any link will do."""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Policy:
    subject: str
    internal_domains: tuple[str, ...]
    include_subdomains: bool = False
    chat_prefix: str = ""
    """"" means the subject."""
    banned_phrases: tuple[str, ...] = ()
    """Regex sources, matched case-insensitively against normalized text."""
    sms_allowed_words: frozenset[str] = frozenset()
    vendors: tuple[Vendor, ...] = ()
    update_minutes: tuple[tuple[int, int], ...] = ()
    """(severity, minutes) pairs, by severity: how often stakeholders get an update
    (`update_every`); a severity not listed has no rhythm."""
    source: str = ""
    source_text: str = ""
    """The exact text this policy was parsed from (the manifest hashes it)."""

    @property
    def prefix(self) -> str:
        """What chat topics and messages must start with."""
        return self.chat_prefix or self.subject

    def update_interval(self, severity: int) -> int | None:
        """Minutes between stakeholder updates at this severity; None: no rhythm."""
        for sev, minutes in self.update_minutes:
            if sev == severity:
                return minutes
        return None

    @property
    def banned_patterns(self) -> tuple[Pattern, ...]:
        """The banned phrases compiled for RE2 (once per distinct list)."""
        return compile_all(self.banned_phrases)


class _Bad(Exception):
    """A semantic error at a key path (list items by index: `("vendors", 0, "name")`)."""

    def __init__(self, path: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


# ---------------------------------------------------------------------------
# public API


def parse_policy(text: str, source: str = "policy") -> Policy:
    """Parse a policy from TOML text; keys left out take the shipped default."""
    return _parse(text, source, default_policy())


def load_policy_file(path: str | Path) -> Policy:
    """A policy from a file (UTF-8; errors name the file)."""
    path = Path(path)
    return parse_policy(read_text(path, error=PolicyError), str(path))


def default_policy_text() -> str:
    return (files("warroom.data") / DEFAULT_RESOURCE).read_text(encoding="utf-8")


@functools.cache
def default_policy() -> Policy:
    """The shipped policy (every key required there)."""
    return _parse(default_policy_text(), DEFAULT_SOURCE, None)


# ---------------------------------------------------------------------------
# parsing


def _parse(text: str, source: str, base: Policy | None) -> Policy:
    if not isinstance(text, str):
        raise PolicyError(source, 0, "policy text must be a string")
    if len(text) > MAX_POLICY_CHARS:
        raise PolicyError(
            source, 0, f"the policy is {len(text):,} characters; the most is {MAX_POLICY_CHARS:,}"
        )
    doc = parse(text, source, error=PolicyError, syntax="invalid TOML")
    try:
        return _build(doc.data, text, source, base)
    except _Bad as bad:
        raise doc.error(bad.path, bad.message) from None


def _build(data: dict[str, Any], text: str, source: str, base: Policy | None) -> Policy:
    for key in data:
        if key not in KEYS:
            raise _Bad((key,), _unknown(key, KEYS, "policy key"))
    if base is None:
        missing = [k for k in KEYS if k not in data and k not in OPTIONAL_KEYS]
        if missing:
            raise _Bad((), f"missing keys: {', '.join(missing)}")

    subject = _text(("subject",), data["subject"]) if "subject" in data else _base(base).subject
    if "chat_prefix" in data:
        chat_prefix = _text(("chat_prefix",), data["chat_prefix"])
    elif "subject" in data or base is None:
        chat_prefix = ""
    else:
        chat_prefix = _base(base).chat_prefix
    domains = (
        _domains(("internal_domains",), data["internal_domains"], allow_empty=False)
        if "internal_domains" in data
        else _base(base).internal_domains
    )
    subdomains = data.get("include_subdomains", base.include_subdomains if base else None)
    if not isinstance(subdomains, bool):
        raise _Bad(
            ("include_subdomains",), _type("include_subdomains", "true or false", subdomains)
        )
    phrases = (
        _patterns(("banned_phrases",), data["banned_phrases"])
        if "banned_phrases" in data
        else _base(base).banned_phrases
    )
    words = (
        _words(("sms_allowed_words",), data["sms_allowed_words"])
        if "sms_allowed_words" in data
        else _base(base).sms_allowed_words
    )
    vendors = _vendors(("vendors",), data["vendors"]) if "vendors" in data else _base(base).vendors
    if "update_every" in data:
        update_minutes = _update_every(("update_every",), data["update_every"])
    else:
        update_minutes = base.update_minutes if base is not None else ()
    return Policy(
        subject=subject,
        internal_domains=domains,
        include_subdomains=subdomains,
        chat_prefix=chat_prefix,
        banned_phrases=phrases,
        sms_allowed_words=words,
        vendors=vendors,
        update_minutes=update_minutes,
        source=source,
        source_text=text,
    )


def _base(base: Policy | None) -> Policy:
    assert base is not None  # _build checked every key is there when there is no base
    return base


def _unknown(key: str, known: Sequence[str], what: str) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
    return f"unknown {what} {key!r}{hint}"


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _type(name: str, wanted: str, value: Any) -> str:
    return f"{name} must be {wanted}, not {_type_name(value)}"


def _name(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _text(path: Sequence[str | int], value: Any) -> str:
    name = _name(path)
    if not isinstance(value, str):
        raise _Bad(path, _type(name, "a string", value))
    if not value.strip():
        raise _Bad(path, f"{name} must not be empty")
    if value != value.strip():
        raise _Bad(path, f"{name} must not start or end with spaces")
    if _CONTROL.search(value):
        raise _Bad(path, f"{name} must be one line without control characters")
    return value


def _list(path: Sequence[str | int], value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(path, _type(_name(path), "a list", value))
    return value


def _strings(path: Sequence[str | int], value: Any) -> list[str]:
    items = _list(path, value)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _Bad((*path, i), _type(_name((*path, i)), "a string", item))
    return items


def _domains(path: Sequence[str | int], value: Any, *, allow_empty: bool) -> tuple[str, ...]:
    items = _strings(path, value)
    if not items and not allow_empty:
        raise _Bad(path, f"{_name(path)} must list at least one domain")
    for i, domain in enumerate(items):
        if not is_hostname(domain):
            raise _Bad((*path, i), _bad_domain(_name(path), domain))
    return tuple(dict.fromkeys(items))


def _bad_domain(name: str, domain: str) -> str:
    message = f"{name}: {domain!r} is not a plain lower-case ASCII host name"
    suggestion = domain.strip().strip(".").lower()
    if suggestion.startswith("@"):
        suggestion = suggestion[1:]
    if suggestion.startswith("*."):
        return message + f" (no wildcards: write {suggestion[2:]!r}, see include_subdomains)"
    try:
        suggestion = suggestion.encode("idna").decode("ascii")
    except UnicodeError:
        return message
    if suggestion != domain and is_hostname(suggestion):
        message += f" (write {suggestion!r})"
    return message


def _patterns(path: Sequence[str | int], value: Any) -> tuple[str, ...]:
    items = _strings(path, value)
    if len(items) > MAX_POLICY_PATTERNS:
        raise _Bad(
            path, f"{_name(path)} has {len(items):,} patterns; the most is {MAX_POLICY_PATTERNS:,}"
        )
    for i, pattern in enumerate(items):
        where = _name((*path, i))
        if not pattern.strip():
            raise _Bad((*path, i), f"{where} is empty")
        try:
            compiled = compile_pattern(pattern)
        except PatternError as exc:
            shown = pattern if len(pattern) <= 60 else pattern[:59] + "…"
            raise _Bad((*path, i), f"{where}: invalid regex {shown!r}: {exc}") from None
        if matches_empty(compiled):
            raise _Bad((*path, i), f"{where}: regex {pattern!r} matches empty text (every draft)")
    return tuple(items)


def _words(path: Sequence[str | int], value: Any) -> frozenset[str]:
    items = _strings(path, value)
    for i, word in enumerate(items):
        if not _WORD.fullmatch(word):
            raise _Bad(
                (*path, i),
                f"{_name((*path, i))}: {word!r} is not one word (letters or digits)",
            )
    return frozenset(w.casefold().replace("\u2019", "'") for w in items)


def _vendors(path: Sequence[str | int], value: Any) -> tuple[Vendor, ...]:
    out: list[Vendor] = []
    for i, item in enumerate(_list(path, value)):
        here = (*path, i)
        if isinstance(item, str):
            out.append(Vendor(_text(here, item)))
            continue
        if not isinstance(item, dict):
            raise _Bad(here, _type(_name(here), "a name or a table", item))
        for key in item:
            if key not in VENDOR_KEYS:
                raise _Bad((*here, key), _unknown(key, VENDOR_KEYS, "vendor key"))
        if "name" not in item:
            raise _Bad(here, f"{_name(here)} needs a name")
        name = _text((*here, "name"), item["name"])
        aliases = _strings((*here, "aliases"), item.get("aliases", []))
        for j, alias in enumerate(aliases):
            _text((*here, "aliases", j), alias)
        domains = _domains((*here, "domains"), item.get("domains", []), allow_empty=True)
        out.append(Vendor(name, tuple(aliases), domains))
    names = sum(len(vendor.names) for vendor in out)
    if names > MAX_POLICY_PATTERNS:
        most = MAX_POLICY_PATTERNS
        raise _Bad(path, f"{_name(path)} name {names:,} vendors and aliases; the most is {most:,}")
    return tuple(out)


def _update_every(path: Sequence[str | int], value: Any) -> tuple[tuple[int, int], ...]:
    name = _name(path)
    if not isinstance(value, dict):
        raise _Bad(path, _type(name, "a table of minutes per severity ({ SEV1 = 30 })", value))
    out = []
    for key, minutes in value.items():
        here = (*path, key)
        if key not in SEVERITY_KEYS:
            raise _Bad(
                here, f"{name}: unknown severity {key!r} (known: {', '.join(SEVERITY_KEYS)})"
            )
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise _Bad(here, _type(_name(here), "a whole number of minutes", minutes))
        if not 1 <= minutes <= MAX_UPDATE_MINUTES:
            raise _Bad(
                here, f"{_name(here)} must be 1 to {MAX_UPDATE_MINUTES} minutes, not {minutes}"
            )
        out.append((SEVERITY_KEYS.index(key) + 1, minutes))
    return tuple(sorted(out))
