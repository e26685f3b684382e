"""What the comms rules read and what they say.

A rule is a pure function `(draft, policy, context) -> list[Finding]`. The
finding ids are a contract (lint --json, the manifest, the UI): never rename one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ERROR = "error"
WARNING = "warning"
CHANNELS = ("email", "chat", "sms", "statement")


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str
    message: str
    field: str
    fix: str = ""
    """A quick fix the UI may offer: "subject" (set it to the policy's string),
    "prefix" (prepend the policy's string to field), "" for none."""

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "field": self.field,
        }


@dataclass(frozen=True, slots=True)
class DraftDoc:
    """A draft as the rules see it, from the incident, a JSON file or an .eml."""

    channel: str
    sender: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    topic: str = ""
    title: str = ""
    body: str = ""
    audience: str = ""

    @property
    def recipients(self) -> tuple[str, ...]:
        return (*self.to, *self.cc, *self.bcc)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DraftDoc:
        """From the JSON draft format (`from` for the sender). Raises ValueError."""
        channel = data.get("channel", "email")
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        values: dict[str, Any] = {"channel": channel}
        for key in ("to", "cc", "bcc"):
            raw = data.get(key, [])
            if isinstance(raw, str):
                raw = [raw]
            if not isinstance(raw, list) or not all(isinstance(a, str) for a in raw):
                raise ValueError(f"{key} must be a list of addresses")
            for value in raw:
                _check_text(key, value)
            values[key] = tuple(raw)
        for key, attr in (
            ("from", "sender"),
            ("subject", "subject"),
            ("topic", "topic"),
            ("title", "title"),
            ("body", "body"),
            ("audience", "audience"),
        ):
            raw = data.get(key, "")
            if not isinstance(raw, str):
                raise ValueError(f"{key} must be a string")
            values[attr] = _check_text(key, raw)
        return cls(**values)


def _check_text(key: str, value: str) -> str:
    """value, or ValueError if it holds a lone surrogate (JSON's "\\ud800"): not
    text, and nothing could store, print or encrypt it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(value[exc.start])
        raise ValueError(
            f"{key} holds a lone surrogate (\\u{code:04x}) at character {exc.start + 1}: not text"
        ) from None
    return value


KEY_FOUND = "found"
KEY_STATES = (KEY_FOUND, "missing", "expired", "revoked", "ambiguous", "unavailable")


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """The public key warroom would encrypt to for one address."""

    address: str
    status: str
    fingerprint: str = ""
    detail: str = ""
    """Why, in words: "pinned on the roster", "2 keys carry this address", ..."""

    @property
    def usable(self) -> bool:
        return self.status == KEY_FOUND


KeyLookup = Callable[[str], KeyStatus]


@dataclass(frozen=True, slots=True)
class Context:
    """What the incident knows that some rules need. None means unknown: the
    rule that needs it stays silent (lint of a loose file has no roster)."""

    keys: KeyLookup | None = None
    roster_emails: frozenset[str] | None = None
    disclosure_approved: bool | None = None
    forensics_done: bool | None = None
    readiness: Mapping[str, bool] | None = None
    """Public-statement readiness: "timeline", "compromised-data",
    "mitigations", "approval" -> whether each holds."""
    counsel_emails: frozenset[str] | None = None
    """The addresses of the roster's `legal` role holders (privilege-needs-counsel)."""
    title: str | None = None
    """The incident's private title: chat is told the codename only (chat-codename)."""
