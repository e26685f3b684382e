"""The header line: codename, severity, what failed an integrity check (events, forks,
and feeds behind what this user saw) and any other alarm (a late update, a failed
sync), then kind, status, time since declared, the update countdown, others writing
and where sync stands. A narrow terminal drops the quiet parts, never an alarm."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from warroom import updates
from warroom.heads import Regression
from warroom.ledger import FORKED
from warroom.sanitize import one_line
from warroom.session import Session
from warroom.state import IncidentState

from ..safe import assemble


def elapsed(ms: int) -> str:
    minutes = max(0, ms) // 60_000
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours:02d}h{mins:02d}m" if days else f"{hours:02d}h{mins:02d}m"


# What a narrow terminal leaves out first: the part with the highest rank goes first
# (the last of equals first). Codename, severity and every alarm are never left out,
# and the alarms come right after the severity, so no width hides them.
ALWAYS, STATUS, COUNTDOWN, SYNC, KIND, OTHERS = 0, 2, 3, 4, 5, 6

Part = tuple[str, str, int]
"""A header part: its text (starting with its two spaces), its style, its rank."""


def header_parts(  # noqa: PLR0913
    state: IncidentState,
    now_ms: int,
    others: int,
    problems: int,
    rollbacks: Sequence[Regression] = (),
    forks: Sequence[str] = (),
    sync: tuple[str, str] | None = None,
    update: tuple[str, str] | None = None,
) -> list[Part]:
    """`forks`: devices (hex) whose feed forked; `sync`: the sync part and its style;
    `update`: the stakeholder update countdown and its style (update_text). A part
    with a style is an alarm (a late update, a failed sync)."""
    inc = state.incident
    since = elapsed(now_ms - inc.declared_at) if inc.declared_at else "--"
    loud = "bold reverse"
    parts: list[Part] = [
        (inc.codename or "(no codename)", "bold", ALWAYS),
        (f"  SEV{inc.severity}", loud if inc.severity <= 2 else "bold", ALWAYS),
    ]
    if rollbacks:
        more = f" +{len(rollbacks) - 1}" if len(rollbacks) > 1 else ""
        parts.append((f"  ROLLED BACK: device {rollbacks[0].device[:8]}{more}", loud, ALWAYS))
    if forks:
        more = f" +{len(forks) - 1}" if len(forks) > 1 else ""
        parts.append((f"  FORK: device {forks[0][:8]}{more}", loud, ALWAYS))
    if problems:
        parts.append((f"  {problems} event(s) failed integrity checks", loud, ALWAYS))
    if sync is not None and sync[1]:
        parts.append((*sync, ALWAYS))
    if update is not None and update[1]:
        parts.append((*update, ALWAYS))
    parts += [(f"  {inc.kind}", "", KIND), (f"  {inc.status}  +{since}", "", STATUS)]
    if update is not None and not update[1]:
        parts.append((*update, COUNTDOWN))
    parts.append((f"  others writing: {others}", "", OTHERS))
    if sync is not None and not sync[1]:
        parts.append((*sync, SYNC))
    return parts


def fit(parts: Sequence[Part], width: int) -> Text:
    """The parts in their order, leaving out the least needed until the line fits
    `width` cells (0: not known yet, all of them)."""
    kept = list(parts)
    while width > 0 and sum(cell_len(one_line(t)) for t, _, _ in kept) > width:
        rank = max(r for _, _, r in kept)
        if rank == ALWAYS:
            break  # only what is never left out: Textual cuts the line at its width
        last = max(i for i, (_, _, r) in enumerate(kept) if r == rank)
        del kept[last]
    pieces: list[tuple[str, str]] = []
    for text, style, _ in kept:  # the spaces before a part are never in its style
        words = text.lstrip(" ")
        pieces += [(text[: len(text) - len(words)], ""), (words, style)]
    return assemble(*pieces)


def update_text(session: Session, now_ms: int) -> tuple[tuple[str, str] | None, int | None]:
    """The countdown to the next stakeholder update (the policy's interval for the
    incident's severity) and its style, loud when late; and the milliseconds until its
    words next change (a minute turns, or it falls due), within the next minute. Both
    None when the severity has no rhythm."""
    rhythm = updates.rhythm(session.state, session.policy)
    left = rhythm.left_ms(now_ms)
    if left is None:
        return None, None
    style = "bold reverse" if rhythm.late(now_ms) else ""
    part = (f"  {updates.countdown(rhythm, now_ms)}", style)
    return part, left % updates.MINUTE_MS or updates.MINUTE_MS


class IncidentHeader(Static):
    """Redrawn when the state changes and once a minute, never more often."""

    DEFAULT_CSS = "IncidentHeader { height: 1; }"

    _shown: str | None = None
    _parts: Sequence[Part] = ()

    def show(
        self,
        session: Session,
        now_ms: int,
        problems: int,
        sync: tuple[str, str] | None = None,
        update: tuple[str, str] | None = None,
    ) -> None:
        """`update`: update_text's part, or None (the main screen leaves it out of its
        first paint: the policy it needs loads the comms rules)."""
        forks = sorted({p.device for p in session.problems if p.reason == FORKED})
        self._parts = header_parts(
            session.state,
            now_ms,
            session.others_writing(now_ms),
            problems - len([p for p in session.problems if p.reason == FORKED]),
            session.rollbacks,
            forks,
            sync,
            update,
        )
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        text = fit(self._parts, self.size.width or self.app.size.width)
        if text.markup != self._shown:  # a quiet terminal: send nothing that did not change
            self._shown = text.markup
            self.update(text, layout=False)
