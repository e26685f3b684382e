"""Stakeholder updates on a rhythm (issue #13): when the next one is due, and its draft.

The policy's `update_every` gives the minutes between updates per severity
(`Policy.update_interval`). The clock starts when the incident is declared and again
at each update sent (`update.sent`, which stamps the draft's `sent_at`); a severity
with no interval, and a resolved or closed incident, have no rhythm.

- `rhythm(state, policy)`: the interval, the last update and when the next is due.
- `countdown(rhythm, now_ms)`: the console header's few words about it.
- `template(state, policy, now_ms)`: the fields of a new update's draft (what
  `Session.save_draft` takes): a chat message to the stakeholders saying what
  happened since the last update, where things stand, and when the next update
  comes. It passes the comms rules like any draft: it starts with the policy's
  prefix, names the incident by its codename (the title is replaced wherever a
  timeline entry or the summary says it), and leaves out what says a banned phrase.

Pure: no session, no I/O; the rules load when `template` runs (not on the console's
path to its first paint, which needs `rhythm` and `countdown` only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from warroom.sanitize import one_line
from warroom.timefmt import strf

if TYPE_CHECKING:
    from warroom.records import Entry, IncidentState
    from warroom.rules.policy import Policy

MINUTE_MS = 60_000
NO_RHYTHM_STATUSES = ("resolved", "closed")
"""An incident in one of these statuses has no update rhythm."""
MAX_TEMPLATE_ENTRIES = 15
"""The newest timeline entries an update lists; older ones are counted, not listed."""
MAX_ENTRY_CHARS = 200
"""An entry's line in an update, at most (longer ones are cut, with "…")."""
MAX_SUMMARY_CHARS = 600
SOON_MS = 15 * MINUTE_MS
"""Within this of the due time the countdown counts minutes ("update due in 7 min")."""
AUDIENCE = "stakeholders"
SENT_ENTRY = "Stakeholder update sent"
"""How the timeline's system entry for an update sent starts (state.py writes it)."""


@dataclass(frozen=True, slots=True)
class Rhythm:
    """The update rhythm at one moment: `interval_ms` None means no rhythm (no interval
    for the severity, or the incident is resolved or closed), and then `due_at` is None."""

    interval_ms: int | None
    last_at: int | None
    """When the last update was sent (ms); None before the first."""
    due_at: int | None
    """When the next update is due (ms): the last one's time, or the declaration's, plus
    the interval."""

    def left_ms(self, now_ms: int) -> int | None:
        """Time left until the update is due; negative when late; None: no rhythm."""
        return None if self.due_at is None else self.due_at - now_ms

    def late(self, now_ms: int) -> bool:
        return self.due_at is not None and now_ms > self.due_at


def sent_times(state: IncidentState) -> list[int]:
    """When each stakeholder update was sent (ms), oldest first."""
    return sorted(d.sent_at for d in state.drafts.values() if d.sent_at is not None)


def rhythm(state: IncidentState, policy: Policy) -> Rhythm:
    """The incident's update rhythm under `policy`."""
    sent = sent_times(state)
    last = sent[-1] if sent else None
    inc = state.incident
    minutes = policy.update_interval(inc.severity)
    if minutes is None or inc.status in NO_RHYTHM_STATUSES:
        return Rhythm(None, last, None)
    interval = minutes * MINUTE_MS
    start = last if last is not None else inc.declared_at
    return Rhythm(interval, last, None if start is None else start + interval)


