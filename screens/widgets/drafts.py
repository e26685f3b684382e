"""The comms drafts pane: one row per draft, told apart at a glance: channel, status,
how many errors the comms rules find, when it last changed, and what it is about.

The rules run here without gpg: key lookups answer "not checked", and the findings
that need them (recipients.NEEDS_KEYS) are not counted; the
editor and export check keys for real. Findings are kept per draft and only
recomputed when the draft or the policy changes, so redrawing the pane costs no rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets.option_list import Option

from warroom.sanitize import one_line
from warroom.state import Draft
from warroom.timefmt import strf

from ..safe import assemble
from .quiet_option_list import QuietOptionList

if TYPE_CHECKING:  # the comms rules load with the first draft, not for the first paint
    from warroom.rules.model import KeyStatus
    from warroom.session import Session

LABEL_WORDS = 12
"""At most this many words of the body stand for a draft with no subject of its own."""
KEYS_NOT_CHECKED = "not checked"


def changed_at(ms: int) -> str:
    """When a draft last changed: HH:MMZ, as the roster and the timeline say it (UTC)."""
    if not ms:
        return "--:--Z"
    return strf(ms, "%H:%MZ")


def draft_label(draft: Draft, prefixes: tuple[str, ...]) -> str:
    """What a draft is about: its subject, topic or title less the policy's fixed
    words (every email's subject is "Attorney Work Project"), else the body's first
    words."""
    heading = {"email": draft.subject, "chat": draft.topic, "statement": draft.title}
    text = one_line(heading.get(draft.channel, "")).strip()
    for prefix in prefixes:
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :].lstrip(" :-–—")
            break
    if text:
        return text
    words = one_line(draft.body).split()
    return " ".join(words[:LABEL_WORDS]) + ("…" if len(words) > LABEL_WORDS else "")


def errors_label(errors: int) -> tuple[str, str]:
    if not errors:
        return "ok", "dim"
    return f"{errors} error{'s' if errors != 1 else ''}", "bold red"


def draft_prompt(draft: Draft, errors: int, prefixes: tuple[str, ...] = ()) -> Text:
    status_style = "bold" if draft.status == "approved" else ""
    label = draft_label(draft, prefixes)
    count, count_style = errors_label(errors)
    parts: list = [
        (f"{draft.channel:<10}", "bold"),
        (f"{draft.status:<9}", status_style),
        (f"{count:<8} ", count_style),
        (changed_at(draft.updated_at), "dim"),
        "  ",
        (label, "") if label else ("(empty)", "dim"),
    ]
    if draft.to:
        parts.append(("  → " + ", ".join(draft.to), "dim"))
    text = assemble(*parts)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _keys_not_checked(address: str) -> KeyStatus:
    from warroom.rules.model import KeyStatus

    return KeyStatus(address, "unavailable", detail=KEYS_NOT_CHECKED)


class DraftsPane(QuietOptionList):
    BORDER_TITLE = "4 Drafts"

    _shown: tuple | None = None

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._errors: dict[str, tuple[object, int]] = {}
        """draft id -> (its words and the policy's when counted, its errors)."""

    def errors(self, session: Session, draft: Draft) -> int:
        """The errors the comms rules find in a draft, gpg aside (see the module)."""
        from warroom import comms
        from warroom.rules.model import ERROR
        from warroom.rules.recipients import NEEDS_KEYS

        # Its words, not its time: two saves can share a millisecond.
        stamp = (comms.draft_doc(draft), session.state.policy_text)
        cached = self._errors.get(draft.id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        findings = comms.review(session.state, session.policy, draft, _keys_not_checked)
        count = sum(f.severity == ERROR and f.rule not in NEEDS_KEYS for f in findings)
        self._errors[draft.id] = (stamp, count)
        return count

    def show(self, session: Session) -> None:
        state = session.state
        drafts = sorted(state.drafts.values(), key=lambda d: d.updated_at)
        rows: tuple = ()
        if drafts:  # the rules load with the first draft, not for the first paint
            from warroom.comms import draft_doc

            rows = tuple(
                (d.id, d.status, len(d.approvals), d.updated_at, draft_doc(d)) for d in drafts
            )
        key = (state.policy_text, rows)
        if key == self._shown:
            return
        self._shown = key
        self.border_title = f"4 Drafts {len(drafts)}"
        keep = self.highlighted
        policy = session.policy if drafts else None
        prefixes = (policy.subject, policy.prefix) if policy else ()
        self.set_options(
            Option(draft_prompt(d, self.errors(session, d), prefixes), id=d.id) for d in drafts
        )
        if drafts:
            self.highlighted = keep if keep is not None and keep < len(drafts) else 0

    def selected(self) -> str | None:
        if self.highlighted is None:
            return None
        return self.get_option_at_index(self.highlighted).id
