"""Text helpers the rules share: normalization for phrase matching, URLs, fields.

`normalize` turns what a person typed (markdown, HTML, curly quotes, line
breaks, zero-width characters, full-width letters) into one line of
case-folded text in which sentence punctuation survives, so that a pattern like
`we take ... seriously` sees "We take **security**\\n<b>very</b> seriously" and
does not run across "We take responsibility. Seriously, rotate your keys".
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import urlsplit

from warroom.rules.model import DraftDoc

TEXT_FIELDS = ("subject", "topic", "title", "body")

# Inline tags glue their neighbours ("serious<b>ly</b>"); every other tag
# (<br>, <p>, <div>, ...) separates words.
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i"}
    | {"ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time"}
    | {"tt", "u", "var"}
)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?/?>|<!--.*?-->", re.S)
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e"), None)
_APOSTROPHES = dict.fromkeys(map(ord, "\u2018\u2019\u201b\u02bc\u2032\uff07`\u00b4"), "'")
_QUOTES = dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u00ab\u00bb"), '"')
_EMPHASIS = re.compile(r"[*_~]+")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SPACE = re.compile(r"\s+")

URL = re.compile(r"""(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]{}]+""")


def _strip_tag(match: re.Match[str]) -> str:
    name = (match.group(2) or "").lower()
    return "" if name in _INLINE_TAGS else " "


def normalize(text: str) -> str:
    """One case-folded line for phrase patterns: tags and emphasis gone, spaces
    collapsed, curly apostrophes straight, blank lines turned into ". "."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_INVISIBLE).translate(_APOSTROPHES).translate(_QUOTES)
    text = _TAG.sub(_strip_tag, text)
    text = html.unescape(text)
    text = text.translate(_INVISIBLE).translate(_APOSTROPHES)
    text = _EMPHASIS.sub("", text)
    text = _PARAGRAPH.sub(" . ", text)
    text = _SPACE.sub(" ", text)
    return text.casefold().strip()


# Latin letters NFKD leaves alone that read as another Latin letter: the small
# capitals and a few IPA forms. Cyrillic and Greek look-alikes are `mixed-script`'s
# (warroom/rules/characters.py), not a table's.
_LOOKALIKES = str.maketrans(
    {
        "\u0251": "a",  # ɑ latin alpha
        "\u0131": "i",  # ı dotless i
        "\u0269": "i",  # ɩ latin iota
        "\u0261": "g",  # ɡ script g
        "\u0237": "j",  # ȷ dotless j
        "\u029f": "l",  # ʟ small capital l
        "\u1d00": "a",  # ᴀ
        "\u0299": "b",  # ʙ
        "\u1d04": "c",  # ᴄ
        "\u1d05": "d",  # ᴅ
        "\u1d07": "e",  # ᴇ
        "\ua730": "f",  # ꜰ
        "\u0262": "g",  # ɢ
        "\u029c": "h",  # ʜ
        "\u026a": "i",  # ɪ
        "\u1d0a": "j",  # ᴊ
        "\u1d0b": "k",  # ᴋ
        "\u1d0d": "m",  # ᴍ
        "\u0274": "n",  # ɴ
        "\u1d0f": "o",  # ᴏ
        "\u1d18": "p",  # ᴘ
        "\u0280": "r",  # ʀ
        "\ua731": "s",  # ꜱ
        "\u1d1b": "t",  # ᴛ
        "\u1d1c": "u",  # ᴜ
        "\u1d20": "v",  # ᴠ
        "\u1d21": "w",  # ᴡ
        "\u028f": "y",  # ʏ
        "\u1d22": "z",  # ᴢ
    }
)
_CAPITAL_I_AS_L = re.compile(r"(?<=[a-z])I(?=[a-z])")


def fold(text: str) -> str:
    """text with its look-alike disguises taken off: NFKD, combining marks dropped
    ("seriously\u0301"), the Latin look-alikes above mapped, case-folded."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("M"))
    return text.translate(_LOOKALIKES).casefold()


def variants(text: str) -> list[str]:
    """The readings of text a phrase check must try, each different: as typed, folded
    (`fold`), and folded with a capital I between lower-case letters read as l
    ("seriousIy")."""
    out = [text]
    decomposed = unicodedata.normalize("NFKD", text)
    as_l = _CAPITAL_I_AS_L.sub("l", decomposed)
    for variant in (fold(text), fold(as_l)):
        if variant not in out:
            out.append(variant)
    return out


def fields(draft: DraftDoc) -> list[tuple[str, str]]:
    """(field name, text) for every non-empty text field, in a stable order."""
    return [(name, value) for name in TEXT_FIELDS if (value := getattr(draft, name))]


def urls(text: str) -> list[str]:
    """The URLs in text, trailing sentence punctuation trimmed."""
    return [m.group(0).rstrip(".,;:!?") for m in URL.finditer(text)]


def url_host(url: str) -> str:
    """The lower-cased host of a URL ("" when there is none)."""
    if not re.match(r"(?i)https?://", url):
        url = "http://" + url
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def quote(text: str, limit: int = 60) -> str:
    """text on one line, cut to limit, in double quotes, for a finding's message
    (a lone surrogate shown as "?": a message must always print)."""
    text = _SPACE.sub(" ", text).strip()
    text = text.encode("utf-8", "replace").decode("utf-8")
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f'"{text}"'
