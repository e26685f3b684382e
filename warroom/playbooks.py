"""Playbooks: TOML files of checklist steps, shipped in warroom.data.playbooks
or dropped by the user into `<config dir>/playbooks/`.

A playbook file is checked strictly: a TOML syntax error, a missing or
mistyped value, a duplicate step id, an unknown delegate role and an unknown
key (a typo must not silently drop a field) are all errors, and every error
names the file and the line (`file:LINE: message`). The file format is
described for users in docs/PLAYBOOKS.md.

A user file whose id is also a shipped playbook's replaces the shipped one
(so an organisation can tailor, say, the security checklist that
`warroom init --kind security` starts with); `location()` says which file won.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from warroom.device import config_dir
from warroom.events import INCIDENT_KINDS, ROLES
from warroom.sanitize import clean
from warroom.tomlfile import TomlDoc, TomlError, parse, read_text, type_name

PLAYBOOK_KEYS = ("id", "title", "kind", "description", "steps")
"""The keys a playbook file may have at its top level."""
STEP_KEYS = ("id", "phase", "title", "details", "delegate", "delegate_title")
"""The keys a `[[steps]]` table may have."""
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
"""Playbook and step ids: lowercase letters, digits, `-`, `_`, `.`; at most 64."""
SHIPPED_PACKAGE = "warroom.data.playbooks"


class PlaybookError(TomlError):
    """A playbook that cannot be used. `str()` is one `file:LINE: message` per
    problem (most often one); `source`, `line` and `problems` keep the parts.
    The message comes first here (`PlaybookError("no playbook 'x'")`)."""

    def __init__(
        self,
        message: str,
        source: str = "",
        line: int | None = None,
        *,
        more: tuple[tuple[int | None, str], ...] = (),
    ) -> None:
        super().__init__(source, line, message, more=more)


@dataclass(frozen=True)
class PlaybookStep:
    id: str
    phase: str
    title: str
    details: list[str] = field(default_factory=list)
    delegate: str = ""
    delegate_title: str = ""

    @property
    def delegate_label(self) -> str:
        """Who the step is handed to, for people: the human title, else the role's name."""
        return self.delegate_title or ROLES.get(self.delegate, self.delegate)


@dataclass(frozen=True)
class Playbook:
    id: str
    title: str
    kind: str
    steps: list[PlaybookStep]
    description: str = ""
    source: str = ""
    """The file it was read from (a path, or the shipped file's name)."""

    @property
    def phases(self) -> list[str]:
        """The steps' phases, each once, in order of first appearance."""
        return list(dict.fromkeys(step.phase for step in self.steps))

    def step(self, step_id: str) -> PlaybookStep:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


# Checking


def _unknown(key: str, known: tuple[str, ...], where: str) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return f"unknown key `{key}` {where} ({hint}known keys: {', '.join(known)})"


def _text_problem(value: object, what: str, *, one_line: bool = True) -> str | None:
    """Why `value` is not acceptable text for `what`, or None."""
    if not isinstance(value, str):
        return f"{what} must be a string, not {type_name(value)}"
    if not value.strip():
        return f"{what} must not be empty"
    if clean(value, keep_newlines=not one_line) != value:
        kind = "a line break, tab or control character" if one_line else "a control character"
        return f"{what} contains {kind}"
    return None


def _id_problem(value: object, what: str) -> str | None:
    if problem := _text_problem(value, what):
        return problem
    if not ID_PATTERN.fullmatch(str(value)):
        return (
            f"{what} {value!r} must be lowercase letters, digits, '-', '_' or '.' "
            "(starting with a letter or digit, at most 64)"
        )
    return None


