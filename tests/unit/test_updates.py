"""Stakeholder updates on a rhythm (issue #13): the policy's `update_every`, the
`update.sent` event in the fold, `Session.send_update`, and warroom/updates.py (the
rhythm, the countdown, the template)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom import events as ev
from warroom import updates
from warroom.demo import create_demo
from warroom.events import Event
from warroom.records import Draft, Incident, IncidentState
from warroom.rules import policy as policy_module
from warroom.rules.policy import PolicyError, default_policy, parse_policy
from warroom.session import Session, SessionError
from warroom.state import Fold, fold

PASSPHRASE = "correct horse battery staple"
MIN = 60_000
T0 = 1_796_000_000_000
"""A declaration time (2026-12-01, UTC)."""
DEV = bytes([7]) * 32
OLD_POLICY = """# a policy stored before update_every existed
subject = "Attorney Work Project"
internal_domains = ["example.com"]
include_subdomains = false
banned_phrases = ['''\\bseriously\\b''']
sms_allowed_words = ["move", "to", "a", "secure", "channel"]
vendors = []
"""


# -- the policy ---------------------------------------------------------------------


def test_the_shipped_policy_has_a_rhythm_per_severity() -> None:
    policy = default_policy()
    assert policy.update_minutes == ((1, 30), (2, 60), (3, 240))
    assert [policy.update_interval(s) for s in (1, 2, 3, 4)] == [30, 60, 240, None]
    lines = policy.source_text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("update_every ="))
    assert lines[at - 1].startswith("#")  # documented in the file's comment style


def test_update_every_replaces_the_default_whole() -> None:
    policy = parse_policy("update_every = { SEV2 = 15, SEV4 = 1440 }\n", "mine.toml")
    assert policy.update_minutes == ((2, 15), (4, 1440))
    assert policy.update_interval(1) is None
    assert parse_policy("update_every = {}\n").update_minutes == ()
    table = parse_policy("[update_every]\nSEV1 = 1\n")
    assert table.update_minutes == ((1, 1),)


def test_a_policy_without_update_every_keeps_the_default() -> None:
    old = parse_policy(OLD_POLICY, "incident policy")
    assert old.update_minutes == default_policy().update_minutes
    assert parse_policy('subject = "Privileged"\n').update_interval(1) == 30


def test_a_policy_with_no_base_parses_without_update_every() -> None:
    """The shipped file is parsed with no base: every key but the optional ones is
    required there; update_every is optional (no rhythm when left out)."""
    parsed = policy_module._parse(OLD_POLICY, "old.toml", None)
    assert parsed.update_minutes == ()
    with pytest.raises(PolicyError, match="missing keys: vendors"):
        policy_module._parse(OLD_POLICY.replace("vendors = []\n", ""), "old.toml", None)


def test_an_old_stored_policy_stays_valid_and_gets_the_default_rhythm(tmp_path: Path) -> None:
    with Session.create(tmp_path / "inc.db", PASSPHRASE, kdf="interactive") as session:
        session.set_policy(OLD_POLICY)
        assert session.policy.source_text == OLD_POLICY
        assert session.policy.update_minutes == default_policy().update_minutes


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("update_every = { SEV9 = 30 }", 1, "unknown severity 'SEV9'"),
        ("update_every = { sev1 = 30 }", 1, "unknown severity 'sev1'"),
        ('subject = "x"\nupdate_every = { SEV1 = 0 }', 2, "update_every.SEV1 must be 1 to 1440"),
        ("\n\nupdate_every = { SEV2 = 1441 }", 3, "must be 1 to 1440 minutes, not 1441"),
        ("update_every = { SEV1 = -5 }", 1, "must be 1 to 1440"),
        ("update_every = { SEV1 = 30.0 }", 1, "whole number of minutes, not a number"),
        ("update_every = { SEV1 = true }", 1, "whole number of minutes, not a boolean"),
        ('update_every = { SEV1 = "30" }', 1, "whole number of minutes, not a string"),
        ("update_every = 30", 1, "update_every must be a table"),
        ("update_every = [30, 60]", 1, "update_every must be a table"),
        ("[update_every]\nSEV1 = 30\nSEV7 = 1\n", 3, "unknown severity 'SEV7'"),
        ("update_evry = { SEV1 = 30 }", 1, "did you mean 'update_every'"),
    ],
)
def test_bad_update_every_names_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "p.toml")
    message = str(caught.value)
    assert message.startswith(f"p.toml:{line}: "), message
    assert words in message


# -- the event ----------------------------------------------------------------------


def _log() -> list[Event]:
    return [
        Event(DEV, 1, (T0, 0), ev.INCIDENT_DECLARED, {"codename": "amber-heron", "severity": 1}),
        Event(DEV, 2, (T0 + MIN, 0), ev.DRAFT_SAVED, {"id": "d1", "fields": {"body": "v1"}}),
        Event(DEV, 3, (T0 + 2 * MIN, 0), ev.UPDATE_SENT, {"id": "d1", "by": "Ann"}),
        Event(DEV, 4, (T0 + 3 * MIN, 0), ev.DRAFT_SAVED, {"id": "d2", "fields": {"body": "v2"}}),
    ]


def test_update_sent_marks_the_draft_and_writes_one_system_entry() -> None:
    assert ev.UPDATE_SENT == "update.sent" and ev.UPDATE_SENT in ev.EVENT_TYPES
    state = fold(_log())
    d1, d2 = state.drafts["d1"], state.drafts["d2"]
    assert (d1.status, d1.sent_at) == ("sent", T0 + 2 * MIN)
    assert (d2.status, d2.sent_at) == ("draft", None)
    sent = [e for e in state.timeline() if e.text.startswith("Stakeholder update sent")]
    assert [(e.text, e.at, e.system, e.author) for e in sent] == [
        ("Stakeholder update sent (draft d1)", T0 + 2 * MIN, True, "Ann")
    ]
    assert updates.sent_times(state) == [T0 + 2 * MIN]


def test_update_sent_in_any_order_gives_the_same_state() -> None:
    log = _log()
    want = fold(log).to_dict()
    for order in itertools.permutations(log):
        one_by_one = Fold()
        for event in order:
            one_by_one.apply(event)
        assert one_by_one.state.to_dict() == want
        assert fold(order).to_dict() == want


def test_update_sent_for_no_such_draft_or_malformed_changes_nothing() -> None:
    log = _log()[:2]
    base = fold(log).to_dict()
    for data in ({"id": "nope"}, {"id": 7}, {}, {"draft": "d1"}):
        assert fold([*log, Event(DEV, 9, (T0 + 5 * MIN, 0), ev.UPDATE_SENT, data)]).to_dict() == (
            base
        )


def test_a_checkpointed_fold_keeps_the_updates_sent() -> None:
    f = Fold()
    f.apply_all(_log())
    resumed = Fold.resume(f.resumable())
    assert resumed.state.to_dict() == f.state.to_dict()
    assert resumed.state.drafts["d1"].sent_at == T0 + 2 * MIN


# -- the rhythm ---------------------------------------------------------------------


def _state(severity: int = 1, status: str = "investigating", *sent: int) -> IncidentState:
    state = IncidentState(
        incident=Incident(codename="amber-heron", severity=severity, status=status, declared_at=T0)
    )
    for i, at in enumerate(sent):
        state.drafts[f"d{i}"] = Draft(f"d{i}", channel="chat", status="sent", sent_at=at)
    return state


def test_the_clock_starts_at_the_declaration() -> None:
    beat = updates.rhythm(_state(1), default_policy())
    assert beat == updates.Rhythm(30 * MIN, None, T0 + 30 * MIN)
    assert beat.left_ms(T0 + 10 * MIN) == 20 * MIN
    assert not beat.late(T0 + 30 * MIN)  # due, not yet late
    assert beat.late(T0 + 30 * MIN + 1)
    assert beat.left_ms(T0 + 33 * MIN) == -3 * MIN


def test_the_clock_restarts_at_the_last_update_sent() -> None:
    state = _state(2, "contained", T0 + 70 * MIN, T0 + 20 * MIN)
    beat = updates.rhythm(state, default_policy())
    assert beat == updates.Rhythm(60 * MIN, T0 + 70 * MIN, T0 + 130 * MIN)
    assert not beat.late(T0 + 100 * MIN)
    assert beat.late(T0 + 131 * MIN)


def test_no_rhythm_for_an_unlisted_severity_or_a_resolved_incident() -> None:
    for state in (_state(4), _state(1, "resolved"), _state(2, "closed", T0 + MIN)):
        beat = updates.rhythm(state, default_policy())
        assert beat.interval_ms is None and beat.due_at is None
        assert beat.left_ms(T0 + 10_000 * MIN) is None
        assert not beat.late(T0 + 10_000 * MIN)
        assert updates.countdown(beat, T0 + 10_000 * MIN) == ""
    assert updates.rhythm(_state(2, "closed", T0 + MIN), default_policy()).last_at == T0 + MIN
    assert updates.rhythm(_state(1), parse_policy("update_every = {}")).due_at is None


def test_countdown_words() -> None:
    beat = updates.rhythm(_state(3), default_policy())  # due at T0 + 240 min: 04:53 UTC
    assert updates.countdown(beat, T0) == "next update 04:53Z"
    assert updates.countdown(beat, T0 + 233 * MIN) == "update due in 7 min"
    assert updates.countdown(beat, T0 + 233 * MIN + 1) == "update due in 7 min"
    assert updates.countdown(beat, T0 + 240 * MIN) == "update due now"
    assert updates.countdown(beat, T0 + 243 * MIN) == "update LATE 3 min"
    assert updates.countdown(beat, T0 + 240 * MIN + 1) == "update LATE 1 min"
    assert updates.countdown(beat, T0 + 240 * MIN + 300 * MIN) == "update LATE 5 h"
    for now in (T0, T0 + 235 * MIN, T0 + 10**12, T0 - 10**13):
        assert len(updates.countdown(beat, now)) <= 24


# -- the template -------------------------------------------------------------------


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Session]:
    session = create_demo(tmp_path / "demo.db", PASSPHRASE, now=T0 + 200 * MIN)
    yield session
    session.close()


def _errors(session: Session, draft_id: str) -> list[str]:
    return [f.rule for f in session.draft_findings(draft_id) if f.severity == "error"]


def test_the_template_of_the_demo_passes_the_rules(demo: Session) -> None:
    title = demo.state.incident.title
    codename = demo.state.incident.codename
    fields = updates.template(demo.state, default_policy(), T0 + 200 * MIN)
    assert (fields["channel"], fields["audience"]) == ("chat", "stakeholders")
    assert fields["topic"].startswith(default_policy().prefix)
    assert fields["body"].startswith(default_policy().prefix)
    assert codename in fields["body"] and codename in fields["topic"]
    assert title.casefold() not in (fields["body"] + fields["topic"]).casefold()
    draft_id = demo.save_draft(None, **fields)
    assert _errors(demo, draft_id) == []
    body = fields["body"]
    assert "Since the incident was declared" in body
    assert "Current status: " in body and "SEV1" in body
    assert "Next update: by " in body
    listed = [line for line in body.splitlines() if line.startswith("- ") and " UTC " in line]
    assert len(listed) == updates.MAX_TEMPLATE_ENTRIES
    assert "earlier entries not listed" in body


def test_the_template_never_says_the_title_nor_a_banned_phrase(demo: Session) -> None:
    title = demo.state.incident.title
    demo.add_note(f"Paging the owners of {title.upper()} now")
    demo.add_note("We take security very seriously")
    demo.set_incident(summary=f"{title}: contained")
    fields = updates.template(demo.state, demo.policy, T0 + 200 * MIN)
    body = fields["body"]
    assert title.casefold() not in " ".join(body.split()).casefold()
    assert f"Paging the owners of {demo.state.incident.codename} now." in body
    assert "seriously" not in body
    assert "(an entry left out: it does not pass the comms rules)" in body
    assert f"Summary: {demo.state.incident.codename}: contained." in body
    assert _errors(demo, demo.save_draft(None, **fields)) == []


def test_the_template_lists_the_entries_since_the_last_update_only(tmp_path: Path) -> None:
    with Session.create(
        tmp_path / "inc.db", PASSPHRASE, kdf="interactive", codename="amber-heron", severity=1
    ) as session:
        session.add_note("before the update")
        first = session.save_draft(None, **updates.template(session.state, session.policy, T0))
        session.send_update(first)
        session.add_note("after the update one")
        session.add_note("after the update two")
        now = session.state.drafts[first].sent_at + 5 * MIN
        body = updates.template(session.state, session.policy, now)["body"]
    assert "Since the last update (" in body
    assert "before the update" not in body
    assert "Stakeholder update sent" not in body
    entries = [line for line in body.splitlines() if line.startswith("- ")]
    assert [line.split(" UTC ", 1)[1] for line in entries] == [
        "after the update one.",
        "after the update two.",
    ]
    assert "Checklist: 14 of 14 steps open." in body


# -- the session --------------------------------------------------------------------


def test_send_update_records_the_time_once(tmp_path: Path) -> None:
    with Session.create(tmp_path / "inc.db", PASSPHRASE, kdf="interactive") as session:
        draft_id = session.save_draft(None, **updates.template(session.state, session.policy, T0))
        assert updates.rhythm(session.state, session.policy).last_at is None
        session.send_update(draft_id)
        draft = session.state.drafts[draft_id]
        assert draft.status == "sent" and draft.sent_at is not None
        beat = updates.rhythm(session.state, session.policy)
        assert beat.last_at == draft.sent_at
        assert beat.due_at == draft.sent_at + 60 * MIN  # SEV2
        with pytest.raises(SessionError, match="already sent"):
            session.send_update(draft_id)
        sent = [e for e in session.state.timeline() if "Stakeholder update sent" in e.text]
        assert [e.text for e in sent] == [f"Stakeholder update sent (draft {draft_id})"]


def test_send_update_refuses_an_unknown_draft_or_one_the_rules_refuse(tmp_path: Path) -> None:
    with Session.create(tmp_path / "inc.db", PASSPHRASE, kdf="interactive") as session:
        with pytest.raises(SessionError, match="no draft 'nope'"):
            session.send_update("nope")
        fields = updates.template(session.state, session.policy, T0)
        draft_id = session.save_draft(None, **fields)
        session.save_draft(draft_id, body=fields["body"] + "\nWe take security seriously.")
        with pytest.raises(SessionError) as caught:
            session.send_update(draft_id)
        assert "banned-phrase" in str(caught.value) and "\n" not in str(caught.value)
        assert session.state.drafts[draft_id].sent_at is None
        assert updates.sent_times(session.state) == []
        assert not any("Stakeholder update" in e.text for e in session.state.timeline())
