"""Recipient rules: addresses that parse, encryption outside, the roster.

- `bad-address` (error): an email's From, To, Cc or Bcc value is not exactly
  one email address (a list in one value, a group, a missing domain, a
  trailing dot, control characters ...).
- `no-recipients` (error): an email with nobody in To, Cc or Bcc.
- `external-needs-gpg` (error): an email recipient outside the policy's
  internal domains has no usable public key (`context.keys(address)`, address
  the bare lower-cased addr-spec): missing, expired, revoked, ambiguous, or
  unavailable (also when no keyring was consulted). One finding per address,
  in the header where it first appears.
- `encrypted-needs-keys` (error): an email that goes encrypted (it has a
  recipient outside the internal domains) is encrypted to everyone on it and to
  its sender, so each needs a usable key: an internal recipient without one
  (external ones are `external-needs-gpg`'s), the sender without one, or no
  sender at all. Without this, such a draft was approved and export failed.
- `recipient-not-on-roster` (warning): an email or chat recipient is not on
  the incident roster while disclosure is not approved. Silent when the roster
  or the approval is unknown.
- `privilege-needs-counsel` (warning): an email marked with the policy's
  subject ("Attorney Work Project") has no holder of the roster's `legal` role
  among its recipients (To, Cc or Bcc): the label alone does not make a mail
  privileged. Silent when the roster is unknown (a loose file).
"""

from __future__ import annotations

from collections.abc import Iterator

from warroom.rules.addresses import is_internal, parse_address, parse_addresses
from warroom.rules.model import ERROR, WARNING, Context, DraftDoc, Finding, KeyStatus
from warroom.rules.policy import Policy
from warroom.rules.text import quote

BAD_ADDRESS = "bad-address"
NO_RECIPIENTS = "no-recipients"
EXTERNAL_NEEDS_GPG = "external-needs-gpg"
ENCRYPTED_NEEDS_KEYS = "encrypted-needs-keys"
NOT_ON_ROSTER = "recipient-not-on-roster"
PRIVILEGE_NEEDS_COUNSEL = "privilege-needs-counsel"
NEEDS_KEYS = frozenset({EXTERNAL_NEEDS_GPG, ENCRYPTED_NEEDS_KEYS})
"""The rules whose findings depend on key lookups: meaningless where no keyring was
consulted (the drafts pane counts errors without gpg)."""

HEADERS = ("to", "cc", "bcc")


def recipients(draft: DraftDoc) -> Iterator[tuple[str, str, str | None]]:
    """(header, raw value, addr-spec or None) for every recipient value."""
    for header in HEADERS:
        for raw, spec in parse_addresses(getattr(draft, header)):
            yield header, raw, spec


def unique_recipients(draft: DraftDoc) -> list[tuple[str, str]]:
    """(header, lower-cased addr-spec) for each parsable address, first header wins."""
    seen: dict[str, str] = {}
    for header, _raw, spec in recipients(draft):
        if spec is not None:
            seen.setdefault(spec.lower(), header)
    return [(header, address) for address, header in seen.items()]


def bad_address(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "email":
        return []
    values = [("from", draft.sender)] if draft.sender.strip() else []
    values += [(header, raw) for header, raw, _spec in recipients(draft)]
    out = []
    for header, raw in values:
        if parse_addresses([raw])[0][1] is not None:
            continue
        label = "From" if header == "from" else header.capitalize()
        what = "an empty address" if not raw.strip() else quote(raw)
        message = f"{label}: {what} is not one email address"
        out.append(Finding(BAD_ADDRESS, ERROR, message, header))
    return out


def no_recipients(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "email" or any(v.strip() for v in draft.recipients):
        return []
    return [Finding(NO_RECIPIENTS, ERROR, "the email has no recipients (To, Cc or Bcc)", "to")]


def _key_status(context: Context, address: str) -> KeyStatus:
    if context.keys is None:
        return KeyStatus(address, "unavailable", detail="no keyring consulted")
    try:
        return context.keys(address)
    except Exception as exc:  # a broken keyring is a finding, not a crash
        return KeyStatus(
            address, "unavailable", detail=str(exc).splitlines()[0] if str(exc) else ""
        )


def external_needs_gpg(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "email":
        return []
    out = []
    for header, address in unique_recipients(draft):
        if is_internal(address, policy):
            continue
        status = _key_status(context, address)
        if status.usable:
            continue
        message = (
            f"{address} is outside the company and has no usable public key to encrypt to "
            f"({_why(status)})"
        )
        out.append(Finding(EXTERNAL_NEEDS_GPG, ERROR, message, header))
    return out


def _why(status: KeyStatus) -> str:
    return status.status + (f": {status.detail}" if status.detail else "")


def encrypted_needs_keys(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "email":
        return []
    everyone = unique_recipients(draft)
    if all(is_internal(address, policy) for _header, address in everyone):
        return []  # sent in clear (or no one to send to: no-recipients)
    reason = "the email goes encrypted (it has a recipient outside the company)"
    out = []
    for header, address in everyone:
        if not is_internal(address, policy):
            continue  # external-needs-gpg
        status = _key_status(context, address)
        if not status.usable:
            message = (
                f"{address} has no usable public key ({_why(status)}); {reason}, "
                "so every recipient needs one"
            )
            out.append(Finding(ENCRYPTED_NEEDS_KEYS, ERROR, message, header))
    if not draft.sender.strip():
        message = f"the email has no From address; {reason} to its sender too"
        out.append(Finding(ENCRYPTED_NEEDS_KEYS, ERROR, message, "from"))
        return out
    sender = parse_address(draft.sender)
    if sender is None or any(sender.lower() == address for _header, address in everyone):
        return out  # bad-address, or a recipient already checked
    status = _key_status(context, sender.lower())
    if not status.usable:
        message = (
            f"the sender {sender.lower()} has no usable public key ({_why(status)}); "
            f"{reason} to its sender too"
        )
        out.append(Finding(ENCRYPTED_NEEDS_KEYS, ERROR, message, "from"))
    return out


def recipient_not_on_roster(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel not in ("email", "chat"):
        return []
    if context.roster_emails is None or context.disclosure_approved is None:
        return []
    if context.disclosure_approved:
        return []
    roster = {a.lower() for a in context.roster_emails}
    return [
        Finding(
            NOT_ON_ROSTER,
            WARNING,
            f"{address} is not on the incident roster, and disclosure is not approved yet",
            header,
        )
        for header, address in unique_recipients(draft)
        if address not in roster
    ]


def privilege_needs_counsel(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "email" or context.counsel_emails is None:
        return []
    label = policy.subject
    if label.casefold() not in " ".join(draft.subject.split()).casefold():
        return []  # no privilege claimed (subject-not-awp has its say)
    everyone = {address for _header, address in unique_recipients(draft)}
    counsel = {a.lower() for a in context.counsel_emails}
    if not everyone or everyone & counsel:
        return []
    if counsel:
        who = f"legal counsel on the roster ({', '.join(sorted(counsel))}) is not among them"
    else:
        who = "nobody holding the legal role on the roster has an email address"
    message = (
        f'the email is marked "{label}", but {who}: privilege needs counsel on the mail, '
        "not only the label"
    )
    return [Finding(PRIVILEGE_NEEDS_COUNSEL, WARNING, message, "to")]
