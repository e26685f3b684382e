"""The key contract and the registers: every binding of every screen has an id here,
so users can remap it, and each register (evidence, indicators, ...) is named here once.

A user keymap lives in `<config dir>/keymap.toml` as `binding-id = "key"`
(`evidence.open = "E"` or `"evidence.open" = "E"`: both are read as the id). An
unknown id or a key Textual has no name for is a `KeymapError` (`file:LINE: ...`),
raised by `check_keymap()` before the UI starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from textual.binding import Binding

from warroom.device import config_dir
from warroom.tomlfile import TomlError

# -- the registers ------------------------------------------------------------------

CLOSE = Binding("escape", "close", "Close", id="register.close")


@dataclass(frozen=True, slots=True)
class Register:
    """A register screen: its name (RegisterScreen.NAME), its title in help, where
    its screen class is (loaded when first opened), the main screen's key that opens
    it, and its own keys."""

    name: str
    title: str
    module: str
    screen: str
    open: Binding
    keys: tuple[Binding, ...]


REGISTERS: dict[str, Register] = {
    r.name: r
    for r in (
        Register(
            "evidence",
            "Evidence",
            "evidence",
            "EvidenceScreen",
            Binding("e", "open_register('evidence')", "Evidence", id="evidence.open"),
            (
                Binding("a", "add", "Add item", id="evidence.add"),
                Binding("c", "custody", "Custody note", id="evidence.custody"),
                CLOSE,
            ),
        ),
        Register(
            "indicators",
            "Indicators",
            "indicators",
            "IndicatorsScreen",
            Binding("i", "open_register('indicators')", "Indicators", id="indicators.open"),
            (
                Binding("c", "mark('confirmed')", "Confirm", id="indicators.confirm"),
                Binding("d", "mark('dismissed')", "Dismiss", id="indicators.dismiss"),
                Binding("u", "mark('new')", "Undecide", id="indicators.reset"),
                Binding("a", "add", "Add by hand", id="indicators.add"),
                Binding("f", "cycle_filter", "Filter status", id="indicators.filter"),
                CLOSE,
            ),
        ),
        Register(
            "metrics",
            "Attack metrics",
            "metrics",
            "MetricsScreen",
            Binding("m", "open_register('metrics')", "Attack metrics", id="metrics.open"),
            (Binding("a", "add", "Add attacker entry", id="metrics.add"), CLOSE),
        ),
        Register(
            "followups",
            "Follow-ups",
            "followups",
            "FollowUpsScreen",
            Binding("f", "open_register('followups')", "Follow-ups", id="followups.open"),
            (
                Binding("a", "add", "Add", id="followups.add"),
                Binding("e", "edit", "Edit", id="followups.edit"),
                Binding("o", "owner", "Owner", id="followups.owner"),
                Binding("d", "status('done')", "Done", id="followups.done"),
                Binding("x", "status('dropped')", "Drop", id="followups.drop"),
                Binding("r", "status('open')", "Reopen", id="followups.reopen"),
                CLOSE,
            ),
        ),
        Register(
            "incident",
            "Incident fields",
            "incident",
            "IncidentScreen",
            Binding("s", "open_register('incident')", "Incident fields", id="incident.edit"),
            (
                Binding("ctrl+s", "save", "Save", id="incident.save"),
                Binding("escape", "close", "Close", id="incident.close"),
            ),
        ),
    )
}
"""Every register, in the order the main screen's keys and help list them."""

REGISTER_KEYS: dict[str, list[Binding]] = {name: list(r.keys) for name, r in REGISTERS.items()}
"""The keys of the register screens (evidence, indicators, ...), by register name."""

# -- the screens' keys -----------------------------------------------------------------

APP_KEYS = [
    Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    Binding("ctrl+l", "lock", "Lock", id="lock", priority=True),
    Binding("question_mark", "help", "Help", id="help"),
]
"""On every screen (the app's own): quit and lock go first, even over an input."""

KEY_LINE_PALETTE = Binding("ctrl+p", "command_palette", "Palette", id="palette")
"""The command palette's key as the key line shows it: Textual's own (ctrl+p), not
a binding of ours, so no keymap remaps it."""

MAIN_KEYS = [
    Binding("1", "focus_pane('checklist')", "Checklist", id="focus.checklist"),
    Binding("2", "focus_pane('roster')", "Roster", id="focus.roster"),
    Binding("3", "focus_pane('timeline')", "Timeline", id="focus.timeline"),
    Binding("4", "focus_pane('drafts')", "Drafts", id="focus.drafts"),
    Binding("n", "note", "Note", id="note"),
    Binding("space", "cycle_step", "Cycle step", id="step.cycle"),
    Binding("a", "assign", "Assign", id="assign"),
    Binding("d", "new_draft", "New draft", id="draft.new"),
    Binding("u", "new_update", "Update draft", id="update.new"),
    Binding("U", "update_sent", "Update sent", id="update.sent"),
    Binding("p", "page", "Page", id="roster.page"),
    Binding("J", "mark_joined", "Joined", id="roster.joined"),
    Binding("slash", "filter", "Filter", id="timeline.filter"),
    Binding("z", "toggle_zoom", "Zoom pane", id="pane.zoom"),
    Binding("t", "toggle_utc", "UTC/local", id="timeline.utc"),
    Binding("x", "app.export_drafts", "Export drafts", id="drafts.export"),
    Binding("y", "app.sync_now", "Sync now", id="sync.now"),
    Binding("Y", "app.sync_watch", "Watch sync", id="sync.watch"),
    *(r.open for r in REGISTERS.values()),
    Binding("question_mark", "help", "Help", id="help"),
    Binding("ctrl+l", "lock", "Lock", id="lock"),
    Binding("ctrl+q", "quit", "Quit", id="quit"),
]
"""The main screen's keys as help, the key line and the palette list them (help,
lock and quit are the app's: APP_KEYS)."""

