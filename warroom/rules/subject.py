"""Subject and prefix rules: what an email subject and a chat line must say.

- `subject-not-awp` (error): an email's subject is not exactly the policy's
  `subject` ("Attorney Work Project"): no "Re:"/"Fwd:", no extra words, same
  case, no spaces around it. Fix "subject".
- `chat-prefix` (error): a chat topic or message does not start with the
  policy's prefix (its `chat_prefix`, else `subject`), followed by the end or a
  non-alphanumeric character. One finding per field ("topic", "body"); an
  empty topic is fine and an empty body is `empty-body`'s concern. Fix "prefix".
- `chat-codename` (error): a chat topic or message names the incident's private
  title (Context.title, compared without case, extra spaces, combining marks or
  Latin look-alike letters; a title of 2+ words or 8+ letters also with spaces,
  dots, underscores and hyphens taken out of both, so "Secret-Payroll-Breach"
  and "S e c r e t Payroll Breach" count); a chat room is told the codename
  only. One finding per field.
"""

from __future__ import annotations

import re

from warroom.rules.model import ERROR, Context, DraftDoc, Finding
from warroom.rules.policy import Policy
from warroom.rules.text import fold, quote

SUBJECT = "subject-not-awp"
CHAT_PREFIX = "chat-prefix"
CHAT_CODENAME = "chat-codename"

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"), None)


def _subject_problem(subject: str, wanted: str) -> str:
    if not subject.strip():
        return f'the subject is empty; it must be exactly "{wanted}"'
    if subject.translate(_INVISIBLE) == wanted:
        return f'the subject has invisible characters; it must be exactly "{wanted}"'
    if subject.strip() == wanted:
        return f'the subject has spaces around "{wanted}"; it must be exactly that'
    if subject.strip().casefold() == wanted.casefold():
        return f'the subject must be exactly "{wanted}" (the case differs)'
    if wanted.casefold() in subject.casefold():
        return f'the subject must be exactly "{wanted}" and nothing else, not {quote(subject)}'
    return f'the subject must be exactly "{wanted}", not {quote(subject)}'


def subject_not_awp(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "email" or draft.subject == policy.subject:
        return []
    message = _subject_problem(draft.subject, policy.subject)
    return [Finding(SUBJECT, ERROR, message, "subject", "subject")]


def starts_with_prefix(text: str, prefix: str) -> bool:
    """text starts with prefix, and the prefix is not the start of a longer word."""
    if not text.startswith(prefix):
        return False
    rest = text[len(prefix) :]
    return not rest or not (rest[0].isalnum() and prefix[-1:].isalnum())


def chat_prefix(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "chat":
        return []
    prefix = policy.prefix
    out = []
    for name, label in (("topic", "chat topic"), ("body", "chat message")):
        value = getattr(draft, name)
        if not value.strip() or starts_with_prefix(value, prefix):
            continue
        if starts_with_prefix(value.lstrip(), prefix):
            why = " (remove the spaces before it)"
        elif value.casefold().startswith(prefix.casefold()):
            why = " (the case differs)"
        else:
            why = ""
        message = f'the {label} must start with "{prefix}"{why}'
        out.append(Finding(CHAT_PREFIX, ERROR, message, name, "prefix"))
    return out


_SEPARATORS = re.compile(r"[\s._\-\u2010-\u2015\u2212]+")

MIN_JOINED_TITLE = 8
"""Letters a one-word title needs before it is also looked for with the separators
taken out of the text ("Secret-Payroll-Breach", "S e c r e t"): a short word
would be found across the words of unrelated text."""


def _spaced(text: str) -> str:
    """text folded (`text.fold`, invisible characters out), spaces collapsed."""
    return " ".join(fold(text.translate(_INVISIBLE)).split())


def _joined(text: str) -> str:
    """text folded with every separator (space, dot, underscore, hyphen) taken out."""
    return _SEPARATORS.sub("", fold(text.translate(_INVISIBLE)))


def names_title(text: str, title: str) -> bool:
    """Whether text names title: without case, extra spaces, combining marks or Latin
    look-alikes, and, for a title of 2+ words or 8+ letters, without separators."""
    spaced = _spaced(title)
    if len(spaced) < 3:
        return False
    if spaced in _spaced(text):
        return True
    joined = _joined(title)
    long_enough = len(spaced.split()) >= 2 or sum(ch.isalpha() for ch in joined) >= MIN_JOINED_TITLE
    return long_enough and joined in _joined(text)


def chat_codename(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    title = context.title or ""
    if draft.channel != "chat" or not title.strip():
        return []
    out = []
    for name, label in (("topic", "chat topic"), ("body", "chat message")):
        if names_title(getattr(draft, name), title):
            message = f"the {label} names the incident's title: say its codename instead"
            out.append(Finding(CHAT_CODENAME, ERROR, message, name))
    return out
