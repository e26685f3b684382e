"""Email addresses, parsed (never grepped), and whether one is inside the company.

`parse_addresses` accepts what people type in a To field: `ann@example.com`,
`"Ann Lee" <ann@example.com>`, `Ann <ANN@Example.COM>`; each value must hold
exactly one address (no lists, no groups, no control characters).

`is_internal` is deliberately strict, because "internal" means "may be sent in
clear": the domain must be plain ASCII, equal (case aside) to one of the
policy's internal domains, or, when the policy says `include_subdomains`, end
in "." + one of them with valid, non-punycode labels in front. Everything else
is external: `example.com.evil.net`, `example-com.net`, `examp1e.com`, a
Cyrillic "а" in `exаmple.com`, `xn--` forms that are not listed exactly, a
trailing dot, an IP literal.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from email.errors import ObsoleteHeaderDefect
from email.headerregistry import HeaderRegistry
from typing import Protocol

_REGISTRY = HeaderRegistry()
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
"""A bare dot-atom address: the stdlib parser would return it unchanged (checked in
tests/unit/test_addresses.py), at a hundredth of the cost. A draft may have 10,000."""


@functools.lru_cache(maxsize=16_384)
def parse_address(value: str) -> str | None:
    """The addr-spec of value if it is exactly one address, else None."""
    if not value or not value.strip() or _CONTROL.search(value):
        return None
    value = value.strip()
    return value if _PLAIN.fullmatch(value) else parse_with_stdlib(value)


def parse_with_stdlib(value: str) -> str | None:
    """parse_address without the fast path: the stdlib's header parser decides."""
    try:
        header = _REGISTRY("to", value)
    except Exception:  # the stdlib parser raises IndexError and friends on junk
        return None
    if any(not isinstance(d, ObsoleteHeaderDefect) for d in header.defects):
        return None
    if len(header.groups) != 1 or header.groups[0].display_name is not None:
        return None
    addresses = header.addresses
    if len(addresses) != 1:
        return None
    address = addresses[0]
    if not address.username or not address.domain:
        return None
    return address.addr_spec


def parse_addresses(values: Iterable[str]) -> list[tuple[str, str | None]]:
    """(raw value, its addr-spec or None when it is not exactly one address)."""
    return [(raw, parse_address(raw)) for raw in values]


def is_hostname(domain: str) -> bool:
    """A plain lower-case ASCII DNS name of two labels or more, no trailing dot."""
    if not domain or len(domain) > 253 or not domain.isascii():
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(LABEL.fullmatch(label) for label in labels)


class InternalDomains(Protocol):
    """What `is_internal` needs of a policy (`warroom.rules.policy.Policy` has it).
    Named here, not imported: the policy checks its domains with `is_hostname`,
    so importing it back would make a cycle."""

    @property
    def internal_domains(self) -> tuple[str, ...]: ...
    @property
    def include_subdomains(self) -> bool: ...


def is_internal(address: str, policy: InternalDomains) -> bool:
    """Whether address (an addr-spec or a typed value) is at one of the policy's
    internal domains. Unparsable, odd or lookalike domains are external."""
    spec = parse_address(address)
    if spec is None:
        return False
    domain = spec.rpartition("@")[2]
    if not domain.isascii():
        return False
    domain = domain.lower()
    if domain in policy.internal_domains:
        return True
    if not policy.include_subdomains:
        return False
    for internal in policy.internal_domains:
        prefix, dot, rest = domain.rpartition("." + internal)
        if not dot or rest or not prefix:
            continue
        labels = prefix.split(".")
        if all(LABEL.fullmatch(label) and not label.startswith("xn--") for label in labels):
            return is_hostname(domain)
    return False
