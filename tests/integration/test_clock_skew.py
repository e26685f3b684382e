"""A device with a wrong (or lying) clock must not drag everyone's clock.

Once, one note stamped in the year 2100 made every later honest event
2100-01-01: "resolved at 2100, review due 2100-01-15", and `verify` said ok.
Here a hostile device (its own key, the passphrase, a clock in 2100) writes
through the Session API; the honest responder uses the real command line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from warroom.clock import HybridClock, wall_ms
from warroom.device import load_device
from warroom.events import REVIEW_DUE_DAYS
from warroom.session import Session
from warroom.timefmt import iso

Y2100 = 4_102_444_800_000  # 2100-01-01T00:00:00Z
DAY = 86_400_000
SKEW = (
    r"stamped 2100-01-01T00:00:00Z, more than 10 minutes ahead of this computer's clock: "
    r"its device's clock is wrong, or it lies"
)


def hostile_note(path: Path, passphrase: str, config: Path, at_ms: int, text: str) -> str:
    """A note from another device whose clock reads `at_ms`; returns the device's hex."""
    config.mkdir(mode=0o700, exist_ok=True)
    device = load_device(config, name="Mallory")
    clock = HybridClock(lambda: at_ms)
    with Session.unlock(path, passphrase, device=device, clock=clock) as s:
        s.add_note(text)
    return device.public_key.hex()


def test_a_note_stamped_2100_does_not_drag_later_events(
    cli, incident: Path, passphrase: str, tmp_path: Path
) -> None:
    hostile = hostile_note(incident, passphrase, tmp_path / "hostile", Y2100, "from the future")
    warning = re.compile(
        rf"warroom: warning: event {hostile[:8]}#1: {SKEW} \(run `warroom verify`\)"
    )

    before = wall_ms()
    proc = cli("note", incident, "honest note after it")
    assert proc.returncode == 0, proc.stderr
    assert [line for line in proc.stderr.splitlines() if warning.fullmatch(line)], proc.stderr
    note_id = proc.stdout.strip()
    proc = cli("incident", "set", incident, "status", "resolved")
    assert proc.returncode == 0, proc.stderr
    after = wall_ms()
    assert "2100" not in proc.stdout, proc.stdout

    proc = cli("show", incident, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    inc = shown["incident"]
    assert before <= inc["resolved_at"] <= after + 1000, (before, inc["resolved_at"], after)
    assert inc["review_due"] == inc["resolved_at"] + REVIEW_DUE_DAYS * DAY
    timeline = shown["timeline"]
    honest = next(e for e in timeline if e["id"] == note_id)
    assert honest["at"].startswith(shown_day(before)), honest
    assert honest["recorded_at"] == honest["at"]
    # The 2100 note is shown where it claims to be: last, after the resolution.
    assert timeline[-1]["text"] == "from the future"
    assert timeline[-1]["at"] == "2100-01-01T00:00:00Z"
    assert timeline[-2]["text"].startswith("Incident updated: status -> resolved")

    proc = cli("verify", incident)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    last = proc.stderr.splitlines()[-1]
    assert re.fullmatch(rf"warroom: verify failed: event {hostile[:8]}#1: {SKEW}", last), last


def shown_day(ms: int) -> str:
    return iso(ms)[:10]


def test_a_slightly_fast_clock_is_followed_and_not_flagged(
    cli, incident: Path, passphrase: str, tmp_path: Path
) -> None:
    """Within the bound (5 minutes ahead) the clocks agree as a hybrid clock should:
    a later honest event sorts after it, and nothing is flagged."""
    hostile_note(incident, passphrase, tmp_path / "fast", wall_ms() + 5 * 60_000, "a bit fast")
    proc = cli("note", incident, "after the fast one")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    proc = cli("verify", incident)
    assert proc.returncode == 0, proc.stderr
    proc = cli("timeline", incident, "--format", "json")
    texts = [e["text"] for e in json.loads(proc.stdout)]
    assert texts.index("a bit fast") < texts.index("after the fast one")


def test_eleven_minutes_ahead_is_flagged_and_not_followed(
    incident: Path, passphrase: str, tmp_path: Path
) -> None:
    """The bound, through the Session API with frozen clocks on both sides."""
    now = wall_ms()
    hostile = hostile_note(incident, passphrase, tmp_path / "h", now + 11 * 60_000, "ahead")
    with Session.unlock(incident, passphrase, clock=HybridClock(lambda: now)) as s:
        assert [(p.device, p.seq) for p in s.problems] == [(hostile, 1)]
        assert s.problems[0].reason.startswith(f"stamped {iso(now + 11 * 60_000)}, more than")
        entry_id = s.add_note("honest")
        assert s.state.entries[entry_id].recorded_at == now
        assert not s.verify().ok
    with Session.unlock(incident, passphrase, clock=HybridClock(lambda: now + 2 * 60_000)) as s:
        assert s.problems == []  # 9 minutes ahead now: within the bound, followed
        entry_id = s.add_note("later")
        assert s.state.entries[entry_id].recorded_at == now + 11 * 60_000
        assert s.verify().ok
