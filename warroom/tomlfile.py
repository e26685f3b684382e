"""The one TOML reader: playbooks, the comms policy and the keymap read through it.

Every error it raises, or that a reader of its documents raises, is a
`TomlError` whose text is `file:LINE: message` (one line per problem), so a
person can jump to the line. `parse()` (or `load()` for a file) checks the syntax
with tomllib and gives a `TomlDoc`: the data, and `line(path)` / `error(path,
message)` for a value's key path (`("steps", 2, "id")`, `("vendors", 0,
"domains", 1)`). The `Locator` maps key paths to lines; it is built only when a
line is asked for.

Each reader keeps its own error class (a subclass: `PlaybookError`,
`PolicyError`, `KeymapError`) so callers can tell them apart.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Self

Key = str | int
"""One step of a key path: a table key, or an index into an array."""


class TomlError(ValueError):
    """A TOML file that cannot be used. `str()` is one `source:LINE: message` per
    problem (`source: message` when no line applies); `source`, `line`, `message`
    are the first problem's parts, `problems` holds every (line, message)."""

    def __init__(
        self,
        source: str,
        line: int | None,
        message: str,
        *,
        more: Iterable[tuple[int | None, str]] = (),
    ) -> None:
        self.source = source
        self.line = line
        self.message = message
        self.problems: list[tuple[int | None, str]] = [(line, message), *more]
        super().__init__("\n".join(where(source, ln) + msg for ln, msg in self.problems))

    @classmethod
    def at(
        cls,
        source: str,
        line: int | None,
        message: str,
        *,
        more: Iterable[tuple[int | None, str]] = (),
    ) -> Self:
        """An error of this class in the canonical argument order, whatever order
        the subclass's own constructor takes (PlaybookError's puts message first)."""
        error = cls.__new__(cls)
        TomlError.__init__(error, source, line, message, more=more)
        return error


def where(source: str, line: int | None) -> str:
    """The `source:LINE: ` prefix of an error line (no line: `source: `)."""
    if source and line:
        return f"{source}:{line}: "
    return f"{source}: " if source else ""


class TomlDoc:
    """A parsed TOML document and where its keys are."""

    def __init__(
        self, data: dict[str, Any], text: str, source: str, error: type[TomlError] = TomlError
    ) -> None:
        self.data = data
        self.text = text
        self.source = source
        self.error_type = error

    @cached_property
    def locator(self) -> Locator:
        return Locator(self.text)

    def line(self, path: Sequence[Key]) -> int:
        """The line of the key path (or of its nearest enclosing key; 1 at worst)."""
        return self.locator.line(path)

    def error(self, path: Sequence[Key], message: str) -> TomlError:
        """An error at the line of `path`, of the reader's error class (to raise)."""
        return self.error_type.at(self.source, self.line(path), message)


def parse(
    text: str,
    source: str,
    *,
    error: type[TomlError] = TomlError,
    syntax: str = "TOML syntax error",
) -> TomlDoc:
    """Parse TOML text named `source`. A syntax error is `source:LINE: <syntax>:
    what tomllib says (column N)`; `syntax` is the words before it (the policy
    has always said "invalid TOML")."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, detail = _syntax_detail(exc, text)
        raise error.at(source, line, f"{syntax}: {detail}") from None
    return TomlDoc(data, text, source, error)


def read_text(file: Path | Traversable, *, error: type[TomlError] = TomlError) -> str:
    """A file's text as UTF-8 (a leading byte-order mark is dropped); an unreadable
    file or bytes that are not UTF-8 (with their line) are `error`s."""
    source = str(file)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise error.at(source, None, f"cannot read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error.at(source, line, "not UTF-8 text") from None


def load(
    file: Path | Traversable,
    *,
    error: type[TomlError] = TomlError,
    syntax: str = "TOML syntax error",
) -> TomlDoc:
    """`parse(read_text(file))`, the file's path as the source."""
    return parse(read_text(file, error=error), str(file), error=error, syntax=syntax)


