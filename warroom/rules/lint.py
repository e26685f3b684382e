"""Run every comms rule over a draft; read drafts from .json and .eml files.

`RULES` lists every rule id (a public contract, also printed by the CLI and
README) with its severity and a one-line description, in the order findings
are reported within a severity.
"""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO, NamedTuple

from warroom.rules import (
    body,
    characters,
    phrases,
    recipients,
    size,
    sms,
    statement,
    subject,
    timing,
    vendors,
)
from warroom.rules.model import ERROR, WARNING, Context, DraftDoc, Finding
from warroom.rules.policy import Policy

Check = Callable[[DraftDoc, Policy, Context], list[Finding]]


class RuleInfo(NamedTuple):
    """What `RULES` says of a rule; unpacks as `severity, description`."""

    severity: str
    description: str


class _Rule(NamedTuple):
    id: str
    severity: str
    description: str
    check: Check


_RULE_LIST = (
    _Rule(
        size.DRAFT_TOO_LONG,
        ERROR,
        "a draft is within the size caps (body, one-line fields, recipients)",
        size.draft_too_long,
    ),
    _Rule(
        characters.HIDDEN_CHARACTERS,
        ERROR,
        "no draft holds bidi controls, zero-width characters or terminal controls",
        characters.hidden_characters,
    ),
    _Rule(
        characters.MIXED_SCRIPT,
        ERROR,
        "no word mixes Latin, Cyrillic and Greek letters (look-alikes hide words)",
        characters.mixed_script,
    ),
    _Rule(
        subject.SUBJECT,
        ERROR,
        "an email's subject is exactly the policy's subject and nothing else",
        subject.subject_not_awp,
    ),
    _Rule(
        subject.CHAT_PREFIX,
        ERROR,
        "chat topics and messages start with the policy's prefix",
        subject.chat_prefix,
    ),
    _Rule(
        subject.CHAT_CODENAME,
        ERROR,
        "chat topics and messages name the incident by its codename, never its title",
        subject.chat_codename,
    ),
    _Rule(
        recipients.BAD_ADDRESS,
        ERROR,
        "every email From/To/Cc/Bcc value is exactly one email address",
        recipients.bad_address,
    ),
    _Rule(
        recipients.NO_RECIPIENTS,
        ERROR,
        "an email has at least one recipient",
        recipients.no_recipients,
    ),
    _Rule(
        recipients.EXTERNAL_NEEDS_GPG,
        ERROR,
        "every recipient outside the internal domains has a usable GPG key",
        recipients.external_needs_gpg,
    ),
    _Rule(
        recipients.ENCRYPTED_NEEDS_KEYS,
        ERROR,
        "an email that goes encrypted has a usable key for every recipient and the sender",
        recipients.encrypted_needs_keys,
    ),
    _Rule(
        sms.SMS_DETAILS,
        ERROR,
        'an SMS says nothing but "move to a secure channel" (the SMS allow-list)',
        sms.sms_details,
    ),
    _Rule(
        phrases.BANNED_PHRASE,
        ERROR,
        'no draft says "we take security seriously" or another banned phrase',
        phrases.banned_phrase,
    ),
    _Rule(
        statement.STATEMENT_UNDATED,
        ERROR,
        "a public statement's title carries its full date",
        statement.statement_undated,
    ),
    _Rule(
        sms.SMS_CHANNEL,
        WARNING,
        "SMS is not for incident communication",
        sms.sms_channel,
    ),
    _Rule(
        recipients.NOT_ON_ROSTER,
        WARNING,
        "recipients are on the roster until disclosure is approved",
        recipients.recipient_not_on_roster,
    ),
    _Rule(
        recipients.PRIVILEGE_NEEDS_COUNSEL,
        WARNING,
        "an email marked with the policy's subject has the roster's legal counsel on it",
        recipients.privilege_needs_counsel,
    ),
    _Rule(
        timing.INTERNAL_BEFORE_FORENSICS,
        WARNING,
        "no internal communication before forensics rules out an inside attacker",
        timing.internal_before_forensics,
    ),
    _Rule(
        statement.STATEMENT_NOT_READY,
        WARNING,
        "a public statement waits for timeline, compromised data, mitigations, approval",
        statement.statement_not_ready,
    ),
    _Rule(
        vendors.VENDOR_NAMED,
        WARNING,
        "naming a vendor needs a link to the vendor's own disclosure",
        vendors.vendor_named,
    ),
    _Rule(
        body.EMPTY_BODY,
        WARNING,
        "the draft has text",
        body.empty_body,
    ),
)

RULES: dict[str, RuleInfo] = {r.id: RuleInfo(r.severity, r.description) for r in _RULE_LIST}
"""Rule id -> (severity, one-line description), errors first: the public list."""
CHECKS: dict[str, Check] = {r.id: r.check for r in _RULE_LIST}
"""Rule id -> the check that emits it, in RULES order."""

_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}
_NO_CONTEXT = Context()


