"""The main screen: header, the four panes, the note and filter inputs, the footer."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from warroom.notesyntax import NoteSyntaxError, parse_note
from warroom.session import Session, SessionError
from warroom.state import Entry

from . import messages
from .hashing import HASH_GROUP, HashJob, HashView, hash_in_worker
from .keys import MAIN_KEYS, REGISTERS
from .paging import roster_target
from .safe import assemble, show_result
from .syncing import sync_text
from .widgets.checklist import ChecklistPane
from .widgets.drafts import DraftsPane
from .widgets.header import IncidentHeader, update_text
from .widgets.keyhints import KeyHints
from .widgets.roster import RosterBox, RosterPane
from .widgets.timeline import TimelineView

if TYPE_CHECKING:
    from warroom.rules.model import KeyLookup  # the rules are not needed for the first paint

PANES = {  # pane name -> (the widget that takes focus, the box marked active)
    "checklist": ("#checklist-list", "#checklist"),
    "roster": ("#roster", "#roster-pane"),
    "timeline": ("#timeline", "#timeline-pane"),
    "drafts": ("#drafts", "#drafts"),
}
IDLE_PROMPT = "n: add a note   /: filter the timeline"
NOTE_PROMPT = "note: Enter adds, Esc cancels  (decision: … or attacker/detected: … set its kind)"
COMPACT_WIDTH, COMPACT_HEIGHT = 100, 30
"""Below either, one pane shows at a time (1-4 switch, z toggles)."""


class MainScreen(Screen):
    BINDINGS = [b for b in MAIN_KEYS if b.id not in ("help", "lock", "quit")]

    # Screen.focused repaints the whole screen on every focus change (15-20 KB at
    # 120x40). The widgets that gain and lose focus redraw themselves anyway.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._generation = session.generation
        self._input_mode: str | None = None
        self._return_focus: Widget | None = None
        self._timeline_title = "3 Timeline"
        self._stale = False
        self._counting = False  # the update countdown shows from just after the first paint
        self._countdown: Timer | None = None  # the header's update countdown's next change
        self.hash_jobs: list[HashJob] = []
        """Evidence files being hashed: their workers run here, so closing the
        evidence register does not stop them (locking does)."""

    def compose(self) -> ComposeResult:
        yield IncidentHeader(id="header")
        with Grid(id="panes"):
            yield ChecklistPane(id="checklist")
            yield RosterBox(id="roster-pane")
            with Vertical(id="timeline-pane"):
                yield TimelineView(id="timeline")
                yield Static(id="entry-detail")
            yield DraftsPane(id="drafts")
        # One input line, always there: showing and hiding one would re-lay the whole
        # screen out (tens of KB to the terminal over a slow link, per note).
        yield Input(placeholder=IDLE_PROMPT, id="command-input", compact=True)
        yield KeyHints(MAIN_KEYS, id="key-hints")

    def on_mount(self) -> None:
        field = self.query_one("#command-input", Input)
        field.cursor_blink = False
        field.can_focus = False
        self.query_one(KeyHints).show(self.app.current_keymap())
        self.query_one("#timeline-pane").border_title = "3 Timeline"
        timeline = self.query_one(TimelineView)
        self.session.drain_new_entries()
        timeline.set_entries(self.session.state.timeline())
        self.refresh_panes()
        self.action_focus_pane("checklist")
        self.apply_layout()
        self.call_after_refresh(self._start_countdown)

    def _start_countdown(self) -> None:
        """After the first paint: the update countdown needs the policy, and with it
        the comms rules (20-30 ms of imports and parsing not spent before it)."""
        self._counting = True
        self.refresh_header()

    # -- state to screen -------------------------------------------------------

    def refresh_panes(self) -> None:
        state = self.session.state
        self.query_one(ChecklistPane).show(state)
        self.query_one(RosterBox).show(state)
        self.query_one(DraftsPane).show(self.session)
        self.refresh_header()

    def refresh_header(self) -> None:
        problems = [*self.session.problems, *self.app.signature_problems]
        self.query_one(TimelineView).set_flagged({(p.device, p.seq) for p in problems})
        now = self.app.now_ms()
        sync = sync_text(self.app.syncer.refresh(self.session), now)
        update, changes_in = update_text(self.session, now) if self._counting else (None, None)
        self.query_one(IncidentHeader).show(self.session, now, len(problems), sync, update)
        self._arm_countdown(changes_in)

    def _arm_countdown(self, changes_in: int | None) -> None:
        """Redraw the header when the update countdown's words next change, in
        `changes_in` ms (the app's tick is once a minute, at any second: late would
        show up to a minute late)."""
        if self._countdown is not None:
            self._countdown.stop()
            self._countdown = None
        if changes_in is not None:
            self._countdown = self.set_timer(changes_in / 1000 + 0.05, self.refresh_header)

    def state_changed(self) -> None:
        """Fold what changed into the panes: called after our writes and others'.

        Not while another full screen (the draft editor, a register) covers this
        one: Textual would repaint that screen whole for it (20 KB a save over a
        slow link). It catches up when it shows again."""
        if not self._showing():
            self._stale = True
            return
        self._stale = False
        timeline = self.query_one(TimelineView)
        fresh = self.session.drain_new_entries()
        if self.session.generation != self._generation:
            self._generation = self.session.generation
            timeline.set_entries(self.session.state.timeline())
        elif fresh:
            timeline.add_entries(fresh)
        else:
            timeline.changed()
        self._title_timeline()
        self.refresh_panes()

    def _title_timeline(self) -> None:
        title = self.query_one(TimelineView).title()
        if title != self._timeline_title:  # unchanged, it sends nothing
            self._timeline_title = title
            # Text, not str: a str title is markup, and the filter is typed text
            self.query_one("#timeline-pane").border_title = Text(title)

    def _showing(self) -> bool:
        top = self.app.screen
        return top is self or (isinstance(top, ModalScreen) and self in self.app.screen_stack)

    def on_screen_resume(self) -> None:
        if self._stale:
            self.state_changed()

    def apply_layout(self) -> None:
        compact = self.size.width < COMPACT_WIDTH or self.size.height < COMPACT_HEIGHT
        self.set_class(compact, "compact")

    def on_resize(self) -> None:
        self.apply_layout()

    @on(TimelineView.Selected)
    def show_entry(self, message: TimelineView.Selected) -> None:
        entry: Entry | None = message.entry
        detail = self.query_one("#entry-detail", Static)
        if entry is None:
            detail.update("", layout=False)
            return
        from warroom.state import attribution  # loaded already: the fold's module

        who = attribution(entry.author, entry.signer, entry.device)
        detail.update(assemble((who, "bold"), f" [{entry.kind}] ", entry.text), layout=False)

    @on(OptionList.OptionHighlighted, "#checklist-list")
    def step_highlighted(self) -> None:
        self.query_one(ChecklistPane).show_details(self.session.state)

    @on(OptionList.OptionSelected, "#drafts")
    def open_draft(self, event: OptionList.OptionSelected) -> None:
        self.open_editor(event.option.id)

    # -- actions -----------------------------------------------------------------

    def focused_pane(self) -> str | None:
        for name, (selector, _) in PANES.items():
            if self.focused is self.query_one(selector):
                return name
        return None

    def action_focus_pane(self, name: str) -> None:
        self.query_one(PANES[name][0]).focus()
        for pane, (_, box) in PANES.items():
            self.query_one(box).set_class(pane == name, "active")

    def action_toggle_zoom(self) -> None:
        self.toggle_class("zoomed")

    def open_input(self, mode: str, prompt: str) -> None:
        field = self.query_one("#command-input", Input)
        if self.focused is not field:
            self._return_focus = self.focused
        self._input_mode = mode
        field.placeholder = prompt
        field.can_focus = True
        field.focus()

    def action_note(self) -> None:
        self.open_input("note", NOTE_PROMPT)

    def action_filter(self) -> None:
        self.open_input("filter", "filter the timeline: Enter applies, Esc clears")

    def action_toggle_utc(self) -> None:
        timeline = self.query_one(TimelineView)
        timeline.utc = not timeline.utc

    def action_cycle_step(self) -> None:
        step_id = self.query_one(ChecklistPane).selected_step()
        if self.focused_pane() != "checklist" or not step_id:
            show_result(self.app, "Select a checklist step first (1)", "warning")
            return
        self.write(lambda: self.session.cycle_step(step_id))

    def action_assign(self) -> None:
        from .assign import AssignScreen  # loaded when first used, not at start

        pane = self.focused_pane()
        if pane == "checklist" and (step_id := self.query_one(ChecklistPane).selected_step()):
            step = self.session.state.steps[step_id]
            self.app.push_screen(
                AssignScreen(self.session.state, f"Assign step: {step.title}"),
                lambda who: (
                    who is not None
                    and self.write(lambda: self.session.set_step(step_id, assignee=who[1]))
                ),
            )
        elif pane == "roster" and (line := self.query_one(RosterPane).selected()):
            kind, ident = line.split(":", 1)
            if kind != "role":
                show_result(self.app, "Select a role to assign (2)", "warning")
                return
            self.app.push_screen(
                AssignScreen(self.session.state, f"Assign role: {ident}"),
                lambda who: who is not None and self.write(lambda: self._assign_role(ident, who)),
            )
        else:
            show_result(self.app, "Select a step (1) or a role (2) to assign", "warning")

    def _assign_role(self, role: str, who: tuple[str | None, str]) -> None:
        person_id, name = who
        if person_id is None:
            person_id = self.session.add_person(name, state="joined")
        self.session.assign_role(role, person_id)

    def _roster_target(self, doing: str) -> str | None:
        """The role or person id highlighted in the roster, or None (and why, shown)."""
        line = self.query_one(RosterPane).selected() if self.focused_pane() == "roster" else None
        who = roster_target(line)
        if who is None:
            show_result(self.app, f"Select a role or a person to {doing} (2)", "warning")
        return who

    def action_page(self) -> None:
        """Page the highlighted role's holders, or person, through PagerDuty."""
        from warroom import outbox  # with httpx: not needed for the first paint

        who = self._roster_target("page")
        queued: list[str] = []
        if who is not None and self.write(lambda: queued.extend(outbox.page(self.session, who))):
            show_result(self.app, f"Paging: {len(queued)} page(s) queued, delivering…")
            self.app.pager.flush(self.session)

    def action_mark_joined(self) -> None:
        """Mark the highlighted person, or a role's holders, joined (by hand: PagerDuty
        tells no one who acknowledged)."""
        who = self._roster_target("mark joined")
        if who is None:
            return
        self.write(lambda: self.session.set_roster_state(who, "joined"))

    def action_open_register(self, name: str) -> None:
        """Evidence, indicators, attack metrics, follow-ups, the incident's fields."""
        # Imported here, not at the top: they are not needed for the first paint.
        register = REGISTERS[name]
        module = importlib.import_module(f".{register.module}", __package__)
        screen = getattr(module, register.screen)
        self.app.push_screen(screen(self))

    def action_new_update(self) -> None:
        """A stakeholder update draft from the template (what happened since the last
        update, where things stand, when the next is due), opened in the editor."""
        from warroom import updates  # the template reads the timeline: not at start-up

        state, now = self.session.state, self.app.now_ms()
        made: list[str] = []
        fields = updates.template(state, self.session.policy, now)
        if self.write(lambda: made.append(self.session.save_draft(None, **fields))):
            self.open_editor(made[0])

    def action_update_sent(self) -> None:
        """Record the highlighted draft sent as a stakeholder update (the rules must
        pass it): the countdown starts again from now."""
        draft_id = (
            self.query_one(DraftsPane).selected() if self.focused_pane() == "drafts" else None
        )
        if draft_id is None:
            show_result(self.app, "Select the update's draft first (4)", "warning")
        else:
            self.look_up_keys(draft_id)

    @work(thread=True, exclusive=True, group="update-sent", exit_on_error=False)
    def look_up_keys(self, draft_id: str) -> None:
        """The draft's recipients' keys, looked up with gpg off the UI thread (as the
        export does): an email update to someone outside is checked as the CLI checks it."""
        from warroom import comms

        state = self.session.state
        keys: KeyLookup | None = None
        try:
            keys = comms.key_lookup(self.app.keyring.resolve, state)
            draft = state.drafts.get(draft_id)
            if draft is not None:
                comms.review(state, self.session.policy, draft, keys)  # looked up once each
        except Exception:  # noqa: BLE001 - no gpg: the rules then say which key is missing
            keys = None
        self.post_message(messages.UpdateKeysFound(draft_id, keys))

    @on(messages.UpdateKeysFound)
    def update_keys_found(self, message: messages.UpdateKeysFound) -> None:
        draft_id = message.draft_id
        if self.write(lambda: self.session.send_update(draft_id, keys=message.keys)):
            show_result(self.app, f"Stakeholder update {draft_id} recorded as sent")

    def action_new_draft(self) -> None:
        self.open_editor(None)

    def open_editor(self, draft_id: str | None) -> None:
        from .draft import DraftScreen  # with the comms rules: not needed for the first paint

        self.app.push_screen(DraftScreen(self.session, draft_id))

    # -- hashing evidence files (hashing.py) ------------------------------------------

    @work(thread=True, group=HASH_GROUP, exit_on_error=False)
    def hash_file(self, job: HashJob, item: str, fields: dict[str, Any]) -> None:
        """Hash `job.path` (the evidence register's Host), then register `item`."""
        hash_in_worker(self, self.session, job, item, fields)

    def _hash_finished(self, job: HashJob) -> None:
        if job in self.hash_jobs:
            self.hash_jobs.remove(job)

    @on(messages.HashProgress)
    def hash_progress(self) -> None:
        if isinstance(top := self.app.screen, HashView):
            top.show_progress()

    @on(messages.HashFailed)
    def hash_failed(self, message: messages.HashFailed) -> None:
        self._hash_finished(message.job)
        show_result(self.app, f"Not registered: {message.reason}", "error")
        self.hash_progress()

    @on(messages.HashDone)
    def hashed(self, message: messages.HashDone) -> None:
        self._hash_finished(message.job)
        session = message.session
        if self.app.session is not session:  # locked meanwhile
            return
        try:
            key = session.add_evidence(
                message.item,
                sha256=message.digest,
                size=message.job.total,
                source=str(message.job.path),
                **message.fields,
            )
        except SessionError as exc:
            show_result(self.app, str(exc), "error")
            self.hash_progress()
            return
        self.app.state_changed()  # this screen's panes and the register on top
        show_result(self.app, f"{key} registered, SHA-256 {message.digest[:16]}…")
        if isinstance(top := self.app.screen, HashView):
            top.hashed(key)
            top.show_progress()

    def write(self, change: Callable[[], object]) -> bool:
        """Run a change on the session; show its error instead of raising."""
        try:
            change()
        except SessionError as exc:
            show_result(self.app, str(exc), "error")
            return False
        self.state_changed()
        return True

    # -- inputs ------------------------------------------------------------------

    @on(Input.Submitted, "#command-input")
    def submitted(self, event: Input.Submitted) -> None:
        if self._input_mode == "note":
            try:
                note = parse_note(event.value)
            except NoteSyntaxError as exc:
                show_result(self.app, str(exc), "error")
                return
            change = partial(self.session.add_note, note.text, kind=note.kind, phase=note.phase)
            if note.text and self.write(change):
                self.close_input()
                if self.has_class("compact"):  # one pane shows: show the new note
                    self.action_focus_pane("timeline")
                # With all four panes showing, the timeline follows its tail to the new
                # note and focus stays where it was: moving the active pane would
                # repaint two whole panes (8 KB at 120x40, a second on a slow link).
        elif self._input_mode == "filter":
            self.query_one(TimelineView).set_filter(event.value)
            self._title_timeline()
            self.close_input(keep=event.value)

    def close_input(self, keep: str = "") -> None:
        field = self.query_one("#command-input", Input)
        field.value = ""
        field.placeholder = f"filter: /{keep}  (Esc clears)" if keep else IDLE_PROMPT
        self._input_mode = None
        field.can_focus = False
        target = self._return_focus or self.query_one("#checklist-list")
        self._return_focus = None
        target.focus()

    def key_escape(self) -> None:
        """Closes the note or filter input. Esc in the filter input, or anywhere on
        the main screen while a filter is on, shows the whole timeline again."""
        timeline = self.query_one(TimelineView)
        if self._input_mode == "filter" or (self._input_mode is None and timeline.filtering):
            timeline.set_filter("")
            self._title_timeline()
            self.query_one("#command-input", Input).placeholder = IDLE_PROMPT
        if self._input_mode is not None:
            self.close_input()