def parse_playbook(text: str, source: str, *, expect_id: str | None = None) -> Playbook:
    """Parse and check a playbook; errors name the file and line.

    `expect_id`: the id the file must declare (a playbook in a directory is
    found by its file name, so `<id>.toml` must say `id = "<id>"`)."""
    toml = parse(text, source, error=PlaybookError)
    doc = toml.data
    problems: list[tuple[int, str]] = []

    def problem(line: int, message: str) -> None:
        problems.append((line, message))

    for key in doc:
        if key not in PLAYBOOK_KEYS:
            problem(toml.line((key,)), _unknown(key, PLAYBOOK_KEYS, "at the top level"))

    book_id = doc.get("id")
    if book_id is None:
        problem(1, 'a playbook needs an `id` at the top level, e.g. id = "my-playbook"')
    elif msg := _id_problem(book_id, "the playbook `id`"):
        problem(toml.line(("id",)), msg)
    elif expect_id is not None and book_id != expect_id:
        problem(
            toml.line(("id",)),
            f"the playbook id {book_id!r} differs from the file name {expect_id}.toml: "
            f"rename the file to {book_id}.toml, or change the id",
        )
    for key in ("title", "description"):
        if key in doc and (msg := _text_problem(doc[key], f"`{key}`", one_line=key == "title")):
            problem(toml.line((key,)), msg)
    kind = doc.get("kind", "")
    if "kind" in doc and kind not in INCIDENT_KINDS:
        problem(
            toml.line(("kind",)),
            f"`kind` must be one of {', '.join(INCIDENT_KINDS)}, not {kind!r}",
        )

    steps: list[PlaybookStep] = []
    raw_steps = doc.get("steps")
    if raw_steps is None:
        problem(1, "a playbook needs at least one step: add a [[steps]] table")
    elif isinstance(raw_steps, dict):
        problem(
            toml.line(("steps",)),
            "`steps` must be an array of tables: write [[steps]] (double brackets) above each step",
        )
    elif not isinstance(raw_steps, list):
        problem(
            toml.line(("steps",)),
            f"`steps` must be an array of tables, not {type_name(raw_steps)}",
        )
    elif not raw_steps:
        problem(toml.line(("steps",)), "a playbook needs at least one step")
    else:
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_steps):
            step = _check_step(index, raw, toml, seen, problem)
            if step is not None:
                steps.append(step)

    if problems:
        (line, message), *more = sorted(problems, key=lambda item: item[0])
        raise PlaybookError(message, source, line, more=tuple(more))
    return Playbook(
        doc["id"],
        doc.get("title", doc["id"]),
        kind,
        steps,
        doc.get("description", ""),
        source,
    )


