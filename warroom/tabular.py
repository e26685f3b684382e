"""Cells for CSV and Markdown that carry untrusted text safely.

CSV: a cell a spreadsheet would run as a formula (= + - @, or a leading tab or
carriage return) gets a leading apostrophe. Markdown: table pipes, emphasis,
strike-through, links and HTML are escaped and newlines become spaces. Terminal
controls are stripped everywhere. The one CSV writer: the timeline, the
indicator register and `warroom.indicators.to_csv` all use `to_csv` here. It sits
in the core, below `warroom.export` (which re-exports it as `warroom.export.tabular`),
because the indicators use it and the core never imports upward.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from warroom.sanitize import clean

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One CSV cell of untrusted data: None is empty, a bool is true/false, a list or
    tuple is joined with ";"; terminal controls (and so carriage returns) are stripped,
    newlines kept; and a cell a spreadsheet would run as a formula (starting with
    = + - @ or a tab) gets a leading apostrophe so it is shown instead."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | tuple):
        text = ";".join(str(v) for v in value)
    else:
        text = str(value)
    text = clean(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A header line of `columns`, then one line per row (a missing key is an empty
    cell), every cell through `csv_cell`. Lines end in CRLF, as RFC 4180 has it; a
    cell with a comma, quote or newline is quoted, so the csv module reads it back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(c) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return out.getvalue()


def md_text(text: str) -> str:
    """One line of untrusted text for Markdown: no controls, no HTML, no line breaks."""
    text = clean(text, keep_newlines=False)
    for char in "\\`*_~[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def md_table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"
