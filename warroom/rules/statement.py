"""Public statement rules.

- `statement-undated` (error): a statement's title carries no full, valid
  date: ISO `2026-11-22`, `22 November 2026`, `22nd Nov. 2026`,
  `November 22, 2026`, `Nov 22 2026` (year required; `2026-02-30` does not
  count; all-numeric day/month forms are ambiguous and do not count).
- `statement-not-ready` (warning): a statement while any readiness item in
  `context.readiness` is False; the message names the missing ones (attack
  timeline, compromised data identified, mitigations in place, approval).
  Silent when readiness is unknown.
"""

from __future__ import annotations

import datetime as dt
import re

from warroom.rules.model import ERROR, WARNING, Context, DraftDoc, Finding
from warroom.rules.policy import Policy

STATEMENT_UNDATED = "statement-undated"
STATEMENT_NOT_READY = "statement-not-ready"

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
DATE_FORMS = (
    re.compile(r"(?<![\d-])(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?![\d-])"),
    re.compile(rf"(?i)(?<!\w){_DAY}(?:\s+of)?\s+{_MONTH},?\s+{_YEAR}(?!\d)"),
    re.compile(rf"(?i)(?<!\w){_MONTH}\s+{_DAY},?\s+{_YEAR}(?!\d)"),
)

READINESS_LABELS = {
    "timeline": "attack timeline",
    "compromised-data": "compromised data identified",
    "mitigations": "mitigations in place",
    "approval": "approval",
}


def dates_in(text: str) -> list[dt.date]:
    """Every full, valid calendar date written in text, in the forms above."""
    found = []
    for form in DATE_FORMS:
        for match in form.finditer(text):
            month = match.group("month")
            number = int(month) if month.isdigit() else MONTHS[month.lower()]
            try:
                found.append(dt.date(int(match.group("year")), number, int(match.group("day"))))
            except ValueError:
                continue
    return found


def statement_undated(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "statement" or dates_in(draft.title):
        return []
    if not draft.title.strip():
        message = "the statement has no title; its title must carry the date (2026-11-22)"
    else:
        message = (
            "the statement's title must carry its full date, year included "
            '(2026-11-22 or "22 November 2026")'
        )
    return [Finding(STATEMENT_UNDATED, ERROR, message, "title")]


def statement_not_ready(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "statement" or context.readiness is None:
        return []
    missing = [READINESS_LABELS.get(k, k) for k, ready in context.readiness.items() if not ready]
    if not missing:
        return []
    message = "a public statement before it is ready: missing " + ", ".join(missing)
    return [Finding(STATEMENT_NOT_READY, WARNING, message, "")]
