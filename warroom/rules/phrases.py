"""Phrase rules: the clichés no draft may contain.

- `banned-phrase` (error): a text field (subject, topic, title, body) matches
  one of the policy's `banned_phrases` after normalization (case, spacing,
  line breaks, curly apostrophes, markdown emphasis and HTML tags do not hide
  a phrase; nor do combining marks, Latin look-alike letters such as "ɑ" or small
  capitals, or a capital I for an l, `text.variants`; Cyrillic and Greek look-alikes
  are refused by `mixed-script`). The default policy bans "we take security (very) seriously" and
  its family. One finding per field, quoting the first match.

Patterns run on RE2 (`warroom.rules.matcher`: linear time, whatever the policy).
The work per text is bounded too: at most `MAX_MATCHES` matches of a pattern are
counted ("and at least N more" beyond), and quoting the shortest passage of a
match spends at most `SHRINK_BUDGET` anchored tries per text.
"""

from __future__ import annotations

from warroom.rules.matcher import MAX_MATCHES, Pattern, encode, find, matches_at
from warroom.rules.model import ERROR, Context, DraftDoc, Finding
from warroom.rules.policy import Policy
from warroom.rules.text import fields, normalize, quote, variants

BANNED_PHRASE = "banned-phrase"

SHRINK_SPAN = 1_000
"""Bytes: a longer match (only a custom pattern with an open repeat makes one) is
quoted from its start rather than shrunk."""
SHRINK_BUDGET = 4_000
"""Anchored tries `_shrink` may spend on one text, whatever the policy."""


class _Budget:
    def __init__(self, tries: int) -> None:
        self.tries = tries


def _word_starts(data: bytes, start: int, end: int) -> list[int]:
    """Byte offsets in (start, end) where a word begins (an alphanumeric character
    after one that is not)."""
    out: list[int] = []
    offset = start
    previous = True  # the match's own start is not a candidate
    for char in data[start:end].decode("utf-8", "replace"):
        alnum = char.isalnum()
        if alnum and not previous:
            out.append(offset)
        previous = alnum
        offset += len(char.encode("utf-8", "replace"))
    return out


def _shrink(pattern: Pattern, data: bytes, start: int, end: int, budget: _Budget) -> int:
    """The latest start at which pattern still matches within data[start:end], so
    "we had a breach, we take security seriously" quotes only the second clause."""
    if end - start > SHRINK_SPAN:
        return start
    best = start
    for pos in _word_starts(data, start, end):
        if budget.tries <= 0:
            break
        budget.tries -= 1
        if matches_at(pattern, data, pos, end):
            best = pos
    return best


def find_passages(text: str, policy: Policy) -> tuple[list[str], bool]:
    """The banned passages in text (normalized), in order, overlaps merged; and
    whether some pattern had more than `MAX_MATCHES` matches (not all counted).

    Each reading of text (`text.variants`: as typed, then with look-alike letters
    and combining marks folded away) is tried in turn; the first with a match counts."""
    seen: set[str] = set()
    for variant in variants(text):
        normal = normalize(variant)
        if normal in seen:
            continue
        seen.add(normal)
        found, more = _find_normalized(normal, policy)
        if found:
            return found, more
    return [], False


def _find_normalized(normal: str, policy: Policy) -> tuple[list[str], bool]:
    data = encode(normal)
    budget = _Budget(SHRINK_BUDGET)
    spans: list[tuple[int, int]] = []
    more = False
    for pattern in policy.banned_patterns:
        found = list(find(pattern, data, MAX_MATCHES + 1))
        if len(found) > MAX_MATCHES:
            more = True
            found = found[:MAX_MATCHES]
        spans.extend((_shrink(pattern, data, start, end, budget), end) for start, end in found)
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [data[start:end].decode("utf-8", "replace") for start, end in merged], more


def matches(text: str, policy: Policy) -> list[str]:
    """The banned passages in text (normalized), in order, overlaps merged."""
    return find_passages(text, policy)[0]


def banned_phrase(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    out = []
    for name, value in fields(draft):
        found, uncounted = find_passages(value, policy)
        if not found:
            continue
        more = ""
        if len(found) > 1 or uncounted:
            more = f" (and {'at least ' if uncounted else ''}{len(found) - 1} more)"
        message = (
            f"the {name} says {quote(found[0], 80)}{more}: a banned phrase; "
            "say what happened and what you are doing instead"
        )
        out.append(Finding(BANNED_PHRASE, ERROR, message, name))
    return out
