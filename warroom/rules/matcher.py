"""Policy patterns, matched in linear time (RE2).

A policy's `banned_phrases` are regexes written by whoever set the policy; any
device of the incident can set one. Python's `re` backtracks, so one pattern
like `(a+)+$` made `lint` of 30 letters run for minutes and `draft list` hang
for everyone. RE2 (the `google-re2` binding) never backtracks: matching costs
time linear in the text, whatever the pattern. It refuses what it cannot do in
linear time (backreferences, lookaround, atomic groups, possessive repeats) and
patterns whose compiled program is too large; `compile_pattern` turns those
refusals into one readable line for the policy's `file:LINE:` errors.

The work per draft is bounded as well: texts are capped (`warroom.limits`), a
policy holds at most `MAX_POLICY_PATTERNS` patterns of at most
`MAX_PATTERN_CHARS` characters each, each compiled program gets `MAX_MEM`
bytes, and `find` stops after `MAX_MATCHES` matches of one pattern.

Matching runs on UTF-8 bytes (encoded once per text): RE2's Python wrapper
would otherwise re-encode the whole text on every call.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

import re2

MAX_PATTERN_CHARS = 1_000
"""One pattern's source: a family of wordings fits in a few hundred."""
MAX_MEM = 2 << 20
"""RE2's memory budget per pattern (program and DFA cache); the default is 8 MiB."""
MAX_MATCHES = 200
"""Matches of one pattern in one text that are looked at; the rest are not counted."""

Pattern = Any
"""A compiled RE2 pattern (the binding ships no type hints)."""


class PatternError(ValueError):
    """A pattern RE2 refuses; str() is one line saying why."""


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # RE2 would print refusals to stderr
    options.never_capture = True  # only the whole match is used
    options.max_mem = MAX_MEM
    return options


_OPTIONS = _options()


def compile_pattern(source: str) -> Pattern:
    """The RE2 pattern of source (case-insensitive), or PatternError."""
    if len(source) > MAX_PATTERN_CHARS:
        raise PatternError(f"is {len(source):,} characters long; the most is {MAX_PATTERN_CHARS:,}")
    try:
        return re2.compile(source, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(
            f"{reason} (patterns are RE2 syntax: no backreferences, lookaround, "
            "atomic groups or possessive repeats)"
        ) from None


@functools.lru_cache(maxsize=16)
def compile_all(sources: Sequence[str]) -> tuple[Pattern, ...]:
    """Every pattern of a policy, compiled once (the policy parser checked them)."""
    return tuple(compile_pattern(source) for source in sources)


def encode(text: str) -> bytes:
    """What the patterns run on: UTF-8, a lone surrogate made U+FFFD."""
    return text.encode("utf-8", "replace")


def find(pattern: Pattern, data: bytes, limit: int = MAX_MATCHES) -> Iterator[tuple[int, int]]:
    """(start, end) byte offsets of the first `limit` non-empty matches."""
    count = 0
    for match in pattern.finditer(data):
        start, end = match.span()
        if end > start:
            yield start, end
            count += 1
            if count >= limit:
                return


def matches_at(pattern: Pattern, data: bytes, start: int, end: int) -> bool:
    """Whether pattern matches data[start:end] starting exactly at start."""
    return pattern.match(data, start, end) is not None


def matches_empty(pattern: Pattern) -> bool:
    return pattern.search(b"") is not None
