"""The README is the manual: every CLI command and subcommand, and every binding id a
keymap may remap, is named in it. A new command or binding fails here until it is
documented; the failure lists what to add. Likewise docs/ARCHITECTURE.md names every
module of the core and the UI.

A command counts as named when a code span (or a line of a code block) starts with
it, with or without `warroom `: `note PATH`, `warroom step set ...`, or with the
table's alternatives, `evidence add\\|list\\|note PATH`. A binding id counts when it
is a code span of its own: `evidence.open`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click

from warroom.cli import cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
_SPAN = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command's name path under the CLI (hidden ones left out)."""
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


def binding_ids() -> list[str]:
    """Every binding id a keymap may remap (screens/keys.py's key contract)."""
    from warroom.screens.keys import all_keys  # the UI's contract: only for this test

    return sorted({binding.id for binding in all_keys() if binding.id})


def snippets(text: str) -> list[str]:
    """The inline code spans and the lines of the code blocks."""
    blocks = _FENCE.findall(text)
    rest = _FENCE.sub("", text)
    return [*_SPAN.findall(rest), *(line for block in blocks for line in block.splitlines())]


def named_commands(text: str) -> set[tuple[str, ...]]:
    """The command paths the README's code names (alternatives `a|b` expanded)."""
    named: set[tuple[str, ...]] = set()
    for snippet in snippets(text):
        words = snippet.replace("\\|", "|").split()
        if words[:1] == ["warroom"]:
            words = words[1:]
        if not words:
            continue
        firsts = words[0].split("|")
        seconds = words[1].split("|") if len(words) > 1 else []
        for first in firsts:
            named.add((first,))
            named.update((first, second) for second in seconds)
    return named


def test_every_command_is_in_the_readme() -> None:
    named = named_commands(README.read_text(encoding="utf-8"))
    missing = [" ".join(path) for path in commands() if path not in named]
    assert not missing, "README.md does not name these commands: " + ", ".join(
        f"`{m}`" for m in missing
    )


def test_every_binding_id_is_in_the_readme() -> None:
    spans = set(_SPAN.findall(README.read_text(encoding="utf-8")))
    missing = [binding_id for binding_id in binding_ids() if binding_id not in spans]
    assert not missing, "README.md does not list these binding ids: " + ", ".join(
        f"`{m}`" for m in missing
    )


def test_the_walk_finds_commands_and_subcommands() -> None:
    found = set(commands())
    assert {("note",), ("step", "set"), ("iocs", "confirm"), ("verify-export",)} <= found
    assert len(binding_ids()) >= 20


def test_the_readme_parsing() -> None:
    text = (
        "| `evidence add\\|list\\|note PATH` | x |\n"
        "`show PATH` / `info PATH`, `warroom step set PATH`\n"
        "```sh\nwarroom iocs confirm inc.db 1.2.3.4\n```\n"
    )
    named = named_commands(text)
    for path in [("evidence", "add"), ("evidence", "note"), ("show",), ("info",)]:
        assert path in named
    assert ("step", "set") in named and ("iocs", "confirm") in named
    assert ("followup",) not in named


def test_every_module_is_in_the_architecture_doc() -> None:
    """A top-level module by its file name (`ledger.py`); one in a subpackage by its
    folder (`rules/`) and its name as a word (`subject`)."""
    doc = ARCHITECTURE.read_text(encoding="utf-8")
    missing = []
    for folder in ("warroom", "screens"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" in path.parts or path.name == "__init__.py":
                continue
            rel = path.relative_to(ROOT / folder)
            if len(rel.parts) == 1:
                found = re.search(rf"(^|[\s`]){re.escape(path.name)}", doc, re.M)
            else:
                found = f"{rel.parts[0]}/" in doc and re.search(rf"\b{re.escape(path.stem)}\b", doc)
            if not found:
                missing.append(f"{folder}/{rel.as_posix()}")
    assert not missing, "docs/ARCHITECTURE.md does not name: " + ", ".join(missing)
