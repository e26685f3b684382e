"""The comms rules applied to an incident's drafts.

The rules (`warroom.rules`) are pure and know nothing of incidents; this
module gives them what the incident knows: the roster (addresses, pinned key
fingerprints, who holds the `legal` role), the checklist (has forensics ruled
out an inside job? is a public statement ready?) and whether the draft is
approved.
"""

from __future__ import annotations

from collections.abc import Callable

from warroom.keylisting import normalize_fingerprint
from warroom.rules.addresses import is_internal, parse_address, parse_addresses
from warroom.rules.lint import lint
from warroom.rules.model import Context, DraftDoc, Finding, KeyLookup, KeyStatus
from warroom.rules.policy import Policy
from warroom.state import Draft, IncidentState

DONE = ("done", "skipped")
FORENSICS_STEP = "forensics"
DISCLOSURE_STEP = "external-comms"
COUNSEL_ROLE = "legal"
READINESS_STEPS = {
    "timeline": "attack-timeline",
    "compromised-data": "compromised-data",
    "mitigations": "further-mitigations",
}


def draft_doc(draft: Draft) -> DraftDoc:
    return DraftDoc(
        channel=draft.channel,
        sender=draft.sender,
        to=tuple(draft.to),
        cc=tuple(draft.cc),
        bcc=tuple(draft.bcc),
        subject=draft.subject,
        topic=draft.topic,
        title=draft.title,
        body=draft.body,
        audience=draft.audience,
    )


def _step_done(state: IncidentState, step_id: str) -> bool | None:
    step = state.steps.get(step_id)
    return None if step is None else step.status in DONE


def context_for(state: IncidentState, draft: Draft, keys: KeyLookup | None) -> Context:
    """What the incident tells the rules about this draft."""
    approved = draft.status == "approved" and bool(draft.approvals)
    disclosure = _step_done(state, DISCLOSURE_STEP)
    readiness = {
        item: done
        for item, step_id in READINESS_STEPS.items()
        if (done := _step_done(state, step_id)) is not None
    }
    readiness["approval"] = approved
    return Context(
        keys=keys,
        roster_emails=frozenset(
            address for p in state.people.values() if (address := roster_address(p.email))
        ),
        disclosure_approved=approved or bool(disclosure),
        forensics_done=_step_done(state, FORENSICS_STEP),
        readiness=readiness,
        counsel_emails=frozenset(
            address for p in state.holders(COUNSEL_ROLE) if (address := roster_address(p.email))
        ),
        title=state.incident.title,
    )


def review(
    state: IncidentState, policy: Policy, draft: Draft, keys: KeyLookup | None
) -> list[Finding]:
    return lint(draft_doc(draft), policy, context_for(state, draft, keys))


def chat_findings(state: IncidentState, policy: Policy, text: str) -> list[Finding]:
    """The rules' findings on a chat message about to leave (warroom chat send)."""
    draft = Draft(id="", channel="chat", body=text)
    return lint(draft_doc(draft), policy, context_for(state, draft, None))


def roster_address(value: str) -> str:
    """The bare, lower-cased address of a roster email field ("Eve <EVE@x.com>" ->
    "eve@x.com"); "" when it is not exactly one address."""
    spec = parse_address(value) if value else None
    return spec.lower() if spec else ""


def _pins(state: IncidentState) -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    for person in state.people.values():
        address = roster_address(person.email)
        fingerprint = normalize_fingerprint(person.gpg)
        if address and fingerprint:
            pins.setdefault(address, set()).add(fingerprint)
    return pins


def pinned_fingerprints(state: IncidentState) -> dict[str, str]:
    """address -> the key fingerprint pinned on the roster for it. An address the
    roster pins to two different keys is left out: `key_lookup` reports it as
    ambiguous rather than pick one."""
    return {a: next(iter(f)) for a, f in _pins(state).items() if len(f) == 1}


def key_lookup(
    resolve: Callable[[str, str], KeyStatus], state: IncidentState
) -> Callable[[str], KeyStatus]:
    """A KeyLookup over `resolve(address, pinned)` (Keyring.resolve) that uses the
    roster's pins and asks gpg once per address."""
    pins = _pins(state)
    cache: dict[str, KeyStatus] = {}

    def lookup(address: str) -> KeyStatus:
        address = address.lower()
        if address not in cache:
            pinned = sorted(pins.get(address, ()))
            if len(pinned) > 1:
                cache[address] = KeyStatus(
                    address,
                    "ambiguous",
                    "",
                    f"the roster pins {len(pinned)} different keys for this address "
                    f"({', '.join(pinned)}); keep one",
                )
            else:
                cache[address] = resolve(address, pinned[0] if pinned else "")
        return cache[address]

    return lookup


def email_addresses(doc: DraftDoc) -> list[str]:
    """Every parsable recipient address, lower-cased, in order, once."""
    out: list[str] = []
    for _raw, addr in parse_addresses(doc.recipients):
        if addr and addr.lower() not in out:
            out.append(addr.lower())
    return out


def sender_address(doc: DraftDoc) -> str:
    return (parse_address(doc.sender) or "").lower() if doc.sender else ""


def has_external(doc: DraftDoc, policy: Policy) -> bool:
    return any(not is_internal(a, policy) for a in email_addresses(doc))