def _minutes_up(ms: int) -> int:
    """Whole minutes, rounded up (a minute and a second is 2 min)."""
    return -(-ms // MINUTE_MS)


def countdown(rhythm: Rhythm, now_ms: int) -> str:
    """A short header text (at most 24 characters): "next update 12:04Z" (UTC), "update
    due in 7 min", "update due now", "update LATE 3 min" ("update LATE 5 h" after two
    hours); "" when there is no rhythm."""
    left = rhythm.left_ms(now_ms)
    if left is None or rhythm.due_at is None:
        return ""
    if left < 0:
        late = _minutes_up(-left)
        return f"update LATE {late} min" if late < 120 else f"update LATE {late // 60} h"
    if left > SOON_MS:
        return f"next update {strf(rhythm.due_at, '%H:%MZ')}"
    minutes = _minutes_up(left)
    return f"update due in {minutes} min" if minutes else "update due now"


# -- the draft -------------------------------------------------------------------------


def _when(ms: int, now_ms: int) -> str:
    """A time for the update's reader: HH:MM UTC, with the date when not today's."""
    same_day = strf(ms, "%Y-%m-%d") == strf(now_ms, "%Y-%m-%d")
    return strf(ms, "%H:%M UTC" if same_day else "%Y-%m-%d %H:%M UTC")


def _plain(text: str, cap: int) -> str:
    text = " ".join(one_line(text).split())
    return text if len(text) <= cap else text[: cap - 1].rstrip() + "…"


def _sentence(text: str) -> str:
    """End a line with a full stop, so that no phrase rule reads on into the next."""
    return text if text[-1:] in (".", "!", "?", ";", "…") else text + "."


class _Guard:
    """Keeps the incident's private title and the banned phrases out of the update."""

    def __init__(self, state: IncidentState, policy: Policy) -> None:
        from warroom.rules.model import Context

        self.policy = policy
        self.codename = state.incident.codename or "the incident"
        title = " ".join(state.incident.title.split())
        self.context = Context(title=title)
        self.title = (
            re.compile(r"\s+".join(map(re.escape, title.split())), re.IGNORECASE)
            if len(title) >= 3
            else None
        )

    def redact(self, text: str) -> str:
        return self.title.sub(self.codename, text) if self.title is not None else text

    def passes(self, text: str) -> bool:
        """Whether `text`, as a line of the update, says no banned phrase and not the title."""
        from warroom.rules import phrases, subject
        from warroom.rules.model import DraftDoc

        doc = DraftDoc(channel="chat", body=f"{self.policy.prefix} {text}")
        return not (
            phrases.banned_phrase(doc, self.policy, self.context)
            or subject.chat_codename(doc, self.policy, self.context)
        )

    def line(self, text: str) -> str | None:
        """`text` as a safe line of the update, or None if it cannot be one."""
        text = self.redact(text)
        return text if self.passes(text) else None


def _recorded(entry: Entry) -> tuple[int, int, str, int]:
    """Where an entry was recorded in the incident's total order (Event.order)."""
    return (entry.recorded_at, entry.tick, entry.device, entry.seq)


def _since(state: IncidentState, last: int | None) -> list[Entry]:
    """The timeline's entries, not struck, in the timeline's order: all of them before
    the first update (`last` None), else those recorded after the last update's own
    system entry (after its time when that entry is not found)."""
    entries = [e for e in state.timeline() if e.struck is None]
    if last is None:
        return entries
    marks = [
        _recorded(e)
        for e in entries
        if e.system and e.recorded_at == last and e.text.startswith(SENT_ENTRY)
    ]
    if not marks:
        return [e for e in entries if e.recorded_at > last]
    mark = max(marks)
    return [e for e in entries if _recorded(e) > mark]


def _entry_lines(guard: _Guard, entries: list[Entry], now_ms: int) -> tuple[list[str], int, int]:
    """The newest MAX_TEMPLATE_ENTRIES entries as lines; how many older ones were not
    listed; how many were left out by the rules."""
    shown = entries[-MAX_TEMPLATE_ENTRIES:]
    left_out = 0
    lines = []
    for entry in shown:
        text = guard.line(_sentence(_plain(entry.text, MAX_ENTRY_CHARS) or "(no text)"))
        if text is None:
            left_out += 1
            text = "(an entry left out: it does not pass the comms rules)"
        lines.append(f"- {_when(entry.at, now_ms)} {text}")
    return lines, len(entries) - len(shown), left_out


def template(state: IncidentState, policy: Policy, now_ms: int) -> dict[str, Any]:
    """The fields of a new stakeholder update's draft (`Session.save_draft(None,
    **fields)`): a chat message to the stakeholders, in three parts: what happened
    since the last update, the current status, the next update's time."""
    from warroom import comms
    from warroom.records import Draft
    from warroom.rules.lint import has_errors

    guard = _Guard(state, policy)
    inc = state.incident
    prefix, codename = policy.prefix, guard.codename
    now = _when(now_ms, now_ms)
    beat = rhythm(state, policy)
    sent = sent_times(state)
    if sent:
        heading = f"Since the last update ({_when(sent[-1], now_ms)}):"
    elif inc.declared_at is not None:
        heading = f"Since the incident was declared ({_when(inc.declared_at, now_ms)}):"
    else:
        heading = "Since the incident was declared:"
    lines, older, _ = _entry_lines(guard, _since(state, sent[-1] if sent else None), now_ms)
    if older:
        lines.insert(0, f"- ({older} earlier entries not listed; see the timeline.)")
    happened = [heading, *(lines or ["- Nothing new on the timeline."])]

    steps = state.checklist()
    open_steps = sum(s.status not in ("done", "skipped") for s in steps)
    status = [f"Current status: {inc.status}, SEV{inc.severity}."]
    if steps:
        status.append(f"Checklist: {open_steps} of {len(steps)} steps open.")
    summary = _plain(inc.summary, MAX_SUMMARY_CHARS)
    if summary and (safe := guard.line(_sentence(summary))) is not None:
        status.append(f"Summary: {safe}")

    if beat.interval_ms is None:
        after = "Next update: when there is news."
    else:
        after = f"Next update: by {_when(now_ms + beat.interval_ms, now_ms)}."

    def body(happened: list[str]) -> str:
        intro = f"{prefix}: stakeholder update on {codename}, {now}."
        return "\n\n".join([intro, "\n".join(happened), "\n".join(status), after])

    fields: dict[str, Any] = {
        "channel": "chat",
        "audience": AUDIENCE,
        "topic": f"{prefix}: {codename} stakeholder update",
        "body": body(happened),
    }
    draft = Draft("", channel="chat", audience=AUDIENCE, topic=fields["topic"], body=fields["body"])
    if has_errors(comms.review(state, policy, draft, None)):
        # lines that pass alone may not together (a pattern reading across them)
        fields["body"] = draft.body = body(
            [
                heading,
                "- (entries left out: together they do not pass the comms rules; "
                "see the timeline.)",
            ]
        )
    return fields
