"""The timeline as rows, and as JSON, CSV or Markdown: one source for
`warroom timeline`, `warroom export PATH timeline` and the postmortem.

Each row has the `author` the entry names (anyone can type any name there) and the
`signer`, the name of the device that signed it; Markdown and text show both
when they differ ("Ann Lee, via bob-laptop": `who`)."""

from __future__ import annotations

import json
from typing import Any

from warroom.state import Entry, attribution, entry_dict
from warroom.tabular import md_table, md_text, to_csv
from warroom.timefmt import iso

COLUMNS = (
    "id", "at", "recorded_at", "author", "signer", "kind", "phase", "text", "tags", "struck",
)  # fmt: skip
FORMATS = ("md", "csv", "json")


def rows(entries: list[Entry]) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        row = entry_dict(entry)
        row["at"], row["recorded_at"] = iso(entry.at), iso(entry.recorded_at)
        out.append(row)
    return out


def who(row: dict[str, Any]) -> str:
    """The author and, when another device signed, that device: see state.attribution."""
    return attribution(row["author"], row["signer"], row["device"])


def to_json(table: list[dict[str, Any]]) -> str:
    # ensure_ascii: C1 controls and bidi marks come out as \u escapes, never raw.
    return json.dumps(table, indent=2, ensure_ascii=True) + "\n"


def to_markdown(table: list[dict[str, Any]]) -> str:
    """A table: time (UTC), kind, who, what; struck entries are shown struck."""
    cells = []
    for row in table:
        text = md_text(row["text"])
        if row["struck"]:
            text = f"~~{text}~~ (struck: {md_text(row['struck'])})"
        kind = row["kind"] + (f" ({row['phase']})" if row["phase"] else "")
        cells.append((row["at"], kind, md_text(who(row)), text))
    return md_table(("Time (UTC)", "Kind", "Who", "What"), cells)


def render(table: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return to_json(table)
    if fmt == "csv":
        return to_csv(COLUMNS, table)
    if fmt == "md":
        return to_markdown(table)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")
