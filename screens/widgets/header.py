"""The header line: codename, severity, kind, status, time since declared, others writing,
what failed an integrity check (events, forks, and feeds behind what this user saw),
and where sync stands."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from warroom import updates
from warroom.heads import Regression
from warroom.ledger import FORKED
from warroom.session import Session
from warroom.state import IncidentState

from ..safe import assemble


def elapsed(ms: int) -> str:
    minutes = max(0, ms) // 60_000
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours:02d}h{mins:02d}m" if days else f"{hours:02d}h{mins:02d}m"


def header_text(
    state: IncidentState,
    now_ms: int,
    others: int,
    problems: int,
    rollbacks: Sequence[Regression] = (),
    forks: Sequence[str] = (),
    sync: tuple[str, str] | None = None,
    update: tuple[str, str] | None = None,
) -> Text:
    """`forks`: devices (hex) whose feed forked; `sync`: the sync part and its style;
    `update`: the stakeholder update countdown and its style (update_text)."""
    inc = state.incident
    since = elapsed(now_ms - inc.declared_at) if inc.declared_at else "--"
    parts: list = [
        (inc.codename or "(no codename)", "bold"),
        "  ",
        (f"SEV{inc.severity}", "bold reverse" if inc.severity <= 2 else "bold"),
    ]
    late = update is not None and bool(update[1])
    if rollbacks:
        more = f" +{len(rollbacks) - 1}" if len(rollbacks) > 1 else ""
        parts.append((f"  ROLLED BACK: device {rollbacks[0].device[:8]}{more}", "bold reverse"))
    if forks:
        more = f" +{len(forks) - 1}" if len(forks) > 1 else ""
        parts.append((f"  FORK: device {forks[0][:8]}{more}", "bold reverse"))
    if late:  # loud and early, after the integrity alarms only: a line is cut at its width
        parts.append(update)
    parts += [
        f"  {inc.kind}  {inc.status}  +{since}",
    ]
    if update is not None and not late:
        parts.append(update)
    parts.append(f"  others writing: {others}")
    if problems:
        parts.append((f"  {problems} event(s) failed integrity checks", "bold reverse"))
    if sync is not None:
        parts.append(sync)
    return assemble(*parts)


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
        text = header_text(
            session.state,
            now_ms,
            session.others_writing(now_ms),
            problems - len([p for p in session.problems if p.reason == FORKED]),
            session.rollbacks,
            forks,
            sync,
            update,
        )
        if text.markup != self._shown:  # a quiet terminal: send nothing that did not change
            self._shown = text.markup
            self.update(text, layout=False)