TIMELINE_KEYS = [
    Binding("up,k", "cursor(-1)", "Up", show=False, id="timeline.up"),
    Binding("down,j", "cursor(1)", "Down", show=False, id="timeline.down"),
    Binding("pageup", "page(-1)", "Page up", show=False, id="timeline.page-up"),
    Binding("pagedown", "page(1)", "Page down", show=False, id="timeline.page-down"),
    Binding("home", "jump(0)", "First", show=False, id="timeline.home"),
    Binding("end", "jump(-1)", "Last", show=False, id="timeline.end"),
]

# Priority: the fields' own ctrl+a (line start) would otherwise swallow approve.
DRAFT_KEYS = [
    Binding("escape", "close", "Save and close", id="draft.close"),
    Binding("ctrl+s", "save", "Save now", id="draft.save", priority=True),
    Binding("ctrl+a", "approve", "Approve", id="draft.approve", priority=True),
    Binding("ctrl+f", "quick_fix", "Quick fix", id="draft.fix", priority=True),
]

EXPORT_KEYS = [
    Binding("escape", "dismiss_export", "Close", id="export.close"),
    Binding("ctrl+s", "export", "Export", id="export.run"),
]

WIZARD_KEYS = [
    Binding("ctrl+r", "reroll", "New codename", id="new.reroll"),
    Binding("ctrl+s", "declare", "Declare", id="new.declare"),
]

ASSIGN_KEYS = [Binding("escape", "dismiss(None)", "Cancel", id="assign.cancel")]

HELP_KEYS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

FORM_KEYS = [
    Binding("ctrl+s", "submit", "Save", id="form.save"),
    Binding("escape", "cancel", "Cancel", id="form.cancel"),
]
"""The keys of the small forms the registers open (Enter in a line also saves)."""

SCREEN_KEYS: dict[str, list[Binding]] = {
    "app": APP_KEYS,
    "main": MAIN_KEYS,
    "timeline": TIMELINE_KEYS,
    "draft": DRAFT_KEYS,
    "export": EXPORT_KEYS,
    "new": WIZARD_KEYS,
    "assign": ASSIGN_KEYS,
    "help": HELP_KEYS,
    **{f"register.{name}": keys for name, keys in REGISTER_KEYS.items()},
    "form": FORM_KEYS,
}
"""Every screen's (and the timeline widget's) bindings: what `all_keys` lists."""


def all_keys() -> list[Binding]:
    """Every binding a keymap may remap, each id once."""
    seen: dict[str, Binding] = {}
    for keys in SCREEN_KEYS.values():
        for binding in keys:
            seen.setdefault(binding.id or "", binding)
    return list(seen.values())


# -- the user's keymap --------------------------------------------------------------


class KeymapError(TomlError):
    """keymap.toml cannot be used: `file:LINE: message`."""


MODIFIERS = frozenset({"ctrl", "alt", "shift", "meta", "super", "hyper"})


@cache
def key_names() -> frozenset[str]:
    """The key names Textual gives key presses (`a`, `E`, `question_mark`, `f5`, ...)."""
    from textual.keys import Keys, _character_to_key

    named = {k.value.rsplit("+", 1)[-1] for k in Keys if not k.value.startswith("<")}
    printable = {_character_to_key(chr(c)) for c in range(33, 127)}
    return frozenset(named | printable | {"space"})


def normal_key(value: str) -> str:
    """A keymap value as Textual names it (`?` -> `question_mark`, `ctrl+O` stays);
    ValueError says why it is no key. Several keys are separated by commas."""
    from textual.keys import _character_to_key

    keys = []
    for part in value.split(","):
        part = part.strip()
        *mods, base = part.split("+") if len(part) > 1 else [part]
        if not base or any(m not in MODIFIERS for m in mods):
            raise ValueError(f"{part!r} is not a key (modifiers: {', '.join(sorted(MODIFIERS))})")
        if len(base) == 1:
            base = _character_to_key(base)
        if base not in key_names():
            raise ValueError(f"{part!r} is not a key Textual knows")
        keys.append("+".join([*mods, base]))
    return ",".join(keys)


def keymap_path() -> Path:
    return config_dir() / "keymap.toml"


def check_keymap(path: Path | None = None) -> dict[str, str]:
    """The user's keymap by binding id, checked: raises KeymapError (`file:LINE:
    message`, one line) for a file that is not TOML, an unknown id, or a value that is
    not a key. No file: no remapped keys. The CLI calls it before the UI starts."""
    path = path or keymap_path()
    if not path.exists():
        return {}
    from warroom import tomlfile  # only with a keymap file: not on every start

    doc = tomlfile.load(path, error=KeymapError)
    known = {b.id for b in all_keys()}
    out: dict[str, str] = {}
    problems: list[tuple[int | None, str]] = []
    for parts, value in tomlfile.leaves(doc.data):
        binding_id = ".".join(parts)
        line = doc.line(parts)
        if binding_id not in known:
            problems.append((line, f"unknown binding id {binding_id!r} (the README lists them)"))
            continue
        if not isinstance(value, str):
            kind = tomlfile.type_name(value)
            problems.append((line, f"{binding_id}: a key is a string, not {kind}"))
            continue
        try:
            out[binding_id] = normal_key(value)
        except ValueError as exc:
            problems.append((line, f"{binding_id}: {exc}"))
    if problems:
        (line, message), *more = problems
        extra = f" (and {len(more)} more)" if more else ""
        raise KeymapError.at(str(path), line, message + extra)
    return out


def load_keymap() -> dict[str, str]:
    """The user's keymap (see check_keymap)."""
    return check_keymap()
