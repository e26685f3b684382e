"""Cells for CSV and Markdown that carry untrusted text safely.

CSV: a cell a spreadsheet would run as a formula (= + - @, or a leading tab or
carriage return) gets a leading apostrophe. Markdown: table pipes and
newlines are escaped, and terminal controls are stripped everywhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from warroom.sanitize import clean

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """Stop a spreadsheet from running attacker text as a formula."""
    text = " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value or "")
    text = clean(text)
    return "'" + text if text[:1] in _FORMULA_START else text


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return out.getvalue()


def md_text(text: str) -> str:
    """One line of untrusted text for Markdown: no controls, no HTML, no line breaks."""
    text = clean(text, keep_newlines=False)
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def md_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"