def _check_step(
    index: int,
    raw: object,
    toml: TomlDoc,
    seen: dict[str, int],
    problem: Callable[[int, str], None],
) -> PlaybookStep | None:
    """The step at `index`, or None after reporting its problems."""
    number = index + 1
    if not isinstance(raw, dict):
        problem(
            toml.line(("steps",)),
            f"step {number} must be a table, not {type_name(raw)}: write [[steps]] tables",
        )
        return None

    def line(key: str | None = None) -> int:
        return toml.line(("steps", index) if key is None else ("steps", index, key))

    sid = raw.get("id")
    name = f"step {sid!r}" if isinstance(sid, str) and sid.strip() else f"step {number}"
    ok = True
    for key in raw:
        if key not in STEP_KEYS:
            problem(line(key), _unknown(key, STEP_KEYS, f"in {name}"))
            ok = False
    if sid is None:
        problem(line(), f"{name} needs an `id`")
        ok = False
    elif msg := _id_problem(sid, f"{name}: `id`"):
        problem(line("id"), msg)
        ok = False
    elif sid in seen:
        problem(line("id"), f"step id {sid!r} is used twice (first at line {seen[sid]})")
        ok = False
    else:
        seen[sid] = line("id")
    for key in ("phase", "title"):
        if key not in raw:
            problem(line(), f"{name} needs a `{key}`")
            ok = False
        elif msg := _text_problem(raw[key], f"{name}: `{key}`"):
            problem(line(key), msg)
            ok = False
    details = raw.get("details", [])
    if not isinstance(details, list):
        problem(
            line("details"),
            f"{name}: `details` must be an array of strings, not {type_name(details)}",
        )
        ok = False
    else:
        for n, item in enumerate(details, 1):
            if msg := _text_problem(item, f"{name}: `details` item {n}", one_line=False):
                problem(line("details"), msg)
                ok = False
    delegate = raw.get("delegate", "")
    if "delegate" in raw:
        if not isinstance(delegate, str):
            problem(
                line("delegate"),
                f"{name}: `delegate` must be a string, not {type_name(delegate)}",
            )
            ok = False
        elif delegate not in ROLES:
            close = difflib.get_close_matches(delegate, list(ROLES), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problem(
                line("delegate"),
                f"{name}: unknown delegate role {delegate!r} ({hint}roles: {', '.join(ROLES)})",
            )
            ok = False
    if "delegate_title" in raw and (
        msg := _text_problem(raw["delegate_title"], f"{name}: `delegate_title`")
    ):
        problem(line("delegate_title"), msg)
        ok = False
    if not ok:
        return None
    return PlaybookStep(
        sid,
        raw["phase"],
        raw["title"],
        list(details),
        delegate,
        raw.get("delegate_title", ""),
    )


# Finding playbooks


def user_dir() -> Path:
    """Where the user's own playbooks go: `<config dir>/playbooks/*.toml`."""
    return config_dir() / "playbooks"


def _is_playbook_file(name: str) -> bool:
    return name.endswith(".toml") and not name.startswith(".")


def _shipped_files() -> dict[str, Traversable]:
    return {
        item.name[:-5]: item
        for item in resources.files(SHIPPED_PACKAGE).iterdir()
        if _is_playbook_file(item.name)
    }


def _user_files() -> dict[str, Path]:
    directory = user_dir()
    try:
        paths = sorted(directory.iterdir()) if directory.is_dir() else []
    except OSError:
        return {}
    return {p.stem: p for p in paths if _is_playbook_file(p.name) and not p.is_dir()}


def _files() -> dict[str, Traversable | Path]:
    """Playbook id -> its file; the user's files shadow the shipped ones."""
    return {**_shipped_files(), **_user_files()}


def shipped() -> list[str]:
    """The ids of the playbooks that come with warroom."""
    return sorted(_shipped_files())


def available() -> list[str]:
    """Every playbook id that `load()` knows: shipped and the user's, sorted."""
    return sorted(_files())


def location(playbook_id: str) -> str:
    """The file `load(playbook_id)` reads (a user file wins over a shipped one)."""
    files = _files()
    if playbook_id not in files:
        raise _not_found(playbook_id, files)
    return str(files[playbook_id])


def _not_found(playbook_id: str, files: dict) -> PlaybookError:
    return PlaybookError(
        f"no playbook {playbook_id!r} (available: {', '.join(sorted(files)) or 'none'}; "
        f"your own go in {user_dir()}/<id>.toml)"
    )


def _read(item: Traversable | Path) -> str:
    return read_text(item, error=PlaybookError)


def load(playbook_id: str) -> Playbook:
    """The playbook with this id: the user's file if there is one, else the shipped one."""
    files = _files()
    if playbook_id not in files:
        raise _not_found(playbook_id, files)
    item = files[playbook_id]
    return parse_playbook(_read(item), str(item), expect_id=playbook_id)


def load_all() -> tuple[list[Playbook], list[PlaybookError]]:
    """Every available playbook that loads, and the errors of those that do not."""
    books, errors = [], []
    for playbook_id in available():
        try:
            books.append(load(playbook_id))
        except PlaybookError as exc:
            errors.append(exc)
    return books, errors


def default_for(kind: str) -> Playbook | None:
    """The playbook a new incident of this kind starts with (the one whose id
    is the kind), if one is installed."""
    return load(kind) if kind in _files() else None


def load_file(path: Path) -> Playbook:
    """A playbook from any file (its id need not match the file name)."""
    return parse_playbook(_read(Path(path)), str(path))
