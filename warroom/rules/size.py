"""Size rule: a draft within the caps a person writes to (`warroom.limits`).

- `draft-too-long` (error): the body is over `MAX_DRAFT_BODY_CHARS`, the
  subject, chat topic, statement title, audience, sender or one address over
  `MAX_LINE_CHARS`, or To, Cc and Bcc together name more than `MAX_RECIPIENTS`.
  When it fires, `lint` runs no other rule: the caps are what bound the rules'
  work on one draft (a 10 MB body once took 9-17 s to lint).

`warroom lint FILE` refuses such a file outright (exit 2, `read_draft_file`);
a draft already in an incident (a device can write anything) gets the finding,
which blocks approval and export.
"""

from __future__ import annotations

from warroom.limits import (
    MAX_DRAFT_BODY_CHARS,
    MAX_LINE_CHARS,
    MAX_RECIPIENTS,
    TooLong,
    check_length,
)
from warroom.rules.model import ERROR, Context, DraftDoc, Finding
from warroom.rules.policy import Policy

DRAFT_TOO_LONG = "draft-too-long"

_LINES = (
    ("subject", "subject"),
    ("topic", "chat topic"),
    ("title", "title"),
    ("audience", "audience"),
    ("sender", "From address"),
)


def size_problems(draft: DraftDoc) -> list[tuple[str, str]]:
    """(field, one line saying what is over which cap) for every cap exceeded."""
    out: list[tuple[str, str]] = []
    try:
        check_length("the body", draft.body, MAX_DRAFT_BODY_CHARS)
    except TooLong as exc:
        out.append(("body", str(exc)))
    for attr, label in _LINES:
        try:
            check_length(f"the {label}", getattr(draft, attr), MAX_LINE_CHARS)
        except TooLong as exc:
            out.append(("from" if attr == "sender" else attr, str(exc)))
    count = len(draft.recipients)
    if count > MAX_RECIPIENTS:
        out.append(
            (
                "to",
                f"the draft has {count:,} recipients (To, Cc and Bcc); "
                f"the most is {MAX_RECIPIENTS:,}",
            )
        )
        return out  # do not walk ten thousand addresses more
    for header in ("to", "cc", "bcc"):
        for n, address in enumerate(getattr(draft, header), 1):
            if len(address) > MAX_LINE_CHARS:
                what = f"{header.capitalize()} address {n}"
                out.append(
                    (
                        header,
                        f"{what} is {len(address):,} characters; the most is {MAX_LINE_CHARS:,}",
                    )
                )
                break  # one per header is enough
    return out


def draft_too_long(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    return [
        Finding(DRAFT_TOO_LONG, ERROR, message, field) for field, message in size_problems(draft)
    ]
