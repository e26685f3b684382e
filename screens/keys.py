"""The key contract: every binding has an id, so users can remap it.

A user keymap lives in `<config dir>/keymap.toml` as `binding-id = "key"`.
"""

from __future__ import annotations

import tomllib

from textual.binding import Binding

from warroom.device import config_dir

MAIN_KEYS = [
    Binding("1", "focus_pane('checklist')", "Checklist", id="focus.checklist"),
    Binding("2", "focus_pane('roster')", "Roster", id="focus.roster"),
    Binding("3", "focus_pane('timeline')", "Timeline", id="focus.timeline"),
    Binding("4", "focus_pane('drafts')", "Drafts", id="focus.drafts"),
    Binding("n", "note", "Note", id="note"),
    Binding("space", "cycle_step", "Cycle step", id="step.cycle"),
    Binding("a", "assign", "Assign", id="assign"),
    Binding("d", "new_draft", "New draft", id="draft.new"),
    Binding("slash", "filter", "Filter", id="timeline.filter"),
    Binding("z", "toggle_zoom", "Zoom pane", id="pane.zoom"),
    Binding("t", "toggle_utc", "UTC/local", id="timeline.utc"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("ctrl+l", "lock", "Lock", id="lock"),
    Binding("ctrl+q", "quit", "Quit", id="quit"),
]


class KeymapError(ValueError):
    pass


def load_keymap() -> dict[str, str]:
    path = config_dir() / "keymap.toml"
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KeymapError(f"{path}: {exc}") from None
    known = {b.id for b in MAIN_KEYS}
    bad = [k for k, v in data.items() if k not in known or not isinstance(v, str)]
    if bad:
        raise KeymapError(f"{path}: unknown binding id(s) or non-string keys: {', '.join(bad)}")
    return data