def leaves(
    data: dict[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every non-table value with its key path: `a.b = 1` (a table `a` to TOML)
    gives `(("a", "b"), 1)`. For files of dotted ids such as the keymap."""
    for key, value in data.items():
        if isinstance(value, dict):
            yield from leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def type_name(value: object) -> str:
    """What a TOML value is, for messages: "a string", "an integer", "an array"..."""
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), f"a {type(value).__name__}")


_TOML_AT = re.compile(r"^(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)
_TOML_END = re.compile(r"^(?P<msg>.*) \(at end of document\)$", re.S)


def _syntax_detail(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, str]:
    """tomllib's "msg (at line N, column M)" as (N, "msg (column M)")."""
    raw = str(exc).strip()
    if match := _TOML_AT.match(raw):
        return int(match["line"]), f"{match['msg']} (column {match['col']})"
    if match := _TOML_END.match(raw):
        return max(1, len(text.splitlines())), f"{match['msg']} (at the end of the file)"
    return 1, raw


# Where things are: a small scanner over the (already valid) TOML text.


class Locator:
    """The line on which each key path of a valid TOML text is first defined.

    Paths are as in the parsed data: table keys, and indices into arrays, both
    arrays of tables (the Nth `[[steps]]` header is `("steps", N)`) and inline
    arrays (each item at the line where it starts, so `("domains", 1)` is the
    line of the second domain). Strings and comments are skipped, so text that
    merely looks like a key or a header is never mistaken for one. It is a
    best effort: on text it does not follow it stops, and unknown paths fall
    back to their nearest known parent, or line 1.
    """

    _BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    _SCALAR_END = frozenset(",]}#\r\n")

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines: dict[tuple[Key, ...], int] = {}
        self._newlines = [m.start() for m in re.finditer("\n", text)]
        self._arrays: dict[tuple[Key, ...], int] = {}  # array of tables -> tables so far
        with contextlib.suppress(IndexError, ValueError):  # not TOML after all: keep what
            self._scan()  # was found

    def line(self, path: Sequence[Key]) -> int:
        """The line of `path`, else of its nearest known parent, else 1."""
        key = tuple(path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 1

    # scanning

    def _line_at(self, pos: int) -> int:
        return bisect_left(self._newlines, pos) + 1

    def _mark(self, path: tuple[Key, ...], line: int) -> None:
        """`path` and each of its parents, where not seen before, are at `line`."""
        for n in range(1, len(path) + 1):
            self.lines.setdefault(path[:n], line)

    def _scan(self) -> None:
        text, i, table = self.text, 0, ()
        while i < len(text):
            c = text[i]
            if c in " \t\r\n":
                i += 1
            elif c == "#":
                i = self._skip_comment(i)
            elif c == "[":
                start, array = i, text.startswith("[[", i)
                parts, i = self._key(i + (2 if array else 1))
                i = text.index("]", i) + (2 if array else 1)
                table = self._header(parts, array, self._line_at(start))
            else:
                start = i
                parts, i = self._key(i)
                path = (*table, *parts)
                self._mark(path, self._line_at(start))
                i = self._value(i + 1, path)  # past the "="

    def _header(self, parts: list[str], array: bool, line: int) -> tuple[Key, ...]:
        """The table a `[a.b]` or `[[a.b]]` header opens, as a path."""
        path: list[Key] = []
        for part in parts[:-1]:  # a parent that is an array of tables means its last table
            path.append(part)
            if (count := self._arrays.get(tuple(path))) is not None:
                path.append(count - 1)
        path.append(parts[-1])
        table = tuple(path)
        if array:
            count = self._arrays.get(table, 0)
            self._arrays[table] = count + 1
            table = (*table, count)
        self._mark(table, line)
        return table

    def _skip_comment(self, i: int) -> int:
        end = self.text.find("\n", i)
        return len(self.text) if end < 0 else end

    def _skip_blank(self, i: int) -> int:
        """Past spaces, line breaks and comments (inside arrays)."""
        text = self.text
        while i < len(text):
            if text[i] in " \t\r\n":
                i += 1
            elif text[i] == "#":
                i = self._skip_comment(i)
            else:
                break
        return i

    def _key(self, i: int) -> tuple[list[str], int]:
        """A dotted key from `i`; returns its parts and the index of what ends it."""
        text, parts = self.text, []
        while True:
            while text[i] in " \t":
                i += 1
            if text[i] in "\"'":
                end = self._string(i)
                parts.append(self._quoted_key(text[i:end]))
                i = end
            else:
                start = i
                while i < len(text) and text[i] in self._BARE:
                    i += 1
                parts.append(text[start:i])
            while text[i] in " \t":
                i += 1
            if text[i] != ".":
                return parts, i
            i += 1

    @staticmethod
    def _quoted_key(quoted: str) -> str:
        if quoted.startswith("'") or "\\" not in quoted:
            return quoted[1:-1]
        return tomllib.loads(f"k = {quoted}")["k"]  # escapes, exactly as TOML reads them

    def _string(self, i: int) -> int:
        """The index just past the string that starts at `i`."""
        text, quote = self.text, self.text[i]
        triple = text.startswith(quote * 3, i)
        j = i + (3 if triple else 1)
        while j < len(text):
            c = text[j]
            if c == "\\" and quote == '"':
                j += 2
            elif c == quote:
                if not triple:
                    return j + 1
                run = len(text[j:]) - len(text[j:].lstrip(quote))
                if run >= 3:
                    return j + min(run, 5)
                j += run
            else:
                j += 1
        return len(text)

    def _value(self, i: int, path: tuple[Key, ...]) -> int:
        """Skip the value at `i` (past spaces), recording the keys of inline tables
        and the items of arrays under `path`; returns the index just past it."""
        text = self.text
        while text[i] in " \t":
            i += 1
        c = text[i]
        if c in "\"'":
            return self._string(i)
        if c == "[":
            i, index = i + 1, 0
            while True:
                i = self._skip_blank(i)
                if text[i] == "]":
                    return i + 1
                if text[i] == ",":
                    i += 1
                    continue
                item = (*path, index)
                self._mark(item, self._line_at(i))
                i = self._value(i, item)
                index += 1
        if c == "{":
            i += 1
            while True:
                i = self._skip_blank(i)
                if text[i] == "}":
                    return i + 1
                if text[i] == ",":
                    i += 1
                    continue
                start = i
                parts, i = self._key(i)
                key = (*path, *parts)
                self._mark(key, self._line_at(start))
                i = self._value(i + 1, key)
        while i < len(text) and text[i] not in self._SCALAR_END:  # numbers, booleans, dates
            i += 1
        return i
