"""Vendor rule: naming a third party needs a link to its own disclosure.

- `vendor-named` (warning): a text field names a vendor from the policy's
  `vendors` (its name or an alias, whole word, any case) and no field of the
  draft links to that vendor's own disclosure: a URL on one of the vendor's
  `domains` (or a subdomain), or any URL when the vendor lists no domains.
  One finding per vendor, on the first field that names it.
"""

from __future__ import annotations

import functools
import re

from warroom.rules.model import WARNING, Context, DraftDoc, Finding
from warroom.rules.policy import Policy, Vendor
from warroom.rules.text import fields, normalize, url_host, urls

VENDOR_NAMED = "vendor-named"

_RUN = re.compile(r"\w+")


@functools.lru_cache(maxsize=4096)
def _name_pattern(name: str) -> tuple[frozenset[str], re.Pattern[str] | None] | None:
    """The word runs a name needs, and its pattern (None when the name is one plain
    word: the runs decide alone); None for a name that normalizes to nothing.

    Every word run of a name that matches is a whole word run of the text, so a
    name whose runs are not all in the text cannot match: most names cost a set
    lookup, not a scan of the text (a policy may name 500)."""
    normalized = normalize(name)
    if not normalized:
        return None
    runs = frozenset(_RUN.findall(normalized))
    if _RUN.fullmatch(normalized):
        return runs, None
    words = [re.escape(w) for w in normalized.split()]
    return runs, re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def _names_in(name: str, text: str, runs: set[str]) -> bool:
    compiled = _name_pattern(name)
    if compiled is None or not compiled[0] <= runs:
        return False
    pattern = compiled[1]
    return pattern is None or pattern.search(text) is not None


def _links_to(vendor: Vendor, hosts: list[str]) -> bool:
    if not vendor.domains:
        return bool(hosts)
    return any(
        host == domain or host.endswith("." + domain) for host in hosts for domain in vendor.domains
    )


def vendor_named(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if not policy.vendors:
        return []
    texts = fields(draft)
    hosts = [url_host(u) for _name, value in texts for u in urls(value)]
    normalized = [
        (name, text, set(_RUN.findall(text))) for name, value in texts if (text := normalize(value))
    ]
    out = []
    for vendor in policy.vendors:
        where = next(
            (
                name
                for name, text, runs in normalized
                if any(_names_in(n, text, runs) for n in vendor.names)
            ),
            None,
        )
        if where is None or _links_to(vendor, hosts):
            continue
        link = "a link on " + " or ".join(vendor.domains) if vendor.domains else "a link"
        message = (
            f"the {where} names {vendor.name} without a link to {vendor.name}'s own "
            f"disclosure ({link})"
        )
        out.append(Finding(VENDOR_NAMED, WARNING, message, where))
    return out
