"""Playbooks: TOML files of checklist steps, shipped in warroom.data.playbooks
or dropped by the user into `<config dir>/playbooks/`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from warroom.device import config_dir
from warroom.events import ROLES


class PlaybookError(ValueError):
    pass


@dataclass(frozen=True)
class PlaybookStep:
    id: str
    phase: str
    title: str
    details: list[str] = field(default_factory=list)
    delegate: str = ""
    delegate_title: str = ""


@dataclass(frozen=True)
class Playbook:
    id: str
    title: str
    kind: str
    steps: list[PlaybookStep]


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def parse_playbook(text: str, source: str) -> Playbook:
    """Parse and check a playbook; errors name the file and line."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(f"{source}: {exc}") from None
    steps_raw = doc.get("steps")
    if not isinstance(doc.get("id"), str) or not isinstance(steps_raw, list) or not steps_raw:
        raise PlaybookError(f"{source}:1: a playbook needs `id` and at least one [[steps]] table")
    steps, seen = [], set()
    for raw in steps_raw:
        sid = raw.get("id")
        where = (
            f"{source}:{_line_of(text, f'id = {sid!r}'.replace(chr(39), chr(34))) if sid else 1}"
        )
        if not isinstance(sid, str) or not sid:
            raise PlaybookError(f"{where}: every step needs an id")
        if sid in seen:
            raise PlaybookError(f"{where}: step id {sid!r} is used twice")
        seen.add(sid)
        for key in ("phase", "title"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise PlaybookError(f"{where}: step {sid!r} needs a {key}")
        details = raw.get("details", [])
        if not isinstance(details, list) or not all(isinstance(d, str) for d in details):
            raise PlaybookError(f"{where}: step {sid!r}: details must be a list of strings")
        delegate = raw.get("delegate", "")
        if delegate and delegate not in ROLES:
            raise PlaybookError(
                f"{where}: step {sid!r}: unknown delegate role {delegate!r} "
                f"(one of {', '.join(ROLES)})"
            )
        steps.append(
            PlaybookStep(
                sid, raw["phase"], raw["title"], details, delegate, raw.get("delegate_title", "")
            )
        )
    return Playbook(doc["id"], doc.get("title", doc["id"]), doc.get("kind", ""), steps)


def _sources() -> dict[str, tuple[str, str]]:
    """Playbook id -> (text, source name); the user's files shadow the shipped ones."""
    found: dict[str, tuple[str, str]] = {}
    for item in resources.files("warroom.data.playbooks").iterdir():
        if item.name.endswith(".toml"):
            found[item.name[:-5]] = (item.read_text(encoding="utf-8"), item.name)
    user_dir = config_dir() / "playbooks"
    if user_dir.is_dir():
        for path in sorted(user_dir.glob("*.toml")):
            found[path.stem] = (path.read_text(encoding="utf-8"), str(path))
    return found


def available() -> list[str]:
    return sorted(_sources())


def load(playbook_id: str) -> Playbook:
    sources = _sources()
    if playbook_id not in sources:
        raise PlaybookError(
            f"no playbook {playbook_id!r} (available: {', '.join(sorted(sources)) or 'none'})"
        )
    return parse_playbook(*sources[playbook_id])


def default_for(kind: str) -> Playbook | None:
    """The playbook a new incident of this kind starts with, if one is installed."""
    return load(kind) if kind in _sources() else None


def load_file(path: Path) -> Playbook:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError(f"{path}: {exc.strerror}") from None
    return parse_playbook(text, str(path))
