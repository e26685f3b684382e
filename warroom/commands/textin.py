"""Free text into a command: from standard input, from `--from-json`, or (kept for
old scripts) from the command line.

A command line is readable by every user of the host (`ps`, /proc/PID/cmdline), so
anything an incident keeps secret is better piped in: every free-text argument or
option given as `-` is read from standard input (one per command), and a command
with several texts takes them all as one JSON object with `--from-json -`. Standard
input has no "Argument list too long"; it is read as strict UTF-8, and never more
than the text's cap (limits.py) plus a character, so 100 MB piped in by mistake
costs nothing before it is refused.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import IO, Any

import click

from warroom import limits
from warroom.commands.common import Failure

STDIN = "-"
_USED = "warroom.stdin"

# What each command takes from `--from-json`: field -> type. The declaration names the
# fields in its help (cli/options.py, from_json_option); merge_json checks the types.
NOTE_JSON = {"text": str, "author": str, "tags": list}
ROSTER_JSON = {"name": str, "email": str, "phone": str, "handle": str, "gpg": str}
EVIDENCE_JSON = {"description": str, "location": str, "collected_by": str}
IOC_JSON = {"value": str, "note": str}
FOLLOWUP_JSON = {"title": str, "owner": str}


def stdin_once(what: str) -> IO[str]:
    """Standard input, strict UTF-8; refused the second time in one command."""
    ctx = click.get_current_context()
    if ctx.meta.get(_USED):
        raise Failure(
            f"{what}: standard input is already taken by {ctx.meta[_USED]}; "
            "give several texts at once with --from-json -"
        )
    ctx.meta[_USED] = what
    return click.get_text_stream("stdin", encoding="utf-8", errors="strict")


def read_bounded(stream: IO[str], what: str, cap: int, origin: str = "standard input") -> str:
    """At most `cap` characters of text from `stream` (trailing newlines dropped).

    Reads a few characters past the cap to tell, never the rest."""
    try:
        text = stream.read(cap + 3)
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start : exc.start + 1].hex().upper() or "?"
        raise Failure(f"{what}: {origin} is not valid UTF-8 (the byte 0x{byte})") from None
    except OSError as exc:
        raise Failure(f"{what}: cannot read {origin}: {exc.strerror or exc}") from None
    if len(text) == cap + 3:  # there is more: how much, nobody needs to know
        raise Failure(f"{what} is more than {cap:,} characters; the most is {cap:,}")
    return checked(what, text.rstrip("\n"), cap)


def checked(what: str, text: str, cap: int) -> str:
    """`text` within its cap and valid UTF-8 (a `\\xff` in argv is not), else Failure."""
    try:
        return limits.check_text(what, text, cap)
    except ValueError as exc:
        raise Failure(str(exc)) from None


def free_text(value: str | None, what: str, cap: int) -> str | None:
    """A free-text argument or option: `-` reads standard input; None stays None."""
    if value is None:
        return None
    if value == STDIN:
        return read_bounded(stdin_once(what), what, cap)
    return checked(what, value, cap)


def ask_or_read(what: str, cap: int) -> str:
    """A text not given at all: asked for (one line) at a terminal, else standard input.

    One line at a prompt, not $EDITOR: an editor writes the text to a temporary file
    (and a swap file) on disk, in the clear."""
    if sys.stdin.isatty():
        return checked(what, click.prompt(what.capitalize(), err=True), cap)
    return read_bounded(stdin_once(what), what, cap)


class JsonSource(click.File):
    """`--from-json`'s type (cli/options.py): a JSON file or `-`, read as strict UTF-8;
    `-` takes standard input for the command (options are converted before the command
    runs, so it comes first)."""

    def __init__(self) -> None:
        super().__init__("r", encoding="utf-8", errors="strict")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == STDIN and ctx is not None:
            ctx.meta[_USED] = "--from-json"
        return super().convert(value, param, ctx)


def merge_json(
    source: IO[str] | None, fields: Mapping[str, type], given: dict[str, Any]
) -> dict[str, Any]:
    """`given` (the command's parameters) with the fields of the --from-json object.

    A field both in the JSON and on the command line is refused: which one was meant?
    Each value must have its field's type (str, bool, int, or list of str)."""
    if source is None:
        return given
    origin = "standard input" if source.name == "<stdin>" else str(source.name)
    text = read_bounded(source, "--from-json", limits.MAX_JSON_INPUT_CHARS, origin)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Failure(
            f"--from-json: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise Failure(f"--from-json: not a JSON object of {', '.join(fields)}")
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise Failure(
            f"--from-json: unknown field(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(fields)}"
        )
    ctx = click.get_current_context()
    merged = dict(given)
    for name, value in data.items():
        kind = fields[name]
        ok = (
            all(isinstance(v, str) for v in value)
            if kind is list and isinstance(value, list)
            else isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        )
        if not ok:
            wanted = "a list of strings" if kind is list else f"a {kind.__name__}"
            raise Failure(f'--from-json: "{name}" must be {wanted}')
        source_kind = ctx.get_parameter_source(name)
        if source_kind not in (None, click.core.ParameterSource.DEFAULT):
            raise Failure(f'"{name}" is given twice: on the command line and in --from-json')
        merged[name] = tuple(value) if kind is list else value
    return merged
