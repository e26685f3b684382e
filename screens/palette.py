"""Command-palette providers: every key's action by its name, with what it does, in
words, and the key that does it (as remapped), never the action's internal name."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from .keys import MAIN_KEYS
from .widgets.keyhints import key_label

DOES: dict[str, str] = {
    "focus.checklist": "Go to the checklist",
    "focus.roster": "Go to the roster: roles, people and their duties",
    "focus.timeline": "Go to the timeline",
    "focus.drafts": "Go to the comms drafts",
    "note": "Add a note to the timeline (decision: … or attacker/detected: … set its kind)",
    "step.cycle": "Move the selected checklist step on: todo, doing, done",
    "assign": "Assign the selected step or role to a person",
    "draft.new": "Write a comms draft, checked against the rules as you type",
    "update.new": "Draft the next stakeholder update from its template",
    "update.sent": "Record the selected draft sent as the stakeholder update",
    "roster.page": "Page the selected role's holders or person through PagerDuty",
    "roster.joined": "Mark the selected role's holders or person joined (by hand)",
    "timeline.filter": "Show only the timeline entries with some words in them",
    "pane.zoom": "Give the focused pane the whole screen, or give it back",
    "timeline.utc": "Show the timeline's times in UTC or in local time",
    "drafts.export": "Export the approved drafts, encrypted and signed",
    "sync.now": "Sync now with the incident's relay or far file (warroom sync)",
    "sync.watch": "Keep syncing every few seconds while the console is open, or stop",
    "evidence.open": "Open the evidence register: items, hashes, chain of custody",
    "indicators.open": "Open the indicators found in the timeline: confirm or dismiss them",
    "metrics.open": "Open the attack metrics: time to detect, dwell time, time to contain",
    "followups.open": "Open the follow-ups: corrective and preventive actions",
    "incident.edit": "Edit the incident's fields: status, severity, summary, impact, …",
    "help": "Show every key and the comms rules",
    "lock": "Lock the console now, dropping the decrypted incident",
    "quit": "Quit warroom",
    "register.close": "Close this register",
    "evidence.add": "Register an item of evidence (a file given is hashed)",
    "evidence.custody": "Add a chain-of-custody note to the selected item",
    "indicators.confirm": "Confirm the selected indicator: it is the attacker's",
    "indicators.dismiss": "Dismiss the selected indicator: it is not the attacker's",
    "indicators.reset": "Make the selected indicator undecided again",
    "indicators.add": "Add an indicator that no timeline entry names",
    "indicators.filter": "Show all indicators, or only new, confirmed or dismissed ones",
    "metrics.add": "Add an attacker entry, marking a phase of the attack",
    "followups.add": "Add a follow-up",
    "followups.edit": "Edit the selected follow-up",
    "followups.owner": "Give the selected follow-up an owner",
    "followups.done": "Mark the selected follow-up done",
    "followups.drop": "Drop the selected follow-up",
    "followups.reopen": "Reopen the selected follow-up",
    "incident.save": "Save the incident's fields",
    "incident.close": "Close the incident's fields",
}
"""What each key does, in words, by binding id (keys.py): the palette's help line."""


class ActionsProvider(Provider):
    """Offers (name, action) pairs; subclasses say which, in `_commands`, and which
    bindings they come from, in `_bindings` (for what each does and its key)."""

    def _commands(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def _bindings(self) -> list[Binding]:
        return MAIN_KEYS

    def _help(self, action: str) -> str:
        """What the action does and its key: "Quit warroom  (key ^q)"."""
        binding = next((b for b in self._bindings() if b.action == action), None)
        if binding is None:
            return ""
        keymap = getattr(self.app, "current_keymap", dict)()
        key = key_label(keymap.get(binding.id or "", binding.key))
        return f"{DOES.get(binding.id or '', binding.description)}  (key {key})"

    async def discover(self) -> Hits:
        for name, action in self._commands():
            yield DiscoveryHit(
                name, partial(self.app.run_action, action, self.screen), help=self._help(action)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action in self._commands():
            if score := matcher.match(name):
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self.app.run_action, action, self.screen),
                    help=self._help(action),
                )
