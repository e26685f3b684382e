"""The key contract: every binding has an id, so users can remap it.

A user keymap lives in `<config dir>/keymap.toml` as `binding-id = "key"`
(`evidence.open = "E"` or `"evidence.open" = "E"`: both are read as the id).
"""

from __future__ import annotations

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
    Binding("x", "app.export_drafts", "Export drafts", id="drafts.export"),
    Binding("e", "open_register('evidence')", "Evidence", id="evidence.open"),
    Binding("i", "open_register('indicators')", "Indicators", id="indicators.open"),
    Binding("m", "open_register('metrics')", "Attack metrics", id="metrics.open"),
    Binding("f", "open_register('followups')", "Follow-ups", id="followups.open"),
    Binding("s", "open_register('incident')", "Incident fields", id="incident.edit"),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("ctrl+l", "lock", "Lock", id="lock"),
    Binding("ctrl+q", "quit", "Quit", id="quit"),
]

CLOSE = Binding("escape", "close", "Close", id="register.close")
REGISTER_KEYS: dict[str, list[Binding]] = {
    "evidence": [
        Binding("a", "add", "Add item", id="evidence.add"),
        Binding("c", "custody", "Custody note", id="evidence.custody"),
        CLOSE,
    ],
    "indicators": [
        Binding("c", "mark('confirmed')", "Confirm", id="indicators.confirm"),
        Binding("d", "mark('dismissed')", "Dismiss", id="indicators.dismiss"),
        Binding("u", "mark('new')", "Undecide", id="indicators.reset"),
        Binding("a", "add", "Add by hand", id="indicators.add"),
        Binding("f", "cycle_filter", "Filter status", id="indicators.filter"),
        CLOSE,
    ],
    "metrics": [
        Binding("a", "add", "Add attacker entry", id="metrics.add"),
        CLOSE,
    ],
    "followups": [
        Binding("a", "add", "Add", id="followups.add"),
        Binding("e", "edit", "Edit", id="followups.edit"),
        Binding("o", "owner", "Owner", id="followups.owner"),
        Binding("d", "status('done')", "Done", id="followups.done"),
        Binding("x", "status('dropped')", "Drop", id="followups.drop"),
        Binding("r", "status('open')", "Reopen", id="followups.reopen"),
        CLOSE,
    ],
    "incident": [
        Binding("ctrl+s", "save", "Save", id="incident.save"),
        Binding("escape", "close", "Close", id="incident.close"),
    ],
}
"""The keys of the register screens (evidence, indicators, ...), remappable too."""

FORM_KEYS = [
    Binding("ctrl+s", "submit", "Save", id="form.save"),
    Binding("escape", "cancel", "Cancel", id="form.cancel"),
]
"""The keys of the small forms those screens open (Enter in a line also saves)."""


def all_keys() -> list[Binding]:
    """Every binding a keymap may remap."""
    return [*MAIN_KEYS, *(b for keys in REGISTER_KEYS.values() for b in keys), *FORM_KEYS]


class KeymapError(ValueError):
    pass


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    """TOML reads `evidence.open = "E"` (unquoted) as a table: join it back to its id."""
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def load_keymap() -> dict[str, str]:
    path = config_dir() / "keymap.toml"
    if not path.exists():
        return {}
    import tomllib  # only with a keymap file: not on every start

    try:
        data = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KeymapError(f"{path}: {exc}") from None
    known = {b.id for b in all_keys()}
    bad = [k for k, v in data.items() if k not in known or not isinstance(v, str)]
    if bad:
        raise KeymapError(f"{path}: unknown binding id(s) or non-string keys: {', '.join(bad)}")
    return {k: str(v) for k, v in data.items()}
