"""Phrase rules: the clichés no draft may contain.

- `banned-phrase` (error): a text field (subject, topic, title, body) matches
  one of the policy's `banned_phrases` after normalization (case, spacing,
  line breaks, curly apostrophes, markdown emphasis and HTML tags do not hide
  a phrase). The default policy bans "we take security (very) seriously" and
  its family. One finding per field, quoting the first match.
"""

from __future__ import annotations

import re

from warroom.rules.model import ERROR, Context, DraftDoc, Finding
from warroom.rules.policy import Policy
from warroom.rules.text import fields, normalize, quote

BANNED_PHRASE = "banned-phrase"


def _shrink(pattern: re.Pattern[str], text: str, start: int, end: int) -> int:
    """The latest start at which pattern still matches within text[start:end], so
    "we had a breach, we take security seriously" quotes only the second clause."""
    best = start
    for pos in range(start + 1, end):
        if text[pos - 1].isalnum() or not text[pos].isalnum():
            continue  # only try word starts
        if pattern.match(text, pos, end):
            best = pos
    return best


def matches(text: str, policy: Policy) -> list[str]:
    """The banned passages in text (normalized), in order, overlaps merged."""
    norm = normalize(text)
    spans = sorted(
        (_shrink(pattern, norm, m.start(), m.end()), m.end())
        for pattern in policy.banned_patterns
        for m in pattern.finditer(norm)
        if m.end() > m.start()
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [norm[start:end] for start, end in merged]


def banned_phrase(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    out = []
    for name, value in fields(draft):
        found = matches(value, policy)
        if not found:
            continue
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        message = (
            f"the {name} says {quote(found[0], 80)}{more}: a banned phrase; "
            "say what happened and what you are doing instead"
        )
        out.append(Finding(BANNED_PHRASE, ERROR, message, name))
    return out
