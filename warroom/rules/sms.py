"""SMS rules: SMS only ever says "move to a secure channel".

- `sms-channel` (warning): every SMS draft; SMS is not a channel for incident
  communication, only for asking people to move to one.
- `sms-details` (error): the SMS says more than that: a word not on the
  policy's `sms_allowed_words`, or a link, email address, credential, IP
  address, host name, long number or long token. The message says what was
  found: incident words (breach, attack, outage ...) are named as such, and
  credentials and tokens are described, never quoted. Clock times (14:30) and
  one- or two-digit numbers are allowed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from warroom.rules.model import ERROR, WARNING, Context, DraftDoc, Finding
from warroom.rules.policy import Policy
from warroom.rules.text import quote

SMS_CHANNEL = "sms-channel"
SMS_DETAILS = "sms-details"

INCIDENT_WORD = re.compile(
    r"^(?:breach|attack|compromis|hack|leak|ransom|incident|outage|malware|exfiltrat|intru"
    r"|phish|stole|steal|exploit|vulnerab|ddos|virus|trojan|backdoor|exposed|exposure"
    r"|unauthori|suspicious|forensic|infect|cve$|down$)"
)
_APOSTROPHES = dict.fromkeys(map(ord, "\u2018\u2019\u201b\u02bc\u2032`"), "'")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)

_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{0,15}://|www\.)[^\s<>\"']+")
_EMAIL = re.compile(r"(?<![^\s@<>()\[\]\"',;:])[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+")
_CREDENTIAL = re.compile(
    r"(?i)\b(pass(?:word|wd|code|phrase)?|pwd|pin|token|secret|api[_-]?key|key|otp|code)"
    r"\s*[:=]\s*\S+"
    r"|\b(password|passwd|passcode|passphrase|token|secret)\s+is\s+\S+"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w.]*\w)")
_IPV6 = re.compile(r"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])")
_HEX = re.compile(r"(?i)\b(?:0x)?(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{16,}\b")
_BASE64 = re.compile(r"(?<![\w+/=-])(?=[\w+/-]*\d)(?=[\w+/-]*[a-zA-Z])[\w+/-]{20,}={0,2}")
_HOST = re.compile(
    r"(?i)(?<![\w.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]\b"
)
_HYPHEN_HOST = re.compile(r"(?i)\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b")
_TIME = re.compile(r"\b\d{1,2}[:.h]\d{2}(?::\d{2})?\b")
_NUMBER = re.compile(r"(?<![\w.])\+?\d(?:[\d -]*\d)?(?![\w.]*\w)")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def sms_channel(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "sms":
        return []
    message = 'SMS is not for incident communication: use it only to say "move to a secure channel"'
    return [Finding(SMS_CHANNEL, WARNING, message, "channel")]


def _q(text: str) -> str:
    return quote(text, 40)


def sms_problems(text: str, allowed: frozenset[str]) -> list[str]:
    """What an SMS says beyond the allow-list, in words, most serious first."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_APOSTROPHES)
    found: list[str] = []

    def take(pattern: re.Pattern[str], describe: Callable[[re.Match[str]], str | None]) -> None:
        nonlocal text

        def sub(match: re.Match[str]) -> str:
            what = describe(match)
            if what is None:
                return match.group(0)
            if what and what not in found:
                found.append(what)
            return " "

        text = pattern.sub(sub, text)

    take(_URL, lambda m: f"a link {_q(m.group(0).rstrip('.,;:!?'))}")
    take(_EMAIL, lambda m: f"an email address {_q(m.group(0).rstrip('.,;:!?'))}")
    take(_CREDENTIAL, lambda m: f"what looks like a credential ({(m[1] or m[2]).lower()} …)")
    take(_IPV4, lambda m: f"an IP address {_q(m.group(0))}")

    def ipv6(match: re.Match[str]) -> str | None:
        value = match.group(0)
        if not re.search(r"[0-9a-fA-F]", value) or ("::" not in value and value.count(":") < 5):
            return None  # "::" alone, or a clock time like 14:30:00
        return f"an IP address {_q(match.group(0))}"

    take(_IPV6, ipv6)
    take(_HEX, lambda m: f"a long hex string ({len(m.group(0))} characters: a key or hash?)")

    def token(match: re.Match[str]) -> str | None:
        if _HYPHEN_HOST.fullmatch(match.group(0)) and match.group(0).islower():
            return None  # db-replica-2-eu-west-1: a host name, below
        return f"a long token ({len(match.group(0))} characters: a key or secret?)"

    take(_BASE64, token)

    def host(match: re.Match[str]) -> str | None:
        labels = match.group(0).lower().split(".")
        if all(label in allowed for label in labels):
            return None  # "channel.please": a missing space, not a host
        return f"a host name {_q(match.group(0))}"

    take(_HOST, host)
    take(_TIME, lambda m: "")

    def hyphen_host(match: re.Match[str]) -> str | None:
        if not any(c.isdigit() for c in match.group(0)):
            return None
        return f"a host name {_q(match.group(0))}"

    take(_HYPHEN_HOST, hyphen_host)

    def number(match: re.Match[str]) -> str | None:
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) <= 2:
            return ""
        if len(digits) >= 5:
            return f"a long number (an account id? a phone number?) {_q(match.group(0))}"
        return f"a number {_q(match.group(0))}"

    take(_NUMBER, number)

    incident: list[str] = []
    other: list[str] = []
    for match in _TOKEN.finditer(text.casefold()):
        word = match.group(0)
        if word in allowed or word in incident or word in other:
            continue
        if word.isdigit() and len(word) <= 2:
            continue  # "in 5", left over from "1.2" and the like
        (incident if INCIDENT_WORD.match(word) else other).append(word)
    if incident:
        noun = "an incident word" if len(incident) == 1 else "incident words"
        found.insert(0, f"{noun} {', '.join(map(_q, incident))}")
    if other:
        shown = ", ".join(map(_q, other[:6])) + (
            f" and {len(other) - 6} more" if len(other) > 6 else ""
        )
        found.append(
            f"{'a word' if len(other) == 1 else 'words'} not on the SMS allow-list: {shown}"
        )
    return found


def sms_details(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    if draft.channel != "sms" or not draft.body.strip():
        return []
    problems = sms_problems(draft.body, policy.sms_allowed_words)
    if not problems:
        return []
    message = 'the SMS says more than "move to a secure channel": ' + "; ".join(problems)
    return [Finding(SMS_DETAILS, ERROR, message, "body")]
