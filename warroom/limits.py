"""Size caps on what people write: big enough for anything a person types in an
incident, small enough that one hostile or mistaken entry cannot slow every later
command for everyone (a 100 MB note once made each command take 2.4 s and 465 MB).

Each cap is in characters; text over a cap is refused with a message naming the cap,
never cut. The session facade checks every text where it enters (so the console is
capped too); the command line also reads standard input with these bounds, so it
never holds more than a cap's worth of what it is going to refuse.
"""

from __future__ import annotations

MIN_NEW_PASSPHRASE_CHARS = 10
"""A passphrase being chosen (a new incident, join, passwd, an invite's) is this long at
least: the incident file and the invite travel, and can be guessed at offline."""


def too_short(passphrase: str, what: str = "passphrase") -> str | None:
    """Why a passphrase being chosen is too short, or None."""
    if len(passphrase) >= MIN_NEW_PASSPHRASE_CHARS:
        return None
    return (
        f"the new {what} is {len(passphrase)} characters; give at least "
        f"{MIN_NEW_PASSPHRASE_CHARS} (a few words): the file can be copied and guessed "
        "at offline"
    )


MAX_NOTE_CHARS = 16_000
"""A timeline note: a paragraph or a pasted log excerpt, not a log file."""
MAX_FIELD_CHARS = 16_000
"""The incident's summary, root cause and other free-text fields; evidence descriptions."""
MAX_LINE_CHARS = 500
"""One-line values: a title, a name, an e-mail address, a phone number, a subject."""
MAX_DRAFT_BODY_CHARS = 64_000
"""A comms draft's body: a long public statement is under 10,000."""
MAX_RECIPIENTS = 10_000
"""Addresses on one draft, To, Cc and Bcc together."""
MAX_POLICY_PATTERNS = 500
"""Banned-phrase and other patterns in one policy."""
MAX_TAGS = 50
"""Tags on one timeline entry."""
MAX_JSON_INPUT_CHARS = 1_000_000
"""`--from-json`: a JSON object of a command's fields (escapes can make it six times
the text it holds; each field's own cap still applies)."""


class TooLong(ValueError):
    """Text over its cap; the message names what and the cap."""


class NotText(ValueError):
    """A string that cannot be stored as UTF-8: a lone surrogate, which is what Python
    makes of a byte that was not UTF-8 (a `\\xff` in argv) or of a JSON `\\ud800`."""


def check_length(what: str, text: str, cap: int) -> str:
    """`text`, or TooLong naming `what` and the cap."""
    if len(text) > cap:
        raise TooLong(f"{what} is {len(text):,} characters; the most is {cap:,}")
    return text


def check_text(what: str, text: object, cap: int) -> str:
    """`text` if it is a str within `cap` that encodes as UTF-8; else TooLong or NotText."""
    if not isinstance(text, str):
        raise NotText(f"{what} must be text, not {type(text).__name__}")
    check_length(what, text, cap)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        where = f"at character {exc.start + 1:,}"
        if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte that did not decode
            raise NotText(
                f"{what} is not valid UTF-8 (the byte 0x{code - 0xDC00:02X} {where})"
            ) from None
        raise NotText(f"{what} is not valid text (a lone surrogate U+{code:04X} {where})") from None
    return text