def lint(draft: DraftDoc, policy: Policy, context: Context = _NO_CONTEXT) -> list[Finding]:
    """Every finding on draft: errors first, then warnings, each in RULES order.

    A draft over a size cap gets only `draft-too-long`: the caps bound the work."""
    too_long = size.draft_too_long(draft, policy, context)
    if too_long:
        return too_long
    findings = [finding for check in CHECKS.values() for finding in check(draft, policy, context)]
    return sorted(findings, key=lambda f: _SEVERITY_ORDER.get(f.severity, 2))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


# ---------------------------------------------------------------------------
# draft files


class DraftFileError(ValueError):
    """A draft file that cannot be read; the message is one line naming the file."""


JSON_KEYS = ("channel", "from", "to", "cc", "bcc", "subject", "topic", "title", "body", "audience")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


MAX_DRAFT_FILE_BYTES = 16 << 20
"""A draft file is read whole: a body, a subject and the recipients fit well within."""


DRAFT_FORMATS = ("json", "eml")
"""How a draft is written: the JSON draft format or an email (.eml)."""


def read_draft_file(path: str | Path, fmt: str | None = None) -> DraftDoc:
    """A draft from a .json file (the draft format) or an .eml file (an email); `fmt`
    ("json" or "eml") says which whatever the file's suffix.

    Refused (DraftFileError, one line): a file that cannot be read or parsed, one
    over MAX_DRAFT_FILE_BYTES, and a draft over a size cap (`warroom.rules.size`)."""
    path = Path(path)
    if fmt is None:
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in DRAFT_FORMATS:
            raise DraftFileError(f"{path}: not a draft file (use .json or .eml)")
    try:
        with path.open("rb") as fh:
            return read_draft_stream(fh, fmt, str(path))
    except OSError as exc:
        raise DraftFileError(f"{path}: cannot read: {_one_line(exc.strerror or exc)}") from None


def read_draft_stream(stream: BinaryIO, fmt: str, name: str = "standard input") -> DraftDoc:
    """A draft read from `stream` (a file, standard input) in `fmt`, "json" or "eml";
    never more than MAX_DRAFT_FILE_BYTES and a byte are read. Refused as
    read_draft_file refuses, the message naming `name`."""
    if fmt not in DRAFT_FORMATS:
        raise DraftFileError(f"{name}: unknown draft format {fmt!r} (use json or eml)")
    data = stream.read(MAX_DRAFT_FILE_BYTES + 1)
    if len(data) > MAX_DRAFT_FILE_BYTES:
        raise DraftFileError(
            f"{name}: too large for a draft (over {MAX_DRAFT_FILE_BYTES >> 20} MiB)"
        )
    doc = _read_json(name, data) if fmt == "json" else _read_eml(name, data)
    problems = size.size_problems(doc)
    if problems:
        more = f" (and {len(problems) - 1} more over their caps)" if len(problems) > 1 else ""
        raise DraftFileError(f"{name}: {problems[0][1]}{more}")
    return doc


def _read_json(path: str, data: bytes) -> DraftDoc:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DraftFileError(f"{path}: not UTF-8 text") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DraftFileError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise DraftFileError(f"{path}: a draft must be a JSON object")
    unknown = [k for k in value if k not in JSON_KEYS]
    if unknown:
        raise DraftFileError(
            f"{path}: unknown key {_one_line(repr(unknown[0]))} (known: {', '.join(JSON_KEYS)})"
        )
    try:
        return DraftDoc.from_mapping(value)
    except ValueError as exc:
        raise DraftFileError(f"{path}: {_one_line(exc)}") from None


def _header_addresses(msg: EmailMessage, name: str) -> tuple[str, ...]:
    """Each address in every `name` header; a header that does not parse is kept
    whole, so that bad-address reports it rather than a recipient going missing."""
    out: list[str] = []
    for key, raw in msg.raw_items():
        if key.lower() != name.lower():
            continue
        value = "".join(str(raw).splitlines())
        try:
            header = email.policy.default.header_factory(key, value)
            addresses = [str(a) for a in header.addresses]
            bad = bool(header.defects)
        except Exception:  # the stdlib header parser raises IndexError on some junk
            addresses, bad = [], True
        if bad:
            out.append(_one_line(value))
        else:
            out.extend(addresses)
    return tuple(out)


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def _read_eml(path: str, data: bytes) -> DraftDoc:
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        senders = _header_addresses(msg, "From")
        draft = DraftDoc(
            channel="email",
            sender=", ".join(senders),
            to=_header_addresses(msg, "To"),
            cc=_header_addresses(msg, "Cc"),
            bcc=_header_addresses(msg, "Bcc"),
            subject=str(msg.get("Subject", "") or ""),
            body=_body(msg),
        )
    except Exception as exc:  # hostile MIME makes the email package raise many things
        raise DraftFileError(f"{path}: cannot parse the email: {_one_line(exc)}") from None
    if not msg.keys():
        raise DraftFileError(f"{path}: not an email (no headers)")
    return draft
