"""Body rule.

- `empty-body` (warning): the draft has no text to send (chat message, email
  body, SMS or statement text is empty or blank).
"""

from __future__ import annotations

from warroom.rules.model import WARNING, Context, DraftDoc, Finding
from warroom.rules.policy import Policy

EMPTY_BODY = "empty-body"

_WHAT = {"chat": "chat message", "email": "email body", "sms": "SMS", "statement": "statement"}


def empty_body(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.body.strip():
        return []
    what = _WHAT.get(draft.channel, "body")
    return [Finding(EMPTY_BODY, WARNING, f"the {what} is empty", "body")]
