"""The one TOML reader: `file:LINE: message` errors and the key-path locator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warroom import tomlfile
from warroom.playbooks import PlaybookError
from warroom.rules.policy import PolicyError
from warroom.tomlfile import Locator, TomlError

DOC = """\
# a comment with [[steps]] and key = "value" in it
title = "T"   # trailing comment
description = '''
[[steps]]
id = "not a step"
'''
a.b.c = 1
"quoted.key" = 2
'literal key' = { inner = 3, deep = { x = 4 } }
numbers = [
  1,
  # 2 is a comment
  2, 3,
  [4,
   5],
]
when = 1979-05-27 07:32:00Z
next = 1

[table]
key = "v"

[table.sub]
key = "w"

[[steps]]
id = "a"
details = ["x", "y"]

[[steps]]
id = "b"

[steps.notes]
text = "n"

[[steps.checks]]
name = "c0"

[[steps.checks]]
name = "c1"

[[ "steps" ]]
"id" = 'c'
"""

LINES = {
    ("title",): 2,
    ("description",): 3,
    ("a",): 7,
    ("a", "b", "c"): 7,
    ("quoted.key",): 8,
    ("literal key",): 9,
    ("literal key", "inner"): 9,
    ("literal key", "deep", "x"): 9,
    ("numbers",): 10,
    ("numbers", 0): 11,
    ("numbers", 1): 13,
    ("numbers", 2): 13,
    ("numbers", 3): 14,
    ("numbers", 3, 1): 15,
    ("when",): 17,
    ("next",): 18,
    ("table",): 20,
    ("table", "key"): 21,
    ("table", "sub"): 23,
    ("table", "sub", "key"): 24,
    ("steps",): 26,
    ("steps", 0): 26,
    ("steps", 0, "id"): 27,
    ("steps", 0, "details", 1): 28,
    ("steps", 1): 30,
    ("steps", 1, "id"): 31,
    ("steps", 1, "notes"): 33,
    ("steps", 1, "notes", "text"): 34,
    ("steps", 1, "checks", 0): 36,
    ("steps", 1, "checks", 1, "name"): 40,
    ("steps", 2): 42,
    ("steps", 2, "id"): 43,
}


def test_the_document_is_valid_toml() -> None:
    data = tomlfile.parse(DOC, "doc.toml").data
    assert data["steps"][2]["id"] == "c"
    assert data["literal key"]["deep"]["x"] == 4
    assert "id" not in data  # the look-alike inside the string is text


@pytest.mark.parametrize("path", list(LINES), ids=[".".join(map(str, p)) for p in LINES])
def test_the_locator_finds_each_key_path(path: tuple) -> None:
    assert Locator(DOC).line(path) == LINES[path]


def test_an_unknown_path_falls_back_to_its_parent_or_line_one() -> None:
    locator = Locator(DOC)
    assert locator.line(("steps", 1, "missing")) == 30
    assert locator.line(("steps", 9)) == 26
    assert locator.line(("nowhere", "at", "all")) == 1
    assert locator.line(()) == 1


def test_the_locator_never_raises_on_text_that_is_not_toml() -> None:
    for text in ("[", "a = [", "a = {", 'a = "', "= 1", "[[x]\n", "\n\n"):
        assert Locator(text).line(("a",)) >= 1


def test_an_error_reads_file_line_message() -> None:
    error = TomlError("x.toml", 3, "bad value")
    assert str(error) == "x.toml:3: bad value"
    assert (error.source, error.line, error.message) == ("x.toml", 3, "bad value")
    assert str(TomlError("x.toml", None, "cannot read")) == "x.toml: cannot read"
    assert str(TomlError("x.toml", 0, "too big")) == "x.toml: too big"
    assert str(TomlError("", None, "no such playbook")) == "no such playbook"
    many = TomlError("x.toml", 2, "one", more=[(5, "two")])
    assert str(many) == "x.toml:2: one\nx.toml:5: two"
    assert many.problems == [(2, "one"), (5, "two")]
    assert isinstance(error, ValueError)


def test_each_reader_keeps_its_error_class_and_order() -> None:
    playbook = PlaybookError.at("p.toml", 4, "no steps")
    assert isinstance(playbook, PlaybookError) and isinstance(playbook, TomlError)
    assert str(playbook) == str(PlaybookError("no steps", "p.toml", 4)) == "p.toml:4: no steps"
    policy = PolicyError.at("team.toml", 2, "unknown key")
    assert str(policy) == str(PolicyError("team.toml", 2, "unknown key"))


def test_doc_error_names_the_line_of_a_path() -> None:
    doc = tomlfile.parse(DOC, "doc.toml", error=PolicyError)
    error = doc.error(("steps", 1, "notes", "text"), "not allowed")
    assert isinstance(error, PolicyError)
    assert str(error) == "doc.toml:34: not allowed"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('a = "x"\nb = "unclosed\n', 2, "TOML syntax error: Illegal character"),
        ("a = 1\na = 2\n", 2, "TOML syntax error: Cannot overwrite a value"),
        ("a = [\n  1,\n", 2, "(at the end of the file)"),
    ],
)
def test_a_syntax_error_names_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(TomlError) as caught:
        tomlfile.parse(text, "s.toml")
    assert str(caught.value).startswith(f"s.toml:{line}: "), str(caught.value)
    assert words in str(caught.value)
    assert caught.value.line == line


def test_the_syntax_words_are_the_readers() -> None:
    with pytest.raises(PolicyError, match=r"^p\.toml:1: invalid TOML: "):
        tomlfile.parse("a =", "p.toml", error=PolicyError, syntax="invalid TOML")


def test_read_text_names_the_file(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_bytes(b'\xef\xbb\xbfa = "caf\xc3\xa9"\n')
    assert tomlfile.load(good).data == {"a": "café"}  # a byte-order mark is dropped
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'a = 1\n\nb = "caf\xe9"\n')
    with pytest.raises(TomlError, match=rf"^{re.escape(str(bad))}:3: not UTF-8 text$"):
        tomlfile.read_text(bad)
    missing = tmp_path / "missing.toml"
    with pytest.raises(PlaybookError, match=rf"^{re.escape(str(missing))}: cannot read: "):
        tomlfile.load(missing, error=PlaybookError)


def test_leaves_join_dotted_keys_back() -> None:
    data = tomlfile.parse('evidence.open = "E"\n"note" = "N"\n[a]\nb.c = 1\n', "k").data
    assert list(tomlfile.leaves(data)) == [
        (("evidence", "open"), "E"),
        (("note",), "N"),
        (("a", "b", "c"), 1),
    ]


def test_type_names_read_as_words() -> None:
    assert [tomlfile.type_name(v) for v in ("", 1, 1.5, True, [], {})] == [
        "a string",
        "an integer",
        "a number",
        "a boolean",
        "an array",
        "a table",
    ]
