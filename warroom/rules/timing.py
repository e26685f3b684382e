"""Timing rule: who may hear about the incident, and when.

- `internal-before-forensics` (warning): an internal communication (any chat,
  an email whose recipients are all inside the company, or an SMS or statement
  whose audience is "internal") while forensics has not yet ruled out an inside
  attacker (`context.forensics_done` is False). Silent when that is unknown.
  An email's recipients decide, whatever its audience label says: an email
  with a recipient outside the company is not internal communication.
"""

from __future__ import annotations

from warroom.rules.addresses import is_internal
from warroom.rules.model import WARNING, Context, DraftDoc, Finding
from warroom.rules.policy import Policy
from warroom.rules.recipients import unique_recipients

INTERNAL_BEFORE_FORENSICS = "internal-before-forensics"


def is_internal_communication(draft: DraftDoc, policy: Policy) -> bool:
    if draft.channel == "chat":
        return True
    if draft.channel == "email":
        addresses = [address for _header, address in unique_recipients(draft)]
        return bool(addresses) and all(is_internal(a, policy) for a in addresses)
    return draft.audience.strip().casefold() == "internal"


def internal_before_forensics(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if context.forensics_done is not False or not is_internal_communication(draft, policy):
        return []
    message = (
        "internal communication before forensics has ruled out an inside attacker: "
        "the attacker could be reading it; keep it to the response team"
    )
    return [Finding(INTERNAL_BEFORE_FORENSICS, WARNING, message, "")]
