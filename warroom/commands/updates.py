"""Bodies of the stakeholder-update commands: `status` (what is due), `update new` (a
draft from the template) and `update sent` (record one sent). The rhythm and the
template are warroom/updates.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warroom.clock import wall_ms
from warroom.commands.common import CheckFailed, dump_json, unlocked
from warroom.sanitize import one_line
from warroom.timefmt import iso, strf
from warroom.updates import MINUTE_MS, NO_RHYTHM_STATUSES, rhythm, sent_times, template


def _utc(ms: int | None) -> str:
    return "" if ms is None else strf(ms, "%Y-%m-%d %H:%M UTC")


def status(path: Path, fmt: str, passphrase_file: Path | None) -> None:
    """Print the update rhythm: severity, interval, last update sent, next due."""
    now = wall_ms()
    with unlocked(path, passphrase_file) as session:
        state, policy = session.state, session.policy
        beat = rhythm(state, policy)
        sent = sent_times(state)
        inc = state.incident
    left = beat.left_ms(now)
    late = beat.late(now)
    minutes_left = None if left is None else (left // MINUTE_MS if left >= 0 else None)
    minutes_late = -(left // MINUTE_MS) if late and left is not None else None
    resolved = inc.status in NO_RHYTHM_STATUSES
    if fmt == "json":
        dump_json(
            {
                "severity": inc.severity,
                "status": inc.status,
                "rhythm": beat.interval_ms is not None,
                "interval_minutes": None
                if beat.interval_ms is None
                else beat.interval_ms // MINUTE_MS,
                "updates_sent": len(sent),
                "last_at": beat.last_at,
                "last": iso(beat.last_at),
                "due_at": beat.due_at,
                "due": iso(beat.due_at),
                "now": now,
                "minutes_left": minutes_left,
                "late": late,
                "minutes_late": minutes_late,
            }
        )
        return
    click.echo(f"severity      SEV{inc.severity} ({one_line(inc.status)})")
    last = _utc(beat.last_at) if beat.last_at is not None else "none sent"
    if resolved:
        click.echo(f"last update   {last}")
        click.echo(f"{inc.status}: no update rhythm")
        return
    if beat.interval_ms is None:
        click.echo(f"last update   {last}")
        click.echo(f"no update rhythm for SEV{inc.severity}")
        return
    click.echo(f"interval      every {beat.interval_ms // MINUTE_MS} min")
    click.echo(f"last update   {last}")
    if beat.due_at is None:
        click.echo("next due      unknown (no declaration time)")
    elif late:
        click.echo(f"next due      {_utc(beat.due_at)}: late by {minutes_late} min")
    else:
        click.echo(f"next due      {_utc(beat.due_at)}: in {minutes_left} min")


def update_new(path: Path, passphrase_file: Path | None) -> None:
    """Save a new stakeholder update's draft from the template; print its id."""
    with unlocked(path, passphrase_file) as session:
        fields: dict[str, Any] = template(session.state, session.policy, wall_ms())
        click.echo(session.save_draft(None, **fields))


def update_sent(
    path: Path, draft_id: str, gnupghome: Path | None, passphrase_file: Path | None
) -> None:
    """Record the draft sent as a stakeholder update: refused (exit 1) while a rule
    finds an error in it; an unknown draft is exit 2."""
    from warroom import comms
    from warroom.commands.comms import keyring

    ring = keyring(gnupghome)
    with unlocked(path, passphrase_file) as session:
        keys = comms.key_lookup(ring.resolve, session.state)
        errors = [f for f in session.draft_findings(draft_id, keys) if f.severity == "error"]
        if errors:
            found = "; ".join(f"{f.rule}: {one_line(f.message)}" for f in errors)
            raise CheckFailed(f"draft {one_line(draft_id)} not sent: {found}")
        session.send_update(draft_id, keys)
        beat = rhythm(session.state, session.policy)
    due = f"; next update due {_utc(beat.due_at)}" if beat.due_at is not None else ""
    click.echo(f"{draft_id}: sent at {_utc(beat.last_at)}{due}")
