"""Vendor rule: naming a third party needs a link to its own disclosure.

- `vendor-named` (warning): a text field names a vendor from the policy's
  `vendors` (its name or an alias, whole word, any case) and no field of the
  draft links to that vendor's own disclosure: a URL on one of the vendor's
  `domains` (or a subdomain), or any URL when the vendor lists no domains.
  One finding per vendor, on the first field that names it.
"""

from __future__ import annotations

import re

from warroom.rules.model import WARNING, Context, DraftDoc, Finding
from warroom.rules.policy import Policy, Vendor
from warroom.rules.text import fields, normalize, url_host, urls

VENDOR_NAMED = "vendor-named"


def _name_pattern(name: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in normalize(name).split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


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
    normalized = [(name, normalize(value)) for name, value in texts]
    out = []
    for vendor in policy.vendors:
        patterns = [_name_pattern(n) for n in vendor.names if normalize(n)]
        where = next(
            (name for name, text in normalized if any(p.search(text) for p in patterns)), None
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
