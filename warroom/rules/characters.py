"""Character rules: text that reads otherwise than it is.

- `hidden-characters` (error): a field of the draft (subject, topic, title, body,
  audience, From, To, Cc, Bcc) holds a bidi control (U+202A-202E, U+2066-2069,
  U+200E/F, U+061C), a zero-width or invisible character (U+200B-200D,
  U+2060-2064, U+FEFF, U+180E, the tag characters U+E0000-E007F) or a C0/C1
  control other than a line feed or a tab (a carriage return only just before a
  line feed, in the body). They reorder or hide what a reader sees, split a word
  the other rules look for, and a terminal runs the escapes (OSC 52 writes the
  clipboard) when someone `cat`s the exported file. One finding per field,
  naming the first such character and where it is.
- `mixed-script` (error): a word (a run of letters) mixes Latin, Cyrillic and
  Greek letters ("sеriously" with a Cyrillic е): look-alike letters hide a word
  from the other rules (banned-phrase, chat-codename) while a reader sees it.
  One finding per field, naming the first such word and its odd letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from warroom.rules.model import ERROR, Context, DraftDoc, Finding
from warroom.rules.policy import Policy
from warroom.rules.text import fields, quote

HIDDEN_CHARACTERS = "hidden-characters"
MIXED_SCRIPT = "mixed-script"

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e")
_ALLOWED_CONTROLS = frozenset("\n\t")

_FIELDS = (
    ("subject", "subject"),
    ("topic", "chat topic"),
    ("title", "title"),
    ("body", "body"),
    ("audience", "audience"),
    ("sender", "From address"),
)


def hidden_kind(char: str) -> str:
    """What kind of hidden character char is ("" for an ordinary one)."""
    if char in _BIDI:
        return "a bidi control"
    if char in _ZERO_WIDTH:
        return "an invisible character"
    code = ord(char)
    if 0xE0000 <= code <= 0xE007F:
        return "an invisible tag character"
    if (code < 0x20 or 0x7F <= code <= 0x9F) and char not in _ALLOWED_CONTROLS:
        return "a control character"
    return ""


_MAYBE_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
"""Every character hidden_kind names, found at C speed: a 64k body is one scan."""


def first_hidden(text: str, body: bool = False) -> tuple[int, str, int] | None:
    """(index, kind, how many in all) of the hidden characters in text, or None. In a
    body, a carriage return just before a line feed (a CRLF line end) is allowed."""
    first: tuple[int, str] | None = None
    count = 0
    for match in _MAYBE_HIDDEN.finditer(text):
        index, char = match.start(), match.group()
        kind = hidden_kind(char)
        if not kind or (body and char == "\r" and text[index + 1 : index + 2] == "\n"):
            continue
        count += 1
        if first is None:
            first = (index, kind)
    return None if first is None else (first[0], first[1], count)


def _labelled(draft: DraftDoc) -> Iterator[tuple[str, str, str]]:
    """(field, label, text) for every text field and address of the draft."""
    for attr, label in _FIELDS:
        yield ("from" if attr == "sender" else attr), label, getattr(draft, attr)
    for header in ("to", "cc", "bcc"):
        for n, address in enumerate(getattr(draft, header), 1):
            yield header, f"{header.capitalize()} address {n}", address


def hidden_characters(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    out: list[Finding] = []
    done: set[str] = set()
    for name, label, text in _labelled(draft):
        if name in done:
            continue
        found = first_hidden(text, body=name == "body")
        if found is None:
            continue
        index, kind, count = found
        more = f" (and {count - 1} more)" if count > 1 else ""
        message = (
            f"the {label} holds {kind} (U+{ord(text[index]):04X}) at character {index + 1}"
            f"{more}: hidden characters change what a reader sees; remove them"
        )
        out.append(Finding(HIDDEN_CHARACTERS, ERROR, message, name))
        done.add(name)
    return out


_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
_LETTERS = re.compile(r"[^\W\d_]+")


def script(char: str) -> str:
    """LATIN, CYRILLIC or GREEK for a letter of that script (its compatibility form's:
    a full-width or mathematical letter counts as its plain one), else ""."""
    if char == "\u00b5":  # the micro sign: "5µm" is a unit, not a disguise
        return ""
    plain = unicodedata.normalize("NFKC", char)[:1] or char
    try:
        first = unicodedata.name(plain).split()[0]
    except ValueError:
        return ""
    return first if first in _SCRIPTS else ""


def mixed_word(text: str) -> tuple[str, str, str, str, int] | None:
    """(word, its main script, odd letter, odd script, how many such words) for the
    first word of text mixing scripts, or None."""
    first: tuple[str, str, str, str] | None = None
    count = 0
    if text.isascii():  # one script, Latin: nothing to look at letter by letter
        return None
    for match in _LETTERS.finditer(text):
        word = match.group(0)
        if word.isascii():
            continue
        scripts = [script(ch) for ch in word]
        present = {s for s in scripts if s}
        if len(present) < 2:
            continue
        count += 1
        if first is None:
            main = max(sorted(present), key=lambda s: (scripts.count(s), s == "LATIN"))
            odd_index = next(i for i, s in enumerate(scripts) if s and s != main)
            first = (word, main, word[odd_index], scripts[odd_index])
    return None if first is None else (*first, count)


def mixed_script(draft: DraftDoc, policy: Policy, context: Context) -> list[Finding]:
    out = []
    for name, text in fields(draft):
        found = mixed_word(text)
        if found is None:
            continue
        word, main, odd, odd_script, count = found
        more = f" (and {count - 1} more)" if count > 1 else ""
        main_name, odd_name = main.capitalize(), odd_script.capitalize()
        message = (
            f"the {name} has the word {quote(word, 40)} with {main_name} and {odd_name} "
            f'letters ("{odd}", U+{ord(odd):04X}, is {odd_name}){more}: look-alike '
            "letters hide words from the rules; type it in one script"
        )
        out.append(Finding(MIXED_SCRIPT, ERROR, message, name))
    return out
